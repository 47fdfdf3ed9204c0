/*
 * item_parse.c: validation of one ingest item (envelope + Live Objects
 * data message).  Every fault is reported with its field path and, inside
 * a string, the character position; nothing here touches a table.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/ids.h"
#include "ingest_item.h"
#include "jsonb_util.h"

#define MAX_VALUE_BYTES (1024 * 1024)
#define MAX_TAGS 10
#define MAX_NAME_LEN 512

static const char *const known_connectors[] = {
	"http", "mqtt", "x-connector", "lora", "sms", "lwm2m", "enocean", "coap"
};

void
ingest_item_reject(IngestItem *item, int sqlerrcode, const char *fmt,...)
{
	va_list		args;
	StringInfoData buf;

	if (item->sqlerrcode != 0)
		return;					/* keep the first fault */
	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	item->sqlerrcode = sqlerrcode;
	item->error = buf.data;
}

static bool
is_object(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/* A string field; NULL when absent. Rejects non-strings. */
static char *
get_string(IngestItem *item, JsonbContainer *obj, const char *key, const char *path)
{
	JsonbValue	buf;
	JsonbValue *v = jb_get(obj, key, &buf);

	if (v == NULL)
		return NULL;
	if (v->type != jbvString)
	{
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "%s must be a string", path);
		return NULL;
	}
	return jb_strdup(v);
}

/* An object field; false when absent. Rejects non-objects. */
static bool
get_object(IngestItem *item, JsonbContainer *obj, const char *key, const char *path,
		   JsonbValue *out)
{
	JsonbValue *v = jb_get(obj, key, out);

	if (v == NULL)
		return false;
	if (!is_object(v))
	{
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "%s must be a JSON object", path);
		return false;
	}
	return true;
}

/* Characters a streamId must not hold: ' " \ ; { } ( ) and space. */
static int
bad_stream_char(const char *s)
{
	for (int i = 0; s[i]; i++)
		if (strchr("'\"\\;{}() ", s[i]) != NULL)
			return i;
	return -1;
}

/*
 * Parse {lat, lon, alt, accuracy, provider}; absent → fix->present false.
 */
static void
parse_location(IngestItem *item, JsonbContainer *obj, const char *key, const char *path,
			   LocationFix *fix)
{
	JsonbValue	loc,
				buf;
	JsonbValue *v;
	JsonbContainer *c;

	memset(fix, 0, sizeof(*fix));
	if (!get_object(item, obj, key, path, &loc))
		return;
	c = loc.val.binary.data;
	if (!jb_double(jb_get(c, "lat", &buf), &fix->lat) || fix->lat < -90 || fix->lat > 90 ||
		!jb_double(jb_get(c, "lon", &buf), &fix->lon) || fix->lon < -180 || fix->lon > 180)
	{
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
						   "%s needs lat in [-90, 90] and lon in [-180, 180] as numbers", path);
		return;
	}
	if ((v = jb_get(c, "alt", &buf)) != NULL)
	{
		if (!jb_double(v, &fix->alt))
		{
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "%s.alt must be a number", path);
			return;
		}
		fix->has_alt = true;
	}
	if ((v = jb_get(c, "accuracy", &buf)) != NULL)
	{
		if (!jb_double(v, &fix->accuracy))
		{
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "%s.accuracy must be a number", path);
			return;
		}
		fix->has_accuracy = true;
	}
	if ((v = jb_get(c, "provider", &buf)) != NULL)
	{
		if (v->type != jbvString)
		{
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "%s.provider must be a string", path);
			return;
		}
		fix->provider = jb_strdup(v);
	}
	fix->present = true;
}

/* value: no member name may hold a '.', at any depth (manual 15.2.1). */
static void
check_value_keys(IngestItem *item)
{
	JsonbIterator *it = JsonbIteratorInit(item->value.val.binary.data);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
		if (tok == WJB_KEY && memchr(v.val.string.val, '.', v.val.string.len) != NULL)
		{
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
							   "message.value member \"%.*s\" holds a '.'",
							   v.val.string.len, v.val.string.val);
			return;
		}
}

static void
parse_tags(IngestItem *item, JsonbContainer *msg)
{
	JsonbValue	buf,
				elem;
	JsonbValue *v = jb_get(msg, "tags", &buf);
	JsonbIterator *it;
	JsonbIteratorToken tok;
	int			n = 0;

	if (v == NULL)
		return;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
	{
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "message.tags must be an array of strings");
		return;
	}
	if (JsonContainerSize(v->val.binary.data) > MAX_TAGS)
	{
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
						   "message.tags holds %u tags; at most %d are allowed",
						   JsonContainerSize(v->val.binary.data), MAX_TAGS);
		return;
	}
	item->tags = palloc(sizeof(char *) * (JsonContainerSize(v->val.binary.data) + 1));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
		{
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
							   "message.tags[%d] must be a string", n);
			return;
		}
		item->tags[n++] = jb_strdup(&elem);
	}
	item->ntags = n;
}

static void
check_device_id(IngestItem *item, const char *path)
{
	char	   *problem;

	if (item->device_id == NULL)
		return;
	problem = pgiot_device_id_problem(item->device_id, strlen(item->device_id));
	if (problem != NULL)
		ingest_item_reject(item, ERRCODE_INVALID_TEXT_REPRESENTATION,
						   "invalid device id \"%s\" in %s: %s", item->device_id, path, problem);
}

