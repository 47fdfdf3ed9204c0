/*
 * upbatch.c: writing and reading the plugin's uplink batches (upbatch.h).
 */
#include "upbatch.h"

#include <string.h>

static void
put_be(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
	{
		p[i] = (unsigned char) (v & 0xff);
		v >>= 8;
	}
}

static uint64_t
get_be(const unsigned char *p, int bytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

void
upbatch_begin(StrBuf *buf, uint64_t sequence)
{
	unsigned char seq[8];

	put_be(seq, sequence, 8);
	sb_reset(buf);
	sb_append(buf, UPBATCH_MAGIC, UPBATCH_MAGIC_LEN);
	sb_append(buf, (const char *) seq, sizeof(seq));
}

bool
upbatch_sequence(const void *payload, size_t len, uint64_t *sequence)
{
	if (len < UPBATCH_HEADER_LEN || memcmp(payload, UPBATCH_MAGIC, UPBATCH_MAGIC_LEN) != 0)
		return false;
	*sequence = get_be((const unsigned char *) payload + UPBATCH_MAGIC_LEN, 8);
	return true;
}

bool
upbatch_append(StrBuf *buf, const char *topic, size_t topic_len,
			   const void *payload, size_t payload_len, int64_t received_us)
{
	unsigned char head[UPBATCH_ITEM_HEADER];

	if (topic_len > UPBATCH_TOPIC_MAX || payload_len > UINT32_MAX)
		return false;
	put_be(head, topic_len, 2);
	put_be(head + 2, payload_len, 4);
	put_be(head + 6, (uint64_t) received_us, 8);
	sb_append(buf, (const char *) head, sizeof(head));
	sb_append(buf, topic, topic_len);
	sb_append(buf, payload, payload_len);
	return true;
}

bool
upbatch_reader_init(UpBatchReader *r, const void *payload, size_t len)
{
	r->start = payload;
	r->end = r->start + len;
	r->pos = r->start;
	if (len < UPBATCH_HEADER_LEN || memcmp(payload, UPBATCH_MAGIC, UPBATCH_MAGIC_LEN) != 0)
		return false;
	r->pos += UPBATCH_HEADER_LEN;
	return true;
}

int
upbatch_next(UpBatchReader *r, UpBatchItem *item, size_t *fault_at)
{
	size_t		left = (size_t) (r->end - r->pos);
	size_t		tlen,
				plen;

	if (left == 0)
		return 0;
	*fault_at = (size_t) (r->pos - r->start);
	if (left < UPBATCH_ITEM_HEADER)
		return -1;
	tlen = (size_t) get_be(r->pos, 2);
	plen = (size_t) get_be(r->pos + 2, 4);
	if (tlen == 0 || tlen > left - UPBATCH_ITEM_HEADER ||
		plen > left - UPBATCH_ITEM_HEADER - tlen)
		return -1;
	item->received_us = (int64_t) get_be(r->pos + 6, 8);
	item->topic = (const char *) r->pos + UPBATCH_ITEM_HEADER;
	item->topic_len = tlen;
	item->payload = r->pos + UPBATCH_ITEM_HEADER + tlen;
	item->payload_len = plen;
	r->pos += UPBATCH_ITEM_HEADER + tlen + plen;
	return 1;
}
