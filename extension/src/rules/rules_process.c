/*
 * rules_process.c: iot.rules_process(max_messages): evaluate the queued
 * messages, one tenant batch at a time.
 *
 * For each batch: lock the tenant's iot.rule_tenant row (FOR UPDATE SKIP
 * LOCKED: a tenant another worker holds is skipped), read up to
 * pgiot.rules_batch_size of its queued messages in queue order, read the
 * guards and states they need (one query each), decide in memory
 * (rules_batch.c), then write everything and delete the queue rows with
 * one call of iot._rules_commit().  All of it in the caller's transaction:
 * a crash loses the whole batch's work and its queue rows stay, so every
 * message is evaluated once.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "utils/xid8.h"

#include "core/commit_wake.h"
#include "core/guc.h"
#include "core/heap_retain.h"
#include "jl_jsonb.h"
#include "rules_batch.h"
#include "rules_cache.h"
#include "rules_doc.h"

static void
spi_check(int rc, int expected, const char *what)
{
	if (rc != expected)
		elog(ERROR, "rules: %s failed: %s", what, SPI_result_code_string(rc));
}

/*
 * The tenant holding the oldest queued message that no one else holds,
 * and where its queue is to be read from.
 */
static bool
claim_tenant(Datum *tenant, uint64 *scan_from, MemoryContext cxt)
{
	bool		isnull;

	/* each tenant's oldest queued message: one index probe per tenant */
	spi_check(SPI_execute("SELECT rt.tenant_id, rt.scan_from FROM iot.rule_tenant rt "
						  " CROSS JOIN LATERAL (SELECT q.txid, q.first_id FROM iot.rule_queue q "
						  "                      WHERE q.tenant_id = rt.tenant_id AND q.txid >= rt.scan_from "
						  "                      ORDER BY q.txid, q.first_id LIMIT 1) oldest "
						  " ORDER BY oldest.txid, oldest.first_id "
						  " LIMIT 1 FOR UPDATE OF rt SKIP LOCKED", false, 0),
			  SPI_OK_SELECT, "claiming a tenant");
	if (SPI_processed == 0)
		return false;
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		pg_uuid_t  *u = palloc(UUID_LEN);

		memcpy(u, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
			   UUID_LEN);
		*tenant = UUIDPGetDatum(u);
		*scan_from = U64FromFullTransactionId(DatumGetFullTransactionId(
																	   SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)));
		MemoryContextSwitchTo(old);
	}
	return true;
}

static void
set_tenant(const char *tenant)
{
	Oid			type = TEXTOID;
	Datum		arg = CStringGetTextDatum(tenant);

	spi_check(SPI_execute_with_args("SELECT set_config('iot.tenant', $1, true)", 1, &type, &arg, NULL,
									false, 0),
			  SPI_OK_SELECT, "selecting the tenant");
}

/* A batch row's place in the queue, and the row. */
typedef struct QueuePos
{
	uint64		txid;
	int64		first_id;
	int64		ord;
	int			row;
} QueuePos;

static int
queue_pos_cmp(const void *a, const void *b)
{
	const QueuePos *x = a;
	const QueuePos *y = b;

	if (x->txid != y->txid)
		return x->txid < y->txid ? -1 : 1;
	if (x->first_id != y->first_id)
		return x->first_id < y->first_id ? -1 : 1;
	if (x->ord != y->ord)
		return x->ord < y->ord ? -1 : 1;
	return 0;
}

/*
 * The batch, in queue order: each message's document built straight into
 * the batch's values (data is NULL for a message that is gone).
 */
