/*
 * libFuzzer target over the pure EnOcean engine: ESP3 stream scanning and
 * frame parsing, radio telegrams, ADT, EEP decoding with every profile,
 * signal and teach-in telegrams, secure telegrams, chaining.
 *
 * FUZZ_SOURCES: extension/src/enocean/eno_common.c extension/src/enocean/crc8.c extension/src/enocean/esp3.c extension/src/enocean/erp.c extension/src/enocean/eep_decode.c extension/src/enocean/eep_registry.c extension/src/enocean/eep_tables_4bs.c extension/src/enocean/eep_tables_vld.c extension/src/enocean/eep_tables_rps.c extension/src/enocean/teachin.c extension/src/enocean/signal.c extension/src/enocean/secure.c extension/src/enocean/chain.c
 * FUZZ_LIBS: -lcrypto
 *
 * The first byte picks the mode (low 2 bits); the rest is the input.
 */
#include <stdlib.h>
#include <string.h>

#include "enocean/chain.h"
#include "enocean/crc8.h"
#include "enocean/eep.h"
#include "enocean/erp.h"
#include "enocean/esp3.h"
#include "enocean/secure.h"
#include "enocean/signal.h"
#include "enocean/teachin.h"

static const uint8_t key[16] = {
	0x86, 0x9F, 0xAB, 0x7D, 0x29, 0x6C, 0x9E, 0x48, 0xCE, 0xBF, 0xF3, 0x4D, 0xF6, 0x37, 0x35, 0x8A
};

static void
use_result(const EepResult *r)
{
	char		buf[64];

	for (int i = 0; i < r->n; i++)
	{
		const EepValue *v = &r->values[i];

		if (v->is_number)
			eep_format_number(v->number, v->decimals, buf, sizeof(buf));
		else if (strlen(eep_value_token(v)) > 1000)
			abort();
	}
}

static void
telegram(const EnoTelegram *t0)
{
	EnoTelegram t = *t0;
	EnoError	err;
	EepResult	r;

	if (eno_adt_decapsulate(&t, &err) != ENO_OK)
		return;
	switch (t.rorg)
	{
		case RORG_SIGNAL:
			if (eno_signal_decode(t.payload, t.payload_len, &r, &err) == ENO_OK)
				use_result(&r);
			break;
		case RORG_UTE:
			if (eno_teachin_ute(t.payload, t.payload_len, &r, &err) == ENO_OK)
				use_result(&r);
			break;
		case RORG_SEC:
		case RORG_SEC_ENCAPS:
			{
				EnoSecureIn in = {t.rorg, t.payload, t.payload_len, key, (uint8_t) t.status, true,
				t.sender & 0xFFFF, 16, (t.status & 1) != 0};
				EnoSecureOut out;

				eno_secure_open(&in, &out, &err);
			}
			break;
		case RORG_CDM:
		case RORG_SEC_CDM:
			{
				EnoChainPart p;

				eno_chain_part_parse(t.rorg, t.payload, t.payload_len, &p, &err);
			}
			break;
		default:
			for (int i = 0; i < eep_profile_total(); i++)
			{
				const EepProfile *p = eep_profile_at(i);

				if (p->rorg == t.rorg && eep_decode(p, t.payload, t.payload_len, t.status, &r, &err) == ENO_OK)
					use_result(&r);
			}
	}
}

static void
each_frame(void *ctx, size_t offset, size_t length)
{
	const uint8_t *buf = ctx;
	Esp3Packet	p;
	EnoError	err;
	EnoTelegram *t;

	if (esp3_parse(buf + offset, length, &p, &err) != ENO_OK)
		abort();				/* the scanner only delivers valid frames */
	t = malloc(sizeof(EnoTelegram));
	if (eno_telegram_from_packet(&p, t, &err) == ENO_OK)
		telegram(t);
	free(t);
}

