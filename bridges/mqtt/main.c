/*
 * pgiot-mqtt: the MQTT bridge of pgiot.
 *
 * Uplink: subscribes (persistent session, QoS 1, optionally a shared
 * subscription so that several instances split the load) to the topics the
 * broker plugin stamped with the publisher's identity,
 *     pgiot/up/<tenant>/<mode>/<keyId>/<clientId>/<topic>,
 * turns each publication into an ingest item or a control item
 * (envelope.c), holds them per tenant and writes them in batches (size and
 * time) in one transaction (store.c).  While PostgreSQL is away nothing
 * held is dropped; past max_held items the bridge stops reading from the
 * broker, which keeps queueing for the persistent session.
 *
 * Downlink: LISTEN pgiot_outbox_mqtt; on a notification (or every
 * outbox_poll_ms) it claims iot.outbox rows of channel "mqtt" and publishes
 * each as pgiot/down/<tenant>/<mode>/<clientId>/<topic>, which the plugin
 * delivers to that one client.
 *
 * SIGTERM/SIGINT: stop reading, flush what is held (for up to
 * shutdown_timeout_ms), disconnect, exit 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mosquitto.h>

#include "bridges/common/config.h"
#include "bridges/common/log.h"
#include "bridges/common/outbox.h"
#include "bridges/common/pg.h"
#include "bridges/common/upbatch.h"
#include "envelope.h"
#include "store.h"

#define MAX_SHARDS 8

static const CfgSpec settings[] = {
	{"conninfo", CFG_STRING, NULL, 0, 0, "libpq connection string (a member of pgiot_service)"},
	{"broker_host", CFG_STRING, "127.0.0.1", 0, 0, "MQTT broker host"},
	{"broker_port", CFG_INT, "1883", 1, 65535, "MQTT broker port"},
	{"service_user", CFG_STRING, "pgiot-service", 0, 0, "username the broker plugin trusts"},
	{"service_password", CFG_STRING, NULL, 0, 0, "its password"},
	{"client_id", CFG_STRING, "pgiot-mqtt", 0, 0, "MQTT client id (unique per instance; persistent session)"},
	{"share_group", CFG_STRING, "", 0, 0, "shared-subscription group (empty: a plain subscription)"},
	{"keepalive", CFG_INT, "30", 5, 3600, "MQTT keep-alive seconds"},
	{"tls_ca_file", CFG_STRING, "", 0, 0, "CA file when the broker port is TLS"},
	{"batch_size", CFG_INT, "1000", 1, 100000, "items per batch"},
	{"connections", CFG_INT, "2", 1, MAX_SHARDS, "PostgreSQL connections writing in parallel (items of one client always on the same one)"},
	{"batch_ms", CFG_INT, "50", 1, 60000, "longest wait of an item before its batch is written"},
	{"max_held", CFG_INT, "200000", 1000, 10000000, "held items past which the bridge stops reading"},
	{"patterns", CFG_STRING, "sensor/+/telemetry=iotc $aws/rules/#=aws-rule", 0, 0,
	"extra topics: filter=kind (json, iotc, aws-rule), space-separated"},
	{"tick_ms", CFG_INT, "5", 1, 2000, "period of the tick publication that lets the plugin flush its batches"},
	{"outbox_batch", CFG_INT, "100", 1, 10000, "outbox rows claimed at once"},
	{"outbox_poll_ms", CFG_INT, "1000", 10, 600000, "outbox poll period without notification"},
	{"shutdown_timeout_ms", CFG_INT, "30000", 0, 3600000, "how long SIGTERM waits to flush"},
	{"log_level", CFG_STRING, "info", 0, 0, "debug, info, warning, error"},
	{NULL, 0, NULL, 0, 0, NULL}
};

/* One PostgreSQL connection and the items it writes. */
typedef struct Shard
{
	PgLink		db;
	Store		store;
} Shard;

typedef struct Bridge
{
	Config		cfg;
	struct mosquitto *mosq;
	bool		connected;
	long long	reconnect_at_ms;
	long		reconnect_backoff_ms;
	Shard		shards[MAX_SHARDS];	/* shards[0] also serves the outbox */
	int			nshards;
	Pattern    *patterns;
	int			npatterns;
	StrBuf		item;
	long long	received;
	long long	published;
	char		subscription[128];
	time_t		iso_second;		/* the second iso_prefix spells */
	char		iso_prefix[24];
} Bridge;

static volatile sig_atomic_t stop_requested = 0;

static void
on_signal(int sig)
{
	stop_requested = sig;
}

