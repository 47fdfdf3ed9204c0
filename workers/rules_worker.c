/*
 * rules_worker.c: the "rules" worker kind.
 *
 * on_ingest (an ingest committed): evaluate queued messages, at most
 * RULES_PASS_BATCHES batches per transaction; iot.rules_process() asks for another
 * pass (a wake-up after commit) when it stopped at the budget.
 * on_tick (every pgiot.rules_interval, and at start): the queue first, in
 * case a wake-up was missed (e.g. messages queued before a restart), then
 * the activity sweep in a subtransaction, so that a failing sweep never
 * holds back the evaluation of messages.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "core/guc.h"
#include "rules_worker.h"

/*
 * Batches (of pgiot.rules_batch_size messages) per transaction.  One: a
 * batch's events commit as soon as it is evaluated (latency); the next
 * pass starts at once when the queue holds more.
 */
#define RULES_PASS_BATCHES 1

static void
run(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "%s failed: %s", sql, SPI_result_code_string(rc));
}

static void
process_queue(void)
{
	char		sql[64];

	snprintf(sql, sizeof(sql), "SELECT iot.rules_process(%d)", pgiot_rules_batch_size * RULES_PASS_BATCHES);
	run(sql);
}

void
pgiot_rules_on_ingest(void)
{
	process_queue();
}

void
pgiot_rules_tick(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	process_queue();

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		run("SELECT iot.activity_sweep()");
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ereport(LOG, (errmsg("pgiot rules worker: activity sweep failed: %s", edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

long
pgiot_rules_interval_ms(void)
{
	return pgiot_rules_interval * 1000L;
}
