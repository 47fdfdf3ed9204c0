/*
 * enocean_load.c: what one iot.enocean_ingest call reads, with one
 * statement each: the devices of all senders with their state (state rows
 * locked in EURID order, so concurrent calls for the same devices
 * serialise and duplicate detection and rolling codes hold); the
 * pending chains of those devices.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "enocean_columns.h"
#include "enocean_pipeline.h"

void
eno_spi(EnoCall *call, const char *sql, int nargs, Oid *types, Datum *args, int expect)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, args, NULL, false, 0);

	MemoryContextSwitchTo(call->cxt);
	if (rc != expect)
		elog(ERROR, "pgiot enocean: \"%s\" failed: %s", sql, SPI_result_code_string(rc));
}

EnoDevice *
eno_device(EnoCall *call, uint32 sender)
{
	char		key[9];
	EnoDevEntry   *entry;

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

void
eno_load_devices(EnoCall *call)
{
	Column		eurids;
	HASHCTL		ctl;
	Oid			types[2] = {UUIDOID, TEXTARRAYOID};
	Datum		args[2];

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 9;
	ctl.entrysize = sizeof(EnoDevEntry);
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
			"       s.rlc_next, s.recent "
			"  FROM (SELECT DISTINCT e FROM unnest($2::text[]) AS e ORDER BY e) AS u "
			"  CROSS JOIN LATERAL (SELECT * FROM iot.enocean_device_state s "
			"                       WHERE s.tenant_id = $1 AND s.eurid = u.e OFFSET 0 FOR UPDATE) AS s "
			"  CROSS JOIN LATERAL (SELECT * FROM iot.enocean_device d "
			"                       WHERE d.tenant_id = $1 AND d.eurid = u.e OFFSET 0) AS d "
			"  LEFT JOIN LATERAL (SELECT i.enabled "
			"                       FROM iot.device_interface i "
			"                      WHERE i.tenant_id = $1 AND i.connector = 'enocean' AND i.node_id = u.e "
			"                     OFFSET 0) AS i ON true",
			2, types, args, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		EnoDevice  *dev = palloc0(sizeof(EnoDevice));
		EnoDevEntry *entry;
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
	EnoDevEntry   *entry;

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

