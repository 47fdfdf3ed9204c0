/*
 * enocean_store.c: the statements of one iot.enocean_ingest call, each
 * over arrays built from the whole call:
 *
 *   load    the devices of the senders with their state, state rows
 *           locked in EURID order (concurrent calls for the same devices
 *           serialise, so duplicate detection and rolling codes hold);
 *           the pending chains of those devices
 *   store   device state, security taught in, gateways (upsert with
 *           counts), unknown senders (upsert, an event for new ones),
 *           chains, events (iot.event_emit), duplicate notes
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "enocean_json.h"
#include "enocean_pipeline.h"
#include "ingest/jsonb_util.h"

void
eno_spi(EnoCall *call, const char *sql, int nargs, Oid *types, Datum *args, int expect)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, args, NULL, false, 0);

	MemoryContextSwitchTo(call->cxt);
	if (rc != expect)
		elog(ERROR, "pgiot enocean: \"%s\" failed: %s", sql, SPI_result_code_string(rc));
}

/* Arrays of one column, built element by element. */
typedef struct Column
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *values;
	bool	   *nulls;
	int			n;
	int			cap;
} Column;

/* the devices of a call by EURID */
typedef struct DevEntry
{
	char		eurid[9];
	EnoDevice  *dev;
} DevEntry;

static void
col_init(Column *c, Oid type, int capacity)
{
	c->type = type;
	get_typlenbyvalalign(type, &c->typlen, &c->typbyval, &c->typalign);
	c->cap = Max(capacity, 1);
	c->values = palloc(sizeof(Datum) * c->cap);
	c->nulls = palloc(sizeof(bool) * c->cap);
	c->n = 0;
}

static void
col_add(Column *c, Datum v, bool isnull)
{
	if (c->n == c->cap)
	{
		c->cap *= 2;
		c->values = repalloc(c->values, sizeof(Datum) * c->cap);
		c->nulls = repalloc(c->nulls, sizeof(bool) * c->cap);
	}
	c->values[c->n] = v;
	c->nulls[c->n] = isnull;
	c->n++;
}

static Datum
col_array(Column *c)
{
	int			dims[1] = {c->n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(c->values, c->nulls, 1, dims, lbs, c->type,
											  c->typlen, c->typbyval, c->typalign));
}

static Oid
array_of(Oid type)
{
	return get_array_type(type);
}

EnoDevice *
eno_device(EnoCall *call, uint32 sender)
{
	char		key[9];
	DevEntry   *entry;

	snprintf(key, sizeof(key), "%08x", sender);
	entry = hash_search(call->devices, key, HASH_FIND, NULL);
	return entry ? entry->dev : NULL;
}

static char *
get_text(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(tup, desc, col, isnull);

	return *isnull ? NULL : TextDatumGetCString(d);
}

static int64
get_int64(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(tup, desc, col, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

static uint32
hex32(const char *s)
{
	return (uint32) strtoul(s, NULL, 16);
}

/* recent: [{"f": "<hex>", "t": µs, "i": id, "c": µs}] */
static List *
parse_recent(Jsonb *j)
{
	List	   *out = NIL;
	JsonbIterator *it = JsonbIteratorInit(&j->root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	EnoRecent  *r = NULL;
	char		key = 0;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT)
		{
			r = palloc0(sizeof(EnoRecent));
			r->pkt = -1;
		}
		else if (tok == WJB_END_OBJECT && r != NULL)
		{
			out = lappend(out, r);
			r = NULL;
		}
		else if (tok == WJB_KEY && v.val.string.len == 1)
			key = v.val.string.val[0];
		else if (tok == WJB_VALUE && r != NULL)
		{
			if (key == 'f' && v.type == jbvString)
			{
				char	   *s = pnstrdup(v.val.string.val, v.val.string.len);

				r->fp = strtoull(s, NULL, 16);
			}
			else if (v.type == jbvNumeric)
			{
				int64		n = DatumGetInt64(DirectFunctionCall1(numeric_int8,
																  NumericGetDatum(v.val.numeric)));

				if (key == 't')
					r->at = n;
				else if (key == 'i')
					r->id = n;
				else if (key == 'c')
					r->created = n;
			}
		}
	}
	return out;
}

static Jsonb *
recent_jsonb(EnoCall *call, EnoDevice *dev)
{
	JsonbParseState *st = NULL;
	ListCell   *lc;
	TimestampTz newest = DT_NOBEGIN;

	foreach(lc, dev->recent)
		newest = Max(newest, ((EnoRecent *) lfirst(lc))->at);
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, dev->recent)
	{
		EnoRecent  *r = lfirst(lc);

		/* the window only needs what is younger than the window */
		if (newest - r->at > call->window_us)
			continue;
		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		jb_key(&st, "f");
		eno_push_str(&st, psprintf("%016llx", (unsigned long long) r->fp));
		jb_key(&st, "t");
		eno_push_int(&st, r->at);
		jb_key(&st, "i");
		eno_push_int(&st, r->id);
		jb_key(&st, "c");
		eno_push_int(&st, r->created);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_ARRAY, NULL));
}

