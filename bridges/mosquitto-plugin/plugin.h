/*
 * plugin.h: state of the pgiot mosquitto plugin.
 *
 * The broker runs plugin callbacks on its one main thread, so the state
 * needs no locks.  Loaded once per listener (per_listener_settings true,
 * so that each listener says whether it is TLS); every instance of the
 * shared object shares this one state, created by the first
 * mosquitto_plugin_init() and freed by the last cleanup.
 */
#ifndef PGIOT_PLUGIN_H
#define PGIOT_PLUGIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bridges/common/pg.h"
#include "bridges/common/strbuf.h"
#include "bridges/common/topics.h"

struct mosquitto;

/* One authenticated connection. */
typedef struct Client
{
	struct mosquitto *client;	/* the broker's handle of this connection */
	char	   *client_id;
	char	   *username;
	char	   *secret;			/* the API key, for periodic re-checks (NULL: certificate) */
	char		tenant[40];
	char		key_id[40];
	MqttMode	mode;
	bool		tls;
	bool		cert_auth;
	bool		bus_r;
	bool		data_w;
	char	  **fifos;			/* NULL: every FIFO */
	int			nfifos;
	int			caps;			/* device capabilities announced by subscriptions */
	int			requests;		/* connector request topics subscribed (CAP_* bits) */
	struct Client *next;		/* hash chain */
} Client;

/* A cached authentication outcome. */
typedef struct AuthEntry
{
	unsigned char key[32];		/* sha256(secret, username, client id) */
	time_t		expires;
	int			verdict;		/* 0 ok, 4 bad credentials, 5 not authorised */
	char		tenant[40];
	char		key_id[40];
	char	   *roles;			/* text[] literal */
	char	   *fifos;			/* text[] literal */
	struct AuthEntry *next;
} AuthEntry;

/* Uplinks packed for the bridge (uplink.c). */
typedef struct UplinkState
{
	int			max_items;		/* 0: every uplink routed on its own */
	size_t		max_bytes;
	int			batch_ms;
	char	   *spool_file;		/* NULL: no spool */
	StrBuf		current;		/* the batch being filled */
	int			count;
	long long	oldest_ms;		/* when its first item came */
	uint64_t	seq;			/* sequence number of the current batch */
	StrBuf		unrouted;		/* items of published batches not routed yet */
	uint64_t	unrouted_seq;	/* the last of those batches */
	long long	unrouted_since_ms;
	long long	published_batches;
} UplinkState;

#define CLIENT_BUCKETS 8192
#define AUTH_BUCKETS 1024

typedef struct PluginState
{
	int			instances;
	PgLink		db;
	char	   *service_user;
	char	   *service_password;
	int			auth_cache_seconds;
	int			recheck_seconds;
	int			flush_ms;
	bool		require_tls_modes;	/* connector/application only over TLS */
	char	  **extra_device;	/* extra publish filters for device mode */
	int			nextra_device;
	char	  **extra_connector;
	int			nextra_connector;
	Client	   *clients[CLIENT_BUCKETS];
	int			nclients;
	AuthEntry  *auth[AUTH_BUCKETS];
	/* session events: appended by the broker thread, applied by the flusher */
	pthread_mutex_t events_lock;
	pthread_cond_t events_wake;
	pthread_t	flusher;
	bool		flusher_running;
	bool		stopping;
	PgLink		events_db;		/* the flusher's own connection */
	StrBuf		events;			/* JSON array items, comma-separated */
	int			nevents;
	time_t		last_recheck;
	UplinkState uplink;
} PluginState;

extern PluginState *plugin_state(void);

/* clients.c */
extern Client *client_find(const char *client_id);
extern Client *client_of(struct mosquitto *client);
extern Client *client_add(struct mosquitto *client, const char *client_id);
extern void client_remove(Client *c);
extern void client_free_all(void);

/* auth.c */
extern int	auth_check(struct mosquitto *client, const char *username, const char *password,
					   bool tls);
extern void auth_recheck(time_t now);
extern void auth_cache_clear(void);

/* events.c: session events queued for iot.mqtt_sessions() */
extern void events_connect(Client *c);
extern void events_disconnect(Client *c);
extern void events_subscribe(Client *c, int caps);
extern void events_denied(Client *c, const char *topic, const char *access);
extern bool events_start(void);
extern void events_stop(void);

/* uplink.c */
extern void uplink_init(UplinkState *u, int max_items, size_t max_bytes, int batch_ms,
						const char *spool_file);
extern void uplink_free(UplinkState *u);
extern void uplink_add(UplinkState *u, const char *topic, const void *payload, size_t len);
extern void uplink_maybe_flush(UplinkState *u);
extern void uplink_routed(UplinkState *u, const void *payload, size_t len);
extern void uplink_start(UplinkState *u);
extern void uplink_stop(UplinkState *u);

#endif
