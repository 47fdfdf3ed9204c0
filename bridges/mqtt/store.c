/*
 * store.c: per-tenant batches, flushed asynchronously by one statement.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridges/common/log.h"

void
store_init(Store *s, int max_items, long max_ms)
{
	memset(s, 0, sizeof(*s));
	s->max_items = max_items;
	s->max_ms = max_ms;
	sb_init(&s->doc);
}

static TenantItems *
tenant_items(Store *s, TenantItems **list, const char *tenant)
{
	TenantItems *t;

	for (t = *list; t; t = t->next)
		if (strcmp(t->tenant, tenant) == 0)
			return t;
	t = calloc(1, sizeof(TenantItems));
	snprintf(t->tenant, sizeof(t->tenant), "%s", tenant);
	batch_init(&t->data, s->max_items, s->max_ms);
	batch_init(&t->control, s->max_items, s->max_ms);
	batch_init(&t->audit, s->max_items, s->max_ms);
	t->next = *list;
	*list = t;
	return t;
}

static Batch *
kind_batch(TenantItems *t, int kind)
{
	return kind == ITEM_DATA ? &t->data : kind == ITEM_CONTROL ? &t->control : &t->audit;
}

static void
free_tenants(TenantItems *t)
{
	while (t)
	{
		TenantItems *next = t->next;

		batch_free(&t->data);
		batch_free(&t->control);
		batch_free(&t->audit);
		free(t);
		t = next;
	}
}

static void
free_group(Group *g)
{
	if (g != NULL)
	{
		free_tenants(g->tenants);
		free(g);
	}
}

void
store_add(Store *s, const char *tenant, ItemKind kind, const char *json, size_t len)
{
	Group	   *g = s->tail;
	TenantItems *t;

	if (g == NULL || g->count >= s->max_items)
	{
		g = calloc(1, sizeof(Group));
		g->oldest_ms = mono_ms();
		if (s->tail)
			s->tail->next = g;
		else
			s->head = g;
		s->tail = g;
	}
	t = tenant_items(s, &g->tenants, tenant);
	batch_add(kind_batch(t, kind), json, len);
	g->count++;
	s->held++;
}

bool
store_due(const Store *s)
{
	const Group *g = s->head;

	if (g == NULL || s->inflight != NULL || mono_ms() < s->retry_at_ms)
		return false;
	return g->count >= s->max_items || g->next != NULL || mono_ms() - g->oldest_ms >= s->max_ms;
}

long
store_ms_left(const Store *s)
{
	const Group *g = s->head;
	long long	due;
	long long	now = mono_ms();

	if (g == NULL || s->inflight != NULL)
		return -1;
	due = g->count >= s->max_items || g->next != NULL ? now : g->oldest_ms + s->max_ms;
	if (due < s->retry_at_ms)
		due = s->retry_at_ms;
	return due <= now ? 0 : (long) (due - now);
}

static void
put_batch(StrBuf *doc, const char *key, Batch *b)
{
	if (b->count == 0)
		return;
	sb_printf(doc, ",\"%s\":", key);
	sb_puts(doc, batch_close(b));
}

bool
store_start_flush(Store *s, PgLink *db)
{
	PGconn	   *c;
	const char *params[1];
	int			n = 0;

	Group	   *g = s->head;

	if (s->inflight != NULL || g == NULL)
		return false;
	if ((c = pg_get(db)) == NULL)
	{
		s->retry_at_ms = mono_ms() + pg_wait_ms(db);
		return false;
	}
	sb_reset(&s->doc);
	sb_puts(&s->doc, "[");
	for (TenantItems *t = g->tenants; t; t = t->next)
	{
		sb_printf(&s->doc, "%s{\"tenant\":\"%s\"", n++ ? "," : "", t->tenant);
		put_batch(&s->doc, "data", &t->data);
		put_batch(&s->doc, "control", &t->control);
		put_batch(&s->doc, "audit", &t->audit);
		sb_puts(&s->doc, "}");
	}
	sb_puts(&s->doc, "]");
	params[0] = s->doc.data;
	if (!PQsendQueryParams(c, "SELECT iot.mqtt_store($1::jsonb)", 1, NULL, params, NULL, NULL, 0))
	{
		log_event(LOG_WARNING, "cannot send a flush: %s", PQerrorMessage(c));
		pg_check(db);
		s->retry_at_ms = mono_ms() + 500;
		return false;
	}
	s->head = g->next;
	if (s->head == NULL)
		s->tail = NULL;
	g->next = NULL;
	s->inflight = g;
	return true;
}

static const char *const kind_sql[3] = {
	"SELECT count(*) FILTER (WHERE error_code IS NULL), count(*) FILTER (WHERE error_code IS NOT NULL) "
	"FROM iot.ingest_batch($1::jsonb)",
	"SELECT iot.mqtt_handle($1::jsonb)",
	"SELECT iot.audit('mqtt', a ->> 'message', a ->> 'code', a -> 'details', 'ERROR') "
	"FROM jsonb_array_elements($1::jsonb) a"
};

/*
 * A flush PostgreSQL refused (an error, the connection alive): write each
 * item in its own transaction, so that one poisonous item (a bug, a
 * payload the server cannot take) is audited and dropped instead of
 * stopping the bridge.  False when the connection went away meanwhile.
 */
