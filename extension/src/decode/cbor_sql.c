/*
 * cbor_sql.c: iot.cbor_to_jsonb(payload bytea) returns jsonb.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "decode/cbor_json.h"
#include "decode/decode_sql.h"
#include "decode/jsonb_build.h"

PG_FUNCTION_INFO_V1(pgiot_cbor_to_jsonb);
Datum
pgiot_cbor_to_jsonb(PG_FUNCTION_ARGS)
{
	bytea	   *payload = PG_GETARG_BYTEA_PP(0);
	JsonOut		out;
	CborJsonError err;
	Jsonb	   *result = NULL;
	bool		ok;

	JsonbBuilder *b = jsonb_builder_start(&out);

	ok = cbor_to_json((const uint8_t *) VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload), &out, &err);
	if (ok)
		result = jsonb_builder_finish(b);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("cannot decode CBOR payload: %s", err.message)));
	PG_RETURN_JSONB_P(result);
}
