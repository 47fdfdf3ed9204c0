/*
 * db_worker.h: entry point of per-database workers.
 */
#ifndef PGIOT_DB_WORKER_H
#define PGIOT_DB_WORKER_H

#include "postgres.h"

extern PGDLLEXPORT void pgiot_db_worker_main(Datum main_arg);
extern Datum pgiot_db_worker_arg(Oid dboid, int kind);

#endif
