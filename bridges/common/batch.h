/*
 * batch.h: a JSON array built up item by item and flushed when it holds
 * max_items or its oldest item is max_ms old, whichever comes first.
 */
#ifndef PGIOT_BRIDGE_BATCH_H
#define PGIOT_BRIDGE_BATCH_H

#include <stdbool.h>

#include "strbuf.h"

typedef struct Batch
{
	StrBuf		json;			/* "[item,item" (closed by batch_close) */
	int			count;
	size_t	   *starts;			/* offset of each item in json */
	size_t	   *lens;
	int			cap;
	long long	first_ms;		/* when the oldest item came in */
	int			max_items;
	long		max_ms;
} Batch;

extern void batch_init(Batch *b, int max_items, long max_ms);
extern void batch_add(Batch *b, const char *item, size_t len);
/* Full, or its oldest item waited long enough. */
extern bool batch_due(const Batch *b);
/* Milliseconds until batch_due() turns true by age (-1: empty). */
extern long batch_ms_left(const Batch *b);
/* The JSON text of the array (valid until the next add/reset). */
extern const char *batch_close(Batch *b);
extern void batch_reset(Batch *b);
/* Item i alone as a one-element JSON array, into out. */
extern void batch_item_array(const Batch *b, int i, StrBuf *out);
extern void batch_free(Batch *b);

#endif
