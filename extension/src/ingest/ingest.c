/*
 * ingest.c: iot.ingest() and iot.ingest_batch().
 *
 * A batch goes through a fixed number of set-based statements, whatever
 * its size: one lookup of the interfaces, one of the devices, (only when
 * something is unknown) one insert of auto-provisioned devices and one of
 * their interfaces, one insert of every message (an array of iot.message
 * rows), one update of last-seen times, one audit insert for the
 * rejected.  Validation and enrichment are C over the items in memory.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "core/clock.h"
#include "core/commit_wake.h"
#include "core/device_id.h"
#include "core/heap_retain.h"
#include "core/ids.h"
#include "core/errors.h"
#include "decode_stage.h"
#include "ingest_item.h"
#include "ingest_lookup.h"
#include "jsonb_util.h"

/* The columns of iot.message that ingest fills, in table order. */
static const char *const message_columns[] = {
	"tenant_id", "id", "created", "ts", "received", "device_id", "stream_id", "model",
	"value", "tags", "extra", "location", "location_alt", "location_accuracy",
	"location_provider", "metadata", "raw"
};
enum
{
	COL_TENANT, COL_ID, COL_CREATED, COL_TS, COL_RECEIVED, COL_DEVICE, COL_STREAM, COL_MODEL,
	COL_VALUE, COL_TAGS, COL_EXTRA, COL_LOCATION, COL_ALT, COL_ACCURACY, COL_PROVIDER,
	COL_METADATA, COL_RAW, NCOLS
};

static Oid
iot_relation(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("iot", false));

	if (!OidIsValid(relid))
		elog(ERROR, "relation iot.%s does not exist", name);
	return relid;
}

/* Connector, node id: checked and defaulted before any lookup. */
static void
check_target(IngestItem *item)
{
	if (item->connector == NULL)
		item->connector = pstrdup("http");
	else if (!ingest_connector_known(item->connector))
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
						   "unknown connector \"%s\"", item->connector);
	if (strcmp(item->connector, "http") == 0)
		item->node_id = NULL;	/* http has no interfaces */
	else if (item->node_id != NULL)
	{
		size_t		len = strlen(item->node_id);

		for (size_t i = 0; i < len; i++)
			if (!node_id_char_ok(item->node_id[i]) || i >= DEVICE_ID_MAX)
			{
				ingest_item_reject(item, ERRCODE_INVALID_TEXT_REPRESENTATION,
								   "invalid nodeId \"%s\": %s at position %d", item->node_id,
								   i >= DEVICE_ID_MAX ? "too long" : "invalid character",
								   (int) i + 1);
				return;
			}
		if (len == 0)
			ingest_item_reject(item, ERRCODE_INVALID_TEXT_REPRESENTATION, "empty nodeId");
	}
}

/*
 * Attach each item to its interface and device, or mark what must be
 * provisioned.  Called after every lookup round.
 */
static void
attach(IngestBatch *b)
{
	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];

		if (item->sqlerrcode != 0 || item->device != NULL)
			continue;
		item->needs_device = item->needs_interface = false;
		if (item->node_id != NULL)
		{
			item->iface = ingest_lookup_interface(b, item->connector, item->node_id);
			if (item->iface == NULL)
			{
				item->needs_interface = true;
				if (item->device_id == NULL)
					item->device_id = ingest_provisioned_device_id(item->connector, item->node_id);
			}
			else if (item->device_id != NULL && strcmp(item->device_id, item->iface->device_id) != 0)
			{
				ingest_item_reject(item, ERRCODE_PGIOT_INTERFACE_CONFLICT,
								   "interface %s:%s belongs to device %s, not %s",
								   item->connector, item->node_id, item->iface->device_id,
								   item->device_id);
				continue;
			}
			else if (!item->iface->enabled)
			{
				ingest_item_reject(item, ERRCODE_PGIOT_INTERFACE_DISABLED,
								   "interface %s:%s is disabled", item->connector, item->node_id);
				continue;
			}
			else
				item->device_id = item->iface->device_id;
		}
		if (item->device_id != NULL)
		{
			item->device = ingest_lookup_device(b, item->device_id);
			if (item->device == NULL)
				item->needs_device = true;
		}
		if (item->device_id == NULL && item->stream_id == NULL)
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
							   "message.streamId is required for a message without a device");
	}
}

