/*
 * decode_sql.c: helpers the decoders' SQL wrappers share.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "decode/decode_sql.h"

Jsonb *
pgiot_json_text_to_jsonb(const char *json, size_t len)
{
	Datum		d;

	Assert(json != NULL && json[len] == '\0');
	d = DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
	return DatumGetJsonbP(d);
}
