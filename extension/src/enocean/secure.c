/*
 * secure.c: EnOcean security with OpenSSL's AES and CMAC (enocean.md §7).
 *
 * Receive processing (§7.6): split the payload by the SLF into encrypted
 * data, transmitted RLC and CMAC; compute the CMAC over
 * R-ORG-S | encrypted data | RLC (full size, even when not transmitted)
 * for each candidate RLC (the transmitted one, or stored..stored+window-1
 * for implicit codes); the first match authenticates; an authentic RLC
 * below the next acceptable one is a replay; then VAES-decrypt.
 */
#include "secure.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* VAES public constant (init vector) */
static const uint8_t vaes_public[16] = {
	0x34, 0x10, 0xDE, 0x8F, 0x1A, 0xBA, 0x3E, 0xFF,
	0x9F, 0x5A, 0x11, 0x71, 0x72, 0xEA, 0xCA, 0xBD
};

EnoErrorKind
eno_slf_parse(uint8_t slf, EnoSlf *out, EnoError *err)
{
	int			rlc_type = slf >> 5;
	int			mac_type = (slf >> 3) & 3;
	int			enc = slf & 7;

	switch (rlc_type)
	{
		case 0:
			out->rlc_len = 0, out->rlc_tx_len = 0;
			break;
		case 2:
			out->rlc_len = 2, out->rlc_tx_len = 0;
			break;
		case 3:
			out->rlc_len = 2, out->rlc_tx_len = 2;
			break;
		case 4:
			out->rlc_len = 3, out->rlc_tx_len = 0;
			break;
		case 5:
			out->rlc_len = 3, out->rlc_tx_len = 3;
			break;
		case 6:
			out->rlc_len = 4, out->rlc_tx_len = 3;
			break;
		case 7:
			out->rlc_len = 4, out->rlc_tx_len = 4;
			break;
		default:
			return eno_fail(err, ENO_ERR_SECURITY, 0, "SLF 0x%02x: RLC type %d is reserved", slf, rlc_type);
	}
	if (mac_type == 3)
		return eno_fail(err, ENO_ERR_SECURITY, 0, "SLF 0x%02x: CMAC type 3 is reserved", slf);
	out->mac_len = mac_type == 0 ? 0 : mac_type == 1 ? 3 : 4;
	if (enc != 0 && enc != 3)
		return eno_fail(err, ENO_ERR_SECURITY, 0,
						"SLF 0x%02x: encryption type %d is not supported (only VAES, 3)", slf, enc);
	out->enc = enc;
	return ENO_OK;
}

