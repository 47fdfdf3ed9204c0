/*
 * plugin.c: the pgiot mosquitto plugin (plugin API version 5, mosquitto
 * 2.0): options, callbacks, ACLs and the identity stamping of uplinks.
 *
 * Options (plugin_opt_<name> in mosquitto.conf):
 *   conninfo            libpq connection string (a member of pgiot_service)
 *   service_user        username of the pgiot-mqtt bridge (default pgiot-service)
 *   service_password    its password (required)
 *   tls                 true on a TLS listener (connector and application
 *                       modes are refused on the others)
 *   auth_cache_seconds  how long an authentication outcome is reused (10)
 *   recheck_seconds     period of the re-check of connected clients' keys (10)
 *   flush_ms            period of the session-event flush (200)
 *   allow_plain_modes   accept connector/application modes without TLS (false)
 *   device_topics       extra publish filters for device mode
 *   connector_topics    extra publish filters for connector mode
 *   batch_max_items     uplinks packed in one batch for the bridge (1000;
 *                       0 routes each uplink on its own stamped topic)
 *   batch_max_bytes     bytes of one batch (1048576)
 *   batch_ms            longest wait of an uplink in a batch (5)
 *   spool_file          where uplinks the broker has acknowledged but not
 *                       routed when it stops are kept for its next start
 *   log_level           debug, info, warning, error (info)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "bridges/common/log.h"
#include "bridges/common/upbatch.h"
#include "plugin.h"

/* where a batched uplink itself goes: no client may read pgiot/ topics */
#define UPLINK_VOID_TOPIC "pgiot/void"

/*
 * Shared by every instance (one per listener) of this shared object: the
 * broker is single-threaded and dlopen() of one path returns one handle.
 */
static PluginState *shared_state;

typedef struct Instance
{
	mosquitto_plugin_id_t *id;
	bool		tls;
} Instance;

PluginState *
plugin_state(void)
{
	return shared_state;
}

static void
mosquitto_sink(LogLevel level, const char *line)
{
	static const int map[] = {MOSQ_LOG_DEBUG, MOSQ_LOG_INFO, MOSQ_LOG_WARNING, MOSQ_LOG_ERR};

	mosquitto_log_printf(map[level], "%s", line);
}

static const char *
opt(struct mosquitto_opt *opts, int n, const char *key, const char *dflt)
{
	for (int i = 0; i < n; i++)
		if (strcmp(opts[i].key, key) == 0)
			return opts[i].value;
	return dflt;
}

static bool
opt_bool(const char *v)
{
	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0);
}

static void
split_filters(const char *list, char ***out, int *n)
{
	char	   *copy,
			   *tok,
			   *save = NULL;

	*out = NULL;
	*n = 0;
	if (list == NULL || *list == '\0')
		return;
	copy = strdup(list);
	*out = calloc(strlen(list) + 1, sizeof(char *));
	for (tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save))
		(*out)[(*n)++] = strdup(tok);
	free(copy);
}

static bool
matches_any(char **filters, int n, const char *topic)
{
	for (int i = 0; i < n; i++)
		if (mqtt_filter_match(filters[i], topic))
			return true;
	return false;
}

/* May this client publish on topic (an original topic, not an up topic)? */
static bool
may_publish(Client *c, const char *topic)
{
	PluginState *st = plugin_state();
	TopicInfo	info;
	TopicKind	k = mqtt_classify_publish(c->mode, topic, c->client_id, &info);

	if (k == TK_AWS_RULE || k == TK_IOTC_TELEMETRY)
		/* recognised, but only allowed when configured */
		return c->mode == MQTT_MODE_DEVICE ? matches_any(st->extra_device, st->nextra_device, topic)
			: matches_any(st->extra_connector, st->nextra_connector, topic);
	if (k == TK_APP_DATA)
		return c->data_w;
	if (k != TK_NONE)
		return true;
	if (c->mode == MQTT_MODE_DEVICE)
		return matches_any(st->extra_device, st->nextra_device, topic);
	if (c->mode == MQTT_MODE_CONNECTOR)
		return matches_any(st->extra_connector, st->nextra_connector, topic);
	return false;
}

