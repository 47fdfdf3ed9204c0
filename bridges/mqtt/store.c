/*
 * store.c: per-tenant batches written in one transaction per flush.
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
}

static TenantItems *
tenant_items(Store *s, const char *tenant)
{
	TenantItems *t;

	for (t = s->tenants; t; t = t->next)
		if (strcmp(t->tenant, tenant) == 0)
			return t;
	t = calloc(1, sizeof(TenantItems));
	snprintf(t->tenant, sizeof(t->tenant), "%s", tenant);
	batch_init(&t->data, s->max_items, s->max_ms);
	batch_init(&t->control, s->max_items, s->max_ms);
	batch_init(&t->audit, s->max_items, s->max_ms);
	t->next = s->tenants;
	s->tenants = t;
	return t;
}

void
store_add(Store *s, const char *tenant, ItemKind kind, const char *json, size_t len)
{
	TenantItems *t = tenant_items(s, tenant);

	if (s->held == 0)
		s->oldest_ms = mono_ms();
	batch_add(kind == ITEM_DATA ? &t->data : kind == ITEM_CONTROL ? &t->control : &t->audit, json, len);
	s->held++;
}

bool
store_due(const Store *s)
{
	if (s->held == 0 || mono_ms() < s->retry_at_ms)
		return false;
	return s->held >= s->max_items || mono_ms() - s->oldest_ms >= s->max_ms;
}

long
store_ms_left(const Store *s)
{
	long long	due;
	long long	now = mono_ms();

	if (s->held == 0)
		return -1;
	due = s->held >= s->max_items ? now : s->oldest_ms + s->max_ms;
	if (due < s->retry_at_ms)
		due = s->retry_at_ms;
	return due <= now ? 0 : (long) (due - now);
}

static bool
run(PgLink *db, const char *sql, int n, const char *const *params, ExecStatusType expect,
	PGresult **out)
{
	return pg_exec(db, sql, n, params, expect, out);
}

/* Write one tenant's items inside the open transaction. */
static bool
flush_tenant(Store *s, PgLink *db, TenantItems *t, long long *stored, long long *rejected,
			 long long *controls)
{
	const char *p[1];
	PGresult   *r;

	p[0] = t->tenant;
	if (!run(db, "SELECT set_config('iot.tenant', $1, true)", 1, p, PGRES_TUPLES_OK, NULL))
		return false;
	if (t->data.count > 0)
	{
		p[0] = batch_close(&t->data);
		if (!run(db, "SELECT count(*) FILTER (WHERE error_code IS NULL), count(*) FILTER (WHERE error_code IS NOT NULL) "
				 "FROM iot.ingest_batch($1::jsonb)", 1, p, PGRES_TUPLES_OK, &r))
			return false;
		*stored += atoll(PQgetvalue(r, 0, 0));
		*rejected += atoll(PQgetvalue(r, 0, 1));
		PQclear(r);
	}
	if (t->control.count > 0)
	{
		p[0] = batch_close(&t->control);
		if (!run(db, "SELECT iot.mqtt_handle($1::jsonb)", 1, p, PGRES_TUPLES_OK, NULL))
			return false;
		*controls += t->control.count;
	}
	if (t->audit.count > 0)
	{
		p[0] = batch_close(&t->audit);
		if (!run(db, "SELECT iot.audit('mqtt', a ->> 'message', a ->> 'code', a -> 'details', 'ERROR') "
				 "FROM jsonb_array_elements($1::jsonb) a", 1, p, PGRES_TUPLES_OK, NULL))
			return false;
		*rejected += t->audit.count;
	}
	return true;
}

static void
clear_all(Store *s)
{
	while (s->tenants)
	{
		TenantItems *t = s->tenants;

		s->tenants = t->next;
		batch_free(&t->data);
		batch_free(&t->control);
		batch_free(&t->audit);
		free(t);
	}
	s->held = 0;
}

