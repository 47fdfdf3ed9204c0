/*
 * topics.c: classification of the pgiot MQTT topic space (see topics.h).
 */
#include "topics.h"

#include <stdio.h>
#include <string.h>

static const char *const mode_names[] = {"none", "device", "connector", "application", "service"};

const char *
mqtt_mode_name(MqttMode mode)
{
	return mode_names[mode];
}

MqttMode
mqtt_mode_from_name(const char *name)
{
	for (int i = 1; i < 5; i++)
		if (strcmp(name, mode_names[i]) == 0)
			return (MqttMode) i;
	return MQTT_MODE_NONE;
}

MqttMode
mqtt_mode_from_username(const char *username)
{
	if (username == NULL)
		return MQTT_MODE_NONE;
	if (strcmp(username, "json+device") == 0)
		return MQTT_MODE_DEVICE;
	if (strcmp(username, "connector") == 0)
		return MQTT_MODE_CONNECTOR;
	if (strcmp(username, "application") == 0)
		return MQTT_MODE_APPLICATION;
	return MQTT_MODE_NONE;
}

bool
mqtt_filter_match(const char *filter, const char *topic)
{
	const char *f = filter,
			   *t = topic;

	if (*t == '$' && (*f == '+' || *f == '#'))
		return false;
	for (;;)
	{
		const char *fe = strchr(f, '/');
		const char *te = strchr(t, '/');
		size_t		fl = fe ? (size_t) (fe - f) : strlen(f);
		size_t		tl = te ? (size_t) (te - t) : strlen(t);

		if (fl == 1 && f[0] == '#')
			return true;
		if (!(fl == 1 && f[0] == '+') && (fl != tl || memcmp(f, t, fl) != 0))
			return false;
		if (fe == NULL || te == NULL)
		{
			/* "a/#" matches "a" too */
			if (fe != NULL && te == NULL)
				return strcmp(fe, "/#") == 0;
			return fe == NULL && te == NULL;
		}
		f = fe + 1;
		t = te + 1;
	}
}

bool
mqtt_id_valid(const char *id, size_t len, size_t maxlen)
{
	if (id == NULL || len == 0 || len > maxlen)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == ':' || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* topic == prefix + one valid level + suffix?  The level goes to info. */
static bool
one_level(const char *topic, const char *prefix, const char *suffix, TopicInfo *info)
{
	size_t		pl = strlen(prefix),
				sl = strlen(suffix),
				tl = strlen(topic);
	const char *lvl;
	size_t		ll;

	if (tl <= pl + sl || strncmp(topic, prefix, pl) != 0 || strcmp(topic + tl - sl, suffix) != 0)
		return false;
	lvl = topic + pl;
	ll = tl - pl - sl;
	if (!mqtt_id_valid(lvl, ll, 269))
		return false;
	info->arg = lvl;
	info->arglen = ll;
	return true;
}

static bool
is_any(const char *topic, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(topic, list[i]) == 0)
			return true;
	return false;
}

/* $aws/things/<clientId>/shadow/... : the rest after "shadow/", or NULL. */
static const char *
own_shadow_rest(const char *topic, const char *client_id)
{
	size_t		cl;

	if (client_id == NULL || strncmp(topic, "$aws/things/", 12) != 0)
		return NULL;
	cl = strlen(client_id);
	if (strncmp(topic + 12, client_id, cl) != 0 || strncmp(topic + 12 + cl, "/shadow/", 8) != 0)
		return NULL;
	return topic + 12 + cl + 8;
}

static bool
shadow_operation(const char *rest)
{
	static const char *const ops[] = {"update", "get", "delete", NULL};

	if (strncmp(rest, "name/", 5) == 0)
	{
		const char *slash = strchr(rest + 5, '/');

		if (slash == NULL || !mqtt_id_valid(rest + 5, (size_t) (slash - rest - 5), 64))
			return false;
		rest = slash + 1;
	}
	return is_any(rest, ops);
}

