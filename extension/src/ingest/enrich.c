/*
 * enrich.c: the manual's enrichment of a data message by its device
 * (section 11.2) and the root location chosen by priority (15.3.6):
 *
 *   streamId   message's, else the device's defaultDataStreamId (its id)
 *   timestamp  message's, else when received, else created
 *   tags       message tags, then the device tags not already there
 *   extra      device properties, overridden by the message's extra
 *   metadata   source, connector, group, encoding (the interface's wins),
 *              network, device.location (static), transformation.published
 *   location   external > static > decoded > published > network
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/device_id.h"
#include "ingest_item.h"
#include "jsonb_util.h"

char *
ingest_provisioned_device_id(const char *connector, const char *node_id)
{
	if (strncmp(node_id, DEVICE_ID_PREFIX, strlen(DEVICE_ID_PREFIX)) == 0)
		return pstrdup(node_id);
	return psprintf(DEVICE_ID_PREFIX "%s:%s", connector, node_id);
}

static void
push_location(JsonbParseState **st, const LocationFix *fix, const char *provider)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	if (provider != NULL)
	{
		jb_key(st, "provider");
		jb_string(st, provider);
	}
	jb_key(st, "lat");
	jb_float8(st, fix->lat);
	jb_key(st, "lon");
	jb_float8(st, fix->lon);
	if (fix->has_alt)
	{
		jb_key(st, "alt");
		jb_float8(st, fix->alt);
	}
	if (fix->has_accuracy)
	{
		jb_key(st, "accuracy");
		jb_float8(st, fix->accuracy);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* The first member of the network object that carries a location. */
static void
network_location(JsonbValue *network, LocationFix *fix, const char **provider)
{
	JsonbIterator *it;
	JsonbValue	v,
				buf;
	JsonbIteratorToken tok;

	memset(fix, 0, sizeof(*fix));
	if (network == NULL || network->type != jbvBinary ||
		!JsonContainerIsObject(network->val.binary.data))
		return;
	it = JsonbIteratorInit(network->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		JsonbValue *loc;
		JsonbValue *p;

		if (tok != WJB_VALUE || v.type != jbvBinary)
			continue;
		loc = jb_get(v.val.binary.data, "location", &buf);
		if (loc == NULL || loc->type != jbvBinary)
			continue;
		{
			JsonbContainer *c = loc->val.binary.data;
			JsonbValue	nb;

			if (!jb_double(jb_get(c, "lat", &nb), &fix->lat) ||
				!jb_double(jb_get(c, "lon", &nb), &fix->lon) ||
				fabs(fix->lat) > 90 || fabs(fix->lon) > 180)
				continue;
			fix->has_alt = jb_double(jb_get(c, "alt", &nb), &fix->alt);
			fix->has_accuracy = jb_double(jb_get(c, "accuracy", &nb), &fix->accuracy);
			p = jb_get(c, "provider", &nb);
			*provider = (p && p->type == jbvString) ? jb_strdup(p) : NULL;
			fix->present = true;
			return;
		}
	}
}