static bool
anything_to_provision(IngestBatch *b)
{
	for (int i = 0; i < b->n; i++)
		if (b->items[i].sqlerrcode == 0 && (b->items[i].needs_device || b->items[i].needs_interface))
			return true;
	return false;
}

static void
reject_unprovisioned(IngestBatch *b, bool auto_provisioning)
{
	const char *why = auto_provisioning ? "could not be auto-provisioned" : "and auto-provisioning is off";

	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];

		if (item->sqlerrcode == 0 && (item->needs_device || item->needs_interface))
		{
			if (item->node_id != NULL && item->needs_interface && !item->needs_device)
				ingest_item_reject(item, ERRCODE_PGIOT_INTERFACE_NOT_FOUND,
								   "unknown interface %s:%s of device %s %s",
								   item->connector, item->node_id, item->device_id, why);
			else
				ingest_item_reject(item, ERRCODE_PGIOT_DEVICE_NOT_FOUND,
								   "unknown device %s %s", item->device_id, why);
		}
	}
}

static Datum
geography_point(IngestBatch *b, const LocationFix *fix)
{
	char		wkt[96];

	snprintf(wkt, sizeof(wkt), "SRID=4326;POINT(%.17g %.17g)", fix->lon, fix->lat);
	return OidInputFunctionCall(b->geography_input, wkt, b->geography_ioparam, b->geography_typmod);
}

/* One INSERT of all accepted items, as an array of iot.message rows. */
static void
insert_messages(IngestBatch *b)
{
	Oid			relid = iot_relation("message");
	Oid			rowtype = get_rel_type_id(relid);
	TupleDesc	desc = lookup_rowtype_tupdesc_copy(rowtype, -1);
	Oid			seq = iot_relation("message_id_seq");
	int			attnum[NCOLS];
	Datum	   *rows = palloc(sizeof(Datum) * b->n);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	int			nrows = 0;
	Oid			argtype;
	Datum		arg;

	for (int c = 0; c < NCOLS; c++)
	{
		attnum[c] = -1;
		for (int a = 0; a < desc->natts; a++)
			if (!TupleDescAttr(desc, a)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, a)->attname), message_columns[c]) == 0)
				attnum[c] = a;
		if (attnum[c] < 0)
			elog(ERROR, "iot.message has no column %s", message_columns[c]);
	}
	{
		Form_pg_attribute loc = TupleDescAttr(desc, attnum[COL_LOCATION]);

		getTypeInputInfo(loc->atttypid, &b->geography_input, &b->geography_ioparam);
		b->geography_typmod = loc->atttypmod;
	}

	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];
		EnrichedRow row;
		HeapTuple	tuple;

		if (item->sqlerrcode != 0)
			continue;
		ingest_enrich(item, b->created, &row);
		item->id = nextval_internal(seq, true);

		memset(nulls, true, sizeof(bool) * desc->natts);
#define SET(col, datum) (values[attnum[col]] = (datum), nulls[attnum[col]] = false)
		SET(COL_TENANT, b->tenant);
		SET(COL_ID, Int64GetDatum(item->id));
		SET(COL_CREATED, TimestampTzGetDatum(b->created));
		SET(COL_TS, TimestampTzGetDatum(row.ts));
		if (item->has_received)
			SET(COL_RECEIVED, TimestampTzGetDatum(item->received));
		if (item->device != NULL)
			SET(COL_DEVICE, CStringGetTextDatum(item->device->id));
		SET(COL_STREAM, CStringGetTextDatum(row.stream_id));
		if (item->model != NULL)
			SET(COL_MODEL, CStringGetTextDatum(item->model));
		SET(COL_VALUE, JsonbPGetDatum(row.value));
		SET(COL_TAGS, row.tags);
		if (row.extra != NULL)
			SET(COL_EXTRA, JsonbPGetDatum(row.extra));
		if (row.location.present)
		{
			SET(COL_LOCATION, geography_point(b, &row.location));
			if (row.location.has_alt)
				SET(COL_ALT, Float8GetDatum(row.location.alt));
			if (row.location.has_accuracy)
				SET(COL_ACCURACY, Float8GetDatum(row.location.accuracy));
			if (row.location_provider != NULL)
				SET(COL_PROVIDER, CStringGetTextDatum(row.location_provider));
		}
		SET(COL_METADATA, JsonbPGetDatum(row.metadata));
		if (item->raw != NULL)
			SET(COL_RAW, PointerGetDatum(item->raw));
