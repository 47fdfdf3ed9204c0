/*
 * uplink.c: the publications of clients, packed into batches for the bridge.
 *
 * Every uplink (stamped with its publisher's identity, see topics.h) is
 * appended to the current batch instead of being routed on its own; the
 * publication itself goes on to UPLINK_VOID_TOPIC, which no client may
 * receive, so the broker acknowledges it as usual and stores nothing.
 * The batch is published on UPBATCH_TOPIC (QoS 1, for the bridge's
 * persistent session) when it holds batch_max_items items or
 * batch_max_bytes bytes, or when a callback finds its oldest item
 * batch_ms old; the bridge's tick publication (every few milliseconds)
 * is such a callback, so an idle broker holds nothing longer than that.
 *
 * mosquitto_broker_publish() only queues: the broker routes the batch at
 * the start of its next loop iteration, which its read-access check on
 * the bridge's subscription tells us (the batch carries a sequence
 * number).  Until then the batch is "unrouted" and kept; a broker that
 * stops first (SIGTERM ends the loop before that iteration) would lose
 * publications it acknowledged, so uplink_stop() writes the unrouted and
 * unflushed items to spool_file, and uplink_start() publishes them again
 * at the next start (into the persistent sessions the broker restored).
 * Batches nobody routes for UNROUTED_KEEP_MS (no bridge session at all)
 * are forgotten, as mosquitto forgets a publication without subscriber.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "bridges/common/log.h"
#include "bridges/common/upbatch.h"
#include "plugin.h"

#define UNROUTED_KEEP_MS 2000

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
begin_batch(UplinkState *u)
{
	upbatch_begin(&u->current, ++u->seq);
	u->count = 0;
}

void
uplink_init(UplinkState *u, int max_items, size_t max_bytes, int batch_ms, const char *spool_file)
{
	memset(u, 0, sizeof(*u));
	u->max_items = max_items;
	u->max_bytes = max_bytes;
	u->batch_ms = batch_ms;
	u->spool_file = spool_file && *spool_file ? strdup(spool_file) : NULL;
	sb_init(&u->current);
	sb_init(&u->unrouted);
	begin_batch(u);
}

void
uplink_free(UplinkState *u)
{
	sb_free(&u->current);
	sb_free(&u->unrouted);
	free(u->spool_file);
}

/* Hand the current batch to the broker; keep its items until it is routed. */
static void
flush(UplinkState *u)
{
	int			rc;

	if (u->count == 0)
		return;
	rc = mosquitto_broker_publish_copy(NULL, UPBATCH_TOPIC, (int) u->current.len, u->current.data, 1,
									   false, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
	{
		/* out of memory in the broker: keep the batch, try again later */
		log_event(LOG_ERROR, "cannot publish an uplink batch of %d items: %s", u->count,
				  mosquitto_strerror(rc));
		return;
	}
	if (u->unrouted.len == 0)
		u->unrouted_since_ms = now_ms();
	sb_append(&u->unrouted, u->current.data + UPBATCH_HEADER_LEN, u->current.len - UPBATCH_HEADER_LEN);
	u->unrouted_seq = u->seq;
	u->published_batches++;
	begin_batch(u);
}

void
uplink_add(UplinkState *u, const char *topic, const void *payload, size_t len)
{
	if (u->count == 0)
		u->oldest_ms = now_ms();
	if (!upbatch_append(&u->current, topic, strlen(topic), payload, len, now_us()))
	{
		log_event(LOG_WARNING, "dropped an uplink whose topic is too long (%zu bytes)", strlen(topic));
		return;
	}
	u->count++;
	if (u->count >= u->max_items || u->current.len >= u->max_bytes)
		flush(u);
}

void
uplink_maybe_flush(UplinkState *u)
{
	long long	now;

	if (u->count == 0 && u->unrouted.len == 0)
		return;
	now = now_ms();
	if (u->count > 0 && now - u->oldest_ms >= u->batch_ms)
		flush(u);
	if (u->unrouted.len > 0 && now - u->unrouted_since_ms >= UNROUTED_KEEP_MS)
	{
		log_event(LOG_DEBUG, "no subscriber routed the uplink batches up to %llu",
				  (unsigned long long) u->unrouted_seq);
		sb_reset(&u->unrouted);
	}
}

void
uplink_routed(UplinkState *u, const void *payload, size_t len)
{
	uint64_t	seq;

	if (upbatch_sequence(payload, len, &seq) && seq >= u->unrouted_seq)
		sb_reset(&u->unrouted);
}

/*
 * Write what the broker would lose to the spool file (at plugin cleanup):
 * a batch header when the file is new, then the items (appended to the
 * items of an earlier stop whose spool was not taken back).
 */
void
uplink_stop(UplinkState *u)
{
	FILE	   *f;
	StrBuf		head;
	size_t		current_len = u->current.len - UPBATCH_HEADER_LEN;
	bool		ok;

	if (u->unrouted.len + current_len == 0)
		return;
	if (u->spool_file == NULL)
	{
		log_event(LOG_WARNING, "the broker stops before routing %zu bytes of acknowledged uplinks "
				  "(set plugin_opt_spool_file to keep them)", u->unrouted.len + current_len);
		return;
	}
	f = fopen(u->spool_file, "ab");
	if (f == NULL)
	{
		log_event(LOG_ERROR, "cannot write the uplink spool %s: %s", u->spool_file, strerror(errno));
		return;
	}
	sb_init(&head);
	upbatch_begin(&head, 0);
	ok = (ftell(f) > 0 || fwrite(head.data, 1, head.len, f) == head.len) &&
		fwrite(u->unrouted.data, 1, u->unrouted.len, f) == u->unrouted.len &&
		fwrite(u->current.data + UPBATCH_HEADER_LEN, 1, current_len, f) == current_len &&
		fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (!ok)
		log_event(LOG_ERROR, "cannot write the uplink spool %s: %s", u->spool_file, strerror(errno));
	else
		log_event(LOG_INFO, "spooled %zu bytes of unrouted uplinks to %s", u->unrouted.len + current_len,
				  u->spool_file);
	fclose(f);
	sb_free(&head);
}

/* Publish the spool of the last stop again (at plugin init). */
void
uplink_start(UplinkState *u)
{
	FILE	   *f;
	StrBuf		data;
	char		chunk[65536];
	size_t		n;
	UpBatchReader r;
	UpBatchItem item;
	size_t		fault_at;
	int			got = 0,
				items = 0;

	if (u->spool_file == NULL || (f = fopen(u->spool_file, "rb")) == NULL)
		return;
	sb_init(&data);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_append(&data, chunk, n);
	fclose(f);
	if (!upbatch_reader_init(&r, data.data, data.len))
		log_event(LOG_ERROR, "uplink spool %s is not a batch; ignored", u->spool_file);
	else
		while ((got = upbatch_next(&r, &item, &fault_at)) == 1)
		{
			if (u->count == 0)
				u->oldest_ms = now_ms();
			upbatch_append(&u->current, item.topic, item.topic_len, item.payload, item.payload_len,
						   item.received_us);
			u->count++;
			items++;
			if (u->count >= u->max_items || u->current.len >= u->max_bytes)
				flush(u);
		}
	if (got == -1)
		log_event(LOG_ERROR, "uplink spool %s is truncated at byte %zu; the rest is ignored",
				  u->spool_file, fault_at);
	flush(u);
	sb_free(&data);
	if (unlink(u->spool_file) != 0)
		log_event(LOG_ERROR, "cannot remove the uplink spool %s: %s", u->spool_file, strerror(errno));
	log_event(LOG_INFO, "republished %d spooled uplinks from %s", items, u->spool_file);
}
