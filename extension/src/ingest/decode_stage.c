/*
 * decode_stage.c: decoding on ingest (manual 11.3.2.2, 11.3.3.3, 11.3.4).
 *
 * After the items of a batch are attached to their devices and before
 * they are stored: an item whose encoding (its interface's
 * definition.encoding, else its metadata.encoding) names an enabled
 * decoder of the tenant is decoded.  The decoders a batch needs are read
 * in one query; their compiled form comes from the backend's cache
 * (decode/decoder_cache.c), recompiled only when a row's version changed.
 *
 * A decoded item keeps its value (value.payload included) and gets the
 * decoded fields added (or, with a template, the template's output); the
 * decoder's model replaces the message's when it has one; a decoded
 * value.location with lat/lon becomes metadata.transformation.decoder.
 * location, which the location priority rule of enrich.c reads.  An item
 * that fails to decode is stored undecoded with
 * metadata.transformation.decoder.error, and an audit-log entry (one
 * insert for the batch) says why; the batch goes on.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "decode/decode_errors.h"
#include "decode/decode_sql.h"
#include "decode/decoder_cache.h"
#include "decode/jsonb_build.h"
#include "decode_stage.h"
#include "jsonb_util.h"

#define ENCODING_KEY_MAX 201

typedef struct BatchDecoder
{
	char		encoding[ENCODING_KEY_MAX];
	CompiledDecoder *dec;
} BatchDecoder;

typedef struct DecodeAudit
{
	Datum	   *codes;
	Datum	   *messages;
	Datum	   *details;
	int			n;
} DecodeAudit;

/* The encoding an item asks for, or NULL. */
static const char *
item_encoding(IngestItem *item)
{
	JsonbValue	buf;
	JsonbValue *v;

	if (item->iface != NULL && item->iface->encoding != NULL)
		return item->iface->encoding;
	if (!item->has_metadata)
		return NULL;
	v = jb_get(item->metadata.val.binary.data, "encoding", &buf);
	if (v == NULL || v->type != jbvString || v->val.string.len == 0 ||
		v->val.string.len >= ENCODING_KEY_MAX)
		return NULL;
	return jb_strdup(v);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The payload to decode: value.payload (hex for binary), else raw. */
static bool
item_payload(IngestItem *item, bool binary, const uint8_t **data, size_t *len, char **why)
{
	JsonbValue	buf;
	JsonbValue *p = item->has_value ? jb_get(item->value.val.binary.data, "payload", &buf) : NULL;

	if (p == NULL)
	{
		if (item->raw != NULL)
		{
			*data = (const uint8_t *) VARDATA_ANY(item->raw);
			*len = VARSIZE_ANY_EXHDR(item->raw);
			return true;
		}
		*why = "value.payload is missing";
		return false;
	}
	if (p->type != jbvString)
	{
		*why = "value.payload is not a string";
		return false;
	}
	if (!binary)
	{
		*data = (const uint8_t *) p->val.string.val;
		*len = p->val.string.len;
		return true;
	}
	for (int i = 0; i < p->val.string.len; i++)
		if (hexval(p->val.string.val[i]) < 0)
		{
			*why = psprintf("value.payload is not hexadecimal (character %d)", i + 1);
			return false;
		}
	if (p->val.string.len % 2 != 0)
	{
		*why = "value.payload is not hexadecimal (odd number of digits)";
		return false;
	}
	{
		uint8_t    *bytes = palloc(p->val.string.len / 2 + 1);

		for (int i = 0; i < p->val.string.len; i += 2)
			bytes[i / 2] = (uint8_t) (hexval(p->val.string.val[i]) << 4 | hexval(p->val.string.val[i + 1]));
		*data = bytes;
		*len = p->val.string.len / 2;
	}
	return true;
}

/* Read the batch's decoders (one query) and attach their compiled form. */
static HTAB *
fetch_decoders(IngestBatch *b, const char **encodings)
{
	HTAB	   *set;
	HASHCTL		ctl;
	Datum	   *elems = palloc(sizeof(Datum) * b->n);
	int			n = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = ENCODING_KEY_MAX;
	ctl.entrysize = sizeof(BatchDecoder);
	ctl.hcxt = b->cxt;
	set = hash_create("pgiot batch decoders", 16, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (int i = 0; i < b->n; i++)
	{
		bool		found;
		BatchDecoder *e;

		if (encodings[i] == NULL)
			continue;
		e = hash_search(set, encodings[i], HASH_ENTER, &found);
		if (!found)
		{
			e->dec = NULL;
			elems[n++] = CStringGetTextDatum(encodings[i]);
		}
	}
	if (n == 0)
		return set;
	{
		Oid			types[2] = {UUIDOID, TEXTARRAYOID};
		Datum		args[2] = {b->tenant,
		PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT))};

		ingest_spi(b, PLAN_LOOKUP_DECODERS, "SELECT d.encoding, d.kind = 'binary', d.format, d.columns, d.options, d.template, "
				   "       d.model, d.version "
				   "FROM iot.decoder d WHERE d.tenant_id = $1 AND d.enabled AND d.encoding = ANY ($2)",
				   2, types, args, SPI_OK_SELECT);
	}
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		DecoderRow	row;
		bool		isnull;
		Datum		d;
		BatchDecoder *e;

		memset(&row, 0, sizeof(row));
		row.encoding = SPI_getvalue(tup, desc, 1);
		row.binary = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
		row.format = SPI_getvalue(tup, desc, 3);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		row.columns = isnull ? NULL : DatumGetJsonbP(d);
		d = SPI_getbinval(tup, desc, 5, &isnull);
		row.options = isnull ? NULL : DatumGetJsonbP(d);
		row.template_text = SPI_getvalue(tup, desc, 6);
		row.model = SPI_getvalue(tup, desc, 7);
		row.version = DatumGetInt64(SPI_getbinval(tup, desc, 8, &isnull));
		e = hash_search(set, row.encoding, HASH_FIND, NULL);
		if (e != NULL)
			e->dec = decoder_cache_get(DatumGetUUIDP(b->tenant), &row);
	}
	return set;
}