TopicKind
mqtt_classify_publish(MqttMode mode, const char *topic, const char *client_id, TopicInfo *info)
{
	static const char *const conn_resp[] = {
		"connector/v1/responses/command", "connector/v1/responses/configuration",
		"connector/v1/responses/resource", NULL
	};
	static const char *const conn_cur[] = {
		"connector/v1/current/configuration", "connector/v1/current/resource", NULL
	};
	TopicInfo	dummy;

	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	info->kind = TK_NONE;
	if (topic == NULL)
		return TK_NONE;
	switch (mode)
	{
		case MQTT_MODE_DEVICE:
			if (strcmp(topic, "dev/data") == 0)
				info->kind = TK_DEV_DATA;
			else if (strcmp(topic, "dev/v1/data/binary") == 0)
				info->kind = TK_DEV_BINARY;
			else if (one_level(topic, "dev/v1/data/binary/", "", info))
				info->kind = TK_DEV_BINARY;
			else if (strcmp(topic, "dev/cmd/res") == 0)
				info->kind = TK_DEV_CMD_RES;
			else if (strcmp(topic, "dev/cfg") == 0)
				info->kind = TK_DEV_CFG;
			else if (strcmp(topic, "dev/rsc") == 0)
				info->kind = TK_DEV_RSC;
			else if (strcmp(topic, "dev/rsc/upd/res") == 0)
				info->kind = TK_DEV_RSC_UPD_RES;
			else if (strcmp(topic, "dev/rsc/upd/err") == 0)
				info->kind = TK_DEV_RSC_UPD_ERR;
			else
			{
				const char *rest = own_shadow_rest(topic, client_id);

				if (rest != NULL && shadow_operation(rest))
					info->kind = TK_SHADOW;
				else if (strncmp(topic, "$aws/rules/", 11) == 0)
				{
					const char *rule = topic + 11;
					const char *slash = strchr(rule, '/');
					size_t		rl = slash ? (size_t) (slash - rule) : strlen(rule);

					if (mqtt_id_valid(rule, rl, 128))
					{
						info->kind = TK_AWS_RULE;
						info->arg = rule;
						info->arglen = rl;
					}
				}
			}
			break;
		case MQTT_MODE_CONNECTOR:
			if (one_level(topic, "connector/v1/nodes/", "/status", info))
				info->kind = TK_CONN_STATUS;
			else if (one_level(topic, "connector/v1/nodes/", "/data", info))
				info->kind = TK_CONN_DATA;
			else if (is_any(topic, conn_resp))
				info->kind = TK_CONN_RESPONSE;
			else if (is_any(topic, conn_cur))
				info->kind = TK_CONN_CURRENT;
			else if (one_level(topic, "sensor/", "/telemetry", info))
				info->kind = TK_IOTC_TELEMETRY;
			break;
		case MQTT_MODE_APPLICATION:
			if (strcmp(topic, "application/v1/data") == 0)
				info->kind = TK_APP_DATA;
			break;
		default:
			break;
	}
	return info->kind;
}

static bool
has_wildcard(const char *s)
{
	return strpbrk(s, "+#") != NULL;
}

