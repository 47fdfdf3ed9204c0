/*
 * enocean_ingest.c: iot.enocean_ingest() and iot.enocean_ingest_batch().
 *
 * One call, whatever its size, is a fixed number of set-based statements:
 * the devices of all senders (state rows locked), their pending chains
 * (only when chained parts came), the messages through the foundation's
 * set-based ingest, then the state, gateways, unknown senders, chains,
 * events and duplicate notes, each as one statement over arrays.  All
 * per-telegram work is C in memory (enocean_process.c), in order of
 * reception time.
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "core/clock.h"
#include "core/guc.h"
#include "enocean_json.h"
#include "enocean_pipeline.h"
#include "esp3.h"
#include "ingest/ingest_item.h"
#include "ingest/ingest_lookup.h"
#include "ingest/jsonb_util.h"

typedef struct Input
{
	char	   *gateway;		/* normalised, NULL when missing or invalid */
	char	   *gateway_problem;
	bytea	   *frame;			/* NULL when missing */
	bool		has_received;
	TimestampTz received;
	int			rssi;			/* INT_MIN none */
} Input;

/*
 * A gateway's name: a MAC written aa:bb:cc:dd:ee:ff or aa-bb-... becomes
 * 12 lower-case hex digits (the connector prints MACs so); anything else
 * is lower-cased and may hold letters, digits, '.', '_', ':' and '-'.
 * NULL with *problem when unusable.
 */