/*
 * The platform device and interface as the foundation's ingest describes
 * them (DeviceInfo, InterfaceInfo), so that its set-based store needs no
 * lookup of its own; columns 22..33 of the load query.
 */
static void
platform_device(EnoDevice *dev, HeapTuple tup, TupleDesc desc)
{
	DeviceInfo *info;
	bool		isnull;
	Datum		d;

	SPI_getbinval(tup, desc, 22, &isnull);
	if (isnull)
		return;					/* no platform device: ingest will say so */
	info = palloc0(sizeof(DeviceInfo));
	info->id = dev->device_id;
	info->default_stream_id = get_text(tup, desc, 22, &isnull);
	info->tags = datumCopy(SPI_getbinval(tup, desc, 23, &isnull), false, -1);
	info->properties = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 24, &isnull));
	info->group_id = get_text(tup, desc, 25, &isnull);
	info->group_path = get_text(tup, desc, 26, &isnull);
	d = SPI_getbinval(tup, desc, 27, &isnull);
	if (!isnull)
	{
		info->static_location.present = true;
		info->static_location.lat = DatumGetFloat8(d);
		info->static_location.lon = DatumGetFloat8(SPI_getbinval(tup, desc, 28, &isnull));
		d = SPI_getbinval(tup, desc, 29, &isnull);
		if ((info->static_location.has_alt = !isnull))
			info->static_location.alt = DatumGetFloat8(d);
		d = SPI_getbinval(tup, desc, 30, &isnull);
		if ((info->static_location.has_accuracy = !isnull))
			info->static_location.accuracy = DatumGetFloat8(d);
		info->static_location.provider = "static";
	}
	dev->platform = info;
	d = SPI_getbinval(tup, desc, 31, &isnull);
	if (!isnull)
	{
		InterfaceInfo *iface = palloc0(sizeof(InterfaceInfo));

		iface->connector = "enocean";
		iface->node_id = dev->eurid;
		iface->device_id = dev->device_id;
		iface->enabled = DatumGetBool(d);
		iface->encoding = get_text(tup, desc, 32, &isnull);
		dev->iface = iface;
	}
}

