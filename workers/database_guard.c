/*
 * database_guard.c: DROP DATABASE (and CREATE DATABASE ... TEMPLATE) need
 * the database to have no other connections, our workers included.  This
 * ProcessUtility hook pauses the database's slot, asks its workers to
 * exit and waits (up to 10 s) for them to go before the command runs.
 */
#include "postgres.h"

#include <signal.h>

#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/timestamp.h"

#include "core/shmem.h"
#include "database_guard.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

static const char *
template_of(CreatedbStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *opt = lfirst(lc);

		if (strcmp(opt->defname, "template") == 0)
			return defGetString(opt);
	}
	return "template1";
}

/* Ask the workers of `dbname` to leave; false if some stayed. */
static bool
evict_workers(const char *dbname)
{
	Oid			dboid = get_database_oid(dbname, true);
	bool		busy = true;

	if (!OidIsValid(dboid) || pgiot_shared == NULL)
		return true;
	for (int attempt = 0; attempt < 100 && busy; attempt++)
	{
		PgiotDatabase *db;

		busy = false;
		LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
		db = pgiot_database_slot(dboid, false);
		if (db != NULL)
		{
			db->state = PGIOT_DB_PAUSED;
			db->paused_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 15000);
			for (int k = 0; k < PGIOT_MAX_WORKER_KINDS; k++)
				if (db->workers[k].pid != 0)
				{
					busy = true;
					kill(db->workers[k].pid, SIGTERM);
				}
		}
		LWLockRelease(pgiot_shared->lock);
		if (busy)
		{
			CHECK_FOR_INTERRUPTS();
			pg_usleep(100000L);
		}
	}
	return !busy;
}

static void
guard_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					  ProcessUtilityContext context, ParamListInfo params,
					  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, DropdbStmt))
		(void) evict_workers(((DropdbStmt *) parsetree)->dbname);
	else if (IsA(parsetree, CreatedbStmt))
		(void) evict_workers(template_of((CreatedbStmt *) parsetree));
	else if (IsA(parsetree, RenameStmt) &&
			 ((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE)
		(void) evict_workers(((RenameStmt *) parsetree)->subname);

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

void
pgiot_database_guard_install(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
}