static SPITupleTable *
read_batch(RulesBatch *b, int limit)
{
	Oid			types[3] = {UUIDOID, INT4OID, XID8OID};
	Datum		args[3] = {b->tenant, Int32GetDatum(limit),
	FullTransactionIdGetDatum(FullTransactionIdFromU64(b->scan_from))};
	SPITupleTable *tt;
	int			nestlevel = NewGUCNestLevel();
	uint64		xmin = 0;
	int			first_col,
				ord_col,
				natts;
	QueuePos   *order;
	Datum	   *values;
	bool	   *nulls;
	bool		sorted = true;

	/*
	 * The queue swings between empty and large, so its statistics are often
	 * stale; then the planner sorts the whole queue for every batch.  Walk
	 * the primary key in order instead (settings scoped to this statement).
	 */
	(void) set_config_option("enable_sort", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_bitmapscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
							 false);
	/* and look each message up by its primary key, however large the batch */
	(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
							 false);
	(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
							 false);
	spi_check(SPI_execute_with_args(
									"SELECT u.id, u.created, m.device_id, m.id IS NOT NULL, q.txid, "
									"       pg_snapshot_xmin(pg_current_snapshot()), "
									RULES_DOC_COLUMNS ", q.first_id AS queue_first_id, u.ord AS queue_ord "
									/* queue rows (one per statement) up to $2 messages */
									"  FROM (SELECT r.*, sum(cardinality(r.message_ids)) OVER (ORDER BY r.txid, r.first_id) "
									"               - cardinality(r.message_ids) AS before "
									"          FROM (SELECT txid, first_id, message_ids, created FROM iot.rule_queue "
									"                 WHERE tenant_id = $1 AND txid >= $3 "
									"                 ORDER BY txid, first_id LIMIT $2) r) q "
									"  CROSS JOIN LATERAL unnest(q.message_ids, q.created) WITH ORDINALITY AS u(id, created, ord) "
									/*
									 * by its primary key only: a queue row is its message's
									 * tenant's (a tenant condition here made the planner pick
									 * the (tenant_id, device_id, ts) index)
									 */
									"  LEFT JOIN iot.message m ON m.id = u.id AND m.created = u.created "
									" WHERE q.before < $2 AND u.ord <= $2 - q.before",
									3, types, args, NULL, false, 0),
			  SPI_OK_SELECT, "reading the queue");
	AtEOXact_GUC(false, nestlevel);
	tt = SPI_tuptable;
	first_col = SPI_fnumber(tt->tupdesc, "queue_first_id");
	ord_col = SPI_fnumber(tt->tupdesc, "queue_ord");
	b->nmsg = (int) SPI_processed;
	b->msgs = MemoryContextAllocZero(b->cxt, sizeof(BatchMessage) * (b->nmsg + 1));

	/*
	 * Queue order (txid, first_id, position in the row) is put right here,
	 * on the keys: an ORDER BY would copy every message's whole document
	 * into a sort (a quarter of the worker's time).  The forced nested
	 * loop mostly returns the rows in that order already.
	 */
	order = palloc(sizeof(QueuePos) * (b->nmsg + 1));
	/* each row deformed once (one pass, not one walk per column), kept for both loops */
	natts = tt->tupdesc->natts;
	values = palloc(sizeof(Datum) * natts * (b->nmsg + 1));
	nulls = palloc(sizeof(bool) * natts * (b->nmsg + 1));
	for (int i = 0; i < b->nmsg; i++)
	{
		Datum	   *v = values + (Size) i * natts;

		heap_deform_tuple(tt->vals[i], tt->tupdesc, v, nulls + (Size) i * natts);
		order[i].txid = U64FromFullTransactionId(DatumGetFullTransactionId(v[5 - 1]));
		order[i].first_id = DatumGetInt64(v[first_col - 1]);
		order[i].ord = DatumGetInt64(v[ord_col - 1]);
		order[i].row = i;
		if (i > 0 && queue_pos_cmp(&order[i - 1], &order[i]) > 0)
			sorted = false;
	}
	if (!sorted)
		qsort(order, b->nmsg, sizeof(QueuePos), queue_pos_cmp);
	for (int i = 0; i < b->nmsg; i++)
	{
		BatchMessage *m = &b->msgs[i];
		const Datum *v = values + (Size) order[i].row * natts;
		const bool *isnull = nulls + (Size) order[i].row * natts;

		m->id = DatumGetInt64(v[0]);
		m->first_id = order[i].first_id;
		m->txid = order[i].txid;
		xmin = U64FromFullTransactionId(DatumGetFullTransactionId(v[5]));
		m->created = DatumGetTimestampTz(v[1]);
		if (!isnull[2])
			m->device_id = MemoryContextStrdup(b->cxt, TextDatumGetCString(v[2]));
		/* the document's jsonb parts stay in the tuple table until the batch ends */
		if (DatumGetBool(v[3]))
		{
			MemoryContext old = MemoryContextSwitchTo(b->cxt);

			m->data = rules_message_value(&b->arena, v, isnull, tt->tupdesc, 7);
			MemoryContextSwitchTo(old);
		}
	}
	pfree(order);
	pfree(values);
	pfree(nulls);

	/*
	 * Every message still to come has a txid at least the read snapshot's
	 * xmin (in progress at the read, or later) or, if it was visible and left
	 * for the next batch, at least the last txid taken (ordered by txid).
	 */
	if (b->nmsg > 0)
		b->next_scan_from = Min(xmin, b->msgs[b->nmsg - 1].txid);
	return tt;
}

