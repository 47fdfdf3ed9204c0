/*
 * decoder_cache.h: the compiled decoders of iot.decoder rows, cached per
 * backend.  An entry is keyed by (tenant, encoding) and remembers the
 * row's version (a fresh sequence value on every change), so a caller
 * that read the row's current version knows at once whether the compiled
 * copy is still the row's.
 */
#ifndef PGIOT_DECODER_CACHE_H
#define PGIOT_DECODER_CACHE_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "decode/csv.h"
#include "decode/jbbp.h"
#include "decode/mustache.h"

typedef struct CompiledDecoder
{
	int64		version;
	bool		binary;			/* else csv */
	JbbpProgram *prog;			/* binary */
	CsvDecoder *csv;			/* csv */
	Mustache   *tmpl;			/* NULL: no template */
	char	   *model;			/* NULL: keep the message's */
	char	   *error;			/* the row does not compile (never stored that way) */
} CompiledDecoder;

/* The row's fields, as read by the caller. */
typedef struct DecoderRow
{
	const char *encoding;
	bool		binary;
	const char *format;
	Jsonb	   *columns;
	Jsonb	   *options;
	const char *template_text;
	const char *model;
	int64		version;
} DecoderRow;

/* The compiled decoder of a row, from the cache or compiled now. */
extern CompiledDecoder *decoder_cache_get(pg_uuid_t *tenant, const DecoderRow *row);

/* Entries, hits and compilations since the backend started (tests). */
extern void decoder_cache_stats(int64 *entries, int64 *hits, int64 *compiles);

#endif
