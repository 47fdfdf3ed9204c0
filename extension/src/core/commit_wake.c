/*
 * commit_wake.c: transaction-end callback that turns "a message was stored"
 * into a latch wake-up of the database's workers, only once the data is
 * visible (after commit), and nothing at abort.
 *
 * The two pending flags are the per-transaction state of this backend;
 * they are reset at every transaction end.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/lwlock.h"

#include "commit_wake.h"
#include "shmem.h"

typedef struct PendingWakes
{
	bool		workers;
	bool		launcher;
	bool		devices;
} PendingWakes;

static PendingWakes pending_wakes;

void
pgiot_wake_workers_at_commit(void)
{
	pending_wakes.workers = true;
}

void
pgiot_notify_launcher_at_commit(void)
{
	pending_wakes.launcher = true;
}

void
pgiot_devices_changed_at_commit(void)
{
	pending_wakes.devices = true;
}

bool
pgiot_devices_changed_in_transaction(void)
{
	return pending_wakes.devices;
}

static void
commit_wake_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (pending_wakes.devices)
				pgiot_bump_device_generation(MyDatabaseId);
			if (pending_wakes.workers)
				pgiot_wake_database(MyDatabaseId);
			if (pending_wakes.launcher && pgiot_shared != NULL)
			{
				PgiotDatabase *db;

				LWLockAcquire(pgiot_shared->lock, LW_EXCLUSIVE);
				db = pgiot_database_slot(MyDatabaseId, true);
				if (db != NULL && db->state != PGIOT_DB_ACTIVE)
					db->state = PGIOT_DB_CHECK;
				LWLockRelease(pgiot_shared->lock);
				pgiot_wake_launcher();
			}
			memset(&pending_wakes, 0, sizeof(pending_wakes));
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			memset(&pending_wakes, 0, sizeof(pending_wakes));
			break;
		default:
			break;
	}
}

void
pgiot_commit_wake_install(void)
{
	RegisterXactCallback(commit_wake_callback, NULL);
}
