/*
 * enocean_doc.c: the EnOcean IoT Connector's documents (seed 000):
 *
 *   message value  {sensor, telemetry: {data, signal, meta: {stats}}, raw}
 *   event payload  {sensor, meta: {events: {security, health, transcoding}, stats}}
 *
 * sensor and raw follow pgiot.enocean_json_format: "classic" is the shape
 * of the connector's 2021 decoding examples (friendlyId, id, location;
 * status as hex text, RSSI positive, timestamp with fraction), "current"
 * the later one (friendlyID, id, location, eep, customTag; status as a
 * number, RSSI negative, uuid, subTimestamp, subtelegrams).
 */
#include "postgres.h"

#include <limits.h>

#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/guc.h"
#include "enocean_json.h"
#include "enocean_pipeline.h"
#include "ingest/jsonb_util.h"

char *
eno_iso_time(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		return pstrdup("");
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

static void
push_sensor(JsonbParseState **st, EnoDevice *dev, const char *eurid, bool current)
{
	jb_key(st, "sensor");
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	if (dev != NULL)
	{
		jb_key(st, current ? "friendlyID" : "friendlyId");
		eno_push_str(st, dev->friendly_id);
	}
	jb_key(st, "id");
	eno_push_text(st, eurid);
	if (dev != NULL)
	{
		jb_key(st, "location");
		eno_push_str(st, dev->location);
		if (current)
		{
			jb_key(st, "eep");
			eno_push_str(st, dev->eep);
			jb_key(st, "customTag");
			eno_push_str(st, dev->custom_tag);
		}
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
push_empty_array(JsonbParseState **st)
{
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/*
 * Documents are built in a scratch context that is reset after each one;
 * only the finished jsonb is copied out (the build's trees and numbers
 * would otherwise pile up for the whole batch).
 */
static MemoryContext
build_begin(EnoCall *call)
{
	if (call->build_cxt == NULL)
		call->build_cxt = AllocSetContextCreate(call->cxt, "pgiot enocean documents",
												ALLOCSET_DEFAULT_SIZES);
	return MemoryContextSwitchTo(call->build_cxt);
}

static Jsonb *
build_end(EnoCall *call, MemoryContext old, JsonbValue *root)
{
	Jsonb	   *built = JsonbValueToJsonb(root);
	Jsonb	   *out;

	MemoryContextSwitchTo(old);
	out = palloc(VARSIZE(built));
	memcpy(out, built, VARSIZE(built));
	MemoryContextReset(call->build_cxt);
	return out;
}

Jsonb *
eno_doc(EnoCall *call, EnoPacket *pkt, const EnoTelegram *shown, int security_level,
		const EepResult *data, const EepResult *signal)
{
	bool		current = pgiot_enocean_json_format == PGIOT_ENOCEAN_JSON_CURRENT;
	EnoDevice  *dev = pkt->dev;
	JsonbParseState *st = NULL;
	MemoryContext old = build_begin(call);

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_sensor(&st, dev, dev->eurid, current);
	jb_key(&st, "telemetry");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, "data");
	if (data != NULL)
		eno_push_values(&st, data);
	else
		push_empty_array(&st);
	jb_key(&st, "signal");
	if (signal != NULL)
		eno_push_values(&st, signal);
	else
		push_empty_array(&st);
	jb_key(&st, "meta");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, "stats");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, "egressTime");
	eno_push_str(&st, eno_epoch_text(call->now, true));
	jb_key(&st, "notProcessed");
	eno_push_int(&st, dev->not_processed);
	jb_key(&st, "succesfullyProcessed");
	eno_push_int(&st, dev->processed);
	jb_key(&st, "totalTelegramCount");
	eno_push_int(&st, dev->total);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	jb_key(&st, "raw");
	eno_push_raw(&st, shown, pkt->rssi, security_level, true, pkt->received);
	return build_end(call, old, pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

static JsonbValue *
push_dups(JsonbParseState **st, List *dups)
{
	ListCell   *lc;

	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, dups)
	{
		EnoDup	   *d = lfirst(lc);

		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		jb_key(st, "gateway");
		if (d->gateway)
			eno_push_str(st, d->gateway);
		else
			eno_push_null(st);
		jb_key(st, "rssi");
		if (d->rssi != INT_MIN)
			eno_push_int(st, d->rssi);
		else
			eno_push_null(st);
		jb_key(st, "received");
		eno_push_str(st, eno_iso_time(d->received));
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	return pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

Jsonb *
eno_dups_jsonb(List *dups)
{
	JsonbParseState *st = NULL;

	return JsonbValueToJsonb(push_dups(&st, dups));
}

/* metadata.network of a stored telegram: {"enocean": {gateway, rssi, ...}} */
Jsonb *
eno_network(EnoCall *call, EnoPacket *pkt)
{
	JsonbParseState *st = NULL;
	const EnoTelegram *t = pkt->t;
	int			rssi = pkt->rssi != INT_MIN ? pkt->rssi : (t->dbm >= 0 ? -t->dbm : INT_MIN);
	MemoryContext old = build_begin(call);

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, "enocean");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, "gateway");
	if (pkt->gateway >= 0)
		eno_push_str(&st, call->gateways[pkt->gateway].mac);
	else
		eno_push_null(&st);
	jb_key(&st, "rssi");
	if (rssi != INT_MIN)
		eno_push_int(&st, rssi);
	else
		eno_push_null(&st);
	jb_key(&st, "subTelNum");
	if (t->sub_tel_num >= 0)
		eno_push_int(&st, t->sub_tel_num);
	else
		eno_push_null(&st);
	jb_key(&st, "packetType");
	eno_push_str(&st, esp3_packet_type_name(t->packet_type));
	jb_key(&st, "duplicates");
	push_dups(&st, pkt->dups);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return build_end(call, old, pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

void
eno_event(EnoCall *call, EnoDevice *dev, const char *eurid, const char *category, const char *code,
		  const char *message)
{
	static const char *const categories[] = {"security", "health", "transcoding"};
	JsonbParseState *st = NULL;
	EnoEvent   *ev = palloc(sizeof(EnoEvent));

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_sensor(&st, dev, eurid, true);
	jb_key(&st, "meta");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, "events");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < (int) lengthof(categories); i++)
	{
		jb_key(&st, categories[i]);
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		if (strcmp(category, categories[i]) == 0)
		{
			pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
			jb_key(&st, "code");
			eno_push_str(&st, code);
			jb_key(&st, "message");
			eno_push_text(&st, message);
			pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	jb_key(&st, "stats");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, "timestamp");
	eno_push_str(&st, eno_epoch_text(call->now, false));
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	ev->payload = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
	ev->type = psprintf("enocean.%s", code);
	ev->device_id = dev != NULL ? dev->device_id : NULL;
	call->events = lappend(call->events, ev);
}
