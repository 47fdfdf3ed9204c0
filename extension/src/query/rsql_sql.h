/*
 * rsql_sql.h: a checked RSQL tree as an SQL predicate (pure C).
 */
#ifndef PGIOT_RSQL_SQL_H
#define PGIOT_RSQL_SQL_H

#include "rsql_dialect.h"

/*
 * Append to `out` one parenthesised boolean expression over iot.device
 * AS d.  The tree must have been checked against a dialect.  Identifiers
 * come only from the dialect's field table; every value from the query is
 * a quoted literal (quote_literal rules).
 */
extern void rsql_to_sql(QBuf *out, const RsqlNode *root);

/* Does the text read as a number (for =lt= and friends)? */
extern bool rsql_numeric(const char *s, size_t n);

#endif