void
eno_load_devices(EnoCall *call)
{
	Column		eurids;
	HASHCTL		ctl;
	Oid			types[2] = {UUIDOID, TEXTARRAYOID};
	Datum		args[2];

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 9;
	ctl.entrysize = sizeof(DevEntry);
	ctl.hcxt = call->cxt;
	call->devices = hash_create("pgiot enocean devices", Max(call->npackets, 16), &ctl,
								HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	col_init(&eurids, TEXTOID, call->npackets);
	{
		HTAB	   *seen;
		HASHCTL		sctl;

		memset(&sctl, 0, sizeof(sctl));
		sctl.keysize = 9;
		sctl.entrysize = 9;
		sctl.hcxt = call->cxt;
		seen = hash_create("pgiot enocean senders", Max(call->npackets, 16), &sctl,
						   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
		for (int i = 0; i < call->npackets; i++)
		{
			char		key[9];
			bool		found;

			if (call->packets[i].t == NULL)
				continue;
			snprintf(key, sizeof(key), "%08x", call->packets[i].t->sender);
			hash_search(seen, key, HASH_ENTER, &found);
			if (!found)
				col_add(&eurids, CStringGetTextDatum(key), false);
		}
	}
	if (eurids.n == 0)
		return;
	args[0] = call->tenant;
	args[1] = col_array(&eurids);
	/*
	 * One index lookup per sender whatever the statistics say (OFFSET 0
	 * keeps each LATERAL a parametrised scan: freshly onboarded fleets
	 * have no statistics yet, and a join planned for one row would be
	 * quadratic); the state rows are locked in EURID order.
	 */
	eno_spi(call,
			"SELECT d.eurid, d.device_id, d.eep, d.friendly_id, d.location, d.custom_tag, d.destination, "
			"       d.security_key, d.slf, d.psk, d.secure_teach_in, d.is_ptm, "
			"       d.active AND coalesce(i.enabled, true), "
			"       s.total, s.processed, s.not_processed, s.duplicates, s.first_seen, s.last_seen, "
			"       s.rlc_next, s.recent, "
			"       p.default_stream, p.tags, p.properties, p.group_id, p.path, p.lat, p.lon, "
			"       p.static_alt, p.static_accuracy, i.enabled, i.encoding "
			"  FROM (SELECT DISTINCT e FROM unnest($2::text[]) AS e ORDER BY e) AS u "
			"  CROSS JOIN LATERAL (SELECT * FROM iot.enocean_device_state s "
			"                       WHERE s.tenant_id = $1 AND s.eurid = u.e OFFSET 0 FOR UPDATE) AS s "
			"  CROSS JOIN LATERAL (SELECT * FROM iot.enocean_device d "
			"                       WHERE d.tenant_id = $1 AND d.eurid = u.e OFFSET 0) AS d "
			"  LEFT JOIN LATERAL (SELECT i.enabled, i.definition ->> 'encoding' AS encoding "
			"                       FROM iot.device_interface i "
			"                      WHERE i.tenant_id = $1 AND i.connector = 'enocean' AND i.node_id = u.e "
			"                     OFFSET 0) AS i ON true "
			/* the platform device, as the foundation's ingest would look it up */
			"  LEFT JOIN LATERAL (SELECT coalesce(x.default_stream_id, x.id) AS default_stream, x.tags, "
			"                            x.properties, x.group_id, g.path, "
			"                            ST_Y(x.static_location::geometry) AS lat, "
			"                            ST_X(x.static_location::geometry) AS lon, x.static_alt, x.static_accuracy "
			"                       FROM iot.device x "
			"                       JOIN iot.device_group g ON g.tenant_id = x.tenant_id AND g.id = x.group_id "
			"                      WHERE x.tenant_id = $1 AND x.id = d.device_id OFFSET 0) AS p ON true",
			2, types, args, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		EnoDevice  *dev = palloc0(sizeof(EnoDevice));
		DevEntry   *entry;
		bool		isnull;
		char	   *s;
		Datum		d;

		s = get_text(tup, desc, 1, &isnull);
		strlcpy(dev->eurid, s, sizeof(dev->eurid));
		dev->sender = hex32(s);
		dev->device_id = get_text(tup, desc, 2, &isnull);
		dev->eep = get_text(tup, desc, 3, &isnull);
		dev->profile = eep_find(dev->eep);
		dev->friendly_id = get_text(tup, desc, 4, &isnull);
		dev->location = get_text(tup, desc, 5, &isnull);
		dev->custom_tag = get_text(tup, desc, 6, &isnull);
		dev->destination = hex32(get_text(tup, desc, 7, &isnull));
		d = SPI_getbinval(tup, desc, 8, &isnull);
		if (!isnull)
		{
			bytea	   *k = DatumGetByteaPP(d);

			memcpy(dev->key, VARDATA_ANY(k), ENO_KEY_LEN);
			dev->has_key = true;
		}
		d = SPI_getbinval(tup, desc, 9, &isnull);
		dev->slf = isnull ? 0 : DatumGetInt16(d);
		d = SPI_getbinval(tup, desc, 10, &isnull);
		if (!isnull)
		{
			bytea	   *k = DatumGetByteaPP(d);

			memcpy(dev->psk, VARDATA_ANY(k), ENO_KEY_LEN);
			dev->has_psk = true;
		}
		dev->secure_teach_in = DatumGetBool(SPI_getbinval(tup, desc, 11, &isnull));
		dev->is_ptm = DatumGetBool(SPI_getbinval(tup, desc, 12, &isnull));
		dev->active = DatumGetBool(SPI_getbinval(tup, desc, 13, &isnull));
		dev->total = get_int64(tup, desc, 14, &isnull);
		dev->processed = get_int64(tup, desc, 15, &isnull);
		dev->not_processed = get_int64(tup, desc, 16, &isnull);
		dev->duplicates = get_int64(tup, desc, 17, &isnull);
		d = SPI_getbinval(tup, desc, 18, &isnull);
		dev->has_first_seen = !isnull;
		dev->first_seen = isnull ? 0 : DatumGetTimestampTz(d);
		d = SPI_getbinval(tup, desc, 19, &isnull);
		dev->has_last_seen = !isnull;
		dev->last_seen = isnull ? 0 : DatumGetTimestampTz(d);
		dev->rlc_next = (uint64) get_int64(tup, desc, 20, &isnull);
		dev->has_rlc = !isnull;
		dev->recent = parse_recent(DatumGetJsonbP(SPI_getbinval(tup, desc, 21, &isnull)));
		platform_device(dev, tup, desc);
		dev->last_telemetry_pkt = dev->last_signal_pkt = -1;
		entry = hash_search(call->devices, dev->eurid, HASH_ENTER, NULL);
		entry->dev = dev;
	}
}

void
eno_load_chains(EnoCall *call)
{
	Column		eurids;
	Oid			types[2] = {UUIDOID, TEXTARRAYOID};
	Datum		args[2];
	HASH_SEQ_STATUS seq;
	DevEntry   *entry;

	col_init(&eurids, TEXTOID, hash_get_num_entries(call->devices));
	hash_seq_init(&seq, call->devices);
	while ((entry = hash_seq_search(&seq)) != NULL)
		col_add(&eurids, CStringGetTextDatum(entry->eurid), false);
	if (eurids.n == 0)
		return;
	args[0] = call->tenant;
	args[1] = col_array(&eurids);
	eno_spi(call,
			"SELECT eurid, kind, seq, state, first_at, last_at FROM iot.enocean_chain "
			" WHERE tenant_id = $1 AND eurid = ANY ($2)",
			2, types, args, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		EnoDevice  *dev = eno_device(call, hex32(get_text(tup, desc, 1, &isnull)));
		EnoChainSlot *slot = palloc0(sizeof(EnoChainSlot));
		bytea	   *state;

		if (dev == NULL)
			continue;
		slot->kind = (uint8) DatumGetInt16(SPI_getbinval(tup, desc, 2, &isnull));
		slot->seq = (uint8) DatumGetInt16(SPI_getbinval(tup, desc, 3, &isnull));
		state = DatumGetByteaPP(SPI_getbinval(tup, desc, 4, &isnull));
		slot->first_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 5, &isnull));
		slot->last_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 6, &isnull));
		slot->in_db = true;
		if (!eno_chain_deserialize((const uint8 *) VARDATA_ANY(state), VARSIZE_ANY_EXHDR(state),
								   &slot->chain))
			slot->done = true;	/* unreadable: dropped */
		dev->chains = lappend(dev->chains, slot);
	}
}

