/*
 * pgiot.c: module entry point.  Defines the settings and, when loaded by
 * shared_preload_libraries, reserves shared memory, registers the
 * launcher and installs the hooks.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"

#include "commit_wake.h"
#include "guc.h"
#include "shmem.h"
#include "workers/database_guard.h"
#include "workers/launcher.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
request_shmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	pgiot_shmem_request();
}

static void
startup_shmem(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	pgiot_shmem_startup();
}

void
_PG_init(void)
{
	pgiot_define_gucs();
	pgiot_commit_wake_install();

	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = request_shmem;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = startup_shmem;
	pgiot_database_guard_install();
	pgiot_launcher_register();
}