static void
mode_stream(const uint8_t *d, size_t n)
{
	Esp3ScanInfo info;
	Esp3Packet	p;
	EnoError	err;

	esp3_scan(d, n, each_frame, (void *) d, &info);
	if (info.skipped + info.tail_length > n)
		abort();
	esp3_parse(d, n, &p, &err);
}

static void
mode_eep(const uint8_t *d, size_t n)
{
	EepResult	r;
	EnoError	err;
	const EepProfile *p;

	if (n < 2)
		return;
	p = eep_profile_at(d[0] % eep_profile_total());
	if (eep_decode(p, d + 2, n - 2, d[1], &r, &err) == ENO_OK)
		use_result(&r);
	if (eno_signal_decode(d + 2, n - 2, &r, &err) == ENO_OK)
		use_result(&r);
	if (eno_teachin_ute(d + 2, n - 2, &r, &err) == ENO_OK)
		use_result(&r);
	if (n >= 6)
	{
		char		eep[9];

		eno_teachin_4bs(d + 2, &r);
		eno_teachin_4bs_eep(d + 2, eep);
	}
}

static void
mode_secure(const uint8_t *d, size_t n)
{
	EnoError	err;
	EnoSecureOut out;
	EnoSecTeachIn ti;

	if (n < 3 || n - 3 > ENO_MAX_PAYLOAD)
		return;
	{
		EnoSecureIn in = {(d[1] & 1) ? 0x31 : 0x30, d + 3, n - 3, key, d[0], (d[1] & 2) != 0,
		d[2], 1 + (d[1] >> 4), (d[1] & 4) != 0};

		eno_secure_open(&in, &out, &err);
	}
	eno_sec_teachin_parse(d[1], d + 2, n - 2, (d[1] & 8) ? key : NULL, &ti, &err);
}

static void
mode_chain(const uint8_t *d, size_t n)
{
	EnoChain   *c = malloc(sizeof(EnoChain));
	EnoChain   *c2 = malloc(sizeof(EnoChain));
	uint8_t    *buf = malloc(ENO_MAX_PAYLOAD + 8192);
	size_t		pos = 1;
	uint8_t		kind;

	if (n < 1)
		goto done;
	kind = (d[0] & 1) ? RORG_CDM : RORG_SEC_CDM;
	eno_chain_init(c, kind, 1);
	/* parts: a length byte, then the part payload */
	while (pos < n)
	{
		size_t		len = d[pos++] % 32;
		EnoChainPart p;
		EnoError	err;
		uint8_t		rorg;
		size_t		out_len;

		if (len > n - pos)
			len = n - pos;
		if (eno_chain_part_parse(kind, d + pos, len, &p, &err) == ENO_OK)
			eno_chain_add(c, &p);
		pos += len;
		eno_chain_complete(c, &rorg, buf, ENO_MAX_PAYLOAD, &out_len);
	}
	{
		size_t		len = eno_chain_serialize(c, buf, ENO_MAX_PAYLOAD + 8192);

		if (len == 0 || !eno_chain_deserialize(buf, len, c2) || c2->have != c->have ||
			c2->total_len != c->total_len || c2->inner_rorg != c->inner_rorg)
			abort();
		for (int i = 0; i < ENO_CHAIN_MAX_PARTS; i++)
			if ((c->have >> i) & 1)
				if (c->part_len[i] != c2->part_len[i] || memcmp(c->part[i], c2->part[i], c->part_len[i]) != 0)
					abort();
	}
	eno_chain_deserialize(d, n, c2);
done:
	free(c);
	free(c2);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	eno_crc8(data, size);
	switch (data[0] & 3)
	{
		case 0:
			mode_stream(data + 1, size - 1);
			break;
		case 1:
			mode_eep(data + 1, size - 1);
			break;
		case 2:
			mode_secure(data + 1, size - 1);
			break;
		case 3:
			mode_chain(data + 1, size - 1);
			break;
	}
	return 0;
}
