/*
 * erp.c: ERP1 and ERP2 telegram layouts (enocean.md §3, §4, §5).
 */
#include "erp.h"

#include <string.h>

#include "crc8.h"

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void
telegram_init(EnoTelegram *t, uint8_t packet_type)
{
	memset(t, 0, sizeof(*t));
	t->packet_type = packet_type;
	t->destination = ENO_BROADCAST;
	t->sub_tel_num = -1;
	t->dbm = -1;
	t->security_level = -1;
	t->erp2_ext_header = -1;
	t->erp2_ext_type = -1;
	t->erp2_originator_bits = 0;
	t->erp2_crc_ok = true;
	t->erp2_opt_len = 0;
}

/*
 * ERP1: data = RORG | payload | sender (4) | status; optional data =
 * SubTelNum | destination (4) | dBm | security level, each optional.
 */
static EnoErrorKind
from_erp1(const Esp3Packet *p, EnoTelegram *t, EnoError *err)
{
	size_t		n = p->data_len;

	if (n < 6)
		return eno_fail(err, ENO_ERR_TELEGRAM, 7 + n,
						"ERP1 telegram is too short: %zu data bytes, RORG + sender + status need 6", n);
	if (n - 6 > ENO_MAX_PAYLOAD)
		return eno_fail(err, ENO_ERR_TELEGRAM, 7,
						"ERP1 telegram payload of %zu bytes exceeds %d", n - 6, ENO_MAX_PAYLOAD);
	t->rorg = p->data[0];
	t->payload_len = n - 6;
	memcpy(t->payload, p->data + 1, t->payload_len);
	t->sender = be32(p->data + n - 5);
	t->status = p->data[n - 1];
	if (p->opt_len >= 1)
		t->sub_tel_num = p->opt[0];
	if (p->opt_len >= 5)
		t->destination = be32(p->opt + 1);
	if (p->opt_len >= 6)
		t->dbm = p->opt[5];
	if (p->opt_len >= 7)
		t->security_level = p->opt[6];
	return ENO_OK;
}

int
eno_erp2_rorg(int type, int ext_type)
{
	static const int by_type[15] = {
		RORG_RPS, RORG_1BS, RORG_4BS, RORG_SIGNAL, RORG_VLD, RORG_UTE, RORG_MSC, RORG_SEC,
		RORG_SEC_ENCAPS, RORG_SEC_TI, RORG_GP_SD, -1, -1, -1, -1
	};
	static const int by_ext[8] = {
		RORG_SYS_EX, RORG_SM_LRN_REQ, RORG_SM_LRN_ANS, RORG_CDM, RORG_SEC_D, RORG_GP_TI,
		RORG_GP_TR, RORG_GP_CD
	};

	if (type < 0 || type > 15)
		return -1;
	if (type < 15)
		return by_type[type];
	return (ext_type >= 0 && ext_type < 8) ? by_ext[ext_type] : -1;
}

/*
 * ERP2: data = HEADER | [EXT HEADER] | [EXT TYPE] | ORIGINATOR | [DEST] |
 * DATA | [OPTIONAL] | CRC, without the LENGTH byte (ESP3's length replaces
 * it).  Optional data = SubTelNum | dBm | [security level].
 */
