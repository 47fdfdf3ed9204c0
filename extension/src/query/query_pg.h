/*
 * query_pg.h: helpers shared by the query area's SQL wrappers.
 */
#ifndef PGIOT_QUERY_PG_H
#define PGIOT_QUERY_PG_H

#include "query/rsql_dialect.h"

/* An arena that allocates in CurrentMemoryContext. */
extern void query_arena_init(QArena *a);

/* Parse and check, or ereport (22P02, 22023, 54000) with the position. */
extern RsqlNode *query_rsql_parse(QArena *a, const char *query, size_t len,
								  const RsqlDialect *dialect);

/* The SQL predicate of a query, palloc'd. */
extern char *query_rsql_sql(const char *query, size_t len, const RsqlDialect *dialect);

#endif