/* A location object with numeric lat and lon inside the limits. */
static bool
location_of(Jsonb *value, LocationFix *fix, JsonbValue *loc_out)
{
	JsonbValue	nb;
	JsonbValue *loc = jb_get(&value->root, "location", loc_out);
	JsonbContainer *c;

	memset(fix, 0, sizeof(*fix));
	if (loc == NULL || loc->type != jbvBinary || !JsonContainerIsObject(loc->val.binary.data))
		return false;
	c = loc->val.binary.data;
	if (!jb_double(jb_get(c, "lat", &nb), &fix->lat) || !jb_double(jb_get(c, "lon", &nb), &fix->lon) ||
		fabs(fix->lat) > 90 || fabs(fix->lon) > 180)
		return false;
	fix->has_alt = jb_double(jb_get(c, "alt", &nb), &fix->alt);
	fix->has_accuracy = jb_double(jb_get(c, "accuracy", &nb), &fix->accuracy);
	fix->present = true;
	return true;
}

/*
 * metadata with transformation.decoder set to `decoder_member` = value
 * (an object {"location": ...} or {"error": ..., "errorCode": ...}).
 */
static void
set_decoder_metadata(IngestItem *item, const char *key, JsonbValue *value, const char *key2,
					 JsonbValue *value2)
{
	static const char *const skip_tr[] = {"transformation"};
	static const char *const skip_dec[] = {"decoder"};
	JsonbParseState *st = NULL;
	JsonbContainer *md = item->has_metadata ? item->metadata.val.binary.data : NULL;
	JsonbValue	trbuf;
	JsonbValue *tr = md ? jb_get(md, "transformation", &trbuf) : NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_members_except(&st, md, skip_tr, 1);
	jb_key(&st, "transformation");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	if (tr != NULL && tr->type == jbvBinary)
		jb_members_except(&st, tr->val.binary.data, skip_dec, 1);
	jb_key(&st, "decoder");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, key);
	jb_value(&st, value);
	if (key2 != NULL)
	{
		jb_key(&st, key2);
		jb_value(&st, value2);
	}
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	item->metadata = jb_binary_of(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL)));
	item->has_metadata = true;
}