static void
store_state(EnoCall *call)
{
	int			n = hash_get_num_entries(call->devices);
	Column		c[14];
	static const Oid coltypes[14] = {
		TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID,
		JSONBOID, INT8OID, TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID, BOOLOID
	};
	Oid			types[15];
	Datum		args[15];
	HASH_SEQ_STATUS seq;
	DevEntry   *entry;
	Column		sk,
				ss,
				se;

	for (int i = 0; i < 14; i++)
		col_init(&c[i], coltypes[i], n);
	col_init(&se, TEXTOID, n);
	col_init(&sk, BYTEAOID, n);
	col_init(&ss, INT2OID, n);
	hash_seq_init(&seq, call->devices);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		EnoDevice  *dev = entry->dev;
		EnoPacket  *tel = dev->last_telemetry_pkt >= 0 ? &call->packets[dev->last_telemetry_pkt] : NULL;
		EnoPacket  *sig = dev->last_signal_pkt >= 0 ? &call->packets[dev->last_signal_pkt] : NULL;

		if (!dev->dirty && !dev->security_changed)
			continue;
		col_add(&c[0], CStringGetTextDatum(dev->eurid), false);
		col_add(&c[1], Int64GetDatum(dev->total), false);
		col_add(&c[2], Int64GetDatum(dev->processed), false);
		col_add(&c[3], Int64GetDatum(dev->not_processed), false);
		col_add(&c[4], Int64GetDatum(dev->duplicates), false);
		col_add(&c[5], TimestampTzGetDatum(dev->first_seen), !dev->has_first_seen);
		col_add(&c[6], TimestampTzGetDatum(dev->last_seen), !dev->has_last_seen);
		col_add(&c[7], Int64GetDatum((int64) dev->rlc_next), !dev->has_rlc);
		col_add(&c[8], JsonbPGetDatum(recent_jsonb(call, dev)), false);
		col_add(&c[9], Int64GetDatum(tel ? tel->message_id : 0), tel == NULL);
		col_add(&c[10], TimestampTzGetDatum(tel ? tel->message_created : 0), tel == NULL);
		col_add(&c[11], Int64GetDatum(sig ? sig->message_id : 0), sig == NULL);
		col_add(&c[12], TimestampTzGetDatum(sig ? sig->message_created : 0), sig == NULL);
		col_add(&c[13], BoolGetDatum(dev->security_changed), false);
		if (dev->security_changed)
		{
			bytea	   *k = palloc(VARHDRSZ + ENO_KEY_LEN);

			SET_VARSIZE(k, VARHDRSZ + ENO_KEY_LEN);
			memcpy(VARDATA(k), dev->key, ENO_KEY_LEN);
			col_add(&se, CStringGetTextDatum(dev->eurid), false);
			col_add(&sk, PointerGetDatum(k), false);
			col_add(&ss, Int16GetDatum((int16) dev->slf), false);
		}
	}
	if (c[0].n == 0)
		return;
	types[0] = UUIDOID;
	args[0] = call->tenant;
	for (int i = 0; i < 14; i++)
	{
		types[i + 1] = array_of(coltypes[i]);
		args[i + 1] = col_array(&c[i]);
	}
	eno_spi(call,
			"UPDATE iot.enocean_device_state s SET total = u.total, processed = u.processed, "
			"       not_processed = u.not_processed, duplicates = u.duplicates, first_seen = u.first_seen, "
			"       last_seen = u.last_seen, rlc_next = u.rlc_next, recent = u.recent, "
			"       last_telemetry_id = coalesce(u.tel_id, s.last_telemetry_id), "
			"       last_telemetry_created = coalesce(u.tel_created, s.last_telemetry_created), "
			"       last_signal_id = coalesce(u.sig_id, s.last_signal_id), "
			"       last_signal_created = coalesce(u.sig_created, s.last_signal_created) "
			"  FROM unnest($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
			"       AS u(eurid, total, processed, not_processed, duplicates, first_seen, last_seen, rlc_next, "
			"            recent, tel_id, tel_created, sig_id, sig_created, security_changed) "
			" WHERE s.tenant_id = $1 AND s.eurid = u.eurid",
			15, types, args, SPI_OK_UPDATE);
	if (se.n > 0)
	{
		Oid			stypes[4] = {UUIDOID, TEXTARRAYOID, BYTEAARRAYOID, INT2ARRAYOID};
		Datum		sargs[4] = {call->tenant, col_array(&se), col_array(&sk), col_array(&ss)};

		eno_spi(call,
				"UPDATE iot.enocean_device d SET security_key = u.k, slf = u.slf, updated = iot.now() "
				"  FROM unnest($2, $3, $4) AS u(eurid, k, slf) "
				" WHERE d.tenant_id = $1 AND d.eurid = u.eurid",
				4, stypes, sargs, SPI_OK_UPDATE);
	}
}

