/*
 * maintenance.c: the maintenance worker's tick: iot.maintenance_run()
 * keeps message partitions ahead, drops expired ones and purges the audit
 * log.
 */
#include "postgres.h"

#include "executor/spi.h"

#include "core/guc.h"
#include "worker_kinds.h"

void
pgiot_maintenance_tick(void)
{
	int			rc = SPI_execute("SELECT iot.maintenance_run()", false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "iot.maintenance_run() failed: %s", SPI_result_code_string(rc));
}

long
pgiot_maintenance_interval_ms(void)
{
	return pgiot_maintenance_interval * 1000L;
}