#undef SET
		tuple = heap_form_tuple(desc, values, nulls);
		rows[nrows++] = HeapTupleGetDatum(tuple);
	}
	if (nrows == 0)
		return;

	argtype = get_array_type(rowtype);
	arg = PointerGetDatum(construct_array(rows, nrows, rowtype, -1, false, TYPALIGN_DOUBLE));
	ingest_spi(b, PLAN_INSERT_MESSAGES, "INSERT INTO iot.message (tenant_id, id, created, ts, received, device_id, stream_id, model, "
			   "value, tags, extra, location, location_alt, location_accuracy, location_provider, metadata, raw) "
			   "SELECT tenant_id, id, created, ts, received, device_id, stream_id, model, value, tags, extra, "
			   "location, location_alt, location_accuracy, location_provider, metadata, raw "
			   "FROM unnest($1)", 1, &argtype, &arg, SPI_OK_INSERT);
	pgiot_wake_workers_at_commit();
}

static void
report_rejects(IngestBatch *b)
{
	Datum	   *codes = palloc(sizeof(Datum) * b->n);
	Datum	   *messages = palloc(sizeof(Datum) * b->n);
	Datum	   *details = palloc(sizeof(Datum) * b->n);
	int			n = 0;

	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];
		StringInfoData d;

		if (item->sqlerrcode == 0)
			continue;
		initStringInfo(&d);
		appendStringInfo(&d, "{\"ord\": %d", item->ord);
		if (item->device_id != NULL)
		{
			appendStringInfoString(&d, ", \"deviceId\": ");
			escape_json(&d, item->device_id);
		}
		if (item->connector != NULL)
		{
			appendStringInfoString(&d, ", \"connector\": ");
			escape_json(&d, item->connector);
		}
		if (item->node_id != NULL)
		{
			appendStringInfoString(&d, ", \"nodeId\": ");
			escape_json(&d, item->node_id);
		}
		appendStringInfoChar(&d, '}');
		codes[n] = CStringGetTextDatum(unpack_sql_state(item->sqlerrcode));
		messages[n] = CStringGetTextDatum(item->error);
		details[n] = DirectFunctionCall1(jsonb_in, CStringGetDatum(d.data));
		n++;
	}
	if (n > 0)
	{
		Oid			types[4] = {UUIDOID, TEXTARRAYOID, TEXTARRAYOID, JSONBARRAYOID};
		Datum		args[4] = {
			b->tenant,
			PointerGetDatum(construct_array(codes, n, TEXTOID, -1, false, TYPALIGN_INT)),
			PointerGetDatum(construct_array(messages, n, TEXTOID, -1, false, TYPALIGN_INT)),
			PointerGetDatum(construct_array(details, n, JSONBOID, -1, false, TYPALIGN_INT))
		};
		ingest_spi(b, PLAN_AUDIT, "INSERT INTO iot.audit_log (tenant_id, component, code, message, details) "
				   "SELECT $1, 'ingest', u.code, u.message, u.details "
				   "FROM unnest($2, $3, $4) AS u(code, message, details)",
				   4, types, args, SPI_OK_INSERT);
	}
}

static Datum
require_tenant(IngestBatch *b)
{
	bool		isnull;

	ingest_spi(b, PLAN_REQUIRE_TENANT, "SELECT iot.require_tenant()", 0, NULL, NULL, SPI_OK_SELECT);
	return datumCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull),
					 false, UUID_LEN);
}

/*
 * Run the whole pipeline.  raise_errors: the first rejected item raises
 * its error (iot.ingest); otherwise rejects are audited (iot.ingest_batch).
 * Connectors that build their items in C (EnOcean) call it directly.
 */