static bool
flush_one_by_one(Store *s, PgLink *db, TenantItems *list)
{
	StrBuf		one;

	sb_init(&one);
	for (TenantItems *t = list; t; t = t->next)
		for (int k = 0; k < 3; k++)
		{
			Batch	   *b = kind_batch(t, k);

			for (int i = 0; i < b->count; i++)
			{
				const char *p[1] = {t->tenant};
				const char *q[1];
				PGresult   *r;
				bool		ok;

				batch_item_array(b, i, &one);
				q[0] = one.data;
				ok = pg_exec(db, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL) &&
					pg_exec(db, "SELECT set_config('iot.tenant', $1, true)", 1, p, PGRES_TUPLES_OK, NULL) &&
					pg_exec(db, kind_sql[k], 1, q, PGRES_TUPLES_OK, &r);
				if (ok)
				{
					if (k == ITEM_DATA)
					{
						s->stored += atoll(PQgetvalue(r, 0, 0));
						s->rejected += atoll(PQgetvalue(r, 0, 1));
					}
					PQclear(r);
					ok = pg_exec(db, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL);
				}
				if (!ok)
				{
					char		msg[600];
					const char *a[3];

					if (db->conn == NULL)
					{
						sb_free(&one);
						return false;
					}
					pg_exec(db, "ROLLBACK", 0, NULL, PGRES_COMMAND_OK, NULL);
					snprintf(msg, sizeof(msg), "the bridge dropped an item PostgreSQL refused: %.400s",
							 PQerrorMessage(db->conn));
					log_event(LOG_ERROR, "%s: %.300s", msg, one.data);
					a[0] = t->tenant;
					a[1] = msg;
					a[2] = one.len > 4000 ? NULL : one.data;
					pg_exec(db, "SELECT set_config('iot.tenant', $1, false), "
							"iot.audit('mqtt', $2, 'PI803', jsonb_build_object('item', $3::text)), "
							"set_config('iot.tenant', '', false)", 3, a, PGRES_TUPLES_OK, NULL);
					s->rejected++;
				}
			}
		}
	sb_free(&one);
	return true;
}

/* The flush failed on the connection: its items go back before the newer ones. */
static void
put_back(Store *s)
{
	Group	   *g = s->inflight;

	s->inflight = NULL;
	g->next = s->head;
	s->head = g;
	if (s->tail == NULL)
		s->tail = g;
	g->oldest_ms = mono_ms();
}

static void
flush_done(Store *s, PGresult *r)
{
	const char *v = PQgetvalue(r, 0, 0);
	long long	a = 0,
				b = 0,
				c = 0;

	/* {"stored": n, "controls": n, "rejected": n} */
	const char *p;

	if ((p = strstr(v, "\"stored\": ")) != NULL)
		a = atoll(p + 10);
	if ((p = strstr(v, "\"rejected\": ")) != NULL)
		b = atoll(p + 12);
	if ((p = strstr(v, "\"controls\": ")) != NULL)
		c = atoll(p + 12);
	log_event(LOG_DEBUG, "flushed %d items: %s", s->inflight->count, v);
	s->stored += a;
	s->rejected += b;
	s->controls += c;
	s->held -= s->inflight->count;
	free_group(s->inflight);
	s->inflight = NULL;
	s->retry_at_ms = 0;
}

/* Take the result of the flush in flight (blocking when wait). */
static bool
finish(Store *s, PgLink *db, bool wait)
{
	PGresult   *r;
	PGresult   *result = NULL;
	bool		failed = false;

	if (s->inflight == NULL)
		return true;
	if (db->conn == NULL)
		failed = true;
	else
	{
		if (!wait)
		{
			if (!PQconsumeInput(db->conn))
				failed = true;
			else if (PQisBusy(db->conn))
				return false;
		}
		while (!failed && (r = PQgetResult(db->conn)) != NULL)
		{
			if (PQresultStatus(r) == PGRES_TUPLES_OK && result == NULL)
				result = r;
			else
			{
				if (PQresultStatus(r) != PGRES_TUPLES_OK)
				{
					log_event(LOG_WARNING, "flush failed: %s", PQresultErrorMessage(r));
					failed = true;
				}
				PQclear(r);
			}
		}
	}
	if (!failed && result != NULL)
	{
		flush_done(s, result);
		PQclear(result);
		return true;
	}
	if (result)
		PQclear(result);
	pg_check(db);
	if (db->conn != NULL)
	{
		/* PostgreSQL refused the statement: item by item */
		log_event(LOG_WARNING, "PostgreSQL refused a batch of %d items; writing them one by one",
				  s->inflight->count);
		if (flush_one_by_one(s, db, s->inflight->tenants))
		{
			s->held -= s->inflight->count;
			free_group(s->inflight);
			s->inflight = NULL;
			return true;
		}
	}
	log_event(LOG_WARNING, "flush of %d items failed (PostgreSQL away); they are kept", s->inflight->count);
	put_back(s);
	s->retry_at_ms = mono_ms() + pg_wait_ms(db) + 10;
	return true;
}

bool
store_poll(Store *s, PgLink *db)
{
	return finish(s, db, false);
}

bool
store_flush_wait(Store *s, PgLink *db)
{
	if (s->inflight != NULL)
		finish(s, db, true);
	while (s->inflight == NULL && s->head != NULL && store_start_flush(s, db))
		finish(s, db, true);
	return s->held == 0;
}
