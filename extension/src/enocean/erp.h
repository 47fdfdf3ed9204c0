/*
 * erp.h: EnOcean radio telegrams (ERP1 in ESP3 packet type 0x01, ERP2 in
 * 0x0A) brought to one model: RORG, payload, sender, status, and what the
 * ESP3 optional data says (sub-telegrams, destination, dBm, security level).
 */
#ifndef PGIOT_ENO_ERP_H
#define PGIOT_ENO_ERP_H

#include "eno_common.h"
#include "esp3.h"

/* RORGs the engine knows (enocean.md §3.4). */
#define RORG_RPS 0xF6
#define RORG_1BS 0xD5
#define RORG_4BS 0xA5
#define RORG_VLD 0xD2
#define RORG_MSC 0xD1
#define RORG_ADT 0xA6
#define RORG_SM_LRN_REQ 0xC6
#define RORG_SM_LRN_ANS 0xC7
#define RORG_SM_REC 0xA7
#define RORG_SYS_EX 0xC5
#define RORG_SEC 0x30
#define RORG_SEC_ENCAPS 0x31
#define RORG_SEC_D 0x32
#define RORG_SEC_CDM 0x33
#define RORG_SEC_MAN 0x34
#define RORG_SEC_TI 0x35
#define RORG_CDM 0x40
#define RORG_GP_TI 0xB0
#define RORG_GP_TR 0xB1
#define RORG_GP_CD 0xB2
#define RORG_GP_SD 0xB3
#define RORG_SIGNAL 0xD0
#define RORG_UTE 0xD4

typedef struct EnoTelegram
{
	uint8_t		packet_type;	/* ESP3_RADIO_ERP1 or ESP3_RADIO_ERP2 */
	uint8_t		rorg;
	uint8_t		payload[ENO_MAX_PAYLOAD];	/* the bytes after the RORG */
	size_t		payload_len;
	uint32_t	sender;
	uint8_t		status;			/* ERP2: the repeater count only */
	uint32_t	destination;	/* ENO_BROADCAST when not addressed */
	int			sub_tel_num;	/* -1 when the optional data lacks it */
	int			dbm;			/* the positive ESP3 value (RSSI = -dbm); -1 unknown */
	int			security_level; /* -1 when absent */
	/* ERP2 only */
	uint8_t		erp2_header;
	int			erp2_ext_header;	/* -1 when absent */
	int			erp2_ext_type;	/* -1 when absent */
	int			erp2_originator_bits;	/* 24, 32 or 48 */
	bool		erp2_crc_ok;
	uint8_t		erp2_crc;
	size_t		erp2_opt_len;	/* ERP2 optional data (inside the telegram) */
	uint8_t		erp2_opt[16];
	uint8_t		erp2_originator[6];
} EnoTelegram;

/* The telegram of a RADIO_ERP1 or RADIO_ERP2 packet. */
extern EnoErrorKind eno_telegram_from_packet(const Esp3Packet *p, EnoTelegram *t, EnoError *err);

/*
 * RORG 0xA6 (addressing encapsulation): replace it by the inner RORG and
 * payload and set the destination.  A destination already given by the
 * ESP3 optional data must agree.  No-op for other RORGs.
 */
extern EnoErrorKind eno_adt_decapsulate(EnoTelegram *t, EnoError *err);

/* Short name of a RORG ("RPS", "4BS", ...; "UNKNOWN" otherwise). */
extern const char *eno_rorg_name(uint8_t rorg);

/* The RORG an ERP2 telegram type (and extended type) stands for; -1 reserved. */
extern int	eno_erp2_rorg(int type, int ext_type);

/* Status masked for duplicate detection: the repeater count dropped. */
static inline uint8_t
eno_status_identity(uint8_t status)
{
	return status & 0xF0;
}

#endif
