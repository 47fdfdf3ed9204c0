/* outbox.c: LISTEN/NOTIFY wake-ups and claim/done of iot.outbox rows. */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strbuf.h"

void
outbox_listen_sql(const char *channel, char *buf, int buflen)
{
	snprintf(buf, buflen, "LISTEN pgiot_outbox_%s", channel);
}

bool
outbox_notified(PgLink *link, const char *channel)
{
	PGnotify   *n;
	bool		hit = false;
	char		name[128];

	if (link->conn == NULL)
		return false;
	snprintf(name, sizeof(name), "pgiot_outbox_%s", channel);
	if (!PQconsumeInput(link->conn))
	{
		pg_check(link);
		return false;
	}
	while ((n = PQnotifies(link->conn)) != NULL)
	{
		if (strcmp(n->relname, name) == 0)
			hit = true;
		PQfreemem(n);
	}
	return hit;
}

static bool
simple(PgLink *link, const char *sql)
{
	return pg_exec(link, sql, 0, NULL, PGRES_COMMAND_OK, NULL);
}

/* One claim round: rows handled, 0 when nothing was pending, -1 on error. */
static int
drain_once(PgLink *link, const char *channel, int batch, OutboxHandler handler, void *arg)
{
	PGresult   *r;
	char		lim[16];
	const char *params[2] = {channel, lim};
	StrBuf		ok_ids,
				err_ids;
	const char *last_error = NULL;
	int			n;

	snprintf(lim, sizeof(lim), "%d", batch);
	if (!simple(link, "BEGIN"))
		return -1;
	if (!pg_exec(link, "SELECT id, tenant_id, topic, device_id, payload::text, attempts "
				 "FROM iot.outbox_claim($1, $2::int)", 2, params, PGRES_TUPLES_OK, &r))
	{
		if (link->conn)
			simple(link, "ROLLBACK");
		return -1;
	}
	n = PQntuples(r);
	if (n == 0)
	{
		PQclear(r);
		simple(link, "COMMIT");
		return 0;
	}
	sb_init(&ok_ids);
	sb_init(&err_ids);
	sb_puts(&ok_ids, "{");
	sb_puts(&err_ids, "{");
	for (int i = 0; i < n; i++)
	{
		OutboxRow	row;
		const char *err;
		StrBuf	   *ids;

		row.id = PQgetvalue(r, i, 0);
		row.tenant_id = PQgetvalue(r, i, 1);
		row.topic = PQgetvalue(r, i, 2);
		row.device_id = PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3);
		row.payload = PQgetvalue(r, i, 4);
		row.attempts = atoi(PQgetvalue(r, i, 5));
		err = handler(arg, &row);
		ids = err ? &err_ids : &ok_ids;
		if (err)
			last_error = err;
		if (ids->len > 1)
			sb_puts(ids, ",");
		sb_puts(ids, row.id);
	}
	PQclear(r);
	sb_puts(&ok_ids, "}");
	sb_puts(&err_ids, "}");
	{
		bool		ok = true;

		if (ok_ids.len > 2)
		{
			const char *p[1] = {ok_ids.data};

			ok = pg_exec(link, "SELECT iot.outbox_done($1::bigint[])", 1, p, PGRES_TUPLES_OK, NULL);
		}
		if (ok && err_ids.len > 2)
		{
			const char *p[2] = {err_ids.data, last_error};

			ok = pg_exec(link, "SELECT iot.outbox_done($1::bigint[], $2)", 2, p, PGRES_TUPLES_OK, NULL);
		}
		sb_free(&ok_ids);
		sb_free(&err_ids);
		if (!ok || !simple(link, "COMMIT"))
		{
			if (link->conn)
				simple(link, "ROLLBACK");
			return -1;
		}
	}
	return n;
}

int
outbox_drain(PgLink *link, const char *channel, int batch, OutboxHandler handler, void *arg)
{
	int			total = 0;

	for (;;)
	{
		int			n = drain_once(link, channel, batch, handler, arg);

		if (n < 0)
			return total > 0 ? total : -1;
		total += n;
		if (n < batch)
			return total;
	}
}
