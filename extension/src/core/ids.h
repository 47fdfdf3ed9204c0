/*
 * ids.h: server-side checks of identifiers and timestamps, reported with
 * a stable SQLSTATE and the position of the fault.
 */
#ifndef PGIOT_IDS_H
#define PGIOT_IDS_H

#include "datatype/timestamp.h"

/* NULL when valid, else a palloc'd "reason at position N" text. */
extern char *pgiot_device_id_problem(const char *id, size_t len);

/* NULL when valid (*out set), else a palloc'd reason with the position. */
extern char *pgiot_timestamp_problem(const char *text, size_t len, TimestampTz *out);

#endif