bool
eno_aes_block(const uint8_t key[ENO_KEY_LEN], const uint8_t in[16], uint8_t out[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int			outl = 0;
	bool		ok;

	if (ctx == NULL)
		return false;
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
		EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
		EVP_EncryptUpdate(ctx, out, &outl, in, 16) == 1 && outl == 16;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* A CMAC context keyed with `key`, or NULL. */
static EVP_MAC_CTX *
cmac_new(const uint8_t key[ENO_KEY_LEN])
{
	EVP_MAC    *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx;
	OSSL_PARAM	params[2];

	if (mac == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);			/* the context holds its own reference */
	if (ctx == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *) "AES-128-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, ENO_KEY_LEN, params) != 1)
	{
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static bool
cmac_compute(EVP_MAC_CTX *ctx, const uint8_t *msg, size_t n, uint8_t out[16])
{
	size_t		outl = 0;

	/* re-initialise with the key already set */
	return EVP_MAC_init(ctx, NULL, 0, NULL) == 1 && EVP_MAC_update(ctx, msg, n) == 1 &&
		EVP_MAC_final(ctx, out, &outl, 16) == 1 && outl == 16;
}

bool
eno_cmac(const uint8_t key[ENO_KEY_LEN], const uint8_t *msg, size_t n, uint8_t out[16])
{
	EVP_MAC_CTX *ctx = cmac_new(key);
	bool		ok;

	if (ctx == NULL)
		return false;
	ok = cmac_compute(ctx, msg, n, out);
	EVP_MAC_CTX_free(ctx);
	return ok;
}

static void
rlc_bytes(uint64_t rlc, int rlc_len, uint8_t *out)
{
	for (int i = 0; i < rlc_len; i++)
		out[i] = (uint8_t) (rlc >> (8 * (rlc_len - 1 - i)));
}

bool
eno_vaes(const uint8_t key[ENO_KEY_LEN], uint64_t rlc, int rlc_len, const uint8_t *in, size_t n,
		 uint8_t *out)
{
	uint8_t		base[16];
	uint8_t		x[16];
	uint8_t		ks[16];

	/* base = PUBLIC_KEY XOR RLC (left-aligned, MSB first, zero padded) */
	memcpy(base, vaes_public, 16);
	{
		uint8_t		r[4];

		rlc_bytes(rlc, rlc_len, r);
		for (int i = 0; i < rlc_len; i++)
			base[i] ^= r[i];
	}
	memcpy(x, base, 16);
	for (size_t done = 0; done < n; done += 16)
	{
		if (!eno_aes_block(key, x, ks))
			return false;
		for (size_t i = 0; i < 16 && done + i < n; i++)
			out[done + i] = in[done + i] ^ ks[i];
		/* next block: PUBLIC_KEY XOR RLC XOR previous key stream */
		for (int i = 0; i < 16; i++)
			x[i] = base[i] ^ ks[i];
	}
	return true;
}

static uint64_t
rlc_mask(int rlc_len)
{
	return rlc_len >= 8 ? UINT64_MAX : ((uint64_t) 1 << (8 * rlc_len)) - 1;
}

EnoSecStatus
eno_secure_open(const EnoSecureIn *in, EnoSecureOut *out, EnoError *err)
{
	EnoSlf		slf;
	size_t		enc_len;
	const uint8_t *enc;
	const uint8_t *mac;
	uint64_t	first;
	int			tries;
	uint8_t		msg[1 + ENO_MAX_PAYLOAD + 4];
	EVP_MAC_CTX *ctx = NULL;
	bool		found = false;
	uint64_t	rlc = 0;

	if (eno_slf_parse(in->slf, &slf, err) != ENO_OK)
		return ENO_SEC_MALFORMED;
	if (in->len < (size_t) (slf.rlc_tx_len + slf.mac_len) + 1)
	{
		eno_fail(err, ENO_ERR_SECURITY, in->len + 1,
				 "secure telegram of %zu bytes is too short for SLF 0x%02x (%d RLC and %d CMAC bytes)",
				 in->len, in->slf, slf.rlc_tx_len, slf.mac_len);
		return ENO_SEC_MALFORMED;
	}
	enc_len = in->len - slf.rlc_tx_len - slf.mac_len;
	enc = in->payload;
	mac = in->payload + enc_len + slf.rlc_tx_len;
	if (in->ptm && in->rorg == 0x30 && enc_len != 1)
	{
		eno_fail(err, ENO_ERR_SECURITY, 1, "secure PTM telegram carries %zu data bytes, not 1", enc_len);
		return ENO_SEC_MALFORMED;
	}

	/* candidate RLCs */
	if (slf.rlc_len == 0)
		first = 0, tries = 1;
	else if (slf.rlc_tx_len > 0)
	{
		uint64_t	tx = 0;

		for (int i = 0; i < slf.rlc_tx_len; i++)
			tx = tx << 8 | enc[enc_len + i];
		if (slf.rlc_tx_len < slf.rlc_len)
		{
			/* 32-bit RLC, 24 bits sent: the upper byte is the receiver's */
			uint64_t	high = in->have_rlc ? (in->rlc_next & ~(uint64_t) 0xFFFFFF) : 0;

			tx |= high;
			if (in->have_rlc && tx < in->rlc_next)
				tx += 0x1000000;
			tx &= rlc_mask(slf.rlc_len);
		}
		first = tx, tries = 1;
	}
	else
	{
		if (!in->have_rlc)
		{
			eno_fail(err, ENO_ERR_SECURITY, 0,
					 "SLF 0x%02x uses an implicit rolling code, but none is known for the device", in->slf);
			return ENO_SEC_MAC_FAIL;
		}
		first = in->rlc_next & rlc_mask(slf.rlc_len);
		tries = in->window > 0 ? in->window : 1;
	}

	if (slf.mac_len > 0)
	{
		ctx = cmac_new(in->key);
		if (ctx == NULL)
		{
			eno_fail(err, ENO_ERR_SECURITY, 0, "libcrypto could not set up AES-CMAC");
			return ENO_SEC_CRYPTO;
		}
		msg[0] = in->rorg;
		memcpy(msg + 1, enc, enc_len);
		for (int t = 0; t < tries && !found; t++)
		{
			uint8_t		full[16];
			uint64_t	cand = (first + (uint64_t) t) & rlc_mask(slf.rlc_len);

			rlc_bytes(cand, slf.rlc_len, msg + 1 + enc_len);
			if (!cmac_compute(ctx, msg, 1 + enc_len + slf.rlc_len, full))
			{
				EVP_MAC_CTX_free(ctx);
				eno_fail(err, ENO_ERR_SECURITY, 0, "libcrypto failed computing AES-CMAC");
				return ENO_SEC_CRYPTO;
			}
			if (memcmp(full, mac, slf.mac_len) == 0)
			{
				found = true;
				rlc = cand;
			}
		}
		EVP_MAC_CTX_free(ctx);
		if (!found)
		{
			if (slf.rlc_tx_len > 0 || slf.rlc_len == 0)
				eno_fail(err, ENO_ERR_SECURITY, enc_len + slf.rlc_tx_len + 1,
						 "CMAC does not match (RLC %llx)", (unsigned long long) first);
			else
				eno_fail(err, ENO_ERR_SECURITY, enc_len + 1,
						 "CMAC matches no rolling code from %llx to %llx", (unsigned long long) first,
						 (unsigned long long) (first + tries - 1));
			return ENO_SEC_MAC_FAIL;
		}
	}
	else
		rlc = first;

	if (slf.rlc_len > 0 && slf.rlc_tx_len > 0 && in->have_rlc && rlc < in->rlc_next)
	{
		eno_fail(err, ENO_ERR_SECURITY, enc_len + 1,
				 "rolling code %llx is older than the next expected %llx", (unsigned long long) rlc,
				 (unsigned long long) in->rlc_next);
		return ENO_SEC_REPLAY;
	}

	out->rlc = rlc;
	out->security_level = slf.enc == 3 ? (slf.mac_len > 0 ? 4 : 2) : 3;
	{
		uint8_t		plain[ENO_MAX_PAYLOAD];

		if (enc_len > sizeof(plain))
		{
			eno_fail(err, ENO_ERR_SECURITY, 1, "secure telegram too long");
			return ENO_SEC_MALFORMED;
		}
		if (slf.enc == 3)
		{
			if (!eno_vaes(in->key, rlc, slf.rlc_len, enc, enc_len, plain))
			{
				eno_fail(err, ENO_ERR_SECURITY, 0, "libcrypto failed computing AES");
				return ENO_SEC_CRYPTO;
			}
			/* PTM switches send a 4-bit value: (DATA XOR KS1[0]) AND 0x0F */
			if (in->ptm && in->rorg == 0x30)
				plain[0] &= 0x0F;
		}
		else
			memcpy(plain, enc, enc_len);
		if (in->rorg == 0x31)
		{
			out->rorg = plain[0];
			out->len = enc_len - 1;
			memcpy(out->data, plain + 1, out->len);
		}
		else
		{
			out->rorg = 0x32;
			out->len = enc_len;
			memcpy(out->data, plain, out->len);
		}
	}
	return ENO_SEC_OK;
}

void
eno_sec_teachin_info(uint8_t info, EnoSecTeachIn *out)
{
	out->idx = info >> 6;
	out->cnt = (info >> 4) & 3;
	out->psk = (info >> 3) & 1;
	out->ptm = (info >> 2) & 1;
	out->info = info & 3;
}

EnoErrorKind
eno_sec_teachin_parse(uint8_t info, const uint8_t *body, size_t n, const uint8_t *psk,
					  EnoSecTeachIn *out, EnoError *err)
{
	EnoSlf		slf;
	uint8_t		material[4 + ENO_KEY_LEN];
	size_t		need;

	eno_sec_teachin_info(info, out);
	if (n < 1)
		return eno_fail(err, ENO_ERR_SECURITY, 3, "secure teach-in lacks its SLF");
	out->slf = body[0];
	if (eno_slf_parse(body[0], &slf, err) != ENO_OK)
		return ENO_ERR_SECURITY;
	need = 1 + slf.rlc_len + ENO_KEY_LEN;
	if (n < need)
		return eno_fail(err, ENO_ERR_SECURITY, n + 3,
						"secure teach-in carries %zu bytes after its info byte, SLF 0x%02x needs %zu",
						n, body[0], need);
	memcpy(material, body + 1, slf.rlc_len + ENO_KEY_LEN);
	if (out->psk)
	{
		if (psk == NULL)
			return eno_fail(err, ENO_ERR_SECURITY, 2,
							"secure teach-in is encrypted with a pre-shared key, but none is known");
		/* RLC | PK are VAES-encrypted with the PSK and RLC 0 */
		if (!eno_vaes(psk, 0, 0, body + 1, slf.rlc_len + ENO_KEY_LEN, material))
			return eno_fail(err, ENO_ERR_SECURITY, 0, "libcrypto failed computing AES");
	}
	out->rlc = 0;
	for (int i = 0; i < slf.rlc_len; i++)
		out->rlc = out->rlc << 8 | material[i];
	memcpy(out->key, material + slf.rlc_len, ENO_KEY_LEN);
	return ENO_OK;
}
