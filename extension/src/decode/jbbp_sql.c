/*
 * jbbp_sql.c: iot.jbbp_parse(format text, payload bytea) returns jsonb.
 *
 * The compiled program is kept in fn_extra for as long as the calls of
 * one query pass the same format, so a query over many payloads compiles
 * once.  Registered decoders have their own cache (decoder_cache.c).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "decode/decode_errors.h"
#include "decode/decode_sql.h"
#include "decode/jbbp.h"
#include "decode/jsonb_build.h"

typedef struct JbbpCallCache
{
	char	   *format;			/* in fn_mcxt */
	int			format_len;
	JbbpProgram *prog;			/* malloc'd */
	MemoryContextCallback cb;
} JbbpCallCache;

static void
free_call_cache(void *arg)
{
	JbbpCallCache *cc = arg;

	jbbp_free(cc->prog);
	cc->prog = NULL;
}

void
pgiot_jbbp_report(const JbbpError *err)
{
	switch (err->kind)
	{
		case JBBP_ERR_FORMAT:
			ereport(ERROR,
					(errcode(ERRCODE_PGIOT_DECODER_INVALID),
					 errmsg("invalid binary format %s", err->message)));
			break;
		case JBBP_ERR_LIMIT:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s", err->message)));
			break;
		case JBBP_ERR_NOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory while decoding")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("cannot decode payload: %s", err->message)));
	}
}

/* The program of `format`, compiled on first use in this query. */
static JbbpCallCache *
call_cache(FunctionCallInfo fcinfo, text *format)
{
	JbbpCallCache *cc = fcinfo->flinfo->fn_extra;
	const char *src = VARDATA_ANY(format);
	int			len = VARSIZE_ANY_EXHDR(format);
	JbbpError	err;
	JbbpProgram *prog;

	if (cc != NULL && cc->prog != NULL && cc->format_len == len &&
		memcmp(cc->format, src, len) == 0)
		return cc;
	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(JbbpCallCache));
		cc->cb.func = free_call_cache;
		cc->cb.arg = cc;
		MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt, &cc->cb);
		fcinfo->flinfo->fn_extra = cc;
	}
	prog = jbbp_compile(src, len, &err);
	if (prog == NULL)
		pgiot_jbbp_report(&err);
	jbbp_free(cc->prog);
	cc->prog = prog;
	if (cc->format)
		pfree(cc->format);
	cc->format = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len + 1);
	memcpy(cc->format, src, len);
	cc->format_len = len;
	return cc;
}

PG_FUNCTION_INFO_V1(pgiot_jbbp_parse);
Datum
pgiot_jbbp_parse(PG_FUNCTION_ARGS)
{
	text	   *format = PG_GETARG_TEXT_PP(0);
	bytea	   *payload = PG_GETARG_BYTEA_PP(1);
	JbbpCallCache *cc = call_cache(fcinfo, format);
	JbbpError	err;
	JsonOut		out;
	JsonbBuilder *b = jsonb_builder_start(&out);

	jsonb_builder_stable_keys(b);
	if (!jbbp_decode(cc->prog, (const uint8_t *) VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload),
					 &out, &err))
		pgiot_jbbp_report(&err);
	PG_RETURN_JSONB_P(jsonb_builder_finish(b));
}

PG_FUNCTION_INFO_V1(pgiot_jbbp_check);
Datum
pgiot_jbbp_check(PG_FUNCTION_ARGS)
{
	text	   *format = PG_GETARG_TEXT_PP(0);
	JbbpError	err;
	JbbpProgram *prog = jbbp_compile(VARDATA_ANY(format), VARSIZE_ANY_EXHDR(format), &err);

	if (prog == NULL)
		pgiot_jbbp_report(&err);
	jbbp_free(prog);
	PG_RETURN_VOID();
}