static bool
fifo_allowed(Client *c, const char *fifo, size_t len)
{
	if (!c->bus_r)
		return false;
	if (c->fifos == NULL)
		return true;
	for (int i = 0; i < c->nfifos; i++)
		if (strlen(c->fifos[i]) == len && strncmp(c->fifos[i], fifo, len) == 0)
			return true;
	return false;
}

static int
connector_request_bits(const char *filter)
{
	if (strcmp(filter, "connector/v1/requests/command") == 0)
		return CAP_COMMAND;
	if (strcmp(filter, "connector/v1/requests/configuration") == 0)
		return CAP_CONFIG;
	if (strcmp(filter, "connector/v1/requests/resource") == 0)
		return CAP_RESOURCE;
	return CAP_COMMAND | CAP_CONFIG | CAP_RESOURCE;	/* + or # */
}

static int
on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	Instance   *inst = userdata;

	auth_recheck(time(NULL));
	return auth_check(ed->client, ed->username, ed->password, inst->tls);
}

static int
on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	Client	   *c = client_of(ed->client);
	const char *topic = ed->topic;

	if (ed->access == MOSQ_ACL_READ && strcmp(topic, UPBATCH_TOPIC) == 0)
		/* the broker routes a batch to a subscriber (the bridge) */
		uplink_routed(&plugin_state()->uplink, ed->payload, ed->payloadlen);
	else
		uplink_maybe_flush(&plugin_state()->uplink);
	if (c == NULL)
	{
		/*
		 * A disconnected persistent session (the bridge's, typically):
		 * messages are queued for what it subscribed to while it was
		 * authenticated; the service topics only for the service user.
		 */
		const char *user = mosquitto_client_username(ed->client);
		PluginState *st = plugin_state();

		if (ed->access != MOSQ_ACL_READ)
			return MOSQ_ERR_ACL_DENIED;
		if (strncmp(topic, "pgiot/", 6) != 0)
			return MOSQ_ERR_SUCCESS;
		return (user != NULL && st->service_user != NULL && strcmp(user, st->service_user) == 0 &&
				strncmp(topic, "pgiot/up/", 9) == 0) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
	}
	if (c->mode == MQTT_MODE_SERVICE)
	{
		int			caps;

		switch (ed->access)
		{
			case MOSQ_ACL_WRITE:
				return strncmp(topic, "pgiot/down/", 11) == 0 ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
			case MOSQ_ACL_SUBSCRIBE:
				return mqtt_subscribe_allowed(MQTT_MODE_SERVICE, topic, c->client_id, &caps, NULL, NULL)
					? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
			case MOSQ_ACL_READ:
				return strncmp(topic, "pgiot/up/", 9) == 0 ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
			default:
				return MOSQ_ERR_SUCCESS;
		}
	}
	switch (ed->access)
	{
		case MOSQ_ACL_WRITE:
			{
				UpTopic		up;

				/* already stamped by on_message (if the broker asks after it) */
				if (mqtt_up_topic_parse(topic, &up) && strcmp(up.client_id, c->client_id) == 0 &&
					strcmp(up.tenant, c->tenant) == 0)
					topic = up.topic;
				if (may_publish(c, topic))
					return MOSQ_ERR_SUCCESS;
				log_event(LOG_INFO, "client %s (%s) may not publish on \"%s\"", c->client_id,
						  mqtt_mode_name(c->mode), topic);
				events_denied(c, topic, "publish");
				return MOSQ_ERR_ACL_DENIED;
			}
		case MOSQ_ACL_SUBSCRIBE:
			{
				int			caps = 0;
				const char *fifo = NULL;
				size_t		fifolen = 0;
				bool		ok = mqtt_subscribe_allowed(c->mode, topic, c->client_id, &caps, &fifo, &fifolen);

				if (ok && c->mode == MQTT_MODE_APPLICATION)
					ok = fifo_allowed(c, fifo, fifolen);
				if (!ok)
				{
					log_event(LOG_INFO, "client %s (%s) may not subscribe to \"%s\"", c->client_id,
							  mqtt_mode_name(c->mode), topic);
					events_denied(c, topic, "subscribe");
					return MOSQ_ERR_ACL_DENIED;
				}
				if (c->mode == MQTT_MODE_DEVICE && (caps & ~c->caps) != 0)
				{
					c->caps |= caps;
					events_subscribe(c, c->caps);
				}
				if (c->mode == MQTT_MODE_CONNECTOR)
					c->requests |= connector_request_bits(topic);
				return MOSQ_ERR_SUCCESS;
			}
		case MOSQ_ACL_READ:
			/* nothing of the service topic space ever reaches a client */
			return strncmp(topic, "pgiot/", 6) == 0 ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
		default:
			return MOSQ_ERR_SUCCESS;
	}
}

