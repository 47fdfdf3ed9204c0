/*
 * db_worker.c: the main loop shared by every per-database worker kind.
 *
 * The launcher starts it with main_arg = (kind << 32) | database oid.  It
 * attaches to its slot, checks that the database has pgiot, then waits on
 * its latch: an ingest commit bumps the database's ingest generation and
 * sets the latch (on_ingest runs), the timeout runs on_tick.  Errors in a
 * pass are logged and kept in the slot; the worker carries on.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "core/shmem.h"
#include "worker_kinds.h"
#include "db_worker.h"

typedef struct WorkerIdentity
{
	Oid			dboid;
	int			kind;
} WorkerIdentity;

static WorkerIdentity
decode_main_arg(Datum arg)
{
	uint64		v = DatumGetUInt64(arg);
	WorkerIdentity id = {(Oid) (v & 0xFFFFFFFF), (int) (v >> 32)};

	return id;
}

Datum
pgiot_db_worker_arg(Oid dboid, int kind)
{
	return UInt64GetDatum(((uint64) kind << 32) | dboid);
}

static PgiotWorkerSlot *
my_slot(WorkerIdentity id)
{
	PgiotDatabase *db = pgiot_database_slot(id.dboid, false);

	return db ? &db->workers[id.kind] : NULL;
}

static void
detach_slot(int code, Datum arg)
{
	WorkerIdentity id = decode_main_arg(arg);
	PgiotWorkerSlot *slot;

	LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
	slot = my_slot(id);
	if (slot != NULL && slot->pid == MyProcPid)
	{
		slot->pid = 0;
		slot->latch = NULL;
		slot->starting = false;
	}
	LWLockRelease(pgiot_shared->lock);
	pgiot_wake_launcher();
}

static bool
extension_present(void)
{
	bool		present;

	StartTransactionCommand();
	present = OidIsValid(get_extension_oid("pgiot", true));
	CommitTransactionCommand();
	return present;
}

static void
set_db_state(WorkerIdentity id, PgiotDbState state)
{
	PgiotDatabase *db;

	LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
	db = pgiot_database_slot(id.dboid, false);
	if (db != NULL && db->state != PGIOT_DB_PAUSED)
		db->state = state;
	LWLockRelease(pgiot_shared->lock);
}

/*
 * Run one pass of work in its own transaction.  On error: log, remember
 * the message in the slot, roll back, go on.
 */
static void
run_pass(WorkerIdentity id, void (*work) (void), const char *what, bool is_tick)
{
	MemoryContext pass_context = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, what);
		work();
		PopActiveSnapshot();
		SPI_finish();
		CommitTransactionCommand();
		LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
		{
			PgiotWorkerSlot *slot = my_slot(id);

			if (slot != NULL && is_tick)
			{
				slot->ticks++;
				slot->last_tick = GetCurrentTimestamp();
			}
		}
		LWLockRelease(pgiot_shared->lock);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		PgiotWorkerSlot *slot;

		MemoryContextSwitchTo(pass_context);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(LOG,
				(errmsg("pgiot %s worker: %s failed: %s",
						pgiot_worker_kinds[id.kind].name, what, edata->message)));
		LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
		slot = my_slot(id);
		if (slot != NULL)
			strlcpy(slot->last_error, edata->message, PGIOT_ERROR_LEN);
		LWLockRelease(pgiot_shared->lock);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

void
pgiot_db_worker_main(Datum main_arg)
{
	WorkerIdentity id = decode_main_arg(main_arg);
	const PgiotWorkerKind *kind;
	PgiotWorkerSlot *slot;
	PgiotDatabase *db;
	uint64		seen_generation;
	TimestampTz next_tick = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (id.kind < 0 || id.kind >= pgiot_worker_kind_count)
		elog(FATAL, "pgiot: unknown worker kind %d", id.kind);
	kind = &pgiot_worker_kinds[id.kind];

	LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
	db = pgiot_database_slot(id.dboid, false);
	slot = db ? &db->workers[id.kind] : NULL;
	if (slot == NULL || slot->pid != 0)
	{
		LWLockRelease(pgiot_shared->lock);
		proc_exit(0);			/* slot gone or taken: nothing to do */
	}
	slot->pid = MyProcPid;
	slot->latch = MyLatch;
	slot->starting = false;
	slot->started = GetCurrentTimestamp();
	slot->last_error[0] = '\0';
	seen_generation = pg_atomic_read_u64(&db->ingest_generation);
	LWLockRelease(pgiot_shared->lock);
	before_shmem_exit(detach_slot, main_arg);

	BackgroundWorkerInitializeConnectionByOid(id.dboid, InvalidOid, 0);
	pgstat_report_appname(psprintf("pgiot %s", kind->name));

	if (!extension_present())
	{
		if (id.kind == 0)
			set_db_state(id, PGIOT_DB_NO_EXTENSION);
		proc_exit(0);
	}
	if (id.kind == 0)
		set_db_state(id, PGIOT_DB_ACTIVE);
	elog(DEBUG1, "pgiot %s worker started", kind->name);

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		long		wait_ms = next_tick <= now ? 0 :
			(long) ((next_tick - now) / 1000);
		uint64		generation;

		if (wait_ms > 0)
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		generation = pg_atomic_read_u64(&db->ingest_generation);
		if (generation != seen_generation)
		{
			seen_generation = generation;
			LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
			slot->ingest_wakeups++;
			LWLockRelease(pgiot_shared->lock);
			if (kind->on_ingest != NULL)
				run_pass(id, kind->on_ingest, "on_ingest", false);
		}

		if (GetCurrentTimestamp() >= next_tick)
		{
			if (!extension_present())
			{
				if (id.kind == 0)
					set_db_state(id, PGIOT_DB_NO_EXTENSION);
				proc_exit(0);
			}
			run_pass(id, kind->on_tick, "on_tick", true);
			next_tick = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													kind->tick_interval_ms());
		}
	}
}
