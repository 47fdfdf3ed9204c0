/*
 * secure.h: EnOcean security (enocean.md §7): the SLF byte, VAES
 * (AES-128 in a counter-like mode keyed by the rolling code), AES-CMAC,
 * the receive processing of secure telegrams (RORG 0x30/0x31) with the
 * rolling-code window, and the secure teach-in (RORG 0x35).  AES and CMAC
 * come from OpenSSL's libcrypto.
 */
#ifndef PGIOT_ENO_SECURE_H
#define PGIOT_ENO_SECURE_H

#include "eno_common.h"

#define ENO_KEY_LEN 16

typedef struct EnoSlf
{
	int			rlc_len;		/* 0, 2, 3 or 4 bytes (the full size, used in CMAC/VAES) */
	int			rlc_tx_len;		/* bytes transmitted: 0 (implicit), 2, 3 or 4 */
	int			mac_len;		/* 0, 3 or 4 */
	int			enc;			/* 0 none, 3 VAES */
} EnoSlf;

extern EnoErrorKind eno_slf_parse(uint8_t slf, EnoSlf *out, EnoError *err);

/* AES-128-ECB of one block; false when libcrypto fails. */
extern bool eno_aes_block(const uint8_t key[ENO_KEY_LEN], const uint8_t in[16], uint8_t out[16]);

/* AES-CMAC (RFC 4493), the full 16 bytes; false when libcrypto fails. */
extern bool eno_cmac(const uint8_t key[ENO_KEY_LEN], const uint8_t *msg, size_t n, uint8_t out[16]);

/* VAES of n bytes with the RLC (rlc_len bytes, MSB first); encryption = decryption. */
extern bool eno_vaes(const uint8_t key[ENO_KEY_LEN], uint64_t rlc, int rlc_len, const uint8_t *in,
					 size_t n, uint8_t *out);

typedef enum EnoSecStatus
{
	ENO_SEC_OK,
	ENO_SEC_MAC_FAIL,			/* no candidate RLC gives the transmitted CMAC */
	ENO_SEC_REPLAY,				/* authentic, but the RLC is not newer than the last one */
	ENO_SEC_MALFORMED,			/* the telegram does not fit its SLF */
	ENO_SEC_CRYPTO				/* libcrypto failed */
} EnoSecStatus;

typedef struct EnoSecureIn
{
	uint8_t		rorg;			/* 0x30 or 0x31 */
	const uint8_t *payload;		/* after the RORG: enc data | RLC (explicit) | CMAC */
	size_t		len;
	const uint8_t *key;			/* 16 bytes */
	uint8_t		slf;
	bool		have_rlc;		/* rlc_next is known */
	uint64_t	rlc_next;		/* the lowest RLC still acceptable */
	int			window;			/* implicit RLC: candidates rlc_next .. + window - 1 */
	bool		ptm;			/* 0x30 from a PTM switch: a 4-bit value */
} EnoSecureIn;

typedef struct EnoSecureOut
{
	uint8_t		rorg;			/* the plain RORG (0x32 for a decrypted 0x30) */
	uint8_t		data[ENO_MAX_PAYLOAD];
	size_t		len;
	uint64_t	rlc;			/* the RLC the telegram used */
	int			security_level; /* 2 decrypted, 3 authenticated, 4 both */
} EnoSecureOut;

extern EnoSecStatus eno_secure_open(const EnoSecureIn *in, EnoSecureOut *out, EnoError *err);

/* Secure teach-in (SEC_TI). */
typedef struct EnoSecTeachIn
{
	int			idx;			/* part index (teach-in info bits 7-6) */
	int			cnt;			/* number of parts (bits 5-4) */
	bool		psk;			/* RLC and key encrypted with a pre-shared key */
	bool		ptm;			/* TYPE: 1 = PTM */
	int			info;			/* INFO bits 1-0 */
	uint8_t		slf;
	uint64_t	rlc;
	uint8_t		key[ENO_KEY_LEN];
} EnoSecTeachIn;

/* The teach-in info byte (the first byte after RORG 0x35 of every part). */
extern void eno_sec_teachin_info(uint8_t info, EnoSecTeachIn *out);

/*
 * body = the bytes after the teach-in info byte of the first part, then
 * those of the second part (enocean.md §7.7: do not rely on the split).
 * psk may be NULL (an encrypted teach-in is then an error).
 */
extern EnoErrorKind eno_sec_teachin_parse(uint8_t info, const uint8_t *body, size_t n,
										  const uint8_t *psk, EnoSecTeachIn *out, EnoError *err);

#endif