static void
store_gateways(EnoCall *call)
{
	Column		c[6];
	static const Oid coltypes[6] = {TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID};
	Oid			types[7];
	Datum		args[7];

	if (call->ngateways == 0)
		return;
	for (int i = 0; i < 6; i++)
		col_init(&c[i], coltypes[i], call->ngateways);
	for (int g = 0; g < call->ngateways; g++)
	{
		EnoGateway *gw = &call->gateways[g];

		col_add(&c[0], CStringGetTextDatum(gw->mac), false);
		col_add(&c[1], Int64GetDatum(gw->total), false);
		col_add(&c[2], Int64GetDatum(gw->processed), false);
		col_add(&c[3], Int64GetDatum(gw->not_processed), false);
		col_add(&c[4], Int64GetDatum(gw->duplicates), false);
		col_add(&c[5], TimestampTzGetDatum(gw->last_seen), false);
	}
	types[0] = UUIDOID;
	args[0] = call->tenant;
	for (int i = 0; i < 6; i++)
	{
		types[i + 1] = array_of(coltypes[i]);
		args[i + 1] = col_array(&c[i]);
	}
	eno_spi(call,
			"INSERT INTO iot.enocean_gateway AS g "
			"       (tenant_id, mac, total, processed, not_processed, duplicates, last_seen) "
			"SELECT $1, u.mac, u.total, u.processed, u.not_processed, u.duplicates, u.last_seen "
			"  FROM unnest($2, $3, $4, $5, $6, $7) "
			"       AS u(mac, total, processed, not_processed, duplicates, last_seen) "
			" ORDER BY u.mac "
			"ON CONFLICT (tenant_id, mac) DO UPDATE SET total = g.total + excluded.total, "
			"       processed = g.processed + excluded.processed, "
			"       not_processed = g.not_processed + excluded.not_processed, "
			"       duplicates = g.duplicates + excluded.duplicates, "
			"       last_seen = greatest(g.last_seen, excluded.last_seen)",
			7, types, args, SPI_OK_INSERT);
}

