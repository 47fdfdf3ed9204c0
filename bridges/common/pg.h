/*
 * pg.h: a libpq connection that comes back by itself.  pg_get() returns
 * a live connection or NULL while the server is away; attempts are spaced
 * by an exponential back-off (min_ms doubling up to max_ms).
 */
#ifndef PGIOT_BRIDGE_PG_H
#define PGIOT_BRIDGE_PG_H

#include <stdbool.h>
#include <libpq-fe.h>

typedef struct PgLink
{
	char	   *conninfo;
	char	   *on_connect_sql;	/* run after every (re)connection, or NULL */
	PGconn	   *conn;
	long		min_ms;
	long		max_ms;
	long		backoff_ms;
	long long	next_attempt_ms;	/* monotonic clock */
	int			failures;
} PgLink;

extern long long mono_ms(void);

extern void pg_link_init(PgLink *link, const char *conninfo, const char *on_connect_sql,
						 long min_ms, long max_ms);
/* A connected PGconn, or NULL (not yet time to retry, or the attempt failed). */
extern PGconn *pg_get(PgLink *link);
/* Milliseconds until the next attempt (0 when connected). */
extern long pg_wait_ms(PgLink *link);
/* A query failed: if the connection is broken, drop it (retry later). */
extern void pg_check(PgLink *link);
extern void pg_close(PgLink *link);

/* Run a command with text parameters; true when its status is `expect`. */
extern bool pg_exec(PgLink *link, const char *sql, int nparams, const char *const *params,
					ExecStatusType expect, PGresult **out);

#endif