/* ISO-8601 UTC with milliseconds of a time in microseconds since the epoch. */
static void
iso_at(Bridge *b, int64_t us, char out[32])
{
	time_t		secs = (time_t) (us / 1000000);

	if (secs != b->iso_second)
	{
		struct tm	tm;

		gmtime_r(&secs, &tm);
		strftime(b->iso_prefix, sizeof(b->iso_prefix), "%Y-%m-%dT%H:%M:%S", &tm);
		b->iso_second = secs;
	}
	memcpy(out, b->iso_prefix, 19);
	snprintf(out + 19, 13, ".%03dZ", (int) (us / 1000 % 1000));
}

static int64_t
now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}

static void
on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	Bridge	   *b = arg;

	if (rc != 0)
	{
		log_event(LOG_ERROR, "broker refused the connection: %s", mosquitto_connack_string(rc));
		return;
	}
	b->connected = true;
	b->reconnect_backoff_ms = 500;
	if (mosquitto_subscribe(mosq, NULL, b->subscription, 1) != MOSQ_ERR_SUCCESS)
		log_event(LOG_ERROR, "cannot subscribe to %s", b->subscription);
	else
		log_event(LOG_INFO, "connected to the broker, subscribed to %s", b->subscription);
}

static void
on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
	Bridge	   *b = arg;

	b->connected = false;
	if (!stop_requested)
		log_event(LOG_WARNING, "broker connection lost (%s)", mosquitto_strerror(rc));
}

/* The store of a client's items (FNV-1a of its id): one client's items keep their order. */
static Store *
store_of(Bridge *b, const char *client_id)
{
	uint32_t	h = 2166136261u;

	if (b->nshards == 1)
		return &b->shards[0].store;
	for (const unsigned char *p = (const unsigned char *) client_id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &b->shards[h % (uint32_t) b->nshards].store;
}

static int
held_items(const Bridge *b)
{
	int			n = 0;

	for (int i = 0; i < b->nshards; i++)
		n += b->shards[i].store.held;
	return n;
}

/* Audit item for a malformed publication. */
static void
add_reject(Bridge *b, const UpTopic *up, const char *why, const void *payload, size_t len)
{
	StrBuf		a;

	sb_init(&a);
	sb_puts(&a, "{\"code\":\"PI803\",\"message\":");
	{
		char		msg[1400];

		snprintf(msg, sizeof(msg), "malformed publication on %s by %s client %s: %s", up->topic,
				 mqtt_mode_name(up->mode), up->client_id, why);
		sb_json_string(&a, msg, strlen(msg));
	}
	sb_puts(&a, ",\"details\":{\"topic\":");
	sb_json_string(&a, up->topic, strlen(up->topic));
	sb_puts(&a, ",\"clientId\":");
	sb_json_string(&a, up->client_id, strlen(up->client_id));
	sb_printf(&a, ",\"mode\":\"%s\",\"bytes\":%zu,\"payloadHex\":\"", mqtt_mode_name(up->mode), len);
	sb_hex(&a, payload, len > 256 ? 256 : len);
	sb_puts(&a, "\"}}");
	store_add(store_of(b, up->client_id), up->tenant, ITEM_AUDIT, a.data, a.len);
	sb_free(&a);
}

/* One uplink: its stamped topic (NUL-terminated), payload and receipt time. */
static void
handle_uplink(Bridge *b, const char *topic, const void *payload, size_t len, int64_t received_us)
{
	UpTopic		up;
	char		received[32];
	char		err[512];
	EnvKind		k;

	b->received++;
	if (!mqtt_up_topic_parse(topic, &up))
	{
		log_event(LOG_WARNING, "ignored a publication on unexpected topic \"%s\"", topic);
		return;
	}
	iso_at(b, received_us, received);
	k = envelope_build(&up, b->patterns, b->npatterns, payload, len, received, &b->item, err, sizeof(err));
	if (k == ENV_REJECT)
	{
		log_event(LOG_INFO, "malformed publication on %s by %s: %s", up.topic, up.client_id, err);
		add_reject(b, &up, err, payload, len);
	}
	else
		store_add(store_of(b, up.client_id), up.tenant, k == ENV_DATA ? ITEM_DATA : ITEM_CONTROL,
				  b->item.data, b->item.len);
}

/* A batch of uplinks packed by the broker plugin (upbatch.h). */
static void
handle_batch(Bridge *b, const void *payload, size_t len)
{
	UpBatchReader r;
	UpBatchItem item;
	size_t		fault_at = 0;
	int			got;
	char		topic[UPBATCH_TOPIC_MAX + 1];

	if (!upbatch_reader_init(&r, payload, len))
	{
		log_event(LOG_ERROR, "ignored a malformed uplink batch (%zu bytes, no header)", len);
		return;
	}
	while ((got = upbatch_next(&r, &item, &fault_at)) == 1)
	{
		memcpy(topic, item.topic, item.topic_len);
		topic[item.topic_len] = '\0';
		handle_uplink(b, topic, item.payload, item.payload_len, item.received_us);
	}
	if (got < 0)
		log_event(LOG_ERROR, "uplink batch of %zu bytes truncated at byte %zu: the rest is ignored",
				  len, fault_at);
}

static void
on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *m)
{
	Bridge	   *b = arg;

	if (strcmp(m->topic, UPBATCH_TOPIC) == 0)
		handle_batch(b, m->payload, (size_t) m->payloadlen);
	else
		handle_uplink(b, m->topic, m->payload, (size_t) m->payloadlen, now_us());
}

