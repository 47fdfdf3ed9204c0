/*
 * chain.c: CDM / SEC_CDM reassembly (enocean.md §6).
 *
 * First part: SEQ/IDX | LEN (2) | [inner RORG, CDM only] | data;
 * later parts: SEQ/IDX | data.  CDM's LEN counts the data bytes without
 * the inner RORG; SEC_CDM's counts the whole secure body.
 */
#include "chain.h"

#include <string.h>

EnoErrorKind
eno_chain_part_parse(uint8_t rorg, const uint8_t *payload, size_t len, EnoChainPart *out,
					 EnoError *err)
{
	size_t		head;

	if (len < 1)
		return eno_fail(err, ENO_ERR_TELEGRAM, 2, "chained telegram lacks its SEQ/IDX byte");
	out->seq = payload[0] >> 6;
	out->idx = payload[0] & 0x3F;
	out->total_len = -1;
	out->inner_rorg = -1;
	if (out->seq == 0)
		return eno_fail(err, ENO_ERR_TELEGRAM, 2, "chained telegram has SEQ 0, which is not allowed");
	head = 1;
	if (out->idx == 0)
	{
		head = rorg == 0x40 ? 4 : 3;
		if (len < head)
			return eno_fail(err, ENO_ERR_TELEGRAM, len + 2,
							"first part of a chain of %zu bytes lacks its length%s", len,
							rorg == 0x40 ? " and inner RORG" : "");
		out->total_len = payload[1] << 8 | payload[2];
		if (rorg == 0x40)
			out->inner_rorg = payload[3];
		if (out->total_len == 0 || out->total_len > ENO_MAX_PAYLOAD)
			return eno_fail(err, ENO_ERR_TELEGRAM, 3,
							"chained message length %d is out of range 1..%d", out->total_len,
							ENO_MAX_PAYLOAD);
	}
	if (len - head > ENO_CHAIN_PART_MAX)
		return eno_fail(err, ENO_ERR_TELEGRAM, 2, "chain part of %zu bytes is too long", len - head);
	out->data = payload + head;
	out->len = len - head;
	return ENO_OK;
}

void
eno_chain_init(EnoChain *c, uint8_t kind, uint8_t seq)
{
	c->kind = kind;
	c->seq = seq;
	c->total_len = -1;
	c->inner_rorg = -1;
	c->have = 0;
}

void
eno_chain_add(EnoChain *c, const EnoChainPart *p)
{
	if (p->idx == 0)
	{
		c->total_len = p->total_len;
		c->inner_rorg = p->inner_rorg;
	}
	c->have |= (uint64_t) 1 << p->idx;
	c->part_len[p->idx] = (uint8_t) p->len;
	memcpy(c->part[p->idx], p->data, p->len);
}

int
eno_chain_parts(const EnoChain *c)
{
	return __builtin_popcountll(c->have);
}

bool
eno_chain_complete(const EnoChain *c, uint8_t *rorg, uint8_t *out, size_t outcap, size_t *out_len)
{
	size_t		sum = 0;
	int			last = -1;

	if (c->total_len < 0)
		return false;
	for (int i = 0; i < ENO_CHAIN_MAX_PARTS; i++)
	{
		if (!(c->have & ((uint64_t) 1 << i)))
			return false;
		sum += c->part_len[i];
		if (sum >= (size_t) c->total_len)
		{
			last = i;
			break;
		}
	}
	if (last < 0 || (size_t) c->total_len > outcap)
		return false;
	sum = 0;
	for (int i = 0; i <= last; i++)
	{
		size_t		take = c->part_len[i];

		if (sum + take > (size_t) c->total_len)
			take = c->total_len - sum;
		memcpy(out + sum, c->part[i], take);
		sum += take;
	}
	*out_len = sum;
	*rorg = c->kind == 0x40 ? (uint8_t) c->inner_rorg : 0x31;
	return true;
}

size_t
eno_chain_serialize(const EnoChain *c, uint8_t *out, size_t cap)
{
	size_t		n = 0;
	unsigned	total = c->total_len < 0 ? 0xFFFF : (unsigned) c->total_len;
	unsigned	inner = c->inner_rorg < 0 ? 0xFFFF : (unsigned) c->inner_rorg;

	if (cap < 6)
		return 0;
	out[n++] = c->kind;
	out[n++] = c->seq;
	out[n++] = (uint8_t) (total >> 8);
	out[n++] = (uint8_t) total;
	out[n++] = (uint8_t) (inner >> 8);
	out[n++] = (uint8_t) inner;
	for (int i = 0; i < ENO_CHAIN_MAX_PARTS; i++)
	{
		if (!(c->have & ((uint64_t) 1 << i)))
			continue;
		if (n + 2 + c->part_len[i] > cap)
			return 0;
		out[n++] = (uint8_t) i;
		out[n++] = c->part_len[i];
		memcpy(out + n, c->part[i], c->part_len[i]);
		n += c->part_len[i];
	}
	return n;
}

bool
eno_chain_deserialize(const uint8_t *in, size_t n, EnoChain *c)
{
	size_t		pos = 6;
	unsigned	total;
	unsigned	inner;

	if (n < 6)
		return false;
	eno_chain_init(c, in[0], in[1]);
	total = (unsigned) in[2] << 8 | in[3];
	inner = (unsigned) in[4] << 8 | in[5];
	c->total_len = total == 0xFFFF ? -1 : (int) total;
	c->inner_rorg = inner == 0xFFFF ? -1 : (int) inner;
	while (pos < n)
	{
		int			idx;
		int			len;

		if (n - pos < 2)
			return false;
		idx = in[pos];
		len = in[pos + 1];
		pos += 2;
		if (idx >= ENO_CHAIN_MAX_PARTS || len > ENO_CHAIN_PART_MAX || n - pos < (size_t) len)
			return false;
		c->have |= (uint64_t) 1 << idx;
		c->part_len[idx] = (uint8_t) len;
		memcpy(c->part[idx], in + pos, len);
		pos += len;
	}
	return true;
}