bool
ingest_item_parse_message(IngestItem *item, JsonbValue *message)
{
	JsonbContainer *msg;
	JsonbValue	buf;
	char	   *ts_text;

	if (!is_object(message))
	{
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "message must be a JSON object");
		return false;
	}
	item->message = *message;
	msg = message->val.binary.data;

	item->stream_id = get_string(item, msg, "streamId", "message.streamId");
	if (item->stream_id != NULL)
	{
		int			bad = bad_stream_char(item->stream_id);

		if (bad >= 0 || item->stream_id[0] == '\0' || strlen(item->stream_id) > MAX_NAME_LEN)
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
							   bad >= 0 ? "message.streamId \"%s\": forbidden character at position %d"
							   : "message.streamId \"%s\" must hold 1 to 512 characters",
							   item->stream_id, bad + 1);
	}

	if (jb_get(msg, "timestamp", &buf) != NULL && buf.type != jbvString)
		ingest_item_reject(item, ERRCODE_INVALID_DATETIME_FORMAT,
						   "message.timestamp must be an ISO-8601 string");
	else if ((ts_text = get_string(item, msg, "timestamp", "message.timestamp")) != NULL)
	{
		char	   *problem = pgiot_timestamp_problem(ts_text, strlen(ts_text), &item->ts);

		if (problem != NULL)
			ingest_item_reject(item, ERRCODE_INVALID_DATETIME_FORMAT,
							   "invalid message.timestamp \"%s\": %s", ts_text, problem);
		item->has_ts = true;
	}

	item->model = get_string(item, msg, "model", "message.model");
	if (item->model != NULL)
	{
		int			pos = strcspn(item->model, " .");

		if (item->model[pos] != '\0' || strlen(item->model) > MAX_NAME_LEN)
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
							   "message.model \"%s\": no space or '.' allowed (position %d)",
							   item->model, pos + 1);
		else if (item->model[0] == '\0')
			item->model = NULL;
	}

	if (jb_get(msg, "value", &item->value) != NULL)
	{
		if (!is_object(&item->value))
			ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE,
							   "message.value must be a JSON object");
		else if (item->value.val.binary.len > MAX_VALUE_BYTES)
			ingest_item_reject(item, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
							   "message.value is larger than 1 MiB");
		else
		{
			item->has_value = true;
			check_value_keys(item);
		}
	}

	parse_tags(item, msg);
	item->has_extra = get_object(item, msg, "extra", "message.extra", &item->extra);
	parse_location(item, msg, "location", "message.location", &item->published);

	item->has_metadata = get_object(item, msg, "metadata", "message.metadata", &item->metadata);
	if (item->has_metadata)
	{
		JsonbContainer *md = item->metadata.val.binary.data;
		JsonbValue	tr,
					sub;

		/*
		 * Only a trusted API caller (http) may name the device in
		 * metadata.source; a bridge's message says who sent it in the
		 * envelope, from the sender's credentials.
		 */
		if (item->device_id == NULL &&
			(item->connector == NULL || strcmp(item->connector, "http") == 0))
		{
			item->device_id = get_string(item, md, "source", "message.metadata.source");
			check_device_id(item, "message.metadata.source");
		}
		if (get_object(item, md, "transformation", "message.metadata.transformation", &tr))
		{
			if (get_object(item, tr.val.binary.data, "external",
						   "message.metadata.transformation.external", &sub))
				parse_location(item, sub.val.binary.data, "location",
							   "message.metadata.transformation.external.location", &item->external);
			if (get_object(item, tr.val.binary.data, "decoder",
						   "message.metadata.transformation.decoder", &sub))
				parse_location(item, sub.val.binary.data, "location",
							   "message.metadata.transformation.decoder.location", &item->decoded);
		}
	}
	return item->sqlerrcode == 0;
}

bool
ingest_item_parse(IngestItem *item, JsonbValue *envelope)
{
	JsonbContainer *env;
	JsonbValue	message;
	char	   *raw_hex;
	char	   *received;

	if (!is_object(envelope))
	{
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "item must be a JSON object");
		return false;
	}
	env = envelope->val.binary.data;

	item->device_id = get_string(item, env, "deviceId", "deviceId");
	check_device_id(item, "deviceId");
	item->connector = get_string(item, env, "connector", "connector");
	item->node_id = get_string(item, env, "nodeId", "nodeId");
	item->has_network = get_object(item, env, "network", "network", &item->network);

	if ((received = get_string(item, env, "received", "received")) != NULL)
	{
		char	   *problem = pgiot_timestamp_problem(received, strlen(received), &item->received);

		if (problem != NULL)
			ingest_item_reject(item, ERRCODE_INVALID_DATETIME_FORMAT,
							   "invalid received \"%s\": %s", received, problem);
		item->has_received = true;
	}

	if ((raw_hex = get_string(item, env, "raw", "raw")) != NULL)
	{
		size_t		len = strlen(raw_hex);
		int			bad = -1;

		for (size_t i = 0; i < len && bad < 0; i++)
			if (!isxdigit((unsigned char) raw_hex[i]))
				bad = (int) i;
		if (bad >= 0 || len % 2 != 0)
			ingest_item_reject(item, ERRCODE_INVALID_TEXT_REPRESENTATION,
							   "raw must be hexadecimal (fault at position %d)",
							   bad >= 0 ? bad + 1 : (int) len);
		else
		{
			item->raw = palloc(VARHDRSZ + len / 2);
			SET_VARSIZE(item->raw, VARHDRSZ + len / 2);
			hex_decode(raw_hex, len, VARDATA(item->raw));
		}
	}

	if (jb_get(env, "message", &message) == NULL)
	{
		ingest_item_reject(item, ERRCODE_INVALID_PARAMETER_VALUE, "item lacks its \"message\" object");
		return false;
	}
	ingest_item_parse_message(item, &message);
	return item->sqlerrcode == 0;
}

bool
ingest_connector_known(const char *connector)
{
	for (int i = 0; i < (int) lengthof(known_connectors); i++)
		if (strcmp(connector, known_connectors[i]) == 0)
			return true;
	return false;
}