static char *
normalise_gateway(const char *in, char **problem)
{
	size_t		len = strlen(in);
	char	   *out = palloc(len + 1);
	bool		mac = len == 17;
	size_t		n = 0;

	for (size_t i = 0; i < len && mac; i++)
		mac = (i % 3 == 2) ? (in[i] == ':' || in[i] == '-') : isxdigit((unsigned char) in[i]);
	for (size_t i = 0; i < len; i++)
	{
		char		c = in[i];

		if (mac && (c == ':' || c == '-'))
			continue;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '.' || c == '_' || c == ':' || c == '-'))
		{
			*problem = psprintf("invalid gateway \"%s\": character at position %zu", in, i + 1);
			return NULL;
		}
		out[n++] = (char) ((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	if (n == 0 || n > 64)
	{
		*problem = psprintf("invalid gateway \"%s\": 1 to 64 characters", in);
		return NULL;
	}
	return out;
}

static int
gateway_index(EnoCall *call, const char *mac, int *cap)
{
	for (int g = 0; g < call->ngateways; g++)
		if (strcmp(call->gateways[g].mac, mac) == 0)
			return g;
	if (call->ngateways == *cap)
	{
		*cap *= 2;
		call->gateways = repalloc(call->gateways, sizeof(EnoGateway) * *cap);
	}
	memset(&call->gateways[call->ngateways], 0, sizeof(EnoGateway));
	call->gateways[call->ngateways].mac = pstrdup(mac);
	call->gateways[call->ngateways].last_seen = DT_NOBEGIN;
	return call->ngateways++;
}

typedef struct ScanCtx
{
	EnoCall    *call;
	const Input *in;
	int			ord;
	int			gateway;
	int			count;
	int			cap;
	const uint8 *buf;
} ScanCtx;

static EnoPacket *
new_packet(ScanCtx *sc)
{
	EnoCall    *call = sc->call;
	EnoPacket  *p;

	if (call->npackets == sc->cap)
	{
		sc->cap *= 2;
		call->packets = repalloc(call->packets, sizeof(EnoPacket) * sc->cap);
	}
	p = &call->packets[call->npackets++];
	memset(p, 0, sizeof(EnoPacket));
	p->ord = sc->ord;
	p->gateway = sc->gateway;
	p->received = sc->in->has_received ? sc->in->received : call->now;
	p->rssi = sc->in->rssi;
	p->outcome = ENO_NOT_PROCESSED;
	return p;
}

/* Each ESP3 frame of an input becomes a packet with its telegram. */
static void
on_frame(void *ctx, size_t offset, size_t length)
{
	ScanCtx    *sc = ctx;
	EnoPacket  *p = new_packet(sc);
	Esp3Packet	esp;
	EnoError	err;

	p->packet = ++sc->count;
	p->frame = palloc(VARHDRSZ + length);
	SET_VARSIZE(p->frame, VARHDRSZ + length);
	memcpy(VARDATA(p->frame), sc->buf + offset, length);
	if (esp3_parse(sc->buf + offset, length, &esp, &err) != ENO_OK)
	{
		p->detail = pstrdup(err.message);
		return;
	}
	if (esp.type != ESP3_RADIO_ERP1 && esp.type != ESP3_RADIO_ERP2)
	{
		p->detail = psprintf("ESP3 packet type 0x%02x (%s) is not a radio telegram", esp.type,
							 esp3_packet_type_name(esp.type));
		return;
	}
	p->t = palloc(sizeof(EnoTelegram));
	if (eno_telegram_from_packet(&esp, p->t, &err) != ENO_OK ||
		eno_adt_decapsulate(p->t, &err) != ENO_OK)
	{
		p->t = NULL;
		p->detail = pstrdup(err.message);
	}
}

static void
read_inputs(EnoCall *call, Input *inputs, int n)
{
	ScanCtx		sc;
	int			gcap = 8;

	memset(&sc, 0, sizeof(sc));
	sc.call = call;
	sc.cap = Max(n, 16);
	call->packets = palloc(sizeof(EnoPacket) * sc.cap);
	call->gateways = palloc(sizeof(EnoGateway) * gcap);
	for (int i = 0; i < n; i++)
	{
		Input	   *in = &inputs[i];
		Esp3ScanInfo info;

		sc.in = in;
		sc.ord = i + 1;
		sc.count = 0;
		sc.gateway = in->gateway ? gateway_index(call, in->gateway, &gcap) : -1;
		if (in->gateway == NULL || in->frame == NULL)
		{
			EnoPacket  *p = new_packet(&sc);

			p->detail = in->gateway_problem ? in->gateway_problem
				: pstrdup(in->gateway == NULL ? "gateway is missing" : "frame is missing");
			continue;
		}
		sc.buf = (const uint8 *) VARDATA_ANY(in->frame);
		esp3_scan(sc.buf, VARSIZE_ANY_EXHDR(in->frame), on_frame, &sc, &info);
		if (sc.count == 0)
		{
			EnoPacket  *p = new_packet(&sc);

			p->detail = psprintf("no valid ESP3 frame in %zu bytes", VARSIZE_ANY_EXHDR(in->frame));
		}
	}
}

/* processing order: reception time, then input order */
static int
compare_received(const void *a, const void *b, void *arg)
{
	EnoCall    *call = arg;
	const EnoPacket *x = &call->packets[*(const int *) a];
	const EnoPacket *y = &call->packets[*(const int *) b];

	if (x->received != y->received)
		return x->received < y->received ? -1 : 1;
	return *(const int *) a - *(const int *) b;
}

static bool
any_chained(EnoCall *call)
{
	for (int i = 0; i < call->npackets; i++)
	{
		EnoTelegram *t = call->packets[i].t;

		if (t && (t->rorg == RORG_CDM || t->rorg == RORG_SEC_CDM || t->rorg == RORG_SEC_TI))
			return true;
	}
	return false;
}

/* The processed telegrams with a document go through the foundation's ingest. */
static void
store_messages(EnoCall *call)
{
	IngestBatch b;
	int		   *which = palloc(sizeof(int) * Max(call->npackets, 1));

	memset(&b, 0, sizeof(b));
	b.items = palloc0(sizeof(IngestItem) * Max(call->npackets, 1));
	for (int i = 0; i < call->npackets; i++)
	{
		EnoPacket  *p = &call->packets[i];
		IngestItem *item;

		if (p->outcome != ENO_PROCESSED || p->doc == NULL)
			continue;
		item = &b.items[b.n];
		which[b.n] = i;
		item->ord = ++b.n;
		/* the foundation's ingest resolves the device (from its cache) */
		item->device_id = p->dev->device_id;
		item->connector = "enocean";
		item->node_id = p->dev->eurid;
		item->raw = p->frame;
		item->has_received = true;
		item->received = p->received;
		item->model = "enocean";
		item->has_value = true;
		item->value = jb_binary_of(p->doc);
		item->has_network = true;
		item->network = jb_binary_of(eno_network(call, p));
	}
	if (b.n == 0)
		return;
	ingest_run_batch(&b, false);
	MemoryContextSwitchTo(call->cxt);
	for (int k = 0; k < b.n; k++)
	{
		EnoPacket  *p = &call->packets[which[k]];
		IngestItem *item = &b.items[k];

		if (item->sqlerrcode != 0)
		{
			/* not stored after all (the platform device refused it) */
			p->outcome = ENO_NOT_PROCESSED;
			p->detail = psprintf("message not stored: %s", item->error);
			p->dev->processed--;
			p->dev->not_processed++;
			continue;
		}
		p->message_id = item->id;
		p->message_created = b.created;
	}
}

/* Message ids into the duplicate window; most recent telemetry/signal. */
static void
finish_devices(EnoCall *call, int *order)
{
	for (int k = 0; k < call->npackets; k++)
	{
		EnoPacket  *p = &call->packets[order[k]];

		if (p->dev == NULL || p->outcome != ENO_PROCESSED || p->message_id == 0)
			continue;
		if (p->is_signal)
			p->dev->last_signal_pkt = order[k];
		else if (p->detail == NULL)	/* data telegrams, not teach-ins */
			p->dev->last_telemetry_pkt = order[k];
	}
	for (int i = 0; i < call->npackets; i++)
	{
		EnoPacket  *p = &call->packets[i];
		ListCell   *lc;

		if (p->dev == NULL)
			continue;
		foreach(lc, p->dev->recent)
		{
			EnoRecent  *r = lfirst(lc);

			if (r->pkt == i)
			{
				r->id = p->message_id;
				r->created = p->message_created;
			}
		}
	}
}

static void
count_gateways(EnoCall *call)
{
	for (int i = 0; i < call->npackets; i++)
	{
		EnoPacket  *p = &call->packets[i];
		EnoGateway *g;

		if (p->gateway < 0)
			continue;
		g = &call->gateways[p->gateway];
		g->total++;
		if (p->outcome == ENO_NOT_PROCESSED)
			g->not_processed++;
		else
			g->processed++;
		if (p->outcome == ENO_DUPLICATE)
			g->duplicates++;
		g->last_seen = Max(g->last_seen, p->received);
	}
}

static const char *
outcome_name(EnoOutcome o)
{
	switch (o)
	{
		case ENO_PROCESSED:
			return "processed";
		case ENO_DUPLICATE:
			return "duplicate";
		case ENO_PENDING:
			return "pending";
		case ENO_NOT_PROCESSED:
			break;
	}
	return "not_processed";
}

static void
run(FunctionCallInfo fcinfo, Input *inputs, int n)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	EnoCall		call;
	int		   *order;
	HASHCTL		ctl;

	memset(&call, 0, sizeof(call));
	call.cxt = CurrentMemoryContext;
	call.now = pgiot_clock_now();
	call.window_us = (int64) pgiot_enocean_duplicate_window * 1000;
	call.chain_timeout_us = (int64) pgiot_enocean_chain_timeout * 1000;
	call.rlc_window = pgiot_enocean_rlc_window;
	for (int i = 0; i < n; i++)
		if (!inputs[i].has_received)
		{
			inputs[i].has_received = true;
			inputs[i].received = call.now;
		}
	read_inputs(&call, inputs, n);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 9;
	ctl.entrysize = sizeof(EnoUnknown);
	ctl.hcxt = call.cxt;
	call.unknown = hash_create("pgiot enocean unknown senders", 16, &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	SPI_connect();
	MemoryContextSwitchTo(call.cxt);
	eno_spi(&call, "SELECT iot.require_tenant()", 0, NULL, NULL, SPI_OK_SELECT);
	{
		bool		isnull;
		pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

		memcpy(u, DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
			   sizeof(pg_uuid_t));
		call.tenant = PointerGetDatum(u);
	}
	eno_load_devices(&call);	/* creates call.devices, possibly empty */
	if (any_chained(&call))
		eno_load_chains(&call);

	order = palloc(sizeof(int) * Max(call.npackets, 1));
	for (int i = 0; i < call.npackets; i++)
		order[i] = i;
	qsort_arg(order, call.npackets, sizeof(int), compare_received, &call);
	for (int k = 0; k < call.npackets; k++)
		eno_process_packet(&call, order[k]);

	store_messages(&call);
	finish_devices(&call, order);
	count_gateways(&call);
	eno_store_results(&call);
	SPI_finish();
	MemoryContextSwitchTo(call.cxt);

	for (int i = 0; i < call.npackets; i++)
	{
		EnoPacket  *p = &call.packets[i];
		Datum		values[8];
		bool		nulls[8];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(p->ord);
		values[1] = Int32GetDatum(p->packet);
		if (p->gateway >= 0)
			values[2] = CStringGetTextDatum(call.gateways[p->gateway].mac);
		else
			nulls[2] = true;
		if (p->t != NULL)
			values[3] = CStringGetTextDatum(psprintf("%08x", p->t->sender));
		else
			nulls[3] = true;
		if (p->dev != NULL)
			values[4] = CStringGetTextDatum(p->dev->device_id);
		else
			nulls[4] = true;
		values[5] = CStringGetTextDatum(outcome_name(p->outcome));
		if (p->message_id != 0)
			values[6] = Int64GetDatum(p->message_id);
		else
			nulls[6] = true;
		if (p->detail != NULL)
			values[7] = CStringGetTextDatum(p->detail);
		else
			nulls[7] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(pgiot_enocean_ingest);
Datum
pgiot_enocean_ingest(PG_FUNCTION_ARGS)
{
	Input		in;

	InitMaterializedSRF(fcinfo, 0);
	memset(&in, 0, sizeof(in));
	in.rssi = INT_MIN;
	if (!PG_ARGISNULL(0))
		in.gateway = normalise_gateway(text_to_cstring(PG_GETARG_TEXT_PP(0)), &in.gateway_problem);
	if (!PG_ARGISNULL(1))
		in.frame = PG_GETARG_BYTEA_PP(1);
	if (!PG_ARGISNULL(2))
	{
		in.has_received = true;
		in.received = PG_GETARG_TIMESTAMPTZ(2);
	}
	if (!PG_ARGISNULL(3))
		in.rssi = PG_GETARG_INT32(3);
	run(fcinfo, &in, 1);
	return (Datum) 0;
}

static void
deconstruct(ArrayType *a, Oid type, Datum **values, bool **nulls, int *n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("enocean_ingest_batch takes one-dimensional arrays")));
	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	deconstruct_array(a, type, typlen, typbyval, typalign, values, nulls, n);
}

PG_FUNCTION_INFO_V1(pgiot_enocean_ingest_batch);
Datum
pgiot_enocean_ingest_batch(PG_FUNCTION_ARGS)
{
	Datum	   *gw,
			   *fr,
			   *at = NULL,
			   *rs = NULL;
	bool	   *gwn,
			   *frn,
			   *atn = NULL,
			   *rsn = NULL;
	int			n,
				nf,
				nat = 0,
				nrs = 0;
	Input	   *inputs;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	deconstruct(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, &gw, &gwn, &n);
	deconstruct(PG_GETARG_ARRAYTYPE_P(1), BYTEAOID, &fr, &frn, &nf);
	if (!PG_ARGISNULL(2))
		deconstruct(PG_GETARG_ARRAYTYPE_P(2), TIMESTAMPTZOID, &at, &atn, &nat);
	if (!PG_ARGISNULL(3))
		deconstruct(PG_GETARG_ARRAYTYPE_P(3), INT4OID, &rs, &rsn, &nrs);
	if (nf != n || (at != NULL && nat != n) || (rs != NULL && nrs != n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("enocean_ingest_batch: the arrays must have the same length"),
				 errdetail("gateways %d, frames %d, received_at %d, rssi %d.", n, nf,
						   at ? nat : n, rs ? nrs : n)));
	if (n == 0)
		return (Datum) 0;
	inputs = palloc0(sizeof(Input) * n);
	for (int i = 0; i < n; i++)
	{
		Input	   *in = &inputs[i];

		in->rssi = INT_MIN;
		if (!gwn[i])
			in->gateway = normalise_gateway(TextDatumGetCString(gw[i]), &in->gateway_problem);
		if (!frn[i])
			in->frame = DatumGetByteaPP(fr[i]);
		if (at != NULL && !atn[i])
		{
			in->has_received = true;
			in->received = DatumGetTimestampTz(at[i]);
		}
		if (rs != NULL && !rsn[i])
			in->rssi = DatumGetInt32(rs[i]);
	}
	run(fcinfo, inputs, n);
	return (Datum) 0;
}