/*
 * Load the stored guards or states of the table's (rule, key) pairs, one
 * query: rows come back with the 1-based index of their pair.  Not
 * read-only: a fresh snapshot sees what earlier batches of this
 * transaction wrote.
 */
static void
load_keys(RulesBatch *b, KeyTable *t, bool guards)
{
	ArrayBuildState *rules = NULL,
			   *keys = NULL;
	Oid			types[3] = {UUIDOID, UUIDARRAYOID, TEXTARRAYOID};
	Datum		args[3];
	MemoryContext old;

	if (t->n == 0)
		return;
	old = MemoryContextSwitchTo(b->cxt);
	for (int i = 0; i < t->n; i++)
	{
		KeyEntry   *e = &t->entries[i];
		const pg_uuid_t *id = guards ? &b->rules->firing[e->rule].id : &b->rules->state[e->rule].id;

		rules = accumArrayResult(rules, UUIDPGetDatum(id), false, UUIDOID, b->cxt);
		keys = accumArrayResult(keys, PointerGetDatum(cstring_to_text_with_len(e->key, (int) e->keylen)),
								false, TEXTOID, b->cxt);
	}
	args[0] = b->tenant;
	args[1] = makeArrayResult(rules, b->cxt);
	args[2] = makeArrayResult(keys, b->cxt);
	MemoryContextSwitchTo(old);
	if (guards)
		spi_check(SPI_execute_with_args(
										"SELECT u.i, g.expires FROM unnest($2, $3) WITH ORDINALITY u(r, k, i) "
										"  JOIN iot.firing_guard g ON g.tenant_id = $1 AND g.firing_rule_id = u.r "
										"                         AND g.context_key = u.k",
										3, types, args, NULL, false, 0),
				  SPI_OK_SELECT, "reading firing guards");
	else
		spi_check(SPI_execute_with_args(
										"SELECT u.i, s.state FROM unnest($2, $3) WITH ORDINALITY u(r, k, i) "
										"  JOIN iot.rule_state s ON s.tenant_id = $1 AND s.rule_id = u.r "
										"                       AND s.state_key = u.k",
										3, types, args, NULL, false, 0),
				  SPI_OK_SELECT, "reading states");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		int64		i = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
		Datum		v = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull);
		KeyEntry   *e = &t->entries[i - 1];

		e->exists = true;
		if (guards)
		{
			e->has_expires = !isnull;
			if (!isnull)
				e->expires = DatumGetTimestampTz(v);
		}
		else
			e->state = jl_from_jsonb(&b->arena, DatumGetJsonbP(v), true);
	}
	SPI_freetuptable(SPI_tuptable);
}

