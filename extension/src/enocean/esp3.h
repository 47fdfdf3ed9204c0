/*
 * esp3.h: EnOcean Serial Protocol 3 framing.
 *
 *   55 | data length (2, big-endian) | optional length | packet type | CRC8H |
 *   data | optional data | CRC8D
 *
 * esp3_scan() finds the valid frames in a byte stream (junk, truncated
 * frames and CRC errors skipped, with single-byte backtracking after any
 * failure); esp3_parse() checks one frame exactly.
 */
#ifndef PGIOT_ENO_ESP3_H
#define PGIOT_ENO_ESP3_H

#include "eno_common.h"

#define ESP3_SYNC 0x55
#define ESP3_HEADER_LEN 6		/* sync + 4 header bytes + CRC8H */

#define ESP3_RADIO_ERP1 0x01
#define ESP3_RESPONSE 0x02
#define ESP3_RADIO_SUB_TEL 0x03
#define ESP3_EVENT 0x04
#define ESP3_COMMON_COMMAND 0x05
#define ESP3_SMART_ACK_COMMAND 0x06
#define ESP3_REMOTE_MAN_COMMAND 0x07
#define ESP3_RADIO_MESSAGE 0x09
#define ESP3_RADIO_ERP2 0x0A
#define ESP3_RADIO_802_15_4 0x10
#define ESP3_COMMAND_2_4 0x11

typedef struct Esp3ScanInfo
{
	size_t		frames;			/* valid frames found */
	size_t		skipped;		/* bytes in no frame and not in the tail */
	size_t		tail_offset;	/* start of an incomplete frame at the end */
	size_t		tail_length;	/* 0 when the stream ends cleanly */
} Esp3ScanInfo;

/* Called for each valid frame, in stream order. */
typedef void (*Esp3FrameFn) (void *ctx, size_t offset, size_t length);

extern void esp3_scan(const uint8_t *buf, size_t len, Esp3FrameFn fn, void *ctx,
					  Esp3ScanInfo *info);

typedef struct Esp3Packet
{
	uint8_t		type;
	const uint8_t *data;
	size_t		data_len;
	const uint8_t *opt;
	size_t		opt_len;
} Esp3Packet;

/* One complete frame, nothing before or after it; ENO_OK or ENO_ERR_FRAME. */
extern EnoErrorKind esp3_parse(const uint8_t *frame, size_t len, Esp3Packet *out, EnoError *err);

/* "RADIO_ERP1", ...; "RESERVED" or "MANUFACTURER_SPECIFIC" otherwise. */
extern const char *esp3_packet_type_name(uint8_t type);

#endif
