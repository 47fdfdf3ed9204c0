/*
 * store.h: what the bridge holds until PostgreSQL has it.  Items are kept
 * per tenant and written by one statement per flush,
 *     SELECT iot.mqtt_store('[{"tenant", "data", "control", "audit"}, ...]')
 * (one transaction, one round trip), sent asynchronously: the bridge goes
 * on reading MQTT while PostgreSQL works.  Items that arrive meanwhile
 * wait, in groups of at most max_items (one group per flush: a backlog
 * read faster than PostgreSQL writes is written in batches of the
 * configured size, not in one huge transaction).  Nothing is dropped while the database is
 * away: a flush that fails on a lost connection puts its items back; one
 * PostgreSQL refuses (an error) is written item by item, and only the items
 * that still fail are audited and dropped.
 */
#ifndef PGIOT_MQTT_STORE_H
#define PGIOT_MQTT_STORE_H

#include <stdbool.h>

#include "bridges/common/batch.h"
#include "bridges/common/pg.h"

typedef struct TenantItems
{
	char		tenant[40];
	Batch		data;
	Batch		control;
	Batch		audit;
	struct TenantItems *next;
} TenantItems;

/* The items of one flush. */
typedef struct Group
{
	TenantItems *tenants;
	int			count;
	long long	oldest_ms;		/* when its first item came in */
	struct Group *next;
} Group;

typedef struct Store
{
	Group	   *head;			/* waiting, oldest first */
	Group	   *tail;			/* the group items are added to */
	Group	   *inflight;		/* sent, waiting for the result */
	int			held;			/* items waiting + in flight */
	int			max_items;
	long		max_ms;
	long long	stored;			/* data messages stored so far */
	long long	rejected;		/* refused by ingest or malformed */
	long long	controls;
	long long	retry_at_ms;	/* after a failed flush */
	StrBuf		doc;
} Store;

typedef enum
{
	ITEM_DATA,
	ITEM_CONTROL,
	ITEM_AUDIT
} ItemKind;

extern void store_init(Store *s, int max_items, long max_ms);
extern void store_add(Store *s, const char *tenant, ItemKind kind, const char *json, size_t len);
/* Time to start a flush (none in flight, enough held or old enough). */
extern bool store_due(const Store *s);
extern long store_ms_left(const Store *s);
/* Send the held items; false when the connection is not there. */
extern bool store_start_flush(Store *s, PgLink *db);
/* A flush in flight: consume its result if it arrived; true when none is in flight any more. */
extern bool store_poll(Store *s, PgLink *db);
/* Flush everything, waiting (shutdown); true when the store is empty. */
extern bool store_flush_wait(Store *s, PgLink *db);

#endif
