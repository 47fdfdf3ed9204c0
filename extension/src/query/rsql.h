/*
 * rsql.h: RSQL/FIQL queries (pure C).
 *
 * One parser for every dialect.  Without a dialect it accepts standard
 * RSQL: any selector, the operators ==, !=, =lt= (<), =le= (<=), =gt= (>),
 * =ge= (>=), =in=, =out=; values unquoted, 'single' or "double" quoted
 * with backslash escapes; ';' or 'and', ',' or 'or', AND before OR,
 * parentheses.  A dialect (rsql_dialect.c) then checks selectors and
 * operators against its field table, and rsql_sql.c turns a checked tree
 * into an SQL predicate.
 */
#ifndef PGIOT_RSQL_H
#define PGIOT_RSQL_H

#include "qbuf.h"

#define RSQL_MAX_CHARS 512		/* decisions.md 8 */
#define RSQL_MAX_DEPTH 64		/* parentheses and =q= nesting */

typedef enum RsqlOp
{
	RSQL_EQ, RSQL_NE, RSQL_LT, RSQL_LE, RSQL_GT, RSQL_GE, RSQL_IN, RSQL_OUT, RSQL_Q
} RsqlOp;

#define RSQL_OPBIT(op) (1u << (op))

typedef enum RsqlKind
{
	RSQL_AND, RSQL_OR, RSQL_CMP
} RsqlKind;

typedef struct RsqlValue
{
	char	   *text;			/* unescaped, NUL-terminated */
	size_t		len;
	int			start;			/* byte offset in the query of the value */
	int			end;			/* byte offset just past it (quotes included) */
	char		quote;			/* '\'' or '"' when quoted, else 0 */
	bool		star;			/* ends with an unescaped '*' */
} RsqlValue;

struct RsqlField;

typedef struct RsqlNode
{
	RsqlKind	kind;
	int			pos;			/* byte offset where the node starts */
	/* RSQL_AND, RSQL_OR */
	struct RsqlNode **children;
	int			nchildren;
	/* RSQL_CMP */
	char	   *selector;
	int			op_pos;
	RsqlOp		op;
	RsqlValue  *args;
	int			nargs;
	bool		list;			/* arguments were given as (a, b, ...) */
	/* set by the dialect check */
	const struct RsqlField *field;
	const char *key;			/* the KEY of properties.KEY / property.KEY */
	bool		prefix;			/* == with a trailing * : prefix match */
	struct RsqlNode *sub;		/* =q= : the parsed sub-query */
} RsqlNode;

typedef enum RsqlErrorKind
{
	RSQL_OK = 0,
	RSQL_ERR_SYNTAX,			/* malformed query (22P02) */
	RSQL_ERR_FIELD,				/* unknown selector, operator or value for the dialect (22023) */
	RSQL_ERR_TOO_LONG			/* more than RSQL_MAX_CHARS characters (54000) */
} RsqlErrorKind;

typedef struct RsqlError
{
	RsqlErrorKind kind;
	int			pos;			/* byte offset of the fault in the query */
	char		msg[256];
	char		detail[512];	/* optional ("" when none) */
} RsqlError;

/*
 * Parse query[0..len).  Returns the tree, or NULL with *err filled.  The
 * query must not contain NUL bytes (reported as a syntax error).
 */
extern RsqlNode *rsql_parse(QArena *a, const char *query, size_t len, RsqlError *err);

/* "==", "!=", "=lt=", ... : the primary spelling of an operator. */
extern const char *rsql_op_name(RsqlOp op);

/* The tree as JSON: {"and":[...]}, {"or":[...]},
 * {"selector":..,"op":..,"args":[..]} (+ "prefix", "query" after a dialect check). */
extern void rsql_to_json(QBuf *out, const RsqlNode *node);

/* Internal: report a fault (the first one wins), add a detail to it. */
extern void rsql_fail(RsqlError *err, RsqlErrorKind kind, int pos, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
extern void rsql_fail_detail(RsqlError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#endif