static void
commit_batch(RulesBatch *b)
{
	Oid			types[5 + NOUT];
	Datum		args[5 + NOUT];
	ArrayBuildState *done_first = NULL,
			   *done_txid = NULL,
			   *done_taken = NULL;
	StringInfoData sql;

	/* the queue rows taken from, with how many of their messages (in order) */
	for (int i = 0; i < b->nmsg;)
	{
		int			j = i;

		while (j < b->nmsg && b->msgs[j].txid == b->msgs[i].txid && b->msgs[j].first_id == b->msgs[i].first_id)
			j++;
		done_txid = accumArrayResult(done_txid,
									 FullTransactionIdGetDatum(FullTransactionIdFromU64(b->msgs[i].txid)),
									 false, XID8OID, b->cxt);
		done_first = accumArrayResult(done_first, Int64GetDatum(b->msgs[i].first_id), false, INT8OID, b->cxt);
		done_taken = accumArrayResult(done_taken, Int32GetDatum(j - i), false, INT4OID, b->cxt);
		i = j;
	}
	types[0] = UUIDOID;
	args[0] = b->tenant;
	types[1] = XID8ARRAYOID;
	args[1] = makeArrayResult(done_txid, b->cxt);
	types[2] = INT8ARRAYOID;
	args[2] = makeArrayResult(done_first, b->cxt);
	types[3] = INT4ARRAYOID;
	args[3] = makeArrayResult(done_taken, b->cxt);
	types[4] = XID8OID;
	args[4] = FullTransactionIdGetDatum(FullTransactionIdFromU64(b->next_scan_from));
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT iot._rules_commit($1, $2, $3, $4, $5");
	for (int c = 0; c < NOUT; c++)
	{
		types[5 + c] = get_array_type(b->out[c].type);
		args[5 + c] = rules_batch_column(b, (OutCol) c);
		appendStringInfo(&sql, ", $%d", 6 + c);
	}
	appendStringInfoChar(&sql, ')');
	spi_check(SPI_execute_with_args(sql.data, 5 + NOUT, types, args, NULL, false, 0),
			  SPI_OK_SELECT, "writing the results");
}

/* One batch of one tenant (its rule_tenant row locked); messages done. */
static int
process_tenant(Datum tenant, uint64 scan_from, int limit, MemoryContext cxt)
{
	RulesBatch	b;
	SPITupleTable *batch;
	RuleSet    *rules;
	MemoryContext old;
	int			n;

	set_tenant(DatumGetCString(DirectFunctionCall1(uuid_out, tenant)));
	rules = rules_cache_get(tenant);
	rules_batch_init(&b, rules, tenant, cxt);
	b.scan_from = scan_from;
	batch = read_batch(&b, limit);
	n = b.nmsg;
	if (n == 0)
		return 0;
	old = MemoryContextSwitchTo(cxt);
	rules_batch_prepare(&b);
	MemoryContextSwitchTo(old);
	load_keys(&b, &b.guards, true);
	load_keys(&b, &b.states, false);
	old = MemoryContextSwitchTo(cxt);
	rules_batch_decide(&b);
	MemoryContextSwitchTo(old);
	commit_batch(&b);
	SPI_freetuptable(batch);
	return n;
}

PG_FUNCTION_INFO_V1(pgiot_rules_process);
Datum
pgiot_rules_process(PG_FUNCTION_ARGS)
{
	int			budget = PG_ARGISNULL(0) ? 1000 : PG_GETARG_INT32(0);
	int64		total = 0;
	MemoryContext batch_cxt;
	char	   *saved_tenant;
	Datum		tenant;
	uint64		scan_from;

	if (budget <= 0)
		PG_RETURN_INT64(0);
	pgiot_heap_retain();
	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "pgiot rules batch", ALLOCSET_DEFAULT_SIZES);
	saved_tenant = GetConfigOptionByName("iot.tenant", NULL, true);
	saved_tenant = pstrdup(saved_tenant != NULL ? saved_tenant : "");
	SPI_connect();
	while (total < budget && claim_tenant(&tenant, &scan_from, batch_cxt))
	{
		int			limit = Min(pgiot_rules_batch_size, budget - (int) total);
		int			n = process_tenant(tenant, scan_from, limit, batch_cxt);

		MemoryContextReset(batch_cxt);
		if (n == 0)
			break;
		total += n;
	}
	set_tenant(saved_tenant);
	SPI_finish();
	MemoryContextDelete(batch_cxt);
	/* more may be waiting: come back once this transaction has committed */
	if (total >= budget)
		pgiot_wake_workers_at_commit();
	PG_RETURN_INT64(total);
}
