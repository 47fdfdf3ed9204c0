/*
 * ingest_lookup.c: the device-side statements of a batch.  Each one takes
 * arrays built from the whole batch; none is issued per message.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "core/device_id.h"
#include "core/guc.h"
#include "core/ids.h"
#include "ingest_lookup.h"

#define IFACE_KEY_LEN (32 + DEVICE_ID_MAX + 2)

typedef struct DeviceEntry
{
	char		key[DEVICE_ID_MAX + 1];
	DeviceInfo *info;
} DeviceEntry;

typedef struct InterfaceEntry
{
	char		key[IFACE_KEY_LEN];
	InterfaceInfo *info;
} InterfaceEntry;

/* Arrays built up from the batch, one Datum per element. */
typedef struct TextColumn
{
	Datum	   *elems;
	int			n;
} TextColumn;

static void
column_init(TextColumn *c, int capacity)
{
	c->elems = palloc(sizeof(Datum) * Max(capacity, 1));
	c->n = 0;
}

static void
column_add(TextColumn *c, const char *s)
{
	c->elems[c->n++] = CStringGetTextDatum(s);
}

static Datum
column_array(TextColumn *c)
{
	return PointerGetDatum(construct_array(c->elems, c->n, TEXTOID, -1, false, TYPALIGN_INT));
}

static void
interface_key(char *key, const char *connector, const char *node_id)
{
	snprintf(key, IFACE_KEY_LEN, "%s\x1f%s", connector, node_id);
}

void
ingest_spi(IngestBatch *b, IngestPlan which, const char *sql, int nargs, Oid *types, Datum *args,
		   int expect)
{
	SPIPlanPtr	plan = ingest_cache_plan(which, sql, nargs, types);
	int			rc = SPI_execute_plan(plan, args, NULL, false, 0);

	MemoryContextSwitchTo(b->cxt);
	if (rc != expect)
		elog(ERROR, "pgiot ingest: \"%s\" failed: %s", sql, SPI_result_code_string(rc));
}

