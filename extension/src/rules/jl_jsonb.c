/*
 * jl_jsonb.c: the JsonLogic engine seen from PostgreSQL: arenas in memory
 * contexts, jsonb <-> JlValue conversion, error reports.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "jl_jsonb.h"
#include "rules_errors.h"

static void *
pg_alloc(size_t size, void *ctx)
{
	return MemoryContextAlloc((MemoryContext) ctx, size);
}

static void
pg_release(void *ptr, void *ctx)
{
	pfree(ptr);
}

void
jl_pg_arena_init(JlArena *a, MemoryContext cxt)
{
	jl_arena_init(a, pg_alloc, pg_release, cxt);
}

/* ------------------------------------------------------------------ */
/* jsonb -> JlValue														*/
/* ------------------------------------------------------------------ */

static double
numeric_to_double(Numeric num)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(num)));
}

static const JlValue *from_container(JlArena *a, JsonbContainer *c, bool copy, int depth);

static const JlValue *
from_value(JlArena *a, JsonbValue *v, bool copy, int depth)
{
	switch (v->type)
	{
		case jbvNull:
			return &jl_null_value;
		case jbvBool:
			return jl_bool(v->val.boolean);
		case jbvNumeric:
			return jl_number(a, numeric_to_double(v->val.numeric));
		case jbvString:
			return jl_string(a, v->val.string.val, v->val.string.len, copy);
		case jbvBinary:
			return from_container(a, v->val.binary.data, copy, depth + 1);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return &jl_null_value;
}

static const JlValue *
from_container(JlArena *a, JsonbContainer *c, bool copy, int depth)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	check_stack_depth();
	it = JsonbIteratorInit(c);
	tok = JsonbIteratorNext(&it, &v, true);
	if (tok == WJB_BEGIN_ARRAY)
	{
		size_t		n = v.val.array.nElems,
					i = 0;
		const JlValue **items;

		if (v.val.array.rawScalar)
		{
			tok = JsonbIteratorNext(&it, &v, true);
			return from_value(a, &v, copy, depth);
		}
		items = jl_alloc(a, sizeof(JlValue *) * (n > 0 ? n : 1));
		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_ELEM)
			if (i < n)
				items[i++] = from_value(a, &v, copy, depth);
		return jl_array(a, items, i);
	}
	if (tok == WJB_BEGIN_OBJECT)
	{
		size_t		n = v.val.object.nPairs,
					i = 0;
		JlMember   *members = jl_alloc(a, sizeof(JlMember) * (n > 0 ? n : 1));

		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_KEY)
		{
			const JlValue *key = jl_string(a, v.val.string.val, v.val.string.len, copy);

			tok = JsonbIteratorNext(&it, &v, true);
			if (i < n)
			{
				members[i].key = key->u.str.ptr;
				members[i].keylen = key->u.str.len;
				members[i].val = from_value(a, &v, copy, depth);
				i++;
			}
		}
		return jl_object(a, members, i);
	}
	elog(ERROR, "unexpected jsonb token %d", (int) tok);
	return &jl_null_value;
}

const JlValue *
jl_from_jsonb(JlArena *a, Jsonb *jb, bool copy_strings)
{
	return from_container(a, &jb->root, copy_strings, 0);
}

const JlValue *
jl_from_jsonb_value(JlArena *a, JsonbValue *v, bool copy_strings)
{
	return from_value(a, v, copy_strings, 0);
}

/* ------------------------------------------------------------------ */
/* JlValue -> jsonb														*/
/* ------------------------------------------------------------------ */

static void
scalar(const JlValue *v, JsonbValue *out)
{
	switch (v->type)
	{
		case JL_BOOL:
			out->type = jbvBool;
			out->val.boolean = v->u.b;
			return;
		case JL_NUMBER:
			if (isfinite(v->u.num))
			{
				char		buf[JL_NUMBER_BUFLEN];

				jl_format_number(v->u.num, buf);
				out->type = jbvNumeric;
				out->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																	   CStringGetDatum(buf),
																	   ObjectIdGetDatum(InvalidOid),
																	   Int32GetDatum(-1)));
				return;
			}
			break;				/* NaN and infinities are written as null */
		case JL_STRING:
			out->type = jbvString;
			out->val.string.val = (char *) v->u.str.ptr;
			out->val.string.len = (int) v->u.str.len;
			return;
		default:
			break;
	}
	out->type = jbvNull;
}

/* Push v; returns what pushJsonbValue returned last (the result at the top). */
static JsonbValue *
push(JsonbParseState **st, const JlValue *v, JsonbIteratorToken as)
{
	JsonbValue	jv;

	check_stack_depth();
	if (v->type == JL_ARRAY)
	{
		pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
		for (size_t i = 0; i < v->u.arr.n; i++)
			push(st, v->u.arr.items[i], WJB_ELEM);
		return pushJsonbValue(st, WJB_END_ARRAY, NULL);
	}
	if (v->type == JL_OBJECT)
	{
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		for (size_t i = 0; i < v->u.obj.n; i++)
		{
			JsonbValue	key;

			key.type = jbvString;
			key.val.string.val = (char *) v->u.obj.members[i].key;
			key.val.string.len = (int) v->u.obj.members[i].keylen;
			pushJsonbValue(st, WJB_KEY, &key);
			push(st, v->u.obj.members[i].val, WJB_VALUE);
		}
		return pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	scalar(v, &jv);
	return pushJsonbValue(st, as, &jv);
}

Jsonb *
jl_to_jsonb(const JlValue *v)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;

	if (v->type != JL_ARRAY && v->type != JL_OBJECT)
	{
		JsonbValue	jv;

		scalar(v, &jv);
		return JsonbValueToJsonb(&jv);
	}
	res = push(&st, v, WJB_ELEM);
	return JsonbValueToJsonb(res);
}

void
jl_report_error(const JlError *err, const char *what)
{
	switch (err->code)
	{
		case JL_ERR_TOO_COMPLEX:
			ereport(ERROR,
					(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
					 errmsg("%s: %s", what, err->message),
					 errhint("Rules are limited to %d evaluation steps per message.",
							 JL_DEFAULT_MAX_STEPS)));
			break;
		case JL_ERR_DEPTH:
			ereport(ERROR,
					(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
					 errmsg("%s: %s", what, err->message),
					 errdetail("at %s", err->where[0] ? err->where : "/")));
			break;
		case JL_ERR_JSON:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("%s: %s at position %d", what, err->message, err->position)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_PGIOT_INVALID_RULE),
					 errmsg("%s: %s", what, err->message),
					 errdetail("at %s", err->where[0] ? err->where : "/")));
	}
	pg_unreachable();
}