static void
fail_item(IngestItem *item, const char *encoding, int sqlerrcode, const char *message, DecodeAudit *audit)
{
	JsonbValue	msg,
				code;
	StringInfoData d;

	msg.type = jbvString;
	msg.val.string.val = (char *) message;
	msg.val.string.len = strlen(message);
	code.type = jbvString;
	code.val.string.val = unpack_sql_state(sqlerrcode);
	code.val.string.len = 5;
	set_decoder_metadata(item, "error", &msg, "errorCode", &code);

	initStringInfo(&d);
	appendStringInfo(&d, "{\"ord\": %d, \"encoding\": ", item->ord);
	escape_json(&d, encoding);
	if (item->device_id != NULL)
	{
		appendStringInfoString(&d, ", \"deviceId\": ");
		escape_json(&d, item->device_id);
	}
	appendStringInfoChar(&d, '}');
	audit->codes[audit->n] = CStringGetTextDatum(code.val.string.val);
	audit->messages[audit->n] = CStringGetTextDatum(psprintf("cannot decode a message with encoding \"%s\": %s",
															 encoding, message));
	audit->details[audit->n] = DirectFunctionCall1(jsonb_in, CStringGetDatum(d.data));
	audit->n++;
}

static bool decode_payload(CompiledDecoder *dec, const uint8_t *data, size_t len, JsonOut *out,
						   int *code, char **why);
static bool apply_template(CompiledDecoder *dec, JsonOut *out, Jsonb **result, int *code, char **why);
static bool merge_decoded(IngestItem *item, CompiledDecoder *dec, Jsonb *decoded);

/* Decode one item; false (with the error code and reason) when it cannot be. */
static bool
decode_item(IngestItem *item, CompiledDecoder *dec, JsonOut *out, int *code, char **why)
{
	const uint8_t *data;
	size_t		len;
	Jsonb	   *decoded;

	if (dec->error != NULL)
	{
		*code = ERRCODE_PGIOT_DECODER_INVALID;
		*why = dec->error;
		return false;
	}
	*code = dec->binary ? ERRCODE_INVALID_BINARY_REPRESENTATION : ERRCODE_INVALID_TEXT_REPRESENTATION;
	if (!item_payload(item, dec->binary, &data, &len, why))
		return false;
	/* without a template the fields go straight into jsonb */
	if (dec->tmpl == NULL)
	{
		JsonOut		sink;
		JsonbBuilder *jb = jsonb_builder_start(&sink);

		out = &sink;
		if (!decode_payload(dec, data, len, out, code, why))
			return false;
		decoded = jsonb_builder_finish(jb);
	}
	else
	{
		json_out_reset(out);
		if (!decode_payload(dec, data, len, out, code, why))
			return false;
		if (!apply_template(dec, out, &decoded, code, why))
			return false;
	}
	return merge_decoded(item, dec, decoded);
}

/* The decoder's fields of a payload, written to out. */
static bool
decode_payload(CompiledDecoder *dec, const uint8_t *data, size_t len, JsonOut *out, int *code, char **why)
{
	if (dec->binary)
	{
		JbbpError	err;

		if (!jbbp_decode(dec->prog, data, len, out, &err))
		{
			*why = pstrdup(err.message);
			return false;
		}
	}
	else
	{
		CsvError	err;

		if (!csv_decode(dec->csv, (const char *) data, len, out, &err))
		{
			*why = err.position > 0 ? psprintf("%s (character %d)", err.message, err.position)
				: pstrdup(err.message);
			return false;
		}
	}
	return true;
}