/* The bridge's downlink: deliver to the one client (or the tenant's subscribed connectors). */
static void
deliver_down(const char *topic, const void *payload, int payloadlen, int qos)
{
	PluginState *st = plugin_state();
	DownTopic	d;
	int			sent = 0;

	if (!mqtt_down_topic_parse(topic, &d))
	{
		log_event(LOG_WARNING, "malformed downlink topic \"%s\"", topic);
		return;
	}
	if (strcmp(d.client_id, "*") == 0)
	{
		int			bit = connector_request_bits(d.topic);

		for (int b = 0; b < CLIENT_BUCKETS; b++)
			for (Client *c = st->clients[b]; c; c = c->next)
				if (c->mode == d.mode && strcmp(c->tenant, d.tenant) == 0 && (c->requests & bit))
				{
					mosquitto_broker_publish_copy(c->client_id, d.topic, payloadlen, payload, qos, false, NULL);
					sent++;
				}
	}
	else
	{
		Client	   *c = client_find(d.client_id);

		if (c != NULL && c->mode == d.mode && strcmp(c->tenant, d.tenant) == 0)
		{
			mosquitto_broker_publish_copy(c->client_id, d.topic, payloadlen, payload, qos, false, NULL);
			sent++;
		}
	}
	log_event(sent ? LOG_DEBUG : LOG_INFO, "downlink %s to %s/%s: %d client(s)", d.topic,
			  mqtt_mode_name(d.mode), d.client_id, sent);
}

static int
on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ed = event_data;
	PluginState *st = plugin_state();
	Client	   *c = client_of(ed->client);
	char		stamped[1024];
	char	   *copy;
	UpTopic		up;

	if (c == NULL)
		return MOSQ_ERR_ACL_DENIED;
	if (c->mode == MQTT_MODE_SERVICE)
	{
		/* the bridge's downlinks and ticks drive the batches and the periodic key re-check */
		uplink_maybe_flush(&st->uplink);
		auth_recheck(time(NULL));
		if (strcmp(ed->topic, "pgiot/down/heartbeat") == 0)
			return MOSQ_ERR_SUCCESS;
		if (strncmp(ed->topic, "pgiot/down/", 11) == 0)
			deliver_down(ed->topic, ed->payload, (int) ed->payloadlen, ed->qos > 1 ? 1 : ed->qos);
		return MOSQ_ERR_SUCCESS;
	}
	if (mqtt_up_topic_parse(ed->topic, &up) && strcmp(up.client_id, c->client_id) == 0 &&
		strcmp(up.tenant, c->tenant) == 0)
		return MOSQ_ERR_SUCCESS;	/* stamped already */
	if (!mqtt_up_topic_format(stamped, sizeof(stamped), c->tenant, c->mode, c->key_id,
							  c->client_id, ed->topic))
		return MOSQ_ERR_ACL_DENIED;
	if (st->uplink.max_items > 0)
	{
		/* into the batch; the publication itself is acknowledged and goes nowhere */
		uplink_add(&st->uplink, stamped, ed->payload, ed->payloadlen);
		uplink_maybe_flush(&st->uplink);
		copy = mosquitto_strdup(UPLINK_VOID_TOPIC);
	}
	else
		copy = mosquitto_strdup(stamped);
	if (copy == NULL)
		return MOSQ_ERR_ACL_DENIED;
	/* mosquitto 2.0 takes the new topic as is and leaves the old one to us */
	mosquitto_free(ed->topic);
	ed->topic = copy;
	ed->retain = false;			/* Live Objects ignores retain */
	return MOSQ_ERR_SUCCESS;
}

static int
on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ed = event_data;
	Client	   *c = client_of(ed->client);

	if (c != NULL)
	{
		events_disconnect(c);
		client_remove(c);
	}
	return MOSQ_ERR_SUCCESS;
}