/* Outbox row of channel mqtt → one publication for the plugin to route. */
static const char *
deliver(void *arg, const OutboxRow *row)
{
	Bridge	   *b = arg;
	json_t	   *doc;
	json_error_t e;
	const char *mode,
			   *client;
	json_t	   *message;
	StrBuf		text;
	char		topic[1024];
	int			rc;

	if (!b->connected)
		return "broker not connected";
	doc = json_loads(row->payload, 0, &e);
	if (doc == NULL)
		doc = json_loads(row->payload, JSON_DECODE_INT_AS_REAL, &e);
	if (doc == NULL)
		return "outbox payload is not JSON";
	mode = json_string_value(json_object_get(doc, "mode"));
	client = json_string_value(json_object_get(doc, "clientId"));
	message = json_object_get(doc, "message");
	if (mode == NULL || client == NULL || message == NULL)
	{
		json_decref(doc);
		return "outbox payload lacks mode, clientId or message";
	}
	if ((size_t) snprintf(topic, sizeof(topic), "pgiot/down/%s/%s/%s/%s", row->tenant_id, mode, client,
						  row->topic) >= sizeof(topic))
	{
		json_decref(doc);
		return "downlink topic too long";
	}
	sb_init(&text);
	envelope_put_json(&text, message);
	rc = mosquitto_publish(b->mosq, NULL, topic, (int) text.len, text.data, 1, false);
	sb_free(&text);
	json_decref(doc);
	if (rc != MOSQ_ERR_SUCCESS)
		return "publish failed";
	b->published++;
	log_event(LOG_DEBUG, "downlink %s to %s %s", row->topic, mode, client);
	return NULL;
}

static void
broker_connect(Bridge *b)
{
	int			rc;

	if (mono_ms() < b->reconnect_at_ms)
		return;
	rc = mosquitto_connect(b->mosq, config_str(&b->cfg, "broker_host"),
						   (int) config_int(&b->cfg, "broker_port"),
						   (int) config_int(&b->cfg, "keepalive"));
	if (rc != MOSQ_ERR_SUCCESS)
	{
		log_event(LOG_WARNING, "cannot reach the broker at %s:%ld (%s); retrying in %ld ms",
				  config_str(&b->cfg, "broker_host"), config_int(&b->cfg, "broker_port"),
				  rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc),
				  b->reconnect_backoff_ms);
		b->reconnect_at_ms = mono_ms() + b->reconnect_backoff_ms;
		b->reconnect_backoff_ms = b->reconnect_backoff_ms * 2 > 30000 ? 30000 : b->reconnect_backoff_ms * 2;
	}
	else
		b->reconnect_at_ms = mono_ms() + 2000;	/* CONNACK pending; do not dial again at once */
}

static void
drain_outbox(Bridge *b)
{
	int			n;

	if (!b->connected || pg_get(&b->shards[0].db) == NULL)
		return;
	n = outbox_drain(&b->shards[0].db, "mqtt", (int) config_int(&b->cfg, "outbox_batch"), deliver, b);
	if (n > 0)
		log_event(LOG_DEBUG, "outbox: %d downlinks published", n);
}