/* The template over the decoded fields (JSON text in out) into jsonb. */
static bool
apply_template(CompiledDecoder *dec, JsonOut *out, Jsonb **result, int *code, char **why)
{
	Jsonb	   *decoded;

	{
		JArena	   *a = jarena_create();
		JParseError perr;
		JValue	   *ctx = a ? json_parse(a, out->buf, out->len, false, &perr) : NULL;
		JsonOut		t;
		MustacheError merr;
		bool		ok;

		if (ctx == NULL)
		{
			jarena_free(a);
			*code = ERRCODE_OUT_OF_MEMORY;
			*why = "out of memory";
			return false;
		}
		json_out_init(&t, 0);
		ok = mustache_apply_template(dec->tmpl, ctx, &t, &merr);
		jarena_free(a);
		if (!ok)
		{
			json_out_free(&t);
			*code = ERRCODE_PGIOT_TEMPLATE_FAILED;
			*why = psprintf("template: %s", merr.message);
			return false;
		}
		decoded = pgiot_json_text_to_jsonb(t.buf, t.len);
		json_out_free(&t);
	}
	*result = decoded;
	return true;
}

/* The decoded fields into the item: value, model, location. */
static bool
merge_decoded(IngestItem *item, CompiledDecoder *dec, Jsonb *decoded)
{
	JsonbParseState *st = NULL;
	static const char *const skip_payload[] = {"payload"};
	LocationFix fix;
	JsonbValue	loc;

	/* the message's value, then the decoded fields (payload stays) */
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	if (item->has_value)
		jb_members_except(&st, item->value.val.binary.data, NULL, 0);
	jb_members_except(&st, &decoded->root, skip_payload, 1);
	item->value = jb_binary_of(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL)));
	item->has_value = true;

	if (dec->model != NULL)
		item->model = pstrdup(dec->model);
	if (location_of(decoded, &fix, &loc))
	{
		item->decoded = fix;
		set_decoder_metadata(item, "location", &loc, NULL, NULL);
	}
	return true;
}

void
ingest_decode(IngestBatch *b)
{
	const char **encodings = palloc0(sizeof(char *) * b->n);
	bool		any = false;
	HTAB	   *decoders;
	JsonOut		out;
	DecodeAudit audit;

	for (int i = 0; i < b->n; i++)
		if (b->items[i].sqlerrcode == 0)
			any |= (encodings[i] = item_encoding(&b->items[i])) != NULL;
	if (!any)
		return;
	decoders = fetch_decoders(b, encodings);

	audit.codes = palloc(sizeof(Datum) * b->n);
	audit.messages = palloc(sizeof(Datum) * b->n);
	audit.details = palloc(sizeof(Datum) * b->n);
	audit.n = 0;
	json_out_init(&out, 0);
	PG_TRY();
	{
		for (int i = 0; i < b->n; i++)
		{
			BatchDecoder *e;
			int			code;
			char	   *why;

			if (encodings[i] == NULL)
				continue;
			e = hash_search(decoders, encodings[i], HASH_FIND, NULL);
			if (e == NULL || e->dec == NULL)
				continue;		/* no enabled decoder: stored as it is */
			if (!decode_item(&b->items[i], e->dec, &out, &code, &why))
				fail_item(&b->items[i], encodings[i], code, why, &audit);
		}
	}
	PG_FINALLY();
	{
		json_out_free(&out);
	}
	PG_END_TRY();

	if (audit.n > 0)
	{
		Oid			types[4] = {UUIDOID, TEXTARRAYOID, TEXTARRAYOID, JSONBARRAYOID};
		Datum		args[4] = {
			b->tenant,
			PointerGetDatum(construct_array(audit.codes, audit.n, TEXTOID, -1, false, TYPALIGN_INT)),
			PointerGetDatum(construct_array(audit.messages, audit.n, TEXTOID, -1, false, TYPALIGN_INT)),
			PointerGetDatum(construct_array(audit.details, audit.n, JSONBOID, -1, false, TYPALIGN_INT))
		};

		ingest_spi(b, PLAN_AUDIT_DECODING, "INSERT INTO iot.audit_log (tenant_id, component, code, message, details) "
				   "SELECT $1, 'decoder', u.code, u.message, u.details "
				   "FROM unnest($2, $3, $4) AS u(code, message, details)",
				   4, types, args, SPI_OK_INSERT);
	}
}
