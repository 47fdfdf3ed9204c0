/*
 * pg.c: libpq connection with reconnect and back-off.
 */
#include "pg.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pg_link_init(PgLink *link, const char *conninfo, const char *on_connect_sql, long min_ms,
			 long max_ms)
{
	memset(link, 0, sizeof(*link));
	link->conninfo = strdup(conninfo);
	link->on_connect_sql = on_connect_sql ? strdup(on_connect_sql) : NULL;
	link->min_ms = min_ms;
	link->max_ms = max_ms;
	link->backoff_ms = min_ms;
}

static void
schedule_retry(PgLink *link)
{
	link->next_attempt_ms = mono_ms() + link->backoff_ms;
	link->backoff_ms = link->backoff_ms * 2 > link->max_ms ? link->max_ms : link->backoff_ms * 2;
	link->failures++;
}

PGconn *
pg_get(PgLink *link)
{
	if (link->conn != NULL)
		return link->conn;
	if (mono_ms() < link->next_attempt_ms)
		return NULL;
	link->conn = PQconnectdb(link->conninfo);
	if (PQstatus(link->conn) != CONNECTION_OK)
	{
		char	   *msg = PQerrorMessage(link->conn);

		log_event(link->failures == 0 ? LOG_ERROR : LOG_WARNING,
				  "PostgreSQL connection failed (attempt %d, next in %ld ms): %s",
				  link->failures + 1, link->backoff_ms, msg);
		PQfinish(link->conn);
		link->conn = NULL;
		schedule_retry(link);
		return NULL;
	}
	if (link->on_connect_sql != NULL)
	{
		PGresult   *r = PQexec(link->conn, link->on_connect_sql);

		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		{
			log_event(LOG_ERROR, "PostgreSQL session setup failed: %s", PQerrorMessage(link->conn));
			PQclear(r);
			PQfinish(link->conn);
			link->conn = NULL;
			schedule_retry(link);
			return NULL;
		}
		PQclear(r);
	}
	if (link->failures > 0)
		log_event(LOG_INFO, "PostgreSQL connection back after %d failed attempts", link->failures);
	else
		log_event(LOG_INFO, "connected to PostgreSQL");
	link->failures = 0;
	link->backoff_ms = link->min_ms;
	return link->conn;
}

long
pg_wait_ms(PgLink *link)
{
	long long	d;

	if (link->conn != NULL)
		return 0;
	d = link->next_attempt_ms - mono_ms();
	return d < 0 ? 0 : (long) d;
}

void
pg_check(PgLink *link)
{
	if (link->conn != NULL && PQstatus(link->conn) != CONNECTION_OK)
	{
		log_event(LOG_WARNING, "PostgreSQL connection lost: %s", PQerrorMessage(link->conn));
		PQfinish(link->conn);
		link->conn = NULL;
		schedule_retry(link);
	}
}

void
pg_close(PgLink *link)
{
	if (link->conn != NULL)
		PQfinish(link->conn);
	link->conn = NULL;
	free(link->conninfo);
	free(link->on_connect_sql);
	link->conninfo = link->on_connect_sql = NULL;
}

bool
pg_exec(PgLink *link, const char *sql, int nparams, const char *const *params,
		ExecStatusType expect, PGresult **out)
{
	PGconn	   *c = pg_get(link);
	PGresult   *r;

	if (out)
		*out = NULL;
	if (c == NULL)
		return false;
	r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != expect)
	{
		log_event(LOG_ERROR, "query failed: %s", PQerrorMessage(c));
		PQclear(r);
		pg_check(link);
		return false;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return true;
}
