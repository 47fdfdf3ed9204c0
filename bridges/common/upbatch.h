/*
 * upbatch.h: the uplink batch the broker plugin hands to pgiot-mqtt.
 *
 * Instead of re-publishing every device publication to the bridge on its
 * own stamped topic, the plugin packs the publications of one broker loop
 * iteration into one QoS 1 publication on UPBATCH_TOPIC: one broker
 * delivery, one PUBACK and one bridge read for up to a thousand messages.
 *
 * Payload: the magic "PGIOTUB1", a u64 sequence number (the plugin's count
 * of batches, which tells it when the broker routed one), then items, each
 *     u16 topic length, u32 payload length, i64 receipt time (microseconds
 *     since the epoch), all big-endian, then the stamped topic
 *     (pgiot/up/<tenant>/<mode>/<keyId>/<clientId>/<topic>), then the
 *     payload bytes.
 */
#ifndef PGIOT_BRIDGE_UPBATCH_H
#define PGIOT_BRIDGE_UPBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridges/common/strbuf.h"

#define UPBATCH_TOPIC "pgiot/up/batch"
#define UPBATCH_MAGIC "PGIOTUB1"
#define UPBATCH_MAGIC_LEN 8
#define UPBATCH_HEADER_LEN 16
#define UPBATCH_ITEM_HEADER 14
#define UPBATCH_TOPIC_MAX 65535

typedef struct UpBatchItem
{
	const char *topic;			/* not NUL-terminated */
	size_t		topic_len;
	const void *payload;
	size_t		payload_len;
	int64_t		received_us;
} UpBatchItem;

typedef struct UpBatchReader
{
	const unsigned char *start;
	const unsigned char *pos;
	const unsigned char *end;
} UpBatchReader;

/* Start a batch in buf (emptied first). */
extern void upbatch_begin(StrBuf *buf, uint64_t sequence);

/* The sequence number of a batch; false when payload is not a batch. */
extern bool upbatch_sequence(const void *payload, size_t len, uint64_t *sequence);

/* Append one publication; false (nothing appended) when the topic is too long. */
extern bool upbatch_append(StrBuf *buf, const char *topic, size_t topic_len,
						   const void *payload, size_t payload_len, int64_t received_us);

/* False when the payload does not start with a batch header. */
extern bool upbatch_reader_init(UpBatchReader *r, const void *payload, size_t len);

/*
 * The next item: 1, 0 at the end, -1 when the batch is truncated or
 * malformed (*fault_at = the byte offset of the fault).
 */
extern int	upbatch_next(UpBatchReader *r, UpBatchItem *item, size_t *fault_at);

#endif
