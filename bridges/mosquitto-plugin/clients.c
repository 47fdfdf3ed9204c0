/*
 * clients.c: the table of authenticated connections, by client id.  A
 * client id is connected at most once (the broker drops the older
 * connection), so the entry of a new connection replaces the old one and
 * the old connection's disconnect is recognised by its handle.
 */
#include <stdlib.h>
#include <string.h>

#include <mosquitto_broker.h>

#include "plugin.h"

static unsigned
hash_id(const char *s)
{
	unsigned	h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 16777619u;
	return h % CLIENT_BUCKETS;
}

static void
client_free(Client *c)
{
	for (int i = 0; i < c->nfifos; i++)
		free(c->fifos[i]);
	free(c->fifos);
	free(c->client_id);
	free(c->username);
	free(c->secret);
	free(c);
}

Client *
client_find(const char *client_id)
{
	PluginState *st = plugin_state();

	if (client_id == NULL)
		return NULL;
	for (Client *c = st->clients[hash_id(client_id)]; c; c = c->next)
		if (strcmp(c->client_id, client_id) == 0)
			return c;
	return NULL;
}

Client *
client_of(struct mosquitto *client)
{
	Client	   *c = client_find(mosquitto_client_id(client));

	return (c != NULL && c->client == client) ? c : NULL;
}

static void
unlink_entry(Client *c)
{
	PluginState *st = plugin_state();
	Client	  **pp = &st->clients[hash_id(c->client_id)];

	for (; *pp; pp = &(*pp)->next)
		if (*pp == c)
		{
			*pp = c->next;
			st->nclients--;
			return;
		}
}

Client *
client_add(struct mosquitto *client, const char *client_id)
{
	PluginState *st = plugin_state();
	Client	   *old = client_find(client_id);
	Client	   *c = calloc(1, sizeof(Client));
	unsigned	h = hash_id(client_id);

	if (c == NULL)
		return NULL;
	if (old != NULL)
	{
		unlink_entry(old);
		client_free(old);
	}
	c->client = client;
	c->client_id = strdup(client_id);
	c->next = st->clients[h];
	st->clients[h] = c;
	st->nclients++;
	return c;
}

void
client_remove(Client *c)
{
	unlink_entry(c);
	client_free(c);
}

void
client_free_all(void)
{
	PluginState *st = plugin_state();

	for (int b = 0; b < CLIENT_BUCKETS; b++)
		while (st->clients[b])
		{
			Client	   *c = st->clients[b];

			st->clients[b] = c->next;
			client_free(c);
		}
	st->nclients = 0;
}