void
ingest_lookup_init(IngestBatch *b)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = DEVICE_ID_MAX + 1;
	ctl.entrysize = sizeof(DeviceEntry);
	ctl.hcxt = b->cxt;
	b->devices = hash_create("pgiot ingest devices", Max(b->n, 16), &ctl,
							 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	ctl.keysize = IFACE_KEY_LEN;
	ctl.entrysize = sizeof(InterfaceEntry);
	b->interfaces = hash_create("pgiot ingest interfaces", Max(b->n, 16), &ctl,
								HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

DeviceInfo *
ingest_lookup_device(IngestBatch *b, const char *id)
{
	DeviceEntry *e;

	if (strlen(id) > DEVICE_ID_MAX)
		return NULL;
	e = hash_search(b->devices, id, HASH_FIND, NULL);
	return e ? e->info : NULL;
}

InterfaceInfo *
ingest_lookup_interface(IngestBatch *b, const char *connector, const char *node_id)
{
	char		key[IFACE_KEY_LEN];
	InterfaceEntry *e;

	interface_key(key, connector, node_id);
	e = hash_search(b->interfaces, key, HASH_FIND, NULL);
	return e ? e->info : NULL;
}

static char *
get_text(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Hex EWKB of a geography point → lat/lon (the column's text output). */
static void
parse_ewkb_point(const char *hex, LocationFix *fix)
{
	size_t		len = strlen(hex);
	uint8		wkb[64];
	bool		little;
	uint32		type;
	size_t		off = 5;
	double		xy[2];

	memset(fix, 0, sizeof(*fix));
	if (len > 2 * sizeof(wkb) || len < 2 * 21)
		return;
	hex_decode(hex, len, (char *) wkb);
	little = wkb[0] == 1;
	type = little ? (uint32) wkb[1] | (uint32) wkb[2] << 8 | (uint32) wkb[3] << 16 | (uint32) wkb[4] << 24
		: (uint32) wkb[4] | (uint32) wkb[3] << 8 | (uint32) wkb[2] << 16 | (uint32) wkb[1] << 24;
	if (type & 0x20000000)
		off += 4;				/* SRID */
	if ((type & 0xFF) != 1 || off + 16 > len / 2)
		return;
	for (int k = 0; k < 2; k++)
	{
		uint8		b[8];

		for (int j = 0; j < 8; j++)
			b[j] = little ? wkb[off + 8 * k + j] : wkb[off + 8 * k + 7 - j];
		memcpy(&xy[k], b, 8);
	}
	fix->lon = xy[0];
	fix->lat = xy[1];
	fix->present = true;
}

/* The device columns both lookups select, starting at column `first`. */
#define DEVICE_COLUMNS \
	"d.id, coalesce(d.default_stream_id, d.id), d.tags, d.properties, d.group_id, g.path, " \
	"d.static_location::text, d.static_alt, d.static_accuracy, d.last_seen "
#define DEVICE_JOINS \
	"JOIN iot.device_group g ON g.tenant_id = d.tenant_id AND g.id = d.group_id "

static DeviceInfo *
read_device(IngestBatch *b, HeapTuple tup, TupleDesc desc, int first)
{
	MemoryContext cxt = ingest_cache_context(b->cxt);
	MemoryContext old;
	DeviceInfo *info;
	DeviceEntry *e;
	char	   *location;
	bool		isnull;
	Datum		d;
	bool		found;

	old = MemoryContextSwitchTo(cxt);
	info = palloc0(sizeof(DeviceInfo));
	info->cxt = cxt;
	info->id = get_text(tup, desc, first);
	info->default_stream_id = get_text(tup, desc, first + 1);
	info->tags = datumCopy(SPI_getbinval(tup, desc, first + 2, &isnull), false, -1);
	info->properties = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, first + 3, &isnull));
	info->group_id = get_text(tup, desc, first + 4);
	info->group_path = get_text(tup, desc, first + 5);
	location = SPI_getvalue(tup, desc, first + 6);
	if (location != NULL)
	{
		parse_ewkb_point(location, &info->static_location);
		d = SPI_getbinval(tup, desc, first + 7, &isnull);
		if ((info->static_location.has_alt = !isnull))
			info->static_location.alt = DatumGetFloat8(d);
		d = SPI_getbinval(tup, desc, first + 8, &isnull);
		if ((info->static_location.has_accuracy = !isnull))
			info->static_location.accuracy = DatumGetFloat8(d);
		info->static_location.provider = "static";
	}
	d = SPI_getbinval(tup, desc, first + 9, &isnull);
	if ((info->has_last_seen = !isnull))
		info->last_seen = DatumGetTimestampTz(d);
	MemoryContextSwitchTo(old);

	e = hash_search(b->devices, info->id, HASH_ENTER, &found);
	if (!found)
		e->info = info;
	ingest_cache_put_device(b->tenant, e->info);
	return e->info;
}

/* Batch-level maps from the backend cache, before any query. */
static void
attach_cached(IngestBatch *b)
{
	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];
		InterfaceInfo *iface = NULL;
		DeviceInfo *device;
		const char *id = item->device_id;
		char		key[IFACE_KEY_LEN];
		bool		found;

		if (item->sqlerrcode != 0 || item->device != NULL)
			continue;
		if (item->node_id != NULL)
		{
			if (ingest_lookup_interface(b, item->connector, item->node_id) != NULL)
				continue;
			iface = ingest_cache_interface(b->tenant, item->connector, item->node_id);
			if (iface == NULL)
				continue;
			interface_key(key, iface->connector, iface->node_id);
			((InterfaceEntry *) hash_search(b->interfaces, key, HASH_ENTER, NULL))->info = iface;
			id = iface->device_id;
		}
		if (id == NULL || strlen(id) > DEVICE_ID_MAX || ingest_lookup_device(b, id) != NULL)
			continue;
		device = ingest_cache_device(b->tenant, id);
		if (device != NULL)
			((DeviceEntry *) hash_search(b->devices, id, HASH_ENTER, &found))->info = device;
	}
}

