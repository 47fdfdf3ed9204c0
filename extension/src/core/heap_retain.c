/*
 * heap_retain.c: malloc tuning for the backends of the hot paths.
 *
 * A batch of ingest or rule evaluation allocates a few megabytes in
 * memory contexts and frees them at its end.  With glibc's defaults the
 * large blocks are mmap'ed and unmapped and the top of the heap trimmed,
 * so every batch page-faults its working memory in again: measured at a
 * quarter of an ingesting backend's time.  Setting fixed thresholds keeps
 * up to pgiot.heap_retain of freed memory in the process for the next
 * batch.  Only the backends that run these paths call it (bridges'
 * connections and pgiot's workers); other backends keep glibc's behaviour.
 */
#include "postgres.h"

#include <malloc.h>

#include "core/guc.h"
#include "core/heap_retain.h"

void
pgiot_heap_retain(void)
{
#ifdef M_TRIM_THRESHOLD
	int			bytes;

	if (pgiot_heap_retain_kb <= 0)
		return;
	bytes = (int) Min((int64) pgiot_heap_retain_kb * 1024, (int64) PG_INT32_MAX);
	/* allocations below 32 MB come from the heap, and stay there when freed */
	mallopt(M_MMAP_THRESHOLD, Min(bytes, 32 * 1024 * 1024));
	mallopt(M_TRIM_THRESHOLD, bytes);
#endif
}
