/*
 * auth.c: CONNECT authentication.
 *
 * The username selects the mode (json+device, connector, application),
 * the password is an API key checked by iot.mqtt_authenticate() through
 * the plugin's service connection.  Outcomes are cached for
 * auth_cache_seconds under a SHA-256 of (key, username, client id,
 * certificate), never the key itself; every recheck_seconds the keys of
 * the connected clients are checked again and clients whose key stopped
 * working (revoked, disabled, expired) are disconnected, so a revocation
 * takes effect within max(auth_cache_seconds, recheck_seconds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "bridges/common/log.h"
#include "plugin.h"

/* Verdicts of iot.mqtt_authenticate(). */
#define VERDICT_OK 0
#define VERDICT_BAD_CREDENTIALS 4
#define VERDICT_NOT_AUTHORISED 5
#define VERDICT_UNAVAILABLE 3

static void
sha256_parts(unsigned char out[32], const char *const *parts, int n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 32;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (int i = 0; i < n; i++)
		EVP_DigestUpdate(ctx, parts[i] ? parts[i] : "", strlen(parts[i] ? parts[i] : "") + 1);
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

/* The SHA-256 fingerprint of the client certificate (hex), or "" when none. */
static void
cert_fingerprint(struct mosquitto *client, char out[65])
{
	X509	   *cert = mosquitto_client_certificate(client);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	out[0] = '\0';
	if (cert == NULL)
		return;
	if (X509_digest(cert, EVP_sha256(), md, &len) == 1 && len == 32)
		for (unsigned i = 0; i < len; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
	X509_free(cert);
}

static AuthEntry *
cache_find(const unsigned char key[32], time_t now)
{
	PluginState *st = plugin_state();
	AuthEntry **pp = &st->auth[key[0] | (key[1] & 3) << 8];

	while (*pp)
	{
		AuthEntry  *e = *pp;

		if (e->expires <= now)
		{
			*pp = e->next;
			free(e->roles);
			free(e->fifos);
			free(e);
			continue;
		}
		if (memcmp(e->key, key, 32) == 0)
			return e;
		pp = &e->next;
	}
	return NULL;
}

static AuthEntry *
cache_put(const unsigned char key[32], time_t now)
{
	PluginState *st = plugin_state();
	AuthEntry  *e = calloc(1, sizeof(AuthEntry));
	int			b = key[0] | (key[1] & 3) << 8;

	memcpy(e->key, key, 32);
	e->expires = now + st->auth_cache_seconds;
	e->next = st->auth[b];
	st->auth[b] = e;
	return e;
}

void
auth_cache_clear(void)
{
	PluginState *st = plugin_state();

	for (int b = 0; b < AUTH_BUCKETS; b++)
		while (st->auth[b])
		{
			AuthEntry  *e = st->auth[b];

			st->auth[b] = e->next;
			free(e->roles);
			free(e->fifos);
			free(e);
		}
}

/* Ask PostgreSQL; fills e (verdict VERDICT_UNAVAILABLE when it cannot). */
static void
ask_database(AuthEntry *e, const char *username, const char *password, const char *client_id,
			 const char *fingerprint)
{
	PluginState *st = plugin_state();
	const char *params[4] = {password ? password : "", username, client_id,
	fingerprint[0] ? fingerprint : NULL};
	PGresult   *r;

	if (!pg_exec(&st->db, "SELECT verdict, tenant_id, key_id, roles, fifos, detail "
				 "FROM iot.mqtt_authenticate($1, $2, $3, $4)", 4, params, PGRES_TUPLES_OK, &r))
	{
		e->verdict = VERDICT_UNAVAILABLE;
		e->expires = 0;			/* never cache an outage */
		return;
	}
	if (PQntuples(r) != 1)
		e->verdict = VERDICT_BAD_CREDENTIALS;
	else
	{
		e->verdict = atoi(PQgetvalue(r, 0, 0));
		snprintf(e->tenant, sizeof(e->tenant), "%s", PQgetvalue(r, 0, 1));
		snprintf(e->key_id, sizeof(e->key_id), "%s", PQgetvalue(r, 0, 2));
		e->roles = strdup(PQgetvalue(r, 0, 3));
		e->fifos = strdup(PQgetvalue(r, 0, 4));
		if (e->verdict != VERDICT_OK)
			log_event(LOG_INFO, "client %s refused (%d): %s", client_id, e->verdict,
					  PQgetvalue(r, 0, 5));
	}
	PQclear(r);
}

static bool
has_role(const char *roles, const char *role)
{
	size_t		n = strlen(role);

	for (const char *p = roles; (p = strstr(p, role)) != NULL; p += n)
		if ((p == roles || p[-1] == '{' || p[-1] == ',') && (p[n] == ',' || p[n] == '}'))
			return true;
	return false;
}

/* "{a,b}" → array of names (NULL when the literal is "{}": every FIFO). */
static void
parse_fifos(Client *c, const char *lit)
{
	const char *p;

	if (lit == NULL || strcmp(lit, "{}") == 0 || lit[0] != '{')
		return;
	c->fifos = calloc(strlen(lit), sizeof(char *));
	p = lit + 1;
	while (*p && *p != '}')
	{
		size_t		n = strcspn(p, ",}");

		if (n > 0)
			c->fifos[c->nfifos++] = strndup(p, n);
		p += n;
		if (*p == ',')
			p++;
	}
}

int
auth_check(struct mosquitto *client, const char *username, const char *password, bool tls)
{
	PluginState *st = plugin_state();
	const char *client_id = mosquitto_client_id(client);
	MqttMode	mode = mqtt_mode_from_username(username);
	char		fingerprint[65];
	unsigned char key[32];
	time_t		now = time(NULL);
	AuthEntry  *e;
	Client	   *c;

	if (client_id == NULL || !mqtt_id_valid(client_id, strlen(client_id), 269))
	{
		log_event(LOG_INFO, "refused a client id that is not 1..269 of [A-Za-z0-9:_.-]: \"%s\"",
				  client_id ? client_id : "");
		return MOSQ_ERR_AUTH;
	}
	if (username != NULL && st->service_user != NULL && strcmp(username, st->service_user) == 0)
	{
		if (password == NULL || st->service_password == NULL ||
			strlen(password) != strlen(st->service_password) ||
			CRYPTO_memcmp(password, st->service_password, strlen(password)) != 0)
		{
			log_event(LOG_WARNING, "service client %s: wrong password", client_id);
			return MOSQ_ERR_AUTH;
		}
		c = client_add(client, client_id);
		c->mode = MQTT_MODE_SERVICE;
		c->tls = tls;
		return MOSQ_ERR_SUCCESS;
	}
	if (mode == MQTT_MODE_NONE)
	{
		log_event(LOG_INFO, "client %s: unknown username \"%s\"", client_id, username ? username : "");
		return MOSQ_ERR_AUTH;
	}
	if (st->require_tls_modes && !tls && mode != MQTT_MODE_DEVICE)
	{
		log_event(LOG_INFO, "client %s: %s mode needs TLS", client_id, mqtt_mode_name(mode));
		return MOSQ_ERR_AUTH;
	}
	cert_fingerprint(client, fingerprint);
	{
		const char *parts[4] = {password, username, client_id, fingerprint};

		sha256_parts(key, parts, 4);
	}
	if ((e = cache_find(key, now)) == NULL)
	{
		e = cache_put(key, now);
		ask_database(e, username, password, client_id, fingerprint);
	}
	if (e->verdict != VERDICT_OK)
	{
		if (e->verdict == VERDICT_UNAVAILABLE)
			log_event(LOG_WARNING, "client %s refused: PostgreSQL unavailable", client_id);
		return MOSQ_ERR_AUTH;
	}
	c = client_add(client, client_id);
	if (c == NULL)
		return MOSQ_ERR_NOMEM;
	c->mode = mode;
	c->tls = tls;
	c->cert_auth = fingerprint[0] != '\0' && has_role(e->roles, "DEVICE_ACCESS") &&
		(password == NULL || password[0] == '\0');
	c->username = strdup(username);
	c->secret = (password && password[0]) ? strdup(password) : NULL;
	snprintf(c->tenant, sizeof(c->tenant), "%s", e->tenant);
	snprintf(c->key_id, sizeof(c->key_id), "%s", e->key_id[0] ? e->key_id : "cert");
	c->bus_r = has_role(e->roles, "BUS_R");
	c->data_w = has_role(e->roles, "DATA_W");
	parse_fifos(c, e->fifos);
	events_connect(c);
	return MOSQ_ERR_SUCCESS;
}

/*
 * Check the keys of connected clients again; disconnect the clients whose
 * key no longer authenticates.  One query per distinct key.
 */
void
auth_recheck(time_t now)
{
	PluginState *st = plugin_state();
	char	  **checked = NULL;
	int			nchecked = 0;

	if (now - st->last_recheck < st->recheck_seconds || st->db.conn == NULL)
		return;
	st->last_recheck = now;
	checked = calloc((size_t) st->nclients + 1, sizeof(char *));
	for (int b = 0; b < CLIENT_BUCKETS; b++)
		for (Client *c = st->clients[b]; c; c = c->next)
		{
			bool		seen = false;
			const char *params[1];
			PGresult   *r;
			bool		valid;

			if (c->secret == NULL || c->mode == MQTT_MODE_SERVICE)
				continue;
			for (int i = 0; i < nchecked && !seen; i++)
				seen = strcmp(checked[i], c->secret) == 0;
			if (seen || nchecked >= st->nclients)
				continue;
			checked[nchecked++] = c->secret;
			params[0] = c->secret;
			if (!pg_exec(&st->db, "SELECT count(*) FROM iot.api_key_authenticate($1)", 1, params,
						 PGRES_TUPLES_OK, &r))
				goto done;
			valid = atoi(PQgetvalue(r, 0, 0)) > 0;
			PQclear(r);
			if (!valid)
			{
				/* kick every client using this key (the table changes under us: collect ids first) */
				char	  **ids = calloc((size_t) st->nclients + 1, sizeof(char *));
				int			nids = 0;

				for (int b2 = 0; b2 < CLIENT_BUCKETS; b2++)
					for (Client *k = st->clients[b2]; k; k = k->next)
						if (k->secret && strcmp(k->secret, params[0]) == 0)
							ids[nids++] = strdup(k->client_id);
				auth_cache_clear();
				for (int i = 0; i < nids; i++)
				{
					log_event(LOG_INFO, "client %s disconnected: its API key no longer authenticates", ids[i]);
					mosquitto_kick_client_by_clientid(ids[i], false);
					free(ids[i]);
				}
				free(ids);
				goto done;		/* the table changed; the rest waits for the next round */
			}
		}
done:
	free(checked);
}
