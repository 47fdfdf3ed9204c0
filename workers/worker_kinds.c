/*
 * worker_kinds.c: the table of per-database worker kinds.  Index 0 is
 * also the one that checks whether a database has pgiot at all.
 */
#include "postgres.h"

#include "core/shmem.h"
#include "worker_kinds.h"
#include "rules_worker.h"

const PgiotWorkerKind pgiot_worker_kinds[] = {
	{"maintenance", pgiot_maintenance_tick, NULL, pgiot_maintenance_interval_ms},
	{"rules", pgiot_rules_tick, pgiot_rules_on_ingest, pgiot_rules_interval_ms},
};

const int	pgiot_worker_kind_count = lengthof(pgiot_worker_kinds);

StaticAssertDecl(lengthof(pgiot_worker_kinds) <= PGIOT_MAX_WORKER_KINDS,
				 "raise PGIOT_MAX_WORKER_KINDS");