/*
 * Two queries at most: the interfaces the unresolved items name, joined
 * with their devices and groups; then the devices named by id alone.
 */
void
ingest_lookup_fetch(IngestBatch *b)
{
	TextColumn	conns,
				nodes,
				ids;
	HTAB	   *asked;
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = IFACE_KEY_LEN;
	ctl.entrysize = IFACE_KEY_LEN;
	ctl.hcxt = b->cxt;
	asked = hash_create("pgiot ingest asked", Max(b->n, 16), &ctl,
						HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	column_init(&conns, b->n);
	column_init(&nodes, b->n);
	column_init(&ids, b->n);
	attach_cached(b);

	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];
		char		key[IFACE_KEY_LEN];
		bool		found;

		if (item->sqlerrcode != 0 || item->device != NULL || item->node_id == NULL ||
			ingest_lookup_interface(b, item->connector, item->node_id) != NULL)
			continue;
		interface_key(key, item->connector, item->node_id);
		hash_search(asked, key, HASH_ENTER, &found);
		if (!found)
		{
			column_add(&conns, item->connector);
			column_add(&nodes, item->node_id);
		}
	}
	if (conns.n > 0)
	{
		Oid			types[3] = {UUIDOID, TEXTARRAYOID, TEXTARRAYOID};
		Datum		args[3] = {b->tenant, column_array(&conns), column_array(&nodes)};

		ingest_spi(b, PLAN_LOOKUP_INTERFACES, "SELECT i.connector, i.node_id, i.device_id, i.enabled, i.definition ->> 'encoding', "
				   "       i.status, i.last_contact, " DEVICE_COLUMNS
				   "FROM unnest($2, $3) AS u(connector, node_id) "
				   "JOIN iot.device_interface i "
				   "  ON i.tenant_id = $1 AND i.connector = u.connector AND i.node_id = u.node_id "
				   "JOIN iot.device d ON d.tenant_id = i.tenant_id AND d.id = i.device_id "
				   DEVICE_JOINS, 3, types, args, SPI_OK_SELECT);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			MemoryContext old = MemoryContextSwitchTo(ingest_cache_context(b->cxt));
			InterfaceInfo *info = palloc0(sizeof(InterfaceInfo));
			InterfaceEntry *e;
			char		key[IFACE_KEY_LEN];
			bool		isnull;
			Datum		d;

			info->connector = get_text(tup, desc, 1);
			info->node_id = get_text(tup, desc, 2);
			info->device_id = get_text(tup, desc, 3);
			info->enabled = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
			info->encoding = get_text(tup, desc, 5);
			info->status = get_text(tup, desc, 6);
			d = SPI_getbinval(tup, desc, 7, &isnull);
			if ((info->has_last_contact = !isnull))
				info->last_contact = DatumGetTimestampTz(d);
			MemoryContextSwitchTo(old);
			interface_key(key, info->connector, info->node_id);
			e = hash_search(b->interfaces, key, HASH_ENTER, NULL);
			e->info = info;
			ingest_cache_put_interface(b->tenant, info);
			(void) read_device(b, tup, desc, 8);
		}
	}

	hash_destroy(asked);
	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];

		if (item->sqlerrcode != 0 || item->device != NULL || item->device_id == NULL ||
			ingest_lookup_device(b, item->device_id) != NULL)
			continue;
		if (item->node_id != NULL && ingest_lookup_interface(b, item->connector, item->node_id) != NULL)
			continue;
		column_add(&ids, item->device_id);
	}
	if (ids.n > 0)
	{
		Oid			types[2] = {UUIDOID, TEXTARRAYOID};
		Datum		args[2] = {b->tenant, column_array(&ids)};

		ingest_spi(b, PLAN_LOOKUP_DEVICES, "SELECT " DEVICE_COLUMNS "FROM iot.device d " DEVICE_JOINS
				   "WHERE d.tenant_id = $1 AND d.id = ANY ($2)", 2, types, args, SPI_OK_SELECT);
		for (uint64 r = 0; r < SPI_processed; r++)
			(void) read_device(b, SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
	}
}

