/*
 * shmem.h: pgiot's shared memory: one slot per database the launcher
 * serves, with the workers running there and the ingest wake-up counter.
 */
#ifndef PGIOT_SHMEM_H
#define PGIOT_SHMEM_H

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

#define PGIOT_MAX_WORKER_KINDS 8
#define PGIOT_ERROR_LEN 160

typedef enum PgiotDbState
{
	PGIOT_DB_UNUSED = 0,		/* free slot */
	PGIOT_DB_CHECK,				/* start the first worker: does it have pgiot? */
	PGIOT_DB_ACTIVE,			/* pgiot installed: keep every worker running */
	PGIOT_DB_NO_EXTENSION,		/* checked: no pgiot; wait for a notification */
	PGIOT_DB_PAUSED				/* being dropped or copied; hands off until paused_until */
} PgiotDbState;

typedef struct PgiotWorkerSlot
{
	pid_t		pid;			/* 0 when not running */
	Latch	   *latch;
	bool		starting;		/* registered by the launcher, not yet attached */
	TimestampTz started;
	TimestampTz last_tick;
	uint64		ticks;
	uint64		ingest_wakeups;
	char		last_error[PGIOT_ERROR_LEN];
} PgiotWorkerSlot;

typedef struct PgiotDatabase
{
	Oid			dboid;
	PgiotDbState state;
	TimestampTz paused_until;
	pg_atomic_uint64 ingest_generation; /* bumped by each committing ingest */
	pg_atomic_uint64 device_generation; /* bumped by each committed device change */
	PgiotWorkerSlot workers[PGIOT_MAX_WORKER_KINDS];
} PgiotDatabase;

typedef struct PgiotShared
{
	LWLock	   *lock;			/* protects everything but the atomics */
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	int			ndatabases;
	PgiotDatabase databases[FLEXIBLE_ARRAY_MEMBER];
} PgiotShared;

extern PgiotShared *pgiot_shared;

extern void pgiot_shmem_request(void);
extern void pgiot_shmem_startup(void);

/* Caller holds pgiot_shared->lock. NULL when absent (and !create or full). */
extern PgiotDatabase *pgiot_database_slot(Oid dboid, bool create);

/* Wake the launcher (safe to call without the lock). */
extern void pgiot_wake_launcher(void);

/* Bump the ingest generation of a database and wake its workers. */
extern void pgiot_wake_database(Oid dboid);

/* The device generation of a database (0 when unknown); bump it. */
extern uint64 pgiot_device_generation(Oid dboid);
extern void pgiot_bump_device_generation(Oid dboid);

#endif
