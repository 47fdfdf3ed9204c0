/*
 * decoder_cache.c: per-backend cache of compiled decoders (see
 * decoder_cache.h).  Compiled programs are malloc'd by the pure-C cores
 * and freed when an entry is replaced; the table lives in
 * CacheMemoryContext.  It holds at most DECODER_CACHE_MAX entries and is
 * emptied when full (decoders are few; a refill costs one compilation
 * each).
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "decode/decode_sql.h"
#include "decode/decoder_cache.h"

#define DECODER_CACHE_MAX 4096
#define ENCODING_MAX 200

typedef struct CacheKey
{
	pg_uuid_t	tenant;
	char		encoding[ENCODING_MAX + 1];
} CacheKey;

typedef struct CacheEntry
{
	CacheKey	key;
	CompiledDecoder dec;
} CacheEntry;

static HTAB *cache = NULL;
static int64 cache_hits = 0;
static int64 cache_compiles = 0;

static void
release(CompiledDecoder *d)
{
	jbbp_free(d->prog);
	csv_free(d->csv);
	mustache_free(d->tmpl);
	free(d->model);
	free(d->error);
	memset(d, 0, sizeof(*d));
}

static void
reset_cache(void)
{
	HASH_SEQ_STATUS seq;
	CacheEntry *e;

	hash_seq_init(&seq, cache);
	while ((e = hash_seq_search(&seq)) != NULL)
		release(&e->dec);
	hash_destroy(cache);
	cache = NULL;
}

static void
set_error(CompiledDecoder *d, const char *what, const char *msg)
{
	char	   *s = psprintf("%s: %s", what, msg);

	d->error = strdup(s);
	pfree(s);
}

/* Compile a row into d (errors are kept in d->error, never raised). */
static void
compile(CompiledDecoder *d, const DecoderRow *row)
{
	d->version = row->version;
	d->binary = row->binary;
	if (row->binary)
	{
		JbbpError	err;

		d->prog = jbbp_compile(row->format, strlen(row->format), &err);
		if (d->prog == NULL)
			set_error(d, "invalid binary format", err.message);
	}
	else
	{
		JArena	   *a = jarena_create();
		StringInfoData desc;
		JValue	   *v;
		JParseError perr;
		CsvError	err;

		initStringInfo(&desc);
		appendStringInfoString(&desc, "{\"columns\": ");
		appendStringInfoString(&desc, JsonbToCString(NULL, &row->columns->root, VARSIZE(row->columns)));
		if (row->options != NULL)
		{
			appendStringInfoString(&desc, ", \"options\": ");
			appendStringInfoString(&desc, JsonbToCString(NULL, &row->options->root, VARSIZE(row->options)));
		}
		appendStringInfoChar(&desc, '}');
		v = a ? json_parse(a, desc.data, desc.len, false, &perr) : NULL;
		if (v == NULL)
			set_error(d, "invalid CSV description", a ? perr.message : "out of memory");
		else if ((d->csv = csv_compile(v, &err)) == NULL)
			set_error(d, "invalid CSV description", err.message);
		jarena_free(a);
		pfree(desc.data);
	}
	if (d->error == NULL && row->template_text != NULL)
	{
		MustacheError err;

		d->tmpl = mustache_compile(row->template_text, strlen(row->template_text), &err);
		if (d->tmpl == NULL)
			set_error(d, "invalid template", err.message);
	}
	if (row->model != NULL && row->model[0] != '\0')
		d->model = strdup(row->model);
	cache_compiles++;
}

CompiledDecoder *
decoder_cache_get(pg_uuid_t *tenant, const DecoderRow *row)
{
	CacheKey	key;
	CacheEntry *e;
	bool		found;

	if (cache == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(CacheKey);
		ctl.entrysize = sizeof(CacheEntry);
		ctl.hcxt = CacheMemoryContext;
		cache = hash_create("pgiot decoders", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.tenant = *tenant;
	strlcpy(key.encoding, row->encoding, sizeof(key.encoding));
	e = hash_search(cache, &key, HASH_FIND, NULL);
	if (e != NULL && e->dec.version == row->version)
	{
		cache_hits++;
		return &e->dec;
	}
	if (e == NULL && hash_get_num_entries(cache) >= DECODER_CACHE_MAX)
	{
		reset_cache();
		return decoder_cache_get(tenant, row);
	}
	e = hash_search(cache, &key, HASH_ENTER, &found);
	if (found)
		release(&e->dec);
	else
		memset(&e->dec, 0, sizeof(e->dec));
	compile(&e->dec, row);
	return &e->dec;
}

void
decoder_cache_stats(int64 *entries, int64 *hits, int64 *compiles)
{
	*entries = cache ? hash_get_num_entries(cache) : 0;
	*hits = cache_hits;
	*compiles = cache_compiles;
}

PG_FUNCTION_INFO_V1(pgiot_decoder_cache_stats);
Datum
pgiot_decoder_cache_stats(PG_FUNCTION_ARGS)
{
	int64		entries,
				hits,
				compiles;
	char	   *json;

	decoder_cache_stats(&entries, &hits, &compiles);
	json = psprintf("{\"entries\": " INT64_FORMAT ", \"hits\": " INT64_FORMAT ", \"compiles\": " INT64_FORMAT "}",
					entries, hits, compiles);
	PG_RETURN_JSONB_P(pgiot_json_text_to_jsonb(json, strlen(json)));
}
