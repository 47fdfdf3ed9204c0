/*
 * enocean_store.c: what one iot.enocean_ingest call writes, each with one
 * statement over arrays built from the whole call: device state, security
 * taught in, gateways (upsert adding the counts), unknown senders (upsert,
 * an event for new ones), chains, events (iot.event_emit), the duplicates
 * of messages stored by earlier calls.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "enocean_columns.h"
#include "enocean_json.h"
#include "enocean_pipeline.h"
#include "ingest/jsonb_util.h"

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
	EnoDevEntry   *entry;
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
	EnoDevEntry   *entry;
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

		eno_spi(call, "SELECT iot.event_emit_many($1, 'enocean', $2, $3)", 3, types, args, SPI_OK_SELECT);
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
