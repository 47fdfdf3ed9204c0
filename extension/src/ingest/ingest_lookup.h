/*
 * ingest_lookup.h: a batch and its set-based statements against the
 * device tables (lookup, auto-provisioning, last-seen updates).
 */
#ifndef PGIOT_INGEST_LOOKUP_H
#define PGIOT_INGEST_LOOKUP_H

#include "postgres.h"

#include "utils/hsearch.h"

#include "ingest_cache.h"
#include "ingest_item.h"

typedef struct IngestBatch
{
	MemoryContext cxt;			/* where everything that outlives SPI lives */
	int			n;
	IngestItem *items;
	Datum		tenant;			/* uuid */
	TimestampTz created;		/* the platform clock, one value per batch */
	HTAB	   *devices;		/* device id -> DeviceInfo */
	HTAB	   *interfaces;		/* connector \x1f node id -> InterfaceInfo */
	/* the geography input function (iot.message.location) */
	Oid			geography_input;
	Oid			geography_ioparam;
	int32		geography_typmod;
} IngestBatch;

extern void ingest_lookup_init(IngestBatch *b);

/*
 * Run one of ingest's statements (prepared once per backend), then back in b->cxt (SPI leaves its own
 * procedure context current, which SPI_finish frees).  Errors on a result
 * other than `expect`.
 */
extern void ingest_spi(IngestBatch *b, IngestPlan which, const char *sql, int nargs, Oid *types,
					   Datum *args, int expect);

/* Fetch the interfaces and devices the unresolved items name (2 queries). */
extern void ingest_lookup_fetch(IngestBatch *b);

extern DeviceInfo *ingest_lookup_device(IngestBatch *b, const char *id);
extern InterfaceInfo *ingest_lookup_interface(IngestBatch *b, const char *connector,
											  const char *node_id);

/* The tenant's autoProvisioning setting (default true). */
extern bool ingest_tenant_auto_provisioning(IngestBatch *b);

/* Insert the missing devices and interfaces (2 statements). */
extern void ingest_provision(IngestBatch *b);

/* last_seen of the devices, last_contact of the interfaces (2 statements). */
extern void ingest_touch_devices(IngestBatch *b);

/*
 * ingest.c: validate, resolve, enrich and store the items of b (b->n,
 * b->items; everything else zero).  Afterwards each item has its id or
 * its sqlerrcode/error; b->created is the stored messages' created.
 */
extern void ingest_run_batch(IngestBatch *b, bool raise_errors);

#endif
