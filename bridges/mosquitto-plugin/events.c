/*
 * events.c: connections, disconnections, capability subscriptions and
 * refused topics, queued as JSON and applied in one call of
 * iot.mqtt_sessions() per flush.  mosquitto 2.0 gives no tick to plugins
 * loaded per listener, so a flusher thread with its own PostgreSQL
 * connection applies the queue every flush_ms (at once when it grows
 * large); the broker thread only appends under the queue's mutex.  While
 * PostgreSQL is away the queue is kept (bounded) and applied when it
 * comes back.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "bridges/common/log.h"
#include "plugin.h"

#define MAX_QUEUED_EVENTS 200000
#define FLUSH_AT_EVENTS 2000

static void
now_iso(char out[32])
{
	struct timeval tv;
	struct tm	tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), 32 - strlen(out), ".%03dZ", (int) (tv.tv_usec / 1000));
}

static void
begin_event(const char *type, const Client *c)
{
	PluginState *st = plugin_state();
	StrBuf	   *sb = &st->events;
	char		at[32];

	if (st->nevents >= MAX_QUEUED_EVENTS)
	{
		log_event(LOG_ERROR, "session event queue full (%d): dropping the queue", st->nevents);
		sb_reset(sb);
		st->nevents = 0;
	}
	now_iso(at);
	pthread_mutex_lock(&st->events_lock);
	if (st->nevents > 0)
		sb_puts(sb, ",");
	sb_printf(sb, "{\"event\":\"%s\",\"at\":\"%s\",\"tenant\":\"%s\",\"mode\":\"%s\",\"keyId\":\"%s\",\"clientId\":",
			  type, at, c->tenant, mqtt_mode_name(c->mode), c->key_id);
	sb_json_string(sb, c->client_id, strlen(c->client_id));
	st->nevents++;
}

static void
end_event(void)
{
	PluginState *st = plugin_state();

	sb_puts(&st->events, "}");
	if (st->nevents >= FLUSH_AT_EVENTS)
		pthread_cond_signal(&st->events_wake);
	pthread_mutex_unlock(&st->events_lock);
}

void
events_connect(Client *c)
{
	PluginState *st = plugin_state();
	const char *addr = mosquitto_client_address(c->client);

	if (c->mode == MQTT_MODE_SERVICE)
		return;
	begin_event("connect", c);
	sb_puts(&st->events, ",\"username\":");
	sb_json_string(&st->events, c->username, strlen(c->username));
	sb_puts(&st->events, ",\"address\":");
	sb_json_string(&st->events, addr ? addr : "", addr ? strlen(addr) : 0);
	sb_printf(&st->events, ",\"protocolVersion\":%d,\"keepalive\":%d,\"tls\":%s,\"certAuth\":%s",
			  mosquitto_client_protocol_version(c->client), mosquitto_client_keepalive(c->client),
			  c->tls ? "true" : "false", c->cert_auth ? "true" : "false");
	end_event();
}

void
events_disconnect(Client *c)
{
	if (c->mode == MQTT_MODE_SERVICE)
		return;
	begin_event("disconnect", c);
	end_event();
}

void
events_subscribe(Client *c, int caps)
{
	PluginState *st = plugin_state();

	begin_event("subscribe", c);
	sb_printf(&st->events, ",\"command\":%s,\"configuration\":%s,\"resource\":%s,\"shadow\":%s",
			  caps & CAP_COMMAND ? "true" : "false", caps & CAP_CONFIG ? "true" : "false",
			  caps & CAP_RESOURCE ? "true" : "false", caps & CAP_SHADOW ? "true" : "false");
	end_event();
}

void
events_denied(Client *c, const char *topic, const char *access)
{
	PluginState *st = plugin_state();

	begin_event("denied", c);
	sb_printf(&st->events, ",\"access\":\"%s\",\"topic\":", access);
	sb_json_string(&st->events, topic, strlen(topic));
	end_event();
}

/* Apply one batch on the flusher's connection; false when it must be kept. */
static bool
apply_batch(PluginState *st, const char *json, int n)
{
	const char *params[1] = {json};
	PGresult   *r;

	if (pg_exec(&st->events_db, "SELECT iot.mqtt_sessions($1::jsonb)", 1, params, PGRES_TUPLES_OK, &r))
	{
		log_event(LOG_DEBUG, "applied %d session events: %s", n, PQgetvalue(r, 0, 0));
		PQclear(r);
		return true;
	}
	if (st->events_db.conn != NULL)
	{
		/* the server answered with an error: the same events would fail again */
		log_event(LOG_ERROR, "dropped %d session events that iot.mqtt_sessions() refused", n);
		return true;
	}
	return false;
}

static void *
flusher_main(void *arg)
{
	PluginState *st = arg;
	StrBuf		doc;

	sb_init(&doc);
	pthread_mutex_lock(&st->events_lock);
	for (;;)
	{
		struct timespec until;
		int			n;

		if (st->nevents == 0 && !st->stopping)
		{
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long) st->flush_ms * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&st->events_wake, &st->events_lock, &until);
		}
		if (st->nevents == 0)
		{
			if (st->stopping)
				break;
			continue;
		}
		/* take the queue */
		sb_reset(&doc);
		sb_puts(&doc, "[");
		sb_append(&doc, st->events.data, st->events.len);
		sb_puts(&doc, "]");
		n = st->nevents;
		sb_reset(&st->events);
		st->nevents = 0;
		pthread_mutex_unlock(&st->events_lock);

		if (!apply_batch(st, doc.data, n))
		{
			/* PostgreSQL away: put the batch back in front and wait */
			pthread_mutex_lock(&st->events_lock);
			{
				StrBuf		merged;

				sb_init(&merged);
				sb_append(&merged, doc.data + 1, doc.len - 2);
				if (st->nevents > 0)
				{
					sb_puts(&merged, ",");
					sb_append(&merged, st->events.data, st->events.len);
				}
				sb_free(&st->events);
				st->events = merged;
				st->nevents += n;
			}
			if (st->stopping)
				break;
			pthread_mutex_unlock(&st->events_lock);
			usleep((useconds_t) (pg_wait_ms(&st->events_db) + 50) * 1000);
			pthread_mutex_lock(&st->events_lock);
			continue;
		}
		pthread_mutex_lock(&st->events_lock);
	}
	pthread_mutex_unlock(&st->events_lock);
	sb_free(&doc);
	return NULL;
}

bool
events_start(void)
{
	PluginState *st = plugin_state();

	pthread_mutex_init(&st->events_lock, NULL);
	pthread_cond_init(&st->events_wake, NULL);
	if (pthread_create(&st->flusher, NULL, flusher_main, st) != 0)
	{
		log_event(LOG_ERROR, "cannot start the session-event thread: %s", strerror(errno));
		return false;
	}
	st->flusher_running = true;
	return true;
}

void
events_stop(void)
{
	PluginState *st = plugin_state();

	if (!st->flusher_running)
		return;
	pthread_mutex_lock(&st->events_lock);
	st->stopping = true;
	pthread_cond_signal(&st->events_wake);
	pthread_mutex_unlock(&st->events_lock);
	pthread_join(st->flusher, NULL);
	st->flusher_running = false;
	if (st->nevents > 0)
		log_event(LOG_WARNING, "%d session events not applied at shutdown", st->nevents);
}
