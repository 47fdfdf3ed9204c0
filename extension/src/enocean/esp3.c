/*
 * esp3.c: ESP3 stream scanning and frame checking (enocean.md §2).
 *
 * The scanner is the "backtracking" variant of §2.7: on any failure
 * (header CRC, impossible lengths, data CRC) the search restarts at the
 * byte after the sync byte just tried, so a truncated frame never swallows
 * the complete frame that follows it.  A candidate that runs past the end
 * of the buffer is remembered as the incomplete tail unless a valid frame
 * is found after it.
 */
#include "esp3.h"

#include "crc8.h"

static size_t
body_length(const uint8_t *h)
{
	return ((size_t) h[1] << 8 | h[2]) + h[3];
}

void
esp3_scan(const uint8_t *buf, size_t len, Esp3FrameFn fn, void *ctx, Esp3ScanInfo *info)
{
	size_t		i = 0;
	size_t		in_frames = 0;
	bool		have_tail = false;
	size_t		tail = 0;

	info->frames = 0;
	while (i < len)
	{
		size_t		body;
		size_t		total;

		if (buf[i] != ESP3_SYNC)
		{
			i++;
			continue;
		}
		if (len - i < ESP3_HEADER_LEN)
		{
			/* a header cut by the end of the buffer */
			if (!have_tail)
			{
				have_tail = true;
				tail = i;
			}
			i++;
			continue;
		}
		body = body_length(buf + i);
		if (eno_crc8(buf + i + 1, 4) != buf[i + 5] || body == 0 || body > ENO_MAX_FRAME_BODY)
		{
			i++;
			continue;
		}
		total = ESP3_HEADER_LEN + body + 1;
		if (len - i < total)
		{
			if (!have_tail)
			{
				have_tail = true;
				tail = i;
			}
			i++;
			continue;
		}
		if (eno_crc8(buf + i + ESP3_HEADER_LEN, body) != buf[i + ESP3_HEADER_LEN + body])
		{
			i++;
			continue;
		}
		/* a valid frame: an earlier candidate tail was junk after all */
		have_tail = false;
		if (fn != NULL)
			fn(ctx, i, total);
		info->frames++;
		in_frames += total;
		i += total;
	}
	info->tail_offset = have_tail ? tail : len;
	info->tail_length = have_tail ? len - tail : 0;
	info->skipped = len - in_frames - info->tail_length;
}

EnoErrorKind
esp3_parse(const uint8_t *frame, size_t len, Esp3Packet *out, EnoError *err)
{
	size_t		data_len;
	size_t		opt_len;
	size_t		total;
	uint8_t		crc;

	if (len == 0)
		return eno_fail(err, ENO_ERR_FRAME, 0, "ESP3 frame is empty");
	if (frame[0] != ESP3_SYNC)
		return eno_fail(err, ENO_ERR_FRAME, 1, "ESP3 frame must start with the sync byte 0x55, not 0x%02x",
						frame[0]);
	if (len < ESP3_HEADER_LEN)
		return eno_fail(err, ENO_ERR_FRAME, len + 1,
						"ESP3 frame is truncated: %zu bytes, the header alone needs %d", len,
						ESP3_HEADER_LEN);
	crc = eno_crc8(frame + 1, 4);
	if (crc != frame[5])
		return eno_fail(err, ENO_ERR_FRAME, 6, "ESP3 header CRC8 mismatch: computed 0x%02x, frame has 0x%02x",
						crc, frame[5]);
	data_len = (size_t) frame[1] << 8 | frame[2];
	opt_len = frame[3];
	if (data_len + opt_len == 0)
		return eno_fail(err, ENO_ERR_FRAME, 2, "ESP3 frame announces no data and no optional data");
	total = ESP3_HEADER_LEN + data_len + opt_len + 1;
	if (len < total)
		return eno_fail(err, ENO_ERR_FRAME, len + 1,
						"ESP3 frame is truncated: %zu bytes, its header announces %zu", len, total);
	if (len > total)
		return eno_fail(err, ENO_ERR_FRAME, total + 1,
						"ESP3 frame has %zu bytes after its end (its header announces %zu bytes)",
						len - total, total);
	crc = eno_crc8(frame + ESP3_HEADER_LEN, data_len + opt_len);
	if (crc != frame[total - 1])
		return eno_fail(err, ENO_ERR_FRAME, total, "ESP3 data CRC8 mismatch: computed 0x%02x, frame has 0x%02x",
						crc, frame[total - 1]);
	out->type = frame[4];
	out->data = frame + ESP3_HEADER_LEN;
	out->data_len = data_len;
	out->opt = frame + ESP3_HEADER_LEN + data_len;
	out->opt_len = opt_len;
	return ENO_OK;
}

const char *
esp3_packet_type_name(uint8_t type)
{
	switch (type)
	{
		case ESP3_RADIO_ERP1:
			return "RADIO_ERP1";
		case ESP3_RESPONSE:
			return "RESPONSE";
		case ESP3_RADIO_SUB_TEL:
			return "RADIO_SUB_TEL";
		case ESP3_EVENT:
			return "EVENT";
		case ESP3_COMMON_COMMAND:
			return "COMMON_COMMAND";
		case ESP3_SMART_ACK_COMMAND:
			return "SMART_ACK_COMMAND";
		case ESP3_REMOTE_MAN_COMMAND:
			return "REMOTE_MAN_COMMAND";
		case ESP3_RADIO_MESSAGE:
			return "RADIO_MESSAGE";
		case ESP3_RADIO_ERP2:
			return "RADIO_ERP2";
		case ESP3_RADIO_802_15_4:
			return "RADIO_802_15_4";
		case ESP3_COMMAND_2_4:
			return "COMMAND_2_4";
	}
	return type >= 0x80 ? "MANUFACTURER_SPECIFIC" : "RESERVED";
}