static int
run(Bridge *b)
{
	long long	next_poll = 0;
	long long	next_heartbeat = 0;
	long long	stop_deadline = 0;
	long		poll_ms = config_int(&b->cfg, "outbox_poll_ms");
	long		tick_ms = config_int(&b->cfg, "tick_ms");
	int			max_held = (int) config_int(&b->cfg, "max_held");
	Shard	   *outbox_shard = &b->shards[0];
	long long	stored = 0,
				rejected = 0,
				controls = 0;

	for (;;)
	{
		struct pollfd fds[1 + MAX_SHARDS];
		int			nfds = 0;
		int			msock = -1;
		long		timeout = 200;
		long		left;
		bool		reading;
		int			held = held_items(b);

		if (stop_requested && stop_deadline == 0)
		{
			log_event(LOG_INFO, "stopping: flushing %d held items", held);
			stop_deadline = mono_ms() + config_int(&b->cfg, "shutdown_timeout_ms");
		}
		if (stop_deadline != 0)
		{
			if (held == 0 || mono_ms() >= stop_deadline)
				break;
		}
		if (!b->connected && stop_deadline == 0)
			broker_connect(b);
		reading = stop_deadline == 0 && held < max_held;

		msock = mosquitto_socket(b->mosq);
		if (msock >= 0)
		{
			fds[nfds].fd = msock;
			fds[nfds].events = (reading ? POLLIN : 0) | (mosquitto_want_write(b->mosq) ? POLLOUT : 0);
			fds[nfds].revents = 0;
			nfds++;
		}
		for (int i = 0; i < b->nshards; i++)
		{
			Shard	   *sh = &b->shards[i];

			if (sh->db.conn != NULL)
			{
				fds[nfds].fd = PQsocket(sh->db.conn);
				fds[nfds].events = POLLIN;
				fds[nfds].revents = 0;
				nfds++;
			}
			left = store_ms_left(&sh->store);
			if (left >= 0 && left < timeout)
				timeout = left;
		}
		if (b->connected)
		{
			left = (long) (next_heartbeat - mono_ms());
			timeout = left < 0 ? 0 : left < timeout ? left : timeout;
		}
		if (poll(fds, nfds, (int) timeout) < 0 && errno != EINTR)
		{
			log_event(LOG_ERROR, "poll: %s", strerror(errno));
			return 1;
		}
		if (msock >= 0)
		{
			int			rc = MOSQ_ERR_SUCCESS;

			if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
				rc = mosquitto_loop_read(b->mosq, 100);
			if (rc == MOSQ_ERR_SUCCESS && (fds[0].revents & POLLOUT))
				rc = mosquitto_loop_write(b->mosq, 100);
			if (rc == MOSQ_ERR_SUCCESS)
				rc = mosquitto_loop_misc(b->mosq);
			if (rc != MOSQ_ERR_SUCCESS && b->connected)
			{
				b->connected = false;
				log_event(LOG_WARNING, "broker connection lost (%s)", mosquitto_strerror(rc));
				mosquitto_disconnect(b->mosq);
			}
		}
		for (int i = 0; i < b->nshards; i++)
		{
			Shard	   *sh = &b->shards[i];

			if (sh->store.inflight != NULL)
				store_poll(&sh->store, &sh->db);
			if (stop_deadline != 0 && sh->store.held > 0)
			{
				if (mono_ms() >= sh->store.retry_at_ms)
					store_flush_wait(&sh->store, &sh->db);
				else
					usleep(10000);
			}
			else if (store_due(&sh->store))
				store_start_flush(&sh->store, &sh->db);
		}
		if (stop_deadline == 0 && outbox_shard->store.inflight == NULL &&
			(outbox_notified(&outbox_shard->db, "mqtt") || mono_ms() >= next_poll))
		{
			drain_outbox(b);
			next_poll = mono_ms() + poll_ms;
		}
		if (b->connected && mono_ms() >= next_heartbeat)
		{
			/*
			 * mosquitto 2.0 gives plugins loaded per listener no timer: this
			 * publication is the plugin's tick (its uplink batches, key
			 * re-checks)
			 */
			mosquitto_publish(b->mosq, NULL, "pgiot/down/heartbeat", 0, NULL, 0, false);
			next_heartbeat = mono_ms() + tick_ms;
		}
		if (outbox_shard->db.conn == NULL && outbox_shard->store.held == 0 && stop_deadline == 0 &&
			mono_ms() >= outbox_shard->store.retry_at_ms)
			pg_get(&outbox_shard->db);	/* keep LISTENing even when idle */
	}
	if (held_items(b) > 0)
		log_event(LOG_ERROR, "stopped with %d items not stored (PostgreSQL unavailable)", held_items(b));
	for (int i = 0; i < b->nshards; i++)
	{
		stored += b->shards[i].store.stored;
		rejected += b->shards[i].store.rejected;
		controls += b->shards[i].store.controls;
	}
	log_event(LOG_INFO, "stopped: %lld publications received, %lld messages stored, %lld rejected, "
			  "%lld control messages, %lld downlinks", b->received, stored, rejected, controls,
			  b->published);
	if (b->connected)
	{
		mosquitto_disconnect(b->mosq);
		mosquitto_loop_write(b->mosq, 1);
	}
	return held_items(b) > 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	Bridge		b;
	char		err[1024];
	const char *file = NULL;
	char		listen_sql[128];
	int			ok,
				rc;

	for (int i = 1; i < argc; i++)
	{
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			file = argv[++i];
		else
		{
			fprintf(stderr, "usage: pgiot-mqtt [-c FILE]\nsettings (file key, environment):\n");
			config_usage(settings, "PGIOT_MQTT");
			return 2;
		}
	}
	memset(&b, 0, sizeof(b));
	if (!config_load(&b.cfg, settings, file, "PGIOT_MQTT", err, sizeof(err)))
	{
		fprintf(stderr, "pgiot-mqtt: configuration error: %s\n", err);
		return 2;
	}
	log_init("pgiot-mqtt", log_level_parse(config_str(&b.cfg, "log_level"), &ok), NULL);
	if (!ok)
	{
		fprintf(stderr, "pgiot-mqtt: configuration error: log_level must be debug, info, warning or error\n");
		return 2;
	}
	if ((b.npatterns = patterns_parse(config_str(&b.cfg, "patterns"), &b.patterns, err, sizeof(err))) < 0)
	{
		fprintf(stderr, "pgiot-mqtt: configuration error: patterns: %s\n", err);
		return 2;
	}
	if (config_str(&b.cfg, "share_group")[0] != '\0')
		snprintf(b.subscription, sizeof(b.subscription), "$share/%s/pgiot/up/#",
				 config_str(&b.cfg, "share_group"));
	else
		snprintf(b.subscription, sizeof(b.subscription), "pgiot/up/#");

	outbox_listen_sql("mqtt", listen_sql, sizeof(listen_sql));
	b.nshards = (int) config_int(&b.cfg, "connections");
	for (int i = 0; i < b.nshards; i++)
	{
		char		setup[256];

		/* the first connection also LISTENs for the outbox */
		snprintf(setup, sizeof(setup), "SET application_name = 'pgiot-mqtt'; %s", i == 0 ? listen_sql : "");
		pg_link_init(&b.shards[i].db, config_str(&b.cfg, "conninfo"), setup, 250, 10000);
		store_init(&b.shards[i].store, (int) config_int(&b.cfg, "batch_size"), config_int(&b.cfg, "batch_ms"));
	}
	sb_init(&b.item);
	b.reconnect_backoff_ms = 500;

	mosquitto_lib_init();
	b.mosq = mosquitto_new(config_str(&b.cfg, "client_id"), false, &b);
	if (b.mosq == NULL)
	{
		fprintf(stderr, "pgiot-mqtt: cannot create the MQTT client: %s\n", strerror(errno));
		return 1;
	}
	mosquitto_int_option(b.mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_username_pw_set(b.mosq, config_str(&b.cfg, "service_user"),
							  config_str(&b.cfg, "service_password"));
	if (config_str(&b.cfg, "tls_ca_file")[0] != '\0' &&
		(rc = mosquitto_tls_set(b.mosq, config_str(&b.cfg, "tls_ca_file"), NULL, NULL, NULL, NULL)) != MOSQ_ERR_SUCCESS)
	{
		fprintf(stderr, "pgiot-mqtt: configuration error: tls_ca_file: %s\n", mosquitto_strerror(rc));
		return 2;
	}
	mosquitto_max_inflight_messages_set(b.mosq, 1000);
	mosquitto_connect_callback_set(b.mosq, on_connect);
	mosquitto_disconnect_callback_set(b.mosq, on_disconnect);
	mosquitto_message_callback_set(b.mosq, on_message);

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	log_event(LOG_INFO, "starting: broker %s:%ld as %s, batches of %ld items / %ld ms, %d connections",
			  config_str(&b.cfg, "broker_host"), config_int(&b.cfg, "broker_port"),
			  config_str(&b.cfg, "client_id"), config_int(&b.cfg, "batch_size"),
			  config_int(&b.cfg, "batch_ms"), b.nshards);
	for (int i = 0; i < b.nshards; i++)
		pg_get(&b.shards[i].db);
	rc = run(&b);
	mosquitto_destroy(b.mosq);
	mosquitto_lib_cleanup();
	for (int i = 0; i < b.nshards; i++)
		pg_close(&b.shards[i].db);
	config_free(&b.cfg);
	return rc;
}