static EnoErrorKind
from_erp2(const Esp3Packet *p, EnoTelegram *t, EnoError *err)
{
	const uint8_t *d = p->data;
	size_t		n = p->data_len;
	size_t		pos = 1;
	int			addr;
	int			type;
	int			orig_len;
	int			dest_len;
	int			rorg;
	size_t		opt_len = 0;
	size_t		data_len;

	/* data position N (0-based) is frame byte 7 + N */
#define AT(k) ((size_t) (k) + 7)
	if (n < 6)
		return eno_fail(err, ENO_ERR_TELEGRAM, AT(0),
						"ERP2 short telegrams (%zu bytes) are not supported", n);
	t->erp2_header = d[0];
	addr = d[0] >> 5;
	type = d[0] & 0x0F;
	if (d[0] & 0x10)
	{
		t->erp2_ext_header = d[pos];
		opt_len = d[pos] & 0x0F;
		t->status = d[pos] >> 4;	/* repeater count */
		pos++;
	}
	if (type == 15)
	{
		if (pos >= n)
			return eno_fail(err, ENO_ERR_TELEGRAM, AT(pos), "ERP2 telegram lacks its extended telegram type");
		t->erp2_ext_type = d[pos++];
	}
	switch (addr)
	{
		case 0:
			orig_len = 3, dest_len = 0;
			break;
		case 1:
			orig_len = 4, dest_len = 0;
			break;
		case 2:
			orig_len = 4, dest_len = 4;
			break;
		case 3:
			orig_len = 6, dest_len = 0;
			break;
		default:
			return eno_fail(err, ENO_ERR_TELEGRAM, AT(0),
							"ERP2 address control %d is reserved", addr);
	}
	rorg = eno_erp2_rorg(type, t->erp2_ext_type);
	if (rorg < 0)
		return eno_fail(err, ENO_ERR_TELEGRAM, AT(type == 15 ? pos - 1 : 0),
						"ERP2 telegram type %d%s is reserved", type,
						type == 15 ? " (extended)" : "");
	if (pos + orig_len + dest_len + opt_len + 1 > n)
		return eno_fail(err, ENO_ERR_TELEGRAM, AT(n),
						"ERP2 telegram is too short: %zu bytes for its header, %d-bit originator%s and %zu optional bytes",
						n, orig_len * 8, dest_len ? ", destination" : "", opt_len);
	t->erp2_originator_bits = orig_len * 8;
	memcpy(t->erp2_originator, d + pos, orig_len);
	t->sender = orig_len == 3 ? ((uint32_t) d[pos] << 16 | (uint32_t) d[pos + 1] << 8 | d[pos + 2])
		: be32(d + pos + orig_len - 4);
	pos += orig_len;
	if (dest_len)
	{
		t->destination = be32(d + pos);
		pos += dest_len;
	}
	data_len = n - pos - opt_len - 1;
	if (data_len > ENO_MAX_PAYLOAD)
		return eno_fail(err, ENO_ERR_TELEGRAM, AT(pos), "ERP2 payload too long");
	t->rorg = (uint8_t) rorg;
	memcpy(t->payload, d + pos, data_len);
	t->payload_len = data_len;
	pos += data_len;
	memcpy(t->erp2_opt, d + pos, opt_len);
	t->erp2_opt_len = opt_len;
	pos += opt_len;
	t->erp2_crc = d[pos];
	t->erp2_crc_ok = eno_crc8(d, pos) == d[pos];
	if (p->opt_len >= 1)
		t->sub_tel_num = p->opt[0];
	if (p->opt_len >= 2)
		t->dbm = p->opt[1];
	if (p->opt_len >= 3)
		t->security_level = p->opt[2];
#undef AT
	return ENO_OK;
}

EnoErrorKind
eno_telegram_from_packet(const Esp3Packet *p, EnoTelegram *t, EnoError *err)
{
	telegram_init(t, p->type);
	if (p->type == ESP3_RADIO_ERP1)
		return from_erp1(p, t, err);
	if (p->type == ESP3_RADIO_ERP2)
		return from_erp2(p, t, err);
	return eno_fail(err, ENO_ERR_TELEGRAM, 5, "ESP3 packet type 0x%02x (%s) is not a radio telegram",
					p->type, esp3_packet_type_name(p->type));
}

EnoErrorKind
eno_adt_decapsulate(EnoTelegram *t, EnoError *err)
{
	uint32_t	dest;
	size_t		inner;

	if (t->rorg != RORG_ADT)
		return ENO_OK;
	if (t->payload_len < 5)
		return eno_fail(err, ENO_ERR_TELEGRAM, 0,
						"ADT telegram is too short: %zu payload bytes, inner RORG + destination need 5",
						t->payload_len);
	inner = t->payload_len - 5;
	dest = be32(t->payload + t->payload_len - 4);
	if (t->destination != ENO_BROADCAST && t->destination != dest)
		return eno_fail(err, ENO_ERR_TELEGRAM, 0,
						"ADT destination %08x differs from the ESP3 destination %08x", dest,
						t->destination);
	t->rorg = t->payload[0];
	memmove(t->payload, t->payload + 1, inner);
	t->payload_len = inner;
	t->destination = dest;
	return ENO_OK;
}

const char *
eno_rorg_name(uint8_t rorg)
{
	switch (rorg)
	{
		case RORG_RPS:
			return "RPS";
		case RORG_1BS:
			return "1BS";
		case RORG_4BS:
			return "4BS";
		case RORG_VLD:
			return "VLD";
		case RORG_MSC:
			return "MSC";
		case RORG_ADT:
			return "ADT";
		case RORG_SM_LRN_REQ:
			return "SM_LRN_REQ";
		case RORG_SM_LRN_ANS:
			return "SM_LRN_ANS";
		case RORG_SM_REC:
			return "SM_REC";
		case RORG_SYS_EX:
			return "SYS_EX";
		case RORG_SEC:
			return "SEC";
		case RORG_SEC_ENCAPS:
			return "SEC_ENCAPS";
		case RORG_SEC_D:
			return "SEC_D";
		case RORG_SEC_CDM:
			return "SEC_CDM";
		case RORG_SEC_MAN:
			return "SEC_MAN";
		case RORG_SEC_TI:
			return "SEC_TI";
		case RORG_CDM:
			return "CDM";
		case RORG_GP_TI:
			return "GP_TI";
		case RORG_GP_TR:
			return "GP_TR";
		case RORG_GP_CD:
			return "GP_CD";
		case RORG_GP_SD:
			return "GP_SD";
		case RORG_SIGNAL:
			return "SIGNAL";
		case RORG_UTE:
			return "UTE";
	}
	return "UNKNOWN";
}