static const char *const kind_sql[3] = {
	"SELECT count(*) FILTER (WHERE error_code IS NULL), count(*) FILTER (WHERE error_code IS NOT NULL) "
	"FROM iot.ingest_batch($1::jsonb)",
	"SELECT iot.mqtt_handle($1::jsonb)",
	"SELECT iot.audit('mqtt', a ->> 'message', a ->> 'code', a -> 'details', 'ERROR') "
	"FROM jsonb_array_elements($1::jsonb) a"
};

/*
 * A batch the server refused (an error, the connection alive): write each
 * item in its own transaction, so that one poisonous item (a bug, a
 * payload the server cannot take) is audited and dropped instead of
 * stopping the bridge.  False when the connection went away meanwhile.
 */
static bool
flush_one_by_one(Store *s, PgLink *db)
{
	StrBuf		one;

	sb_init(&one);
	for (TenantItems *t = s->tenants; t; t = t->next)
	{
		Batch	   *kinds[3] = {&t->data, &t->control, &t->audit};

		for (int k = 0; k < 3; k++)
			for (int i = 0; i < kinds[k]->count; i++)
			{
				const char *p[1] = {t->tenant};
				const char *q[1];
				PGresult   *r;
				bool		ok;

				batch_item_array(kinds[k], i, &one);
				q[0] = one.data;
				ok = run(db, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL) &&
					run(db, "SELECT set_config('iot.tenant', $1, true)", 1, p, PGRES_TUPLES_OK, NULL) &&
					run(db, kind_sql[k], 1, q, PGRES_TUPLES_OK, &r);
				if (ok)
				{
					if (k == 0)
					{
						s->stored += atoll(PQgetvalue(r, 0, 0));
						s->rejected += atoll(PQgetvalue(r, 0, 1));
					}
					PQclear(r);
					ok = run(db, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL);
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
					run(db, "ROLLBACK", 0, NULL, PGRES_COMMAND_OK, NULL);
					snprintf(msg, sizeof(msg), "the bridge dropped an item PostgreSQL refused: %.400s",
							 PQerrorMessage(db->conn));
					log_event(LOG_ERROR, "%s: %.300s", msg, one.data);
					a[0] = t->tenant;
					a[1] = msg;
					a[2] = one.len > 4000 ? NULL : one.data;
					run(db, "SELECT set_config('iot.tenant', $1, false), "
						"iot.audit('mqtt', $2, 'PI803', jsonb_build_object('item', $3::text)), "
						"set_config('iot.tenant', '', false)", 3, a, PGRES_TUPLES_OK, NULL);
					s->rejected++;
				}
			}
	}
	sb_free(&one);
	return true;
}

bool
store_flush(Store *s, PgLink *db)
{
	long long	stored = 0,
				rejected = 0,
				controls = 0;
	bool		ok;

	if (s->held == 0)
		return true;
	if (pg_get(db) == NULL)
	{
		s->retry_at_ms = mono_ms() + pg_wait_ms(db);
		return false;
	}
	ok = run(db, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL);
	for (TenantItems *t = s->tenants; ok && t; t = t->next)
		ok = flush_tenant(s, db, t, &stored, &rejected, &controls);
	if (ok)
		ok = run(db, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL);
	if (!ok)
	{
		bool		alive = db->conn != NULL;

		if (alive)
		{
			run(db, "ROLLBACK", 0, NULL, PGRES_COMMAND_OK, NULL);
			log_event(LOG_WARNING, "PostgreSQL refused a batch of %d items; writing them one by one", s->held);
			if (flush_one_by_one(s, db))
			{
				s->retry_at_ms = 0;
				clear_all(s);
				return true;
			}
		}
		/* connection lost: every held item stays for the next attempt */
		s->retry_at_ms = mono_ms() + pg_wait_ms(db) + 10;
		log_event(LOG_WARNING, "flush of %d held items failed; retrying", s->held);
		return false;
	}
	log_event(LOG_DEBUG, "flushed %d items: %lld stored, %lld rejected, %lld control", s->held,
			  stored, rejected, controls);
	s->stored += stored;
	s->rejected += rejected;
	s->controls += controls;
	s->retry_at_ms = 0;
	clear_all(s);
	return true;
}
