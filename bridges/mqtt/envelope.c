/*
 * envelope.c: MQTT uplinks → ingest items and control items.
 */
#include "envelope.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

int
patterns_parse(const char *spec, Pattern **out, char *err, size_t errlen)
{
	char	   *copy = strdup(spec ? spec : "");
	char	   *tok,
			   *save = NULL;
	int			n = 0;

	*out = calloc(strlen(copy) / 2 + 2, sizeof(Pattern));
	for (tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save))
	{
		char	   *eq = strrchr(tok, '=');
		PatternKind kind;

		if (eq == NULL || eq == tok)
		{
			snprintf(err, errlen, "pattern \"%s\": expected filter=kind", tok);
			free(copy);
			return -1;
		}
		*eq = '\0';
		if (strcmp(eq + 1, "json") == 0)
			kind = PATTERN_JSON;
		else if (strcmp(eq + 1, "iotc") == 0)
			kind = PATTERN_IOTC;
		else if (strcmp(eq + 1, "aws-rule") == 0)
			kind = PATTERN_AWS_RULE;
		else
		{
			snprintf(err, errlen, "pattern \"%s\": unknown kind \"%s\" (json, iotc or aws-rule)", tok, eq + 1);
			free(copy);
			return -1;
		}
		(*out)[n].filter = strdup(tok);
		(*out)[n].kind = kind;
		n++;
	}
	free(copy);
	return n;
}

static json_t *
parse_json(const void *payload, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	json_t	   *j;

	if (len == 0)
	{
		snprintf(err, errlen, "empty payload");
		return NULL;
	}
	j = json_loadb(payload, len, 0, &e);
	/* jansson refuses integers beyond 64 bits that JSON (and jsonb) allow */
	if (j == NULL && strstr(e.text, "too big") != NULL)
		j = json_loadb(payload, len, JSON_DECODE_INT_AS_REAL, &e);
	if (j == NULL)
		snprintf(err, errlen, "invalid JSON at byte %d: %s", e.position, e.text);
	return j;
}

/*
 * The envelope's common members.  For connector "mqtt" the node is the
 * client id: ingest derives the message's network {"mqtt": {"clientId"}}
 * from it, and builds the metadata once per device and batch.
 */
static void
put_common(StrBuf *out, const char *connector, const char *node, size_t nodelen,
		   const char *received)
{
	sb_printf(out, "{\"connector\":\"%s\"", connector);
	if (node != NULL)
	{
		sb_puts(out, ",\"nodeId\":");
		sb_json_string(out, node, nodelen);
	}
	sb_printf(out, ",\"received\":\"%s\"", received);
}

