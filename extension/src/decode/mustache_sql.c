/*
 * mustache_sql.c: iot.mustache_render(template, context) and
 * iot.template_apply(template, decoded), with the compiled template kept
 * in fn_extra while a query passes the same template.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "decode/decode_errors.h"
#include "decode/decode_sql.h"
#include "decode/mustache.h"

typedef struct MustacheCallCache
{
	char	   *tmpl;
	int			tmpl_len;
	Mustache   *m;				/* malloc'd */
	MemoryContextCallback cb;
} MustacheCallCache;

static void
free_call_cache(void *arg)
{
	MustacheCallCache *cc = arg;

	mustache_free(cc->m);
	cc->m = NULL;
}

void
pgiot_mustache_report_compile(const MustacheError *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_PGIOT_DECODER_INVALID),
			 errmsg("invalid template at position %d: %s", err->position, err->message)));
}

static Mustache *
cached_template(FunctionCallInfo fcinfo, text *t)
{
	MustacheCallCache *cc = fcinfo->flinfo->fn_extra;
	const char *src = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	MustacheError err;
	Mustache   *m;

	if (cc != NULL && cc->m != NULL && cc->tmpl_len == len && memcmp(cc->tmpl, src, len) == 0)
		return cc->m;
	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(MustacheCallCache));
		cc->cb.func = free_call_cache;
		cc->cb.arg = cc;
		MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt, &cc->cb);
		fcinfo->flinfo->fn_extra = cc;
	}
	m = mustache_compile(src, len, &err);
	if (m == NULL)
		pgiot_mustache_report_compile(&err);
	mustache_free(cc->m);
	cc->m = m;
	if (cc->tmpl)
		pfree(cc->tmpl);
	cc->tmpl = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len + 1);
	memcpy(cc->tmpl, src, len);
	cc->tmpl_len = len;
	return m;
}

/* A jsonb as a JSON tree in `a` (NULL: no context). */
JValue *
pgiot_jsonb_to_dom(JArena *a, Jsonb *j)
{
	char	   *text;
	JValue	   *v;
	JParseError perr;

	if (j == NULL)
		return NULL;
	text = JsonbToCString(NULL, &j->root, VARSIZE(j));
	v = json_parse(a, text, strlen(text), false, &perr);
	pfree(text);
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("cannot read the template context: %s", perr.message)));
	return v;
}

PG_FUNCTION_INFO_V1(pgiot_mustache_render);
Datum
pgiot_mustache_render(PG_FUNCTION_ARGS)
{
	Mustache   *m;
	JArena	   *a;
	JValue	   *ctx;
	JsonOut		out;
	MustacheError err;
	text	   *volatile result = NULL;
	volatile bool ok = false;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	m = cached_template(fcinfo, PG_GETARG_TEXT_PP(0));
	a = jarena_create();
	if (a == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	json_out_init(&out, 0);
	PG_TRY();
	{
		ctx = pgiot_jsonb_to_dom(a, PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1));
		ok = mustache_render(m, ctx, &out, &err);
		result = ok ? cstring_to_text_with_len(out.buf ? out.buf : "", out.len) : NULL;
	}
	PG_FINALLY();
	{
		jarena_free(a);
		json_out_free(&out);
	}
	PG_END_TRY();
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot render template: %s", err.message)));
	PG_RETURN_TEXT_P(result);
}

/* Render a compiled template by the Live Objects rule into jsonb. */
Jsonb *
pgiot_template_apply(Mustache *m, Jsonb *decoded)
{
	JArena	   *a = jarena_create();
	JsonOut		out;
	MustacheError err;
	Jsonb	   *volatile result = NULL;
	volatile bool ok = false;

	if (a == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	json_out_init(&out, 0);
	PG_TRY();
	{
		JValue	   *ctx = pgiot_jsonb_to_dom(a, decoded);

		ok = mustache_apply_template(m, ctx, &out, &err);
		if (ok)
			result = pgiot_json_text_to_jsonb(out.buf, out.len);
	}
	PG_FINALLY();
	{
		jarena_free(a);
		json_out_free(&out);
	}
	PG_END_TRY();
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_PGIOT_TEMPLATE_FAILED),
				 errmsg("cannot apply template: %s", err.message)));
	return result;
}

PG_FUNCTION_INFO_V1(pgiot_template_apply_sql);
Datum
pgiot_template_apply_sql(PG_FUNCTION_ARGS)
{
	Mustache   *m = cached_template(fcinfo, PG_GETARG_TEXT_PP(0));

	PG_RETURN_JSONB_P(pgiot_template_apply(m, PG_GETARG_JSONB_P(1)));
}

PG_FUNCTION_INFO_V1(pgiot_template_check);
Datum
pgiot_template_check(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	MustacheError err;
	Mustache   *m = mustache_compile(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &err);

	if (m == NULL)
		pgiot_mustache_report_compile(&err);
	mustache_free(m);
	if (!mustache_check_keys(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &err))
		pgiot_mustache_report_compile(&err);
	PG_RETURN_VOID();
}
