/*
 * worker_status.c: SQL access to the launcher's state for this database:
 * iot.worker_status() and iot._launcher_notify().
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/commit_wake.h"
#include "core/shmem.h"
#include "worker_kinds.h"

PG_FUNCTION_INFO_V1(pgiot_worker_status);
Datum
pgiot_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PgiotWorkerSlot copies[PGIOT_MAX_WORKER_KINDS];
	bool		found = false;

	InitMaterializedSRF(fcinfo, 0);
	if (pgiot_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgiot is not in shared_preload_libraries"),
				 errhint("Add pgiot to shared_preload_libraries and restart the server.")));

	LWLockAcquire(pgiot_shared->lock, LW_SHARED);
	{
		PgiotDatabase *db = pgiot_database_slot(MyDatabaseId, false);

		if (db != NULL)
		{
			memcpy(copies, db->workers, sizeof(copies));
			found = true;
		}
	}
	LWLockRelease(pgiot_shared->lock);

	for (int k = 0; found && k < pgiot_worker_kind_count; k++)
	{
		Datum		values[7];
		bool		nulls[7] = {false};
		PgiotWorkerSlot *w = &copies[k];

		values[0] = CStringGetTextDatum(pgiot_worker_kinds[k].name);
		values[1] = Int32GetDatum(w->pid);
		nulls[1] = w->pid == 0;
		values[2] = TimestampTzGetDatum(w->started);
		nulls[2] = w->started == 0;
		values[3] = TimestampTzGetDatum(w->last_tick);
		nulls[3] = w->last_tick == 0;
		values[4] = Int64GetDatum((int64) w->ticks);
		values[5] = Int64GetDatum((int64) w->ingest_wakeups);
		values[6] = CStringGetTextDatum(w->last_error);
		nulls[6] = w->last_error[0] == '\0';
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgiot_launcher_notify);
Datum
pgiot_launcher_notify(PG_FUNCTION_ARGS)
{
	pgiot_notify_launcher_at_commit();
	PG_RETURN_VOID();
}
