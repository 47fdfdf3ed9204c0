/*
 * launcher.c: the pgiot launcher, started by the postmaster when pgiot is
 * in shared_preload_libraries.
 *
 * It keeps one slot per database in shared memory.  A database it has not
 * seen is checked by starting its first worker (which exits at once when
 * pgiot is not installed there).  CREATE EXTENSION pgiot notifies it at
 * commit, so workers start without waiting for the next rescan.  Workers
 * of a database with pgiot that exit are started again on the next pass.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
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

#include "core/guc.h"
#include "core/shmem.h"
#include "db_worker.h"
#include "launcher.h"
#include "worker_kinds.h"

typedef struct DatabaseRow
{
	Oid			oid;
	char		name[NAMEDATALEN];
} DatabaseRow;

/* The databases workers may connect to: not templates, connections allowed. */
static List *
list_databases(MemoryContext into)
{
	List	   *rows = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database form = (Form_pg_database) GETSTRUCT(tup);

		if (form->datistemplate || !form->datallowconn)
			continue;
		{
			MemoryContext old = MemoryContextSwitchTo(into);
			DatabaseRow *row = palloc(sizeof(DatabaseRow));

			row->oid = form->oid;
			strlcpy(row->name, NameStr(form->datname), NAMEDATALEN);
			rows = lappend(rows, row);
			MemoryContextSwitchTo(old);
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return rows;
}

static bool
database_listed(List *rows, Oid oid)
{
	ListCell   *lc;

	foreach(lc, rows)
		if (((DatabaseRow *) lfirst(lc))->oid == oid)
			return true;
	return false;
}

static void
start_worker(PgiotDatabase *db, int kind)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "pgiot", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pgiot_db_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgiot %s worker for database %u",
			 pgiot_worker_kinds[kind].name, db->dboid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pgiot %s", pgiot_worker_kinds[kind].name);
	worker.bgw_main_arg = pgiot_db_worker_arg(db->dboid, kind);
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		ereport(WARNING,
				(errmsg("pgiot launcher: could not start the %s worker for database %u",
						pgiot_worker_kinds[kind].name, db->dboid),
				 errhint("Raise max_worker_processes.")));
		return;
	}
	db->workers[kind].starting = true;
	db->workers[kind].started = GetCurrentTimestamp();
	pfree(handle);
}

/*
 * One pass: drop slots of vanished databases, add new databases, resume
 * paused ones, start the workers each slot needs.
 */
static void
launcher_pass(MemoryContext pass_context)
{
	List	   *rows;
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();

	MemoryContextReset(pass_context);
	rows = list_databases(pass_context);

	LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < pgiot_shared->ndatabases; i++)
	{
		PgiotDatabase *db = &pgiot_shared->databases[i];

		if (db->state != PGIOT_DB_UNUSED && !database_listed(rows, db->dboid))
			db->state = PGIOT_DB_UNUSED;
	}
	foreach(lc, rows)
	{
		DatabaseRow *row = lfirst(lc);

		if (pgiot_database_slot(row->oid, false) == NULL &&
			pgiot_database_slot(row->oid, true) == NULL)
			ereport(WARNING,
					(errmsg("pgiot launcher: no slot left for database \"%s\"", row->name),
					 errhint("Raise pgiot.max_databases.")));
	}
	for (int i = 0; i < pgiot_shared->ndatabases && pgiot_workers_enabled; i++)
	{
		PgiotDatabase *db = &pgiot_shared->databases[i];
		/* a worker that never attached within a minute failed to start */
		TimestampTz stale = TimestampTzPlusMilliseconds(now, -60000);

		if (db->state == PGIOT_DB_PAUSED && now >= db->paused_until)
			db->state = PGIOT_DB_CHECK;
		for (int k = 0; k < pgiot_worker_kind_count; k++)
			if (db->workers[k].starting && db->workers[k].pid == 0 &&
				db->workers[k].started < stale)
				db->workers[k].starting = false;

		if (db->state == PGIOT_DB_CHECK)
		{
			if (db->workers[0].pid == 0 && !db->workers[0].starting)
				start_worker(db, 0);
		}
		else if (db->state == PGIOT_DB_ACTIVE)
		{
			for (int k = 0; k < pgiot_worker_kind_count; k++)
				if (db->workers[k].pid == 0 && !db->workers[k].starting)
					start_worker(db, k);
		}
	}
	LWLockRelease(pgiot_shared->lock);
}

static void
launcher_detach(int code, Datum arg)
{
	LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
	pgiot_shared->launcher_pid = 0;
	pgiot_shared->launcher_latch = NULL;
	LWLockRelease(pgiot_shared->lock);
}

void
pgiot_launcher_main(Datum main_arg)
{
	MemoryContext pass_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* shared catalogs only: pg_database */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("pgiot launcher");

	LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
	pgiot_shared->launcher_pid = MyProcPid;
	pgiot_shared->launcher_latch = MyLatch;
	/* after a restart every known database is checked again */
	for (int i = 0; i < pgiot_shared->ndatabases; i++)
		if (pgiot_shared->databases[i].state == PGIOT_DB_NO_EXTENSION)
			pgiot_shared->databases[i].state = PGIOT_DB_CHECK;
	LWLockRelease(pgiot_shared->lock);
	before_shmem_exit(launcher_detach, 0);

	pass_context = AllocSetContextCreate(TopMemoryContext, "pgiot launcher pass",
										 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		launcher_pass(pass_context);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 pgiot_launcher_naptime * 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

void
pgiot_launcher_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strlcpy(worker.bgw_library_name, "pgiot", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "pgiot_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "pgiot launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "pgiot launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}