bool
ingest_tenant_auto_provisioning(IngestBatch *b)
{
	Oid			type = UUIDOID;
	bool		isnull;
	Datum		v;

	ingest_spi(b, PLAN_AUTO_PROVISIONING, "SELECT coalesce((settings ->> 'autoProvisioning')::boolean, true) "
			   "FROM iot.tenant WHERE id = $1", 1, &type, &b->tenant, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;
	v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return !isnull && DatumGetBool(v);
}

/* The definition member that names the node, per connector (5.2.1.3). */
static const char *
node_key(const char *connector)
{
	if (strcmp(connector, "mqtt") == 0)
		return "clientId";
	if (strcmp(connector, "lora") == 0)
		return "devEUI";
	if (strcmp(connector, "sms") == 0)
		return "msisdn";
	if (strcmp(connector, "lwm2m") == 0)
		return "endpointName";
	if (strcmp(connector, "enocean") == 0)
		return "eurid";
	return "nodeId";
}

/* Status of an interface created by data: it is evidently talking. */
static const char *
first_status(const char *connector)
{
	if (strcmp(connector, "lora") == 0)
		return "ACTIVATED";
	if (strcmp(connector, "x-connector") == 0)
		return "REGISTERED";	/* only NodeStatus sets ONLINE/OFFLINE */
	return "ONLINE";
}

void
ingest_provision(IngestBatch *b)
{
	TextColumn	dev_ids,
				dev_descr,
				if_dev,
				if_conn,
				if_node,
				if_status,
				if_def;

	column_init(&dev_ids, b->n);
	column_init(&dev_descr, b->n);
	column_init(&if_dev, b->n);
	column_init(&if_conn, b->n);
	column_init(&if_node, b->n);
	column_init(&if_status, b->n);
	column_init(&if_def, b->n);

	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];

		if (item->sqlerrcode != 0)
			continue;
		if (item->needs_device)
		{
			char	   *problem = NULL;

			if (item->node_id != NULL)
				problem = pgiot_device_id_problem(item->device_id, strlen(item->device_id));
			if (problem != NULL)
			{
				ingest_item_reject(item, ERRCODE_INVALID_TEXT_REPRESENTATION,
								   "nodeId \"%s\" does not make a valid device id: %s",
								   item->node_id, problem);
				continue;
			}
			column_add(&dev_ids, item->device_id);
			column_add(&dev_descr, item->node_id != NULL ?
					   psprintf("This device was auto registered by the connector [%s] with the nodeId [%s]",
								item->connector, item->node_id) :
					   psprintf("This device was auto registered by the connector [%s]", item->connector));
		}
		if (item->needs_interface)
		{
			StringInfoData def;

			initStringInfo(&def);
			appendStringInfo(&def, "{\"%s\": ", node_key(item->connector));
			escape_json(&def, item->node_id);
			appendStringInfoChar(&def, '}');
			column_add(&if_dev, item->device_id);
			column_add(&if_conn, item->connector);
			column_add(&if_node, item->node_id);
			column_add(&if_status, first_status(item->connector));
			column_add(&if_def, def.data);
		}
	}
	if (dev_ids.n > 0)
	{
		Oid			types[3] = {UUIDOID, TEXTARRAYOID, TEXTARRAYOID};
		Datum		args[3] = {b->tenant, column_array(&dev_ids), column_array(&dev_descr)};

		ingest_spi(b, PLAN_PROVISION_DEVICES, "INSERT INTO iot.device (tenant_id, id, description) "
				   "SELECT $1, u.id, u.description FROM unnest($2, $3) AS u(id, description) "
				   "ON CONFLICT DO NOTHING", 3, types, args, SPI_OK_INSERT);
	}
	if (if_dev.n > 0)
	{
		Oid			types[6] = {UUIDOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
		Datum		args[6] = {b->tenant, column_array(&if_dev), column_array(&if_conn),
		column_array(&if_node), column_array(&if_status), column_array(&if_def)};

		ingest_spi(b, PLAN_PROVISION_INTERFACES, "INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id, status, definition) "
				   "SELECT $1, u.device_id, u.connector, u.node_id, u.status, u.definition::jsonb "
				   "FROM unnest($2, $3, $4, $5, $6) AS u(device_id, connector, node_id, status, definition) "
				   "ON CONFLICT DO NOTHING", 6, types, args, SPI_OK_INSERT);
	}
}

