/*
 * Fuzz target: the uplink batch reader of pgiot-mqtt (the plugin's batches,
 * bridges/common/upbatch.h).  Every item the reader yields must lie inside
 * the input, and writing the items again must give back the bytes read.
 *
 * FUZZ_SOURCES: bridges/common/upbatch.c bridges/common/strbuf.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridges/common/upbatch.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	UpBatchReader r;
	UpBatchItem item;
	StrBuf		again;
	uint64_t	seq = 0;
	size_t		fault_at = 0;
	int			got;

	if (!upbatch_reader_init(&r, data, size))
		return 0;
	if (!upbatch_sequence(data, size, &seq))
		abort();
	sb_init(&again);
	upbatch_begin(&again, seq);
	while ((got = upbatch_next(&r, &item, &fault_at)) == 1)
	{
		const uint8_t *t = (const uint8_t *) item.topic;
		const uint8_t *p = item.payload;

		if (t < data || t + item.topic_len > data + size || p < data || p + item.payload_len > data + size ||
			item.topic_len == 0)
			abort();
		if (!upbatch_append(&again, item.topic, item.topic_len, item.payload, item.payload_len,
							item.received_us))
			abort();
	}
	if (got == -1 && fault_at >= size)
		abort();
	if (again.len != (size_t) (r.pos - r.start) || memcmp(again.data, data, again.len) != 0)
		abort();
	sb_free(&again);
	return 0;
}
