/*
 * geohash_fmgr.c: SQL wrappers of geohash.c.
 *
 *   iot.geohash_encode(lat float8, lon float8, precision int DEFAULT 12) RETURNS text
 *   iot.geohash_decode(hash text, OUT lat, OUT lon, OUT min_lat, OUT max_lat,
 *                      OUT min_lon, OUT max_lon)
 *   iot.geohash_neighbors(hash text) RETURNS TABLE (direction text, hash text)
 *
 * Errors: 22023 coordinates out of range or precision outside 1..20,
 * 22P02 invalid geohash character (with its 1-based position).
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "query/geohash.h"

static void
check_precision(int precision)
{
	if (precision < 1 || precision > GEOHASH_MAX_PRECISION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("geohash precision %d is out of range", precision),
				 errdetail("The precision is a number of characters from 1 to %d.", GEOHASH_MAX_PRECISION)));
}

PG_FUNCTION_INFO_V1(pgiot_geohash_encode);
Datum
pgiot_geohash_encode(PG_FUNCTION_ARGS)
{
	double		lat = PG_GETARG_FLOAT8(0);
	double		lon = PG_GETARG_FLOAT8(1);
	int			precision = PG_GETARG_INT32(2);
	char		out[GEOHASH_MAX_PRECISION + 1];

	check_precision(precision);
	if (!(lat >= -90.0 && lat <= 90.0) || !(lon >= -180.0 && lon <= 180.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid location (lat %g, lon %g)", lat, lon),
				 errdetail("lat must be in [-90, 90] and lon in [-180, 180].")));
	geohash_encode(lat, lon, precision, out);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

static void
decode_or_error(text *hash, GeohashBox *box)
{
	size_t		len = VARSIZE_ANY_EXHDR(hash);
	size_t		bad;

	if (len == 0 || len > GEOHASH_MAX_PRECISION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid geohash \"%s\"", text_to_cstring(hash)),
				 errdetail("A geohash has 1 to %d characters.", GEOHASH_MAX_PRECISION)));
	if (!geohash_decode(VARDATA_ANY(hash), len, box, &bad))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid geohash \"%s\": invalid character at position %d",
						text_to_cstring(hash), (int) bad + 1),
				 errdetail("The geohash alphabet is 0123456789bcdefghjkmnpqrstuvwxyz.")));
}

PG_FUNCTION_INFO_V1(pgiot_geohash_decode);
Datum
pgiot_geohash_decode(PG_FUNCTION_ARGS)
{
	GeohashBox	box;
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false};

	decode_or_error(PG_GETARG_TEXT_PP(0), &box);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "geohash_decode must return a record");
	desc = BlessTupleDesc(desc);
	values[0] = Float8GetDatum((box.min_lat + box.max_lat) / 2);
	values[1] = Float8GetDatum((box.min_lon + box.max_lon) / 2);
	values[2] = Float8GetDatum(box.min_lat);
	values[3] = Float8GetDatum(box.max_lat);
	values[4] = Float8GetDatum(box.min_lon);
	values[5] = Float8GetDatum(box.max_lon);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

PG_FUNCTION_INFO_V1(pgiot_geohash_neighbors);
Datum
pgiot_geohash_neighbors(PG_FUNCTION_ARGS)
{
	static const char *const directions[8] = {"n", "ne", "e", "se", "s", "sw", "w", "nw"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *hash = PG_GETARG_TEXT_PP(0);
	GeohashBox	box;
	char		out[8][GEOHASH_MAX_PRECISION + 1];
	bool		has[8];

	decode_or_error(hash, &box);
	InitMaterializedSRF(fcinfo, 0);
	geohash_neighbors(VARDATA_ANY(hash), VARSIZE_ANY_EXHDR(hash), out, has);
	for (int i = 0; i < 8; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, !has[i]};

		values[0] = CStringGetTextDatum(directions[i]);
		values[1] = has[i] ? CStringGetTextDatum(out[i]) : (Datum) 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