/* The shortest decimal that reads back as the same double. */
static void
put_real(StrBuf *out, double d)
{
	char		buf[40];

	if (!isfinite(d))
	{
		sb_puts(out, "null");
		return;
	}
	for (int prec = 1; prec <= 17; prec++)
	{
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	sb_puts(out, buf);
	if (strpbrk(buf, ".eE") == NULL)
		sb_puts(out, ".0");		/* a real stays a real (29.0, not 29) */
}

/* JSON text of a (re-built) value; numbers keep their shortest form. */
void
envelope_put_json(StrBuf *out, json_t *j)
{
	const char *key;
	json_t	   *v;
	size_t		i;
	bool		first = true;

	switch (json_typeof(j))
	{
		case JSON_OBJECT:
			sb_puts(out, "{");
			json_object_foreach(j, key, v)
			{
				if (!first)
					sb_puts(out, ",");
				first = false;
				sb_json_string(out, key, strlen(key));
				sb_puts(out, ":");
				envelope_put_json(out, v);
			}
			sb_puts(out, "}");
			break;
		case JSON_ARRAY:
			sb_puts(out, "[");
			json_array_foreach(j, i, v)
			{
				if (i > 0)
					sb_puts(out, ",");
				envelope_put_json(out, v);
			}
			sb_puts(out, "]");
			break;
		case JSON_STRING:
			sb_json_string(out, json_string_value(j), json_string_length(j));
			break;
		case JSON_INTEGER:
			sb_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
			break;
		case JSON_REAL:
			put_real(out, json_real_value(j));
			break;
		case JSON_TRUE:
			sb_puts(out, "true");
			break;
		case JSON_FALSE:
			sb_puts(out, "false");
			break;
		default:
			sb_puts(out, "null");
			break;
	}
}

/* dev/data may use the short keys of one manual example: s, v, t, m, loc.
 * True when the message was rewritten. */
static bool
expand_short_keys(json_t *msg)
{
	static const char *const map[][2] = {
		{"s", "streamId"}, {"v", "value"}, {"t", "timestamp"}, {"m", "model"}, {"loc", "location"}
	};

	if (json_object_get(msg, "streamId") || json_object_get(msg, "value") ||
		(!json_object_get(msg, "s") && !json_object_get(msg, "v")))
		return false;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
	{
		json_t	   *v = json_object_get(msg, map[i][0]);

		if (v != NULL && json_object_get(msg, map[i][1]) == NULL)
		{
			json_object_set(msg, map[i][1], v);
			json_object_del(msg, map[i][0]);
		}
	}
	return true;
}

/* Epoch seconds ("1611927479.166352" or a number) → ISO-8601 UTC with ms. */
static bool
epoch_iso(json_t *v, char out[96])
{
	double		secs;
	time_t		whole;
	struct tm	tm;
	int			ms;

	if (json_is_string(v))
	{
		char	   *end;

		secs = strtod(json_string_value(v), &end);
		if (end == json_string_value(v) || *end != '\0')
			return false;
	}
	else if (json_is_number(v))
		secs = json_number_value(v);
	else
		return false;
	if (!isfinite(secs) || secs < 0 || secs > 32503680000.0)
		return false;
	whole = (time_t) secs;
	ms = (int) ((secs - (double) whole) * 1000);
	gmtime_r(&whole, &tm);
	snprintf(out, 96, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return true;
}

/* EnOcean IoT Connector telemetry → a data message of the sensor. */
static json_t *
iotc_message(json_t *doc, char *err, size_t errlen)
{
	json_t	   *tel = json_object_get(doc, "telemetry");
	json_t	   *raw = json_object_get(doc, "raw");
	json_t	   *value = json_object();
	json_t	   *msg = json_object();
	const char *const lists[] = {"data", "signal"};
	char		iso[96];

	if (!json_is_object(tel))
	{
		snprintf(err, errlen, "IoT Connector telemetry lacks its \"telemetry\" object");
		json_decref(value);
		json_decref(msg);
		return NULL;
	}
	for (int l = 0; l < 2; l++)
	{
		json_t	   *arr = json_object_get(tel, lists[l]);
		size_t		i;
		json_t	   *e;

		if (arr == NULL)
			continue;
		if (!json_is_array(arr))
		{
			snprintf(err, errlen, "telemetry.%s must be an array", lists[l]);
			json_decref(value);
			json_decref(msg);
			return NULL;
		}
		json_array_foreach(arr, i, e)
		{
			json_t	   *k = json_object_get(e, "key");

			if (!json_is_string(k) || json_string_length(k) == 0 || strchr(json_string_value(k), '.'))
			{
				snprintf(err, errlen, "telemetry.%s[%zu].key must be a non-empty string without '.'", lists[l], i);
				json_decref(value);
				json_decref(msg);
				return NULL;
			}
			if (json_object_get(e, "value") != NULL)
				json_object_set(value, json_string_value(k), json_object_get(e, "value"));
		}
	}
	json_object_set_new(msg, "model", json_string("enocean-iotc"));
	json_object_set_new(msg, "value", value);
	if (json_is_object(raw) && epoch_iso(json_object_get(raw, "timestamp"), iso))
		json_object_set_new(msg, "timestamp", json_string(iso));
	return msg;
}

static bool
payload_hex_ok(size_t len)
{
	return len <= 512 * 1024;	/* value.payload stays under the 1 MiB value limit */
}

static const char *
control_kind_name(TopicKind k)
{
	switch (k)
	{
		case TK_DEV_CMD_RES: return "dev/cmd/res";
		case TK_DEV_CFG: return "dev/cfg";
		case TK_DEV_RSC: return "dev/rsc";
		case TK_DEV_RSC_UPD_RES: return "dev/rsc/upd/res";
		case TK_DEV_RSC_UPD_ERR: return "dev/rsc/upd/err";
		case TK_SHADOW: return "shadow";
		case TK_CONN_STATUS: return "connector/status";
		case TK_CONN_RESPONSE: return "connector/response";
		case TK_CONN_CURRENT: return "connector/current";
		default: return NULL;
	}
}

EnvKind
envelope_build(const UpTopic *up, const Pattern *patterns, int npatterns, const void *payload,
			   size_t len, const char *received, StrBuf *out, char *err, size_t errlen)
{
	TopicInfo	info;
	TopicKind	kind = mqtt_classify_publish(up->mode, up->topic, up->client_id, &info);
	const Pattern *pattern = NULL;
	json_t	   *doc = NULL;
	EnvKind		result = ENV_REJECT;
	char		node[300];

	sb_reset(out);
	err[0] = '\0';
	for (int i = 0; i < npatterns; i++)
		if (mqtt_filter_match(patterns[i].filter, up->topic))
		{
			pattern = &patterns[i];
			break;
		}
	if (info.arg != NULL)
		snprintf(node, sizeof(node), "%.*s", (int) info.arglen, info.arg);

	switch (kind)
	{
		case TK_DEV_DATA:
		case TK_CONN_DATA:
		case TK_APP_DATA:
			if ((doc = parse_json(payload, len, err, errlen)) == NULL)
				break;
			if (!json_is_object(doc))
			{
				snprintf(err, errlen, "a data message must be a JSON object");
				break;
			}
			if (kind == TK_DEV_DATA)
			{
				put_common(out, "mqtt", up->client_id, strlen(up->client_id), received);
				sb_puts(out, ",\"message\":");
			}
			else if (kind == TK_CONN_DATA)
			{
				put_common(out, "x-connector", node, strlen(node), received);
				sb_puts(out, ",\"message\":");
			}
			else
			{
				/* application data: no device, streamId required (checked by ingest) */
				put_common(out, "mqtt", NULL, 0, received);
				sb_puts(out, ",\"message\":");
			}
			if (kind == TK_DEV_DATA && expand_short_keys(doc))
				envelope_put_json(out, doc);
			else
				sb_append(out, payload, len);	/* as received: validated, never re-written */
			sb_puts(out, "}");
			result = ENV_DATA;
			break;
		case TK_DEV_BINARY:
			if (!payload_hex_ok(len))
			{
				snprintf(err, errlen, "binary payload of %zu bytes is larger than 512 KiB", len);
				break;
			}
			put_common(out, "mqtt", up->client_id, strlen(up->client_id), received);
			sb_puts(out, ",\"raw\":\"");
			sb_hex(out, payload, len);
			sb_puts(out, "\",\"message\":{\"value\":{\"payload\":\"");
			sb_hex(out, payload, len);
			sb_puts(out, "\"}");
			if (info.arg != NULL)
			{
				sb_puts(out, ",\"metadata\":{\"encoding\":");
				sb_json_string(out, node, strlen(node));
				sb_puts(out, "}");
			}
			sb_puts(out, "}}");
			result = ENV_DATA;
			break;
		case TK_IOTC_TELEMETRY:
		case TK_AWS_RULE:
			if ((doc = parse_json(payload, len, err, errlen)) == NULL)
				break;
			if (!json_is_object(doc))
			{
				snprintf(err, errlen, "the payload must be a JSON object");
				break;
			}
			if ((kind == TK_IOTC_TELEMETRY && (pattern == NULL || pattern->kind == PATTERN_IOTC)) ||
				(pattern != NULL && pattern->kind == PATTERN_IOTC))
			{
				json_t	   *msg = iotc_message(doc, err, errlen);
				json_t	   *raw = json_object_get(doc, "raw");

				if (msg == NULL)
					break;
				for (char *p = node; *p; p++)
					if (*p >= 'A' && *p <= 'F')
						*p = (char) (*p - 'A' + 'a');
				put_common(out, "enocean", node, strlen(node), received);
				if (json_is_object(raw))
				{
					json_t	   *net = json_object();

					if (json_object_get(raw, "rssi"))
						json_object_set(net, "rssi", json_object_get(raw, "rssi"));
					if (json_object_get(raw, "sender"))
						json_object_set(net, "sender", json_object_get(raw, "sender"));
					sb_puts(out, ",\"network\":{\"enocean\":");
					envelope_put_json(out, net);
					sb_puts(out, "}");
					json_decref(net);
				}
				sb_puts(out, ",\"message\":");
				envelope_put_json(out, msg);
				sb_puts(out, "}");
				json_decref(msg);
			}
			else
			{
				/* AWS basic ingest: the payload is the value, the rule names the stream */
				put_common(out, "mqtt", up->client_id, strlen(up->client_id), received);
				sb_puts(out, ",\"message\":{\"streamId\":");
				sb_json_string(out, node, strlen(node));
				sb_puts(out, ",\"value\":");
				sb_append(out, payload, len);
				sb_puts(out, "}}");
			}
			result = ENV_DATA;
			break;
		case TK_NONE:
		case TK_EXTRA:
			if (pattern != NULL)
			{
				/* a configured extra topic carrying a Live Objects data message */
				if ((doc = parse_json(payload, len, err, errlen)) == NULL)
					break;
				if (!json_is_object(doc))
				{
					snprintf(err, errlen, "a data message must be a JSON object");
					break;
				}
				put_common(out, up->mode == MQTT_MODE_CONNECTOR ? "x-connector" : "mqtt",
						   up->client_id, strlen(up->client_id), received);
				sb_puts(out, ",\"message\":");
				sb_append(out, payload, len);
				sb_puts(out, "}");
				result = ENV_DATA;
			}
			else
				snprintf(err, errlen, "topic \"%s\" is not handled in %s mode", up->topic,
						 mqtt_mode_name(up->mode));
			break;
		default:
			{
				const char *name = control_kind_name(kind);

				if ((doc = parse_json(payload, len, err, errlen)) == NULL)
					break;
				sb_printf(out, "{\"kind\":\"%s\",\"mode\":\"%s\",\"keyId\":\"%s\",\"clientId\":", name,
						  mqtt_mode_name(up->mode), up->key_id);
				sb_json_string(out, up->client_id, strlen(up->client_id));
				sb_puts(out, ",\"topic\":");
				sb_json_string(out, up->topic, strlen(up->topic));
				if (info.arg != NULL)
				{
					sb_puts(out, ",\"nodeId\":");
					sb_json_string(out, node, strlen(node));
				}
				sb_puts(out, ",\"payload\":");
				sb_append(out, payload, len);
				sb_puts(out, "}");
				result = ENV_CONTROL;
			}
			break;
	}
	if (doc != NULL)
		json_decref(doc);
	if (result == ENV_REJECT)
		sb_reset(out);
	return result;
}