static void
store_unknown(EnoCall *call)
{
	int			n = hash_get_num_entries(call->unknown);
	Column		c[6];
	static const Oid coltypes[6] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, TEXTOID, TEXTOID};
	Oid			types[7];
	Datum		args[7];
	HASH_SEQ_STATUS seq;
	EnoUnknown *u;

	if (n == 0)
		return;
	for (int i = 0; i < 6; i++)
		col_init(&c[i], coltypes[i], n);
	hash_seq_init(&seq, call->unknown);
	while ((u = hash_seq_search(&seq)) != NULL)
	{
		col_add(&c[0], CStringGetTextDatum(u->eurid), false);
		col_add(&c[1], TimestampTzGetDatum(u->first), false);
		col_add(&c[2], TimestampTzGetDatum(u->last), false);
		col_add(&c[3], Int64GetDatum(u->count), false);
		col_add(&c[4], u->gateway ? CStringGetTextDatum(u->gateway) : (Datum) 0, u->gateway == NULL);
		col_add(&c[5], CStringGetTextDatum(u->data), false);
	}
	types[0] = UUIDOID;
	args[0] = call->tenant;
	for (int i = 0; i < 6; i++)
	{
		types[i + 1] = array_of(coltypes[i]);
		args[i + 1] = col_array(&c[i]);
	}
	/* a sender seen for the first time is reported once */
	eno_spi(call,
			"WITH up AS ("
			" INSERT INTO iot.enocean_unknown_sender AS x "
			"        (tenant_id, eurid, first_seen, last_seen, telegrams, last_gateway, last_data) "
			" SELECT $1, u.eurid, u.first_seen, u.last_seen, u.telegrams, u.gateway, u.data "
			"   FROM unnest($2, $3, $4, $5, $6, $7) AS u(eurid, first_seen, last_seen, telegrams, gateway, data) "
			"  ORDER BY u.eurid "
			" ON CONFLICT (tenant_id, eurid) DO UPDATE SET "
			"        first_seen = least(x.first_seen, excluded.first_seen), "
			"        last_seen = greatest(x.last_seen, excluded.last_seen), "
			"        telegrams = x.telegrams + excluded.telegrams, "
			"        last_gateway = CASE WHEN excluded.last_seen >= x.last_seen THEN excluded.last_gateway ELSE x.last_gateway END, "
			"        last_data = CASE WHEN excluded.last_seen >= x.last_seen THEN excluded.last_data ELSE x.last_data END "
			" RETURNING x.eurid, x.last_gateway, x.last_data, (x.xmax = 0) AS inserted) "
			"SELECT iot.event_emit('enocean.UNKNOWN_DEVICE', 'enocean', "
			"       jsonb_build_object('sensor', jsonb_build_object('id', up.eurid), "
			"         'meta', jsonb_build_object('events', jsonb_build_object('security', '[]'::jsonb, "
			"           'health', jsonb_build_array(jsonb_build_object('code', 'UNKNOWN_DEVICE', "
			"             'message', format('Telegram of device with id=%s, which is not onboarded.', up.eurid))), "
			"           'transcoding', '[]'::jsonb), "
			"           'stats', jsonb_build_object('timestamp', iot._enocean_epoch(iot.now()))), "
			"         'gateway', up.last_gateway, 'data', up.last_data)) "
			"  FROM up WHERE up.inserted ORDER BY up.eurid",
			7, types, args, SPI_OK_SELECT);
}

