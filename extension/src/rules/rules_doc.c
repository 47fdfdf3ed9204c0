/*
 * rules_doc.c: the data message as the rules see it, built directly from
 * the columns of iot.message into the engine's value tree: the same
 * document as iot.message_json() (id, streamId, timestamp, created, model,
 * value, tags, extra, location, metadata), without building it as jsonb.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "jl_jsonb.h"
#include "rules_doc.h"

/* iot.iso_time(): YYYY-MM-DDTHH:MI:SS.mmmZ in UTC, milliseconds truncated. */
static const JlValue *
iso_time(JlArena *a, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char		buf[64];
	int			n;

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		return &jl_null_value;
	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
				 tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (fsec / 1000));
	return jl_string(a, buf, (size_t) n, true);
}

static const JlValue *
text_value(JlArena *a, Datum d, bool isnull)
{
	text	   *t;

	if (isnull)
		return &jl_null_value;
	t = DatumGetTextPP(d);
	return jl_string(a, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), true);
}

static const JlValue *
jsonb_value(JlArena *a, Datum d, bool isnull)
{
	return isnull ? &jl_null_value : jl_from_jsonb(a, DatumGetJsonbP(d), false);
}

static const JlValue *
float_value(JlArena *a, Datum d, bool isnull)
{
	return isnull ? &jl_null_value : jl_number(a, DatumGetFloat8(d));
}

/*
 * The longitude and latitude of a stored geography point, read from its
 * serialized form (PostGIS GSERIALIZED, versions 1 and 2: size, 3 bytes
 * of SRID, flags, extended flags when flagged, bounding box when flagged,
 * then type, point count and coordinates).  False for anything else.
 */
static bool
decode_point(Datum d, double *lon, double *lat)
{
	struct varlena *v = (struct varlena *) PG_DETOAST_DATUM_PACKED(d);
	const uint8 *p = (const uint8 *) VARDATA_ANY(v);
	size_t		len = VARSIZE_ANY_EXHDR(v),
				off = 4;		/* SRID (3) and flags (1) */
	uint8		flags;
	int			dims;
	uint32		type,
				npoints;

	if (len < off)
		return false;
	flags = p[3];
	if (flags & 0x80)
		return false;			/* a version we do not know */
	dims = 2 + ((flags & 0x01) ? 1 : 0) + ((flags & 0x02) ? 1 : 0);
	if ((flags & 0x40) && (flags & 0x10))
		off += 8;				/* version 2: extended flags */
	if (flags & 0x04)
		off += (flags & 0x08) ? 6 * sizeof(float) : 2 * dims * sizeof(float);
	if (len < off + 8 + 2 * sizeof(double))
		return false;
	memcpy(&type, p + off, 4);
	memcpy(&npoints, p + off + 4, 4);
	if (type != 1 || npoints != 1)	/* POINTTYPE, not empty */
		return false;
	memcpy(lon, p + off + 8, sizeof(double));
	memcpy(lat, p + off + 8 + sizeof(double), sizeof(double));
	return isfinite(*lon) && isfinite(*lat);
}

/* PostGIS's reading, for a serialization decode_point does not know. */
static void
postgis_point(Datum d, Oid type, double *lon, double *lat)
{
	bool		isnull;

	if (SPI_execute_with_args("SELECT ST_X($1::geometry), ST_Y($1::geometry)", 1, &type, &d, NULL,
							  true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read a message location");
	*lon = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*lat = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
}

static void
member(JlMember *m, int *n, const char *key, const JlValue *v)
{
	m[*n].key = key;
	m[*n].keylen = strlen(key);
	m[*n].val = v;
	(*n)++;
}

const JlValue *
rules_message_value(JlArena *a, const Datum *values, const bool *nulls, TupleDesc desc, int first)
{
	JlMember   *m = jl_alloc(a, sizeof(JlMember) * 10);
	int			n = 0;
	bool		isnull;
	char		hex[32];
	int64		id;
	Datum		d;

#define COL(i) (isnull = nulls[first + (i) - 1], values[first + (i) - 1])
	id = DatumGetInt64(COL(RULES_DOC_ID));
	snprintf(hex, sizeof(hex), "%024llx", (unsigned long long) id);
	member(m, &n, "id", jl_string(a, hex, strlen(hex), true));
	d = COL(RULES_DOC_STREAM);
	member(m, &n, "streamId", text_value(a, d, isnull));
	d = COL(RULES_DOC_TS);
	member(m, &n, "timestamp", isnull ? &jl_null_value : iso_time(a, DatumGetTimestampTz(d)));
	d = COL(RULES_DOC_CREATED);
	member(m, &n, "created", isnull ? &jl_null_value : iso_time(a, DatumGetTimestampTz(d)));
	d = COL(RULES_DOC_MODEL);
	member(m, &n, "model", text_value(a, d, isnull));
	d = COL(RULES_DOC_VALUE);
	member(m, &n, "value", jsonb_value(a, d, isnull));
	d = COL(RULES_DOC_TAGS);
	member(m, &n, "tags", jsonb_value(a, d, isnull));
	d = COL(RULES_DOC_EXTRA);
	member(m, &n, "extra", jsonb_value(a, d, isnull));
	d = COL(RULES_DOC_LOCATION);
	if (isnull)
		member(m, &n, "location", &jl_null_value);
	else
	{
		JlMember   *loc = jl_alloc(a, sizeof(JlMember) * 5);
		int			k = 0;
		double		lon,
					lat;

		if (!decode_point(d, &lon, &lat))
			postgis_point(d, SPI_gettypeid(desc, first + RULES_DOC_LOCATION), &lon, &lat);
		member(loc, &k, "lon", jl_number(a, lon));
		member(loc, &k, "lat", jl_number(a, lat));
		d = COL(RULES_DOC_ALT);
		member(loc, &k, "alt", float_value(a, d, isnull));
		d = COL(RULES_DOC_ACCURACY);
		member(loc, &k, "accuracy", float_value(a, d, isnull));
		d = COL(RULES_DOC_PROVIDER);
		member(loc, &k, "provider", text_value(a, d, isnull));
		member(m, &n, "location", jl_object(a, loc, k));
	}
	d = COL(RULES_DOC_METADATA);
	member(m, &n, "metadata", jsonb_value(a, d, isnull));
#undef COL
	return jl_object(a, m, n);
}
