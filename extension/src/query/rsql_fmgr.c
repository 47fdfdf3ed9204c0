/*
 * rsql_fmgr.c: SQL wrappers of the RSQL parser and translator.
 *
 *   iot.rsql_parse(query text, dialect text DEFAULT NULL) RETURNS jsonb
 *   iot.rsql_to_sql(query text, dialect text DEFAULT 'device') RETURNS text
 *
 * Errors: 22P02 malformed query, 22023 unknown field/operator/value for
 * the dialect or unknown dialect, 54000 query longer than 512 characters;
 * the message gives the 1-based character position of the fault.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "query/query_pg.h"
#include "query/rsql_sql.h"

static void *
arena_palloc(void *state, size_t size)
{
	return MemoryContextAllocZero((MemoryContext) state, size);
}

void
query_arena_init(QArena *a)
{
	a->alloc = arena_palloc;
	a->state = CurrentMemoryContext;
}

static const RsqlDialect *
dialect_arg(FunctionCallInfo fcinfo, int argno, bool required)
{
	char	   *name;
	const RsqlDialect *d;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("an RSQL dialect is required"),
					 errhint("The dialects are device and inventory.")));
		return NULL;
	}
	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	d = rsql_dialect(name);
	if (d == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown RSQL dialect \"%s\"", name),
				 errhint("The dialects are device and inventory.")));
	return d;
}

RsqlNode *
query_rsql_parse(QArena *a, const char *query, size_t len, const RsqlDialect *dialect)
{
	RsqlError	err;
	RsqlNode   *root = rsql_parse_dialect(a, query, len, dialect, &err);

	if (root == NULL)
		ereport(ERROR,
				(errcode(err.kind == RSQL_ERR_TOO_LONG ? ERRCODE_PROGRAM_LIMIT_EXCEEDED :
						 err.kind == RSQL_ERR_FIELD ? ERRCODE_INVALID_PARAMETER_VALUE :
						 ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid RSQL query: %s at position %d", err.msg, utf8_char_pos(query, (size_t) err.pos)),
				 err.detail[0] ? errdetail("%s", err.detail) : 0));
	return root;
}

char *
query_rsql_sql(const char *query, size_t len, const RsqlDialect *dialect)
{
	QArena		a;
	QBuf		out;
	RsqlNode   *root;

	query_arena_init(&a);
	root = query_rsql_parse(&a, query, len, dialect);
	qbuf_init(&out, &a);
	rsql_to_sql(&out, root);
	return out.data;
}

PG_FUNCTION_INFO_V1(pgiot_rsql_parse);
Datum
pgiot_rsql_parse(PG_FUNCTION_ARGS)
{
	text	   *query;
	const RsqlDialect *dialect;
	QArena		a;
	QBuf		out;
	RsqlNode   *root;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	query = PG_GETARG_TEXT_PP(0);
	dialect = dialect_arg(fcinfo, 1, false);
	query_arena_init(&a);
	root = query_rsql_parse(&a, VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query), dialect);
	qbuf_init(&out, &a);
	rsql_to_json(&out, root);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}

PG_FUNCTION_INFO_V1(pgiot_rsql_to_sql);
Datum
pgiot_rsql_to_sql(PG_FUNCTION_ARGS)
{
	text	   *query;
	const RsqlDialect *dialect;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	query = PG_GETARG_TEXT_PP(0);
	dialect = dialect_arg(fcinfo, 1, true);
	PG_RETURN_TEXT_P(cstring_to_text(query_rsql_sql(VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query), dialect)));
}