static Datum
merged_tags(IngestItem *item)
{
	DeviceInfo *device = item->device;
	Datum	   *all;
	int			n = 0;

	if (item->ntags == 0 && device != NULL)
		return device->tags;
	if (device != NULL && device->tag_elems == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(device->cxt);

		deconstruct_array(DatumGetArrayTypeP(device->tags), TEXTOID, -1, false,
						  TYPALIGN_INT, &device->tag_elems, NULL, &device->ntag_elems);
		MemoryContextSwitchTo(old);
	}
	all = palloc(sizeof(Datum) * (item->ntags + (device ? device->ntag_elems : 0) + 1));
	for (int i = 0; i < item->ntags; i++)
	{
		bool		dup = false;

		for (int j = 0; j < i && !dup; j++)
			dup = strcmp(item->tags[i], item->tags[j]) == 0;
		if (!dup)
			all[n++] = CStringGetTextDatum(item->tags[i]);
	}
	for (int i = 0; device != NULL && i < device->ntag_elems; i++)
	{
		text	   *tag = DatumGetTextPP(device->tag_elems[i]);
		bool		dup = false;

		for (int j = 0; j < item->ntags && !dup; j++)
			dup = strlen(item->tags[j]) == VARSIZE_ANY_EXHDR(tag) &&
				memcmp(item->tags[j], VARDATA_ANY(tag), VARSIZE_ANY_EXHDR(tag)) == 0;
		if (!dup)
			all[n++] = device->tag_elems[i];
	}
	return PointerGetDatum(construct_array(all, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Jsonb *
merged_extra(IngestItem *item)
{
	JsonbParseState *st = NULL;
	DeviceInfo *device = item->device;
	Jsonb	   *extra;

	if (device == NULL)
		return item->has_extra ? jb_to_jsonb(&item->extra) : NULL;
	if (!item->has_extra)
		return device->properties;	/* the extra of a message that brings none */
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_members_except(&st, &device->properties->root, NULL, 0);
	jb_members_except(&st, item->extra.val.binary.data, NULL, 0);
	extra = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
	return extra;
}

/*
 * metadata: the message's own members, except those the platform owns,
 * then the platform's.  A device's own claim of source, connector, group
 * or (outside http) network never survives.
 */
static Jsonb *
build_metadata(IngestItem *item, JsonbValue *network)
{
	static const char *const platform_keys[] = {
		"source", "connector", "group", "device", "network", "encoding", "transformation"
	};
	JsonbParseState *st = NULL;
	JsonbContainer *md = item->has_metadata ? item->metadata.val.binary.data : NULL;
	JsonbValue	buf;
	JsonbValue *encoding = md ? jb_get(md, "encoding", &buf) : NULL;
	JsonbValue	tr;
	bool		has_tr = md && jb_get(md, "transformation", &tr) != NULL && tr.type == jbvBinary;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_members_except(&st, md, platform_keys, lengthof(platform_keys));

	jb_key(&st, "connector");
	jb_string(&st, item->connector);
	if (item->device != NULL)
	{
		jb_key(&st, "source");
		jb_string(&st, item->device->id);
		jb_key(&st, "group");
		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		jb_key(&st, "id");
		jb_string(&st, item->device->group_id);
		jb_key(&st, "path");
		jb_string(&st, item->device->group_path);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		if (item->device->static_location.present)
		{
			jb_key(&st, "device");
			pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
			jb_key(&st, "location");
			push_location(&st, &item->device->static_location, "static");
			pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		}
	}
	if (item->iface != NULL && item->iface->encoding != NULL)
	{
		jb_key(&st, "encoding");
		jb_string(&st, item->iface->encoding);
	}
	else if (encoding != NULL)
	{
		jb_key(&st, "encoding");
		jb_value(&st, encoding);
	}
	if (network != NULL)
	{
		jb_key(&st, "network");
		jb_value(&st, network);
	}
	if (has_tr || item->published.present)
	{
		static const char *const published_key[] = {"published"};

		jb_key(&st, "transformation");
		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		if (has_tr)
			jb_members_except(&st, tr.val.binary.data, published_key, 1);
		if (item->published.present)
		{
			JsonbValue	loc;

			jb_key(&st, "published");
			pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
			jb_key(&st, "location");
			jb_get(item->message.val.binary.data, "location", &loc);
			jb_value(&st, &loc);
			pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

/*
 * The network object: the envelope's (a bridge's word), else for http the
 * message's own, else the connector's identity of the node.
 */
static JsonbValue *
choose_network(IngestItem *item, JsonbValue *out)
{
	JsonbParseState *st = NULL;

	if (item->has_network)
		return &item->network;
	if (strcmp(item->connector, "http") == 0)
	{
		JsonbValue *v = item->has_metadata ?
			jb_get(item->metadata.val.binary.data, "network", out) : NULL;

		return (v != NULL && v->type == jbvBinary) ? v : NULL;
	}
	if (item->node_id == NULL)
		return NULL;
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, item->connector);
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, strcmp(item->connector, "mqtt") == 0 ? "clientId" : "nodeId");
	jb_string(&st, item->node_id);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	*out = jb_binary_of(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL)));
	return out;
}

/*
 * A message that brings no metadata, location or network of its own gets
 * the same metadata as every other such message of its device and
 * interface: built once per batch.
 */
static Jsonb *
cached_metadata(IngestItem *item)
{
	JsonbValue	network_buf;
	JsonbValue *network;
	DeviceInfo *device = item->device;
	char	   *key;

	if (device == NULL || item->has_metadata || item->published.present || item->has_network)
		return build_metadata(item, choose_network(item, &network_buf));
	key = psprintf("%s\x1f%s\x1f%s", item->connector, item->node_id ? item->node_id : "",
				   item->iface && item->iface->encoding ? item->iface->encoding : "");
	if (device->metadata_cache == NULL || strcmp(device->metadata_key, key) != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(device->cxt);

		network = choose_network(item, &network_buf);
		device->metadata_cache = build_metadata(item, network);
		device->metadata_key = pstrdup(key);
		MemoryContextSwitchTo(old);
	}
	return device->metadata_cache;
}

void
ingest_enrich(IngestItem *item, TimestampTz created, EnrichedRow *row)
{
	LocationFix net_fix;
	const char *net_provider = NULL;

	memset(row, 0, sizeof(*row));
	row->stream_id = item->stream_id;
	if (row->stream_id == NULL && item->device != NULL)
		row->stream_id = item->device->default_stream_id;
	row->ts = item->has_ts ? item->ts : item->has_received ? item->received : created;
	row->tags = merged_tags(item);
	if (item->has_value)
		row->value = jb_to_jsonb(&item->value);
	else
	{
		JsonbParseState *st = NULL;

		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		row->value = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
	}
	row->extra = merged_extra(item);
	row->metadata = cached_metadata(item);

	/* only a bridge's network (or an API caller's) can carry a location */
	memset(&net_fix, 0, sizeof(net_fix));
	if (item->has_network || strcmp(item->connector, "http") == 0)
	{
		JsonbValue	network_buf;

		network_location(choose_network(item, &network_buf), &net_fix, &net_provider);
	}
	if (item->external.present)
	{
		row->location = item->external;
		row->location_provider = item->external.provider;
	}
	else if (item->device != NULL && item->device->static_location.present)
	{
		row->location = item->device->static_location;
		row->location_provider = "static";
	}
	else if (item->decoded.present)
	{
		row->location = item->decoded;
		row->location_provider = "device";
	}
	else if (item->published.present)
	{
		row->location = item->published;
		row->location_provider = item->published.provider;
	}
	else if (net_fix.present)
	{
		row->location = net_fix;
		row->location_provider = net_provider ? net_provider : item->connector;
	}
}
