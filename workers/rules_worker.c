/*
 * rules_worker.c: the "rules" worker kind.
 *
 * on_ingest (an ingest committed): evaluate queued messages, at most
 * RULES_PASS_BUDGET per transaction; iot.rules_process() asks for another
 * pass (a wake-up after commit) when it stopped at the budget.
 * on_tick (every pgiot.rules_interval): the activity sweep, then the
 * queue, in case a wake-up was missed (e.g. after a restart).
 */
#include "postgres.h"

#include "executor/spi.h"

#include "core/guc.h"
#include "rules_worker.h"

#define RULES_PASS_BUDGET 5000

static void
run(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "%s failed: %s", sql, SPI_result_code_string(rc));
}

void
pgiot_rules_on_ingest(void)
{
	run("SELECT iot.rules_process(" CppAsString2(RULES_PASS_BUDGET) ")");
}

void
pgiot_rules_tick(void)
{
	run("SELECT iot.activity_sweep()");
	run("SELECT iot.rules_process(" CppAsString2(RULES_PASS_BUDGET) ")");
}

long
pgiot_rules_interval_ms(void)
{
	return pgiot_rules_interval * 1000L;
}
