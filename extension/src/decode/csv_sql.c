/*
 * csv_sql.c: iot.csv_decode(description jsonb, payload text) returns jsonb.
 * The compiled description stays in fn_extra while a query passes the
 * same one.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "decode/csv.h"
#include "decode/decode_errors.h"
#include "decode/decode_sql.h"
#include "decode/jsonb_build.h"

typedef struct CsvCallCache
{
	Jsonb	   *desc;			/* copy in fn_mcxt */
	CsvDecoder *dec;			/* malloc'd */
	MemoryContextCallback cb;
} CsvCallCache;

static void
free_call_cache(void *arg)
{
	CsvCallCache *cc = arg;

	csv_free(cc->dec);
	cc->dec = NULL;
}

void
pgiot_csv_report(const CsvError *err)
{
	if (err->description)
		ereport(ERROR,
				(errcode(ERRCODE_PGIOT_DECODER_INVALID),
				 errmsg("invalid CSV decoder description: %s", err->message)));
	if (err->position > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("cannot decode CSV payload at character %d: %s", err->position, err->message)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("cannot decode CSV payload: %s", err->message)));
}

/* Compile a description held in jsonb (PI040 on error). */
CsvDecoder *
pgiot_csv_compile(Jsonb *desc)
{
	JArena	   *a = jarena_create();
	CsvDecoder *volatile dec = NULL;
	CsvError	err;

	if (a == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	PG_TRY();
	{
		dec = csv_compile(pgiot_jsonb_to_dom(a, desc), &err);
	}
	PG_FINALLY();
	{
		jarena_free(a);
	}
	PG_END_TRY();
	if (dec == NULL)
		pgiot_csv_report(&err);
	return dec;
}

PG_FUNCTION_INFO_V1(pgiot_csv_decode);
Datum
pgiot_csv_decode(PG_FUNCTION_ARGS)
{
	Jsonb	   *desc = PG_GETARG_JSONB_P(0);
	text	   *payload = PG_GETARG_TEXT_PP(1);
	CsvCallCache *cc = fcinfo->flinfo->fn_extra;
	JsonOut		out;
	CsvError	err;
	bool		ok;
	Jsonb	   *result;

	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CsvCallCache));
		cc->cb.func = free_call_cache;
		cc->cb.arg = cc;
		MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt, &cc->cb);
		fcinfo->flinfo->fn_extra = cc;
	}
	if (cc->dec == NULL || VARSIZE(cc->desc) != VARSIZE(desc) ||
		memcmp(cc->desc, desc, VARSIZE(desc)) != 0)
	{
		CsvDecoder *dec = pgiot_csv_compile(desc);

		csv_free(cc->dec);
		cc->dec = dec;
		if (cc->desc)
			pfree(cc->desc);
		cc->desc = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, VARSIZE(desc));
		memcpy(cc->desc, desc, VARSIZE(desc));
	}
	{
		JsonbBuilder *b = jsonb_builder_start(&out);

		ok = csv_decode(cc->dec, VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload), &out, &err);
		result = ok ? jsonb_builder_finish(b) : NULL;
	}
	if (!ok)
		pgiot_csv_report(&err);
	PG_RETURN_JSONB_P(result);
}

PG_FUNCTION_INFO_V1(pgiot_csv_check);
Datum
pgiot_csv_check(PG_FUNCTION_ARGS)
{
	csv_free(pgiot_csv_compile(PG_GETARG_JSONB_P(0)));
	PG_RETURN_VOID();
}