static void
store_chains(EnoCall *call)
{
	HASH_SEQ_STATUS seq;
	DevEntry   *entry;
	Column		del[3];
	Column		put[6];
	static const Oid deltypes[3] = {TEXTOID, INT2OID, INT2OID};
	static const Oid puttypes[6] = {TEXTOID, INT2OID, INT2OID, BYTEAOID, INT4OID, TIMESTAMPTZOID};
	Column		first_at;

	for (int i = 0; i < 3; i++)
		col_init(&del[i], deltypes[i], 16);
	for (int i = 0; i < 6; i++)
		col_init(&put[i], puttypes[i], 16);
	col_init(&first_at, TIMESTAMPTZOID, 16);
	hash_seq_init(&seq, call->devices);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		ListCell   *lc;

		foreach(lc, entry->dev->chains)
		{
			EnoChainSlot *slot = lfirst(lc);

			if (slot->done && slot->in_db)
			{
				col_add(&del[0], CStringGetTextDatum(entry->eurid), false);
				col_add(&del[1], Int16GetDatum(slot->kind), false);
				col_add(&del[2], Int16GetDatum(slot->seq), false);
			}
			else if (!slot->done && slot->changed)
			{
				uint8	   *buf = palloc(8 + ENO_CHAIN_MAX_PARTS * (ENO_CHAIN_PART_MAX + 2));
				size_t		len = eno_chain_serialize(&slot->chain, buf,
													  8 + ENO_CHAIN_MAX_PARTS * (ENO_CHAIN_PART_MAX + 2));
				bytea	   *b = palloc(VARHDRSZ + len);

				SET_VARSIZE(b, VARHDRSZ + len);
				memcpy(VARDATA(b), buf, len);
				col_add(&put[0], CStringGetTextDatum(entry->eurid), false);
				col_add(&put[1], Int16GetDatum(slot->kind), false);
				col_add(&put[2], Int16GetDatum(slot->seq), false);
				col_add(&put[3], PointerGetDatum(b), false);
				col_add(&put[4], Int32GetDatum(eno_chain_parts(&slot->chain)), false);
				col_add(&put[5], TimestampTzGetDatum(slot->last_at), false);
				col_add(&first_at, TimestampTzGetDatum(slot->first_at), false);
			}
		}
	}
	if (del[0].n > 0)
	{
		Oid			types[4] = {UUIDOID, TEXTARRAYOID, INT2ARRAYOID, INT2ARRAYOID};
		Datum		args[4] = {call->tenant, col_array(&del[0]), col_array(&del[1]), col_array(&del[2])};

		eno_spi(call,
				"DELETE FROM iot.enocean_chain c USING unnest($2, $3, $4) AS u(eurid, kind, seq) "
				" WHERE c.tenant_id = $1 AND c.eurid = u.eurid AND c.kind = u.kind AND c.seq = u.seq",
				4, types, args, SPI_OK_DELETE);
	}
	if (put[0].n > 0)
	{
		Oid			types[8];
		Datum		args[8];

		types[0] = UUIDOID;
		args[0] = call->tenant;
		for (int i = 0; i < 6; i++)
		{
			types[i + 1] = array_of(puttypes[i]);
			args[i + 1] = col_array(&put[i]);
		}
		types[7] = array_of(TIMESTAMPTZOID);
		args[7] = col_array(&first_at);
		eno_spi(call,
				"INSERT INTO iot.enocean_chain AS c (tenant_id, eurid, kind, seq, state, parts, first_at, last_at) "
				"SELECT $1, u.eurid, u.kind, u.seq, u.state, u.parts, u.first_at, u.last_at "
				"  FROM unnest($2, $3, $4, $5, $6, $7, $8) AS u(eurid, kind, seq, state, parts, last_at, first_at) "
				"ON CONFLICT (tenant_id, eurid, kind, seq) DO UPDATE SET state = excluded.state, "
				"       parts = excluded.parts, first_at = excluded.first_at, last_at = excluded.last_at",
				8, types, args, SPI_OK_INSERT);
	}
}

