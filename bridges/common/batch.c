/* batch.c: size- and time-bounded JSON array batches. */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>

#include "pg.h"

void
batch_init(Batch *b, int max_items, long max_ms)
{
	sb_init(&b->json);
	b->count = 0;
	b->first_ms = 0;
	b->starts = NULL;
	b->lens = NULL;
	b->cap = 0;
	b->max_items = max_items;
	b->max_ms = max_ms;
}

void
batch_add(Batch *b, const char *item, size_t len)
{
	if (b->count == 0)
	{
		sb_reset(&b->json);
		sb_append(&b->json, "[", 1);
		b->first_ms = mono_ms();
	}
	else
		sb_append(&b->json, ",", 1);
	if (b->count == b->cap)
	{
		b->cap = b->cap ? b->cap * 2 : 64;
		b->starts = realloc(b->starts, sizeof(size_t) * (size_t) b->cap);
		b->lens = realloc(b->lens, sizeof(size_t) * (size_t) b->cap);
		if (b->starts == NULL || b->lens == NULL)
		{
			fprintf(stderr, "out of memory\n");
			abort();
		}
	}
	b->starts[b->count] = b->json.len;
	b->lens[b->count] = len;
	sb_append(&b->json, item, len);
	b->count++;
}

bool
batch_due(const Batch *b)
{
	return b->count > 0 && (b->count >= b->max_items || mono_ms() - b->first_ms >= b->max_ms);
}

long
batch_ms_left(const Batch *b)
{
	long long	left;

	if (b->count == 0)
		return -1;
	left = b->first_ms + b->max_ms - mono_ms();
	return left < 0 ? 0 : (long) left;
}

const char *
batch_close(Batch *b)
{
	if (b->count == 0)
		return "[]";
	sb_append(&b->json, "]", 1);
	b->json.len--;				/* so that a later add continues the array */
	return b->json.data;
}

void
batch_reset(Batch *b)
{
	sb_reset(&b->json);
	b->count = 0;
}

void
batch_item_array(const Batch *b, int i, StrBuf *out)
{
	sb_reset(out);
	sb_append(out, "[", 1);
	sb_append(out, b->json.data + b->starts[i], b->lens[i]);
	sb_append(out, "]", 1);
}

void
batch_free(Batch *b)
{
	sb_free(&b->json);
	free(b->starts);
	free(b->lens);
	b->starts = b->lens = NULL;
	b->cap = 0;
}