bool
mqtt_subscribe_allowed(MqttMode mode, const char *filter, const char *client_id, int *caps,
					   const char **fifo, size_t *fifolen)
{
	*caps = 0;
	if (fifo)
		*fifo = NULL;
	if (filter == NULL)
		return false;
	switch (mode)
	{
		case MQTT_MODE_DEVICE:
			if (strcmp(filter, "dev/cmd") == 0)
				*caps = CAP_COMMAND;
			else if (strcmp(filter, "dev/cfg/upd") == 0)
				*caps = CAP_CONFIG;
			else if (strcmp(filter, "dev/rsc/upd") == 0)
				*caps = CAP_RESOURCE;
			else if (own_shadow_rest(filter, client_id) != NULL)
				*caps = CAP_SHADOW;
			return *caps != 0;
		case MQTT_MODE_CONNECTOR:
			return strcmp(filter, "connector/v1/requests/command") == 0 ||
				strcmp(filter, "connector/v1/requests/configuration") == 0 ||
				strcmp(filter, "connector/v1/requests/resource") == 0 ||
				strcmp(filter, "connector/v1/requests/+") == 0 ||
				strcmp(filter, "connector/v1/requests/#") == 0;
		case MQTT_MODE_APPLICATION:
			if (strncmp(filter, "fifo/", 5) == 0 && !has_wildcard(filter + 5) &&
				mqtt_id_valid(filter + 5, strlen(filter + 5), 128))
			{
				if (fifo)
				{
					*fifo = filter + 5;
					*fifolen = strlen(filter + 5);
				}
				return true;
			}
			return false;
		case MQTT_MODE_SERVICE:
			if (strncmp(filter, "$share/", 7) == 0)
			{
				const char *slash = strchr(filter + 7, '/');

				if (slash == NULL || !mqtt_id_valid(filter + 7, (size_t) (slash - filter - 7), 64))
					return false;
				filter = slash + 1;
			}
			return strncmp(filter, "pgiot/up/", 9) == 0 || strcmp(filter, "pgiot/#") == 0 ||
				strcmp(filter, "pgiot/up/#") == 0;
		default:
			return false;
	}
}

/* Copy the level at *p into out (NUL-terminated) and advance past its '/'. */
static bool
take_level(const char **p, char *out, size_t outlen)
{
	const char *slash = strchr(*p, '/');
	size_t		len;

	if (slash == NULL)
		return false;
	len = (size_t) (slash - *p);
	if (len == 0 || len >= outlen)
		return false;
	memcpy(out, *p, len);
	out[len] = '\0';
	*p = slash + 1;
	return true;
}

static bool
uuid_like(const char *s)
{
	size_t		n = strlen(s);

	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];
		bool		dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool
mqtt_up_topic_parse(const char *topic, UpTopic *out)
{
	const char *p = topic;
	char		mode[16];

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "pgiot/up/", 9) != 0)
		return false;
	p += 9;
	if (!take_level(&p, out->tenant, sizeof(out->tenant)) || !uuid_like(out->tenant) ||
		!take_level(&p, mode, sizeof(mode)) ||
		!take_level(&p, out->key_id, sizeof(out->key_id)) ||
		!take_level(&p, out->client_id, sizeof(out->client_id)) || *p == '\0')
		return false;
	out->mode = mqtt_mode_from_name(mode);
	if (out->mode == MQTT_MODE_NONE || out->mode == MQTT_MODE_SERVICE)
		return false;
	out->topic = p;
	return true;
}

bool
mqtt_up_topic_format(char *buf, size_t buflen, const char *tenant, MqttMode mode,
					 const char *key_id, const char *client_id, const char *topic)
{
	int			n = snprintf(buf, buflen, "pgiot/up/%s/%s/%s/%s/%s", tenant, mqtt_mode_name(mode),
							 key_id, client_id, topic);

	return n > 0 && (size_t) n < buflen;
}

bool
mqtt_down_topic_parse(const char *topic, DownTopic *out)
{
	const char *p = topic;
	char		mode[16];

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "pgiot/down/", 11) != 0)
		return false;
	p += 11;
	if (!take_level(&p, out->tenant, sizeof(out->tenant)) || !uuid_like(out->tenant) ||
		!take_level(&p, mode, sizeof(mode)) ||
		!take_level(&p, out->client_id, sizeof(out->client_id)) || *p == '\0')
		return false;
	out->mode = mqtt_mode_from_name(mode);
	if (out->mode != MQTT_MODE_DEVICE && out->mode != MQTT_MODE_CONNECTOR &&
		out->mode != MQTT_MODE_APPLICATION)
		return false;
	out->topic = p;
	return true;
}
