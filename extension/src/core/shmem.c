/*
 * shmem.c: allocation and lookup of pgiot's shared memory.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "guc.h"
#include "shmem.h"

PgiotShared *pgiot_shared = NULL;

static Size
pgiot_shmem_size(void)
{
	return add_size(offsetof(PgiotShared, databases),
					mul_size(sizeof(PgiotDatabase), pgiot_max_databases));
}

void
pgiot_shmem_request(void)
{
	RequestAddinShmemSpace(pgiot_shmem_size());
	RequestNamedLWLockTranche("pgiot", 1);
}

void
pgiot_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	pgiot_shared = ShmemInitStruct("pgiot", pgiot_shmem_size(), &found);
	if (!found)
	{
		memset(pgiot_shared, 0, pgiot_shmem_size());
		pgiot_shared->lock = &(GetNamedLWLockTranche("pgiot"))->lock;
		pgiot_shared->ndatabases = pgiot_max_databases;
		for (int i = 0; i < pgiot_max_databases; i++)
		{
			pg_atomic_init_u64(&pgiot_shared->databases[i].ingest_generation, 0);
			pg_atomic_init_u64(&pgiot_shared->databases[i].device_generation, 1);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

PgiotDatabase *
pgiot_database_slot(Oid dboid, bool create)
{
	PgiotDatabase *free_slot = NULL;

	if (pgiot_shared == NULL)
		return NULL;
	for (int i = 0; i < pgiot_shared->ndatabases; i++)
	{
		PgiotDatabase *db = &pgiot_shared->databases[i];

		if (db->state != PGIOT_DB_UNUSED && db->dboid == dboid)
			return db;
		if (db->state == PGIOT_DB_UNUSED && free_slot == NULL)
			free_slot = db;
	}
	if (!create || free_slot == NULL)
		return NULL;
	memset(free_slot->workers, 0, sizeof(free_slot->workers));
	free_slot->dboid = dboid;
	free_slot->state = PGIOT_DB_CHECK;
	free_slot->paused_until = 0;
	return free_slot;
}

void
pgiot_wake_launcher(void)
{
	Latch	   *latch;

	if (pgiot_shared == NULL)
		return;
	latch = pgiot_shared->launcher_latch;
	if (latch != NULL)
		SetLatch(latch);
}

void
pgiot_wake_database(Oid dboid)
{
	PgiotDatabase *db;

	if (pgiot_shared == NULL)
		return;
	LWLockAcquire(pgiot_shared->lock, LW_SHARED);
	db = pgiot_database_slot(dboid, false);
	if (db != NULL)
	{
		pg_atomic_fetch_add_u64(&db->ingest_generation, 1);
		for (int k = 0; k < PGIOT_MAX_WORKER_KINDS; k++)
			if (db->workers[k].pid != 0 && db->workers[k].latch != NULL)
				SetLatch(db->workers[k].latch);
	}
	LWLockRelease(pgiot_shared->lock);
}

uint64
pgiot_device_generation(Oid dboid)
{
	PgiotDatabase *db;
	uint64		generation = 0;

	if (pgiot_shared == NULL)
		return 0;
	LWLockAcquire(pgiot_shared->lock, LW_SHARED);
	db = pgiot_database_slot(dboid, false);
	if (db != NULL)
		generation = pg_atomic_read_u64(&db->device_generation);
	LWLockRelease(pgiot_shared->lock);
	return generation;
}

void
pgiot_bump_device_generation(Oid dboid)
{
	PgiotDatabase *db;

	if (pgiot_shared == NULL)
		return;
	LWLockAcquire(pgiot_shared->lock, LW_SHARED);
	db = pgiot_database_slot(dboid, false);
	if (db != NULL)
		pg_atomic_fetch_add_u64(&db->device_generation, 1);
	LWLockRelease(pgiot_shared->lock);
}