/*
 * last_seen of the devices and last_contact of the interfaces, rewritten
 * only when older than pgiot.last_seen_resolution (the lookup brought
 * their current values): a chatty device costs one row update per
 * resolution, not one per message.  Rows another batch holds locked are
 * skipped: it is setting the same times, and waiting could deadlock two
 * batches that share devices.
 */
void
ingest_touch_devices(IngestBatch *b)
{
	TextColumn	ids,
				conns,
				nodes;
	TimestampTz stale_before = TimestampTzPlusMilliseconds(b->created, -pgiot_last_seen_resolution);

	column_init(&ids, b->n);
	column_init(&conns, b->n);
	column_init(&nodes, b->n);
	for (int i = 0; i < b->n; i++)
	{
		IngestItem *item = &b->items[i];
		DeviceInfo *d = item->device;
		InterfaceInfo *f = item->iface;

		if (item->sqlerrcode != 0 || d == NULL)
			continue;
		if (d->touched_at != b->created && (!d->has_last_seen || d->last_seen <= stale_before))
		{
			d->touched_at = b->created;
			d->has_last_seen = true;
			d->last_seen = b->created;
			column_add(&ids, d->id);
		}
		if (f != NULL && f->touched_at != b->created &&
			(!f->has_last_contact || f->last_contact <= stale_before ||
			 (strcmp(f->connector, "lora") == 0 && strcmp(f->status, "ACTIVATED") != 0)))
		{
			f->touched_at = b->created;
			f->has_last_contact = true;
			f->last_contact = b->created;
			column_add(&conns, f->connector);
			column_add(&nodes, f->node_id);
		}
	}
	if (ids.n > 0)
	{
		Oid			types[3] = {UUIDOID, TEXTARRAYOID, TIMESTAMPTZOID};
		Datum		args[3] = {b->tenant, column_array(&ids), TimestampTzGetDatum(b->created)};

		ingest_spi(b, PLAN_TOUCH_DEVICES, "UPDATE iot.device d SET last_seen = $3 "
				   "WHERE d.tenant_id = $1 AND d.id IN ("
				   "  SELECT x.id FROM iot.device x WHERE x.tenant_id = $1 AND x.id = ANY ($2) "
				   "   ORDER BY x.id FOR UPDATE SKIP LOCKED)", 3, types, args, SPI_OK_UPDATE);
	}
	if (conns.n > 0)
	{
		Oid			types[4] = {UUIDOID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZOID};
		Datum		args[4] = {b->tenant, column_array(&conns), column_array(&nodes),
		TimestampTzGetDatum(b->created)};

		ingest_spi(b, PLAN_TOUCH_INTERFACES, "UPDATE iot.device_interface i SET last_contact = $4, "
				   "       status = CASE WHEN i.connector = 'lora' AND i.status IN "
				   "                    ('REGISTERED', 'INITIALIZING', 'INITIALIZED', 'REACTIVATED') "
				   "                    THEN 'ACTIVATED' ELSE i.status END "
				   "WHERE i.tenant_id = $1 AND (i.connector, i.node_id) IN ("
				   "  SELECT x.connector, x.node_id FROM iot.device_interface x "
				   "    JOIN unnest($2, $3) AS u(connector, node_id) "
				   "      ON x.connector = u.connector AND x.node_id = u.node_id "
				   "   WHERE x.tenant_id = $1 "
				   "   ORDER BY 1, 2 FOR UPDATE OF x SKIP LOCKED)", 4, types, args, SPI_OK_UPDATE);
	}
}
