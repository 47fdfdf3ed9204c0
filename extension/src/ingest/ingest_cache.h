/*
 * ingest_cache.h: what ingest keeps between batches in one backend.
 *
 * Bridges ingest from long-lived connections, message after message of the
 * same devices.  The device, interface and group rows a batch needs (and
 * the enrichment parts derived from them) are kept per backend and dropped
 * all at once when any committed transaction changed a device, interface
 * or group of the database (a generation counter in shared memory, bumped
 * at commit by statement triggers).  The prepared plans of ingest's
 * statements are kept too; PostgreSQL invalidates those itself.
 */
#ifndef PGIOT_INGEST_CACHE_H
#define PGIOT_INGEST_CACHE_H

#include "postgres.h"

#include "executor/spi.h"

#include "ingest_item.h"

/* Validate the cache against the device generation.  Call at the start
 * of a batch, before any statement takes its snapshot. */
extern void ingest_cache_begin(void);

/* Where infos that may be cached are allocated: the cache's context, or
 * `fallback` when caching is off (no shared memory). */
extern MemoryContext ingest_cache_context(MemoryContext fallback);

extern InterfaceInfo *ingest_cache_interface(Datum tenant, const char *connector, const char *node_id);
extern DeviceInfo *ingest_cache_device(Datum tenant, const char *id);
extern void ingest_cache_put_interface(Datum tenant, InterfaceInfo *info);
extern void ingest_cache_put_device(Datum tenant, DeviceInfo *info);

/* The statements of a batch, prepared once per backend. */
typedef enum IngestPlan
{
	PLAN_REQUIRE_TENANT,
	PLAN_PARTITION_ENSURE,
	PLAN_LOOKUP_INTERFACES,
	PLAN_LOOKUP_DEVICES,
	PLAN_AUTO_PROVISIONING,
	PLAN_PROVISION_DEVICES,
	PLAN_PROVISION_INTERFACES,
	PLAN_INSERT_MESSAGES,
	PLAN_TOUCH_DEVICES,
	PLAN_TOUCH_INTERFACES,
	PLAN_AUDIT,
	PLAN_LOOKUP_DECODERS,
	PLAN_AUDIT_DECODING,
	PLAN_COUNT
} IngestPlan;

extern SPIPlanPtr ingest_cache_plan(IngestPlan which, const char *sql, int nargs, Oid *types);

#endif