void
ingest_run_batch(IngestBatch *b, bool raise_errors)
{
	Oid			argtype = TIMESTAMPTZOID;
	Datum		created;

	pgiot_heap_retain();
	for (int i = 0; i < b->n; i++)
		check_target(&b->items[i]);

	b->cxt = CurrentMemoryContext;	/* results must outlive SPI */
	ingest_cache_begin();		/* before any snapshot is taken */
	SPI_connect();
	MemoryContextSwitchTo(b->cxt);
	b->tenant = require_tenant(b);
	b->created = pgiot_clock_now();
	created = TimestampTzGetDatum(b->created);
	ingest_spi(b, PLAN_PARTITION_ENSURE, "SELECT iot.message_partition_ensure($1)", 1, &argtype, &created, SPI_OK_SELECT);
	ingest_lookup_init(b);

	ingest_lookup_fetch(b);
	attach(b);
	if (anything_to_provision(b))
	{
		bool		auto_provisioning = ingest_tenant_auto_provisioning(b);

		if (auto_provisioning)
		{
			ingest_provision(b);
			ingest_lookup_fetch(b);
			attach(b);
		}
		reject_unprovisioned(b, auto_provisioning);
	}

	if (raise_errors)
		for (int i = 0; i < b->n; i++)
			if (b->items[i].sqlerrcode != 0)
				ereport(ERROR,
						(errcode(b->items[i].sqlerrcode),
						 errmsg("%s", b->items[i].error)));

	ingest_decode(b);
	insert_messages(b);
	ingest_touch_devices(b);
	if (!raise_errors)
		report_rejects(b);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(pgiot_ingest);
Datum
pgiot_ingest(PG_FUNCTION_ARGS)
{
	IngestBatch b;
	IngestItem *item;
	JsonbValue	message;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("message must not be null")));
	memset(&b, 0, sizeof(b));
	b.n = 1;
	b.items = item = palloc0(sizeof(IngestItem));
	item->ord = 1;
	if (!PG_ARGISNULL(1))
	{
		item->device_id = text_to_cstring(PG_GETARG_TEXT_PP(1));
		{
			char	   *problem = pgiot_device_id_problem(item->device_id, strlen(item->device_id));

			if (problem != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid device id \"%s\": %s", item->device_id, problem)));
		}
	}
	if (!PG_ARGISNULL(2))
		item->connector = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (!PG_ARGISNULL(3))
		item->node_id = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (!PG_ARGISNULL(4))
		item->raw = PG_GETARG_BYTEA_P_COPY(4);
	if (!PG_ARGISNULL(5))
	{
		item->has_received = true;
		item->received = PG_GETARG_TIMESTAMPTZ(5);
	}
	if (!PG_ARGISNULL(6))
	{
		Jsonb	   *network = PG_GETARG_JSONB_P(6);

		if (!JB_ROOT_IS_OBJECT(network))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("network must be a JSON object")));
		item->network = jb_binary_of(network);
		item->has_network = true;
	}
	message = jb_binary_of(PG_GETARG_JSONB_P(0));
	if (JB_ROOT_IS_SCALAR(PG_GETARG_JSONB_P(0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("message must be a JSON object")));
	ingest_item_parse_message(item, &message);
	ingest_run_batch(&b, true);
	PG_RETURN_INT64(item->id);
}

PG_FUNCTION_INFO_V1(pgiot_ingest_batch);
Datum
pgiot_ingest_batch(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *items;
	IngestBatch b;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	items = PG_GETARG_JSONB_P(0);
	if (!JB_ROOT_IS_ARRAY(items) || JB_ROOT_IS_SCALAR(items))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ingest_batch takes a JSON array of items")));

	memset(&b, 0, sizeof(b));
	b.items = palloc0(sizeof(IngestItem) * Max(JB_ROOT_COUNT(items), 1));
	it = JsonbIteratorInit(&items->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		IngestItem *item;

		if (tok != WJB_ELEM)
			continue;
		item = &b.items[b.n++];
		item->ord = b.n;
		ingest_item_parse(item, &v);
	}
	if (b.n > 0)
		ingest_run_batch(&b, false);

	for (int i = 0; i < b.n; i++)
	{
		IngestItem *item = &b.items[i];
		Datum		values[5];
		bool		nulls[5] = {false, item->sqlerrcode != 0, item->device_id == NULL,
		item->sqlerrcode == 0, item->sqlerrcode == 0};

		values[0] = Int32GetDatum(item->ord);
		values[1] = Int64GetDatum(item->id);
		values[2] = item->device_id ? CStringGetTextDatum(item->device_id) : (Datum) 0;
		values[3] = item->sqlerrcode ? CStringGetTextDatum(unpack_sql_state(item->sqlerrcode)) : (Datum) 0;
		values[4] = item->error ? CStringGetTextDatum(item->error) : (Datum) 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