static void
store_events(EnoCall *call)
{
	int			n = list_length(call->events);
	Column		type,
				payload,
				device;
	ListCell   *lc;

	if (n == 0)
		return;
	col_init(&type, TEXTOID, n);
	col_init(&payload, JSONBOID, n);
	col_init(&device, TEXTOID, n);
	foreach(lc, call->events)
	{
		EnoEvent   *ev = lfirst(lc);

		col_add(&type, CStringGetTextDatum(ev->type), false);
		col_add(&payload, JsonbPGetDatum(ev->payload), false);
		col_add(&device, ev->device_id ? CStringGetTextDatum(ev->device_id) : (Datum) 0, ev->device_id == NULL);
	}
	{
		Oid			types[3] = {TEXTARRAYOID, JSONBARRAYOID, TEXTARRAYOID};
		Datum		args[3] = {col_array(&type), col_array(&payload), col_array(&device)};

		eno_spi(call,
				"SELECT iot.event_emit(u.type, 'enocean', u.payload, u.device_id) "
				"  FROM unnest($1, $2, $3) WITH ORDINALITY AS u(type, payload, device_id, n) ORDER BY u.n",
				3, types, args, SPI_OK_SELECT);
	}
}

static void
store_notes(EnoCall *call)
{
	int			n = list_length(call->notes);
	Column		ids,
				created,
				dups;
	ListCell   *lc;

	if (n == 0)
		return;
	col_init(&ids, INT8OID, n);
	col_init(&created, TIMESTAMPTZOID, n);
	col_init(&dups, JSONBOID, n);
	foreach(lc, call->notes)
	{
		EnoNote    *note = lfirst(lc);

		col_add(&ids, Int64GetDatum(note->id), false);
		col_add(&created, TimestampTzGetDatum(note->created), false);
		col_add(&dups, JsonbPGetDatum(eno_dups_jsonb(note->dups)), false);
	}
	{
		Oid			types[4] = {UUIDOID, INT8ARRAYOID, array_of(TIMESTAMPTZOID), JSONBARRAYOID};
		Datum		args[4] = {call->tenant, col_array(&ids), col_array(&created), col_array(&dups)};
		Oid			owner;
		Oid			save_user;
		int			save_context;
		bool		isnull;

		/*
		 * Tenant roles may not update messages.  This one statement runs as
		 * the owner of iot.message, for rows of the tenant the caller acts
		 * for (call->tenant, established as the caller), and changes only
		 * the duplicates list of the kept telegrams' metadata.
		 */
		eno_spi(call, "SELECT relowner FROM pg_catalog.pg_class WHERE oid = 'iot.message'::pg_catalog.regclass",
				0, NULL, NULL, SPI_OK_SELECT);
		owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		GetUserIdAndSecContext(&save_user, &save_context);
		SetUserIdAndSecContext(owner, save_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		PG_TRY();
		{
			eno_spi(call,
					"UPDATE iot.message m "
					"   SET metadata = jsonb_set(m.metadata, '{network,enocean,duplicates}', "
					"          coalesce(m.metadata #> '{network,enocean,duplicates}', '[]') || u.dups) "
					"  FROM unnest($2, $3, $4) AS u(id, created, dups) "
					" WHERE m.id = u.id AND m.created = u.created AND m.tenant_id = $1 "
					"   AND m.metadata #> '{network,enocean}' IS NOT NULL",
					4, types, args, SPI_OK_UPDATE);
		}
		PG_FINALLY();
		{
			SetUserIdAndSecContext(save_user, save_context);
		}
		PG_END_TRY();
	}
}

void
eno_store_results(EnoCall *call)
{
	store_state(call);
	store_chains(call);
	store_gateways(call);
	store_unknown(call);
	store_notes(call);
	store_events(call);
}
