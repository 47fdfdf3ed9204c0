/*
 * store.h: what the bridge holds until PostgreSQL has it.  Items are kept
 * per tenant (ingest and the control handler act for one tenant at a
 * time) and written in one transaction per flush:
 *     set_config('iot.tenant', ...), iot.ingest_batch(data items),
 *     iot.mqtt_handle(control items), iot.audit(rejects)
 * for every tenant, then COMMIT.  Nothing is dropped while the database is
 * away: the flush is retried with back-off and the items stay held.
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

typedef struct Store
{
	TenantItems *tenants;
	int			held;			/* items of every kind */
	long long	oldest_ms;		/* when the oldest held item came in */
	int			max_items;
	long		max_ms;
	long long	stored;			/* data messages stored so far */
	long long	rejected;		/* refused by ingest or malformed */
	long long	controls;
	long long	retry_at_ms;	/* after a failed flush */
} Store;

typedef enum
{
	ITEM_DATA,
	ITEM_CONTROL,
	ITEM_AUDIT
} ItemKind;

extern void store_init(Store *s, int max_items, long max_ms);
extern void store_add(Store *s, const char *tenant, ItemKind kind, const char *json, size_t len);
extern bool store_due(const Store *s);
extern long store_ms_left(const Store *s);
/* Write everything held; true when the store is empty afterwards. */
extern bool store_flush(Store *s, PgLink *db);

#endif