int
mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for (int i = 0; i < supported_version_count; i++)
		if (supported_versions[i] == 5)
			return 5;
	return -1;
}

static int
state_init(struct mosquitto_opt *opts, int n)
{
	PluginState *st;
	const char *conninfo = opt(opts, n, "conninfo", NULL);
	const char *password = opt(opts, n, "service_password", NULL);
	int			ok;

	log_init("pgiot-plugin", log_level_parse(opt(opts, n, "log_level", "info"), &ok), mosquitto_sink);
	if (conninfo == NULL || password == NULL || *password == '\0')
	{
		log_event(LOG_ERROR, "plugin_opt_conninfo and plugin_opt_service_password are required");
		return MOSQ_ERR_INVAL;
	}
	st = calloc(1, sizeof(PluginState));
	if (st == NULL)
		return MOSQ_ERR_NOMEM;
	pg_link_init(&st->db, conninfo, "SET application_name = 'pgiot-mosquitto-plugin'", 500, 10000);
	pg_link_init(&st->events_db, conninfo, "SET application_name = 'pgiot-mosquitto-plugin events'", 500, 10000);
	st->service_user = strdup(opt(opts, n, "service_user", "pgiot-service"));
	st->service_password = strdup(password);
	st->auth_cache_seconds = atoi(opt(opts, n, "auth_cache_seconds", "10"));
	st->recheck_seconds = atoi(opt(opts, n, "recheck_seconds", "10"));
	st->flush_ms = atoi(opt(opts, n, "flush_ms", "200"));
	st->require_tls_modes = !opt_bool(opt(opts, n, "allow_plain_modes", "false"));
	split_filters(opt(opts, n, "device_topics", ""), &st->extra_device, &st->nextra_device);
	split_filters(opt(opts, n, "connector_topics", ""), &st->extra_connector, &st->nextra_connector);
	sb_init(&st->events);
	st->last_recheck = time(NULL);
	uplink_init(&st->uplink, atoi(opt(opts, n, "batch_max_items", "1000")),
				(size_t) atol(opt(opts, n, "batch_max_bytes", "1048576")),
				atoi(opt(opts, n, "batch_ms", "5")), opt(opts, n, "spool_file", NULL));
	shared_state = st;
	uplink_start(&st->uplink);
	if (!events_start())
		return MOSQ_ERR_UNKNOWN;
	return MOSQ_ERR_SUCCESS;
}

int
mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
					  struct mosquitto_opt *opts, int n)
{
	Instance   *inst;
	int			rc;

	if (shared_state == NULL && (rc = state_init(opts, n)) != MOSQ_ERR_SUCCESS)
		return rc;
	shared_state->instances++;
	inst = calloc(1, sizeof(Instance));
	inst->id = identifier;
	inst->tls = opt_bool(opt(opts, n, "tls", "false"));
	*userdata = inst;
	if ((rc = mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, inst)) ||
		(rc = mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, inst)) ||
		(rc = mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, on_message, NULL, inst)) ||
		(rc = mosquitto_callback_register(identifier, MOSQ_EVT_DISCONNECT, on_disconnect, NULL, inst)))
	{
		log_event(LOG_ERROR, "callback registration failed: %s", mosquitto_strerror(rc));
		return rc;
	}
	log_event(LOG_INFO, "loaded (instance %d, %s listener)", shared_state->instances,
			  inst->tls ? "TLS" : "plain");
	return MOSQ_ERR_SUCCESS;
}

int
mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts, int n)
{
	Instance   *inst = userdata;
	PluginState *st = shared_state;

	mosquitto_callback_unregister(inst->id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
	mosquitto_callback_unregister(inst->id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
	mosquitto_callback_unregister(inst->id, MOSQ_EVT_MESSAGE, on_message, NULL);
	mosquitto_callback_unregister(inst->id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL);
	free(inst);
	if (st == NULL || --st->instances > 0)
		return MOSQ_ERR_SUCCESS;
	uplink_stop(&st->uplink);
	uplink_free(&st->uplink);
	events_stop();
	client_free_all();
	auth_cache_clear();
	pg_close(&st->db);
	pg_close(&st->events_db);
	sb_free(&st->events);
	free(st->service_user);
	free(st->service_password);
	free(st);
	shared_state = NULL;
	return MOSQ_ERR_SUCCESS;
}
