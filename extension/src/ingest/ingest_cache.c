/*
 * ingest_cache.c: the backend's cache of device lookups and prepared
 * plans for ingest (see ingest_cache.h for what it holds and when it is
 * dropped).  This and the GUCs are the only backend-local state of the
 * ingest path; it never outlives a change of the rows it copies.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "core/device_id.h"
#include "commands/trigger.h"
#include "core/commit_wake.h"
#include "core/shmem.h"
#include "ingest_cache.h"

/* Above this many devices the cache is emptied rather than grown. */
#define CACHE_MAX_DEVICES 200000
#define KEY_LEN (UUID_LEN + 32 + DEVICE_ID_MAX + 2)

typedef struct CacheKey
{
	char		bytes[KEY_LEN];
} CacheKey;

typedef struct CacheEntry
{
	CacheKey	key;
	void	   *info;			/* InterfaceInfo or DeviceInfo */
} CacheEntry;

typedef struct IngestCacheState
{
	MemoryContext cxt;
	uint64		generation;
	HTAB	   *interfaces;
	HTAB	   *devices;
	long		ndevices;
	SPIPlanPtr	plans[PLAN_COUNT];
} IngestCacheState;

static IngestCacheState cache;

static void
make_key(CacheKey *key, Datum tenant, const char *a, const char *b)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->bytes, DatumGetUUIDP(tenant)->data, UUID_LEN);
	snprintf(key->bytes + UUID_LEN, KEY_LEN - UUID_LEN, "%s\x1f%s", a, b ? b : "");
}

static void
cache_reset(uint64 generation)
{
	HASHCTL		ctl;

	if (cache.cxt == NULL)
		cache.cxt = AllocSetContextCreate(CacheMemoryContext, "pgiot ingest cache",
										  ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cache.cxt);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(CacheKey);
	ctl.entrysize = sizeof(CacheEntry);
	ctl.hcxt = cache.cxt;
	cache.interfaces = hash_create("pgiot ingest cache interfaces", 1024, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	cache.devices = hash_create("pgiot ingest cache devices", 1024, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	cache.ndevices = 0;
	cache.generation = generation;
}

void
ingest_cache_begin(void)
{
	uint64		generation = pgiot_device_generation(MyDatabaseId);

	if (generation == 0 || pgiot_devices_changed_in_transaction())
	{
		/* no shared memory, or this transaction changed devices: no cache */
		if (cache.cxt != NULL && cache.generation != 0)
			MemoryContextReset(cache.cxt);
		cache.generation = 0;
		return;
	}
	if (cache.cxt == NULL || cache.generation == 0 || generation != cache.generation ||
		cache.ndevices > CACHE_MAX_DEVICES)
		cache_reset(generation);
}

MemoryContext
ingest_cache_context(MemoryContext fallback)
{
	return cache.generation != 0 ? cache.cxt : fallback;
}

static void *
lookup(HTAB *table, Datum tenant, const char *a, const char *b)
{
	CacheKey	key;
	CacheEntry *e;

	if (cache.generation == 0)
		return NULL;
	make_key(&key, tenant, a, b);
	e = hash_search(table, &key, HASH_FIND, NULL);
	return e ? e->info : NULL;
}

static void
store(HTAB *table, Datum tenant, const char *a, const char *b, void *info)
{
	CacheKey	key;
	CacheEntry *e;

	if (cache.generation == 0)
		return;
	make_key(&key, tenant, a, b);
	e = hash_search(table, &key, HASH_ENTER, NULL);
	e->info = info;
}

InterfaceInfo *
ingest_cache_interface(Datum tenant, const char *connector, const char *node_id)
{
	return lookup(cache.interfaces, tenant, connector, node_id);
}

DeviceInfo *
ingest_cache_device(Datum tenant, const char *id)
{
	return lookup(cache.devices, tenant, id, NULL);
}

void
ingest_cache_put_interface(Datum tenant, InterfaceInfo *info)
{
	store(cache.interfaces, tenant, info->connector, info->node_id, info);
}

void
ingest_cache_put_device(Datum tenant, DeviceInfo *info)
{
	if (cache.generation != 0 && ingest_cache_device(tenant, info->id) == NULL)
		cache.ndevices++;
	store(cache.devices, tenant, info->id, NULL, info);
}

SPIPlanPtr
ingest_cache_plan(IngestPlan which, const char *sql, int nargs, Oid *types)
{
	/* a type recreated since (extension dropped and created again) */
	for (int i = 0; cache.plans[which] != NULL && i < nargs; i++)
		if (SPI_getargtypeid(cache.plans[which], i) != types[i])
		{
			SPI_freeplan(cache.plans[which]);
			cache.plans[which] = NULL;
		}
	if (cache.plans[which] == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

		if (plan == NULL)
			elog(ERROR, "pgiot ingest: could not prepare \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "pgiot ingest: could not keep the plan of \"%s\"", sql);
		cache.plans[which] = plan;
	}
	return cache.plans[which];
}

/*
 * Statement trigger on the device tables: the backends' caches go when
 * this transaction commits (iot._device_cache_invalidate()).
 */
PG_FUNCTION_INFO_V1(pgiot_device_cache_invalidate);
Datum
pgiot_device_cache_invalidate(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("iot._device_cache_invalidate() is a trigger function")));
	pgiot_devices_changed_at_commit();
	return PointerGetDatum(NULL);
}
