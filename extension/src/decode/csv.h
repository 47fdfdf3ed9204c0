/*
 * csv.h: the Live Objects CSV decoder (manual 11.3.3) in pure C.
 *
 * A description is the manual's decoder body, as JSON:
 *   {"columns": [{"name": "unit", "jsonType": "STRING|NUMERIC|BOOLEAN"}, ...],
 *    "options": {"quoteChar": "\"", "columnSeparator": ",",
 *                "lineFeedSeparator": "\n", "useEscapeChar": false,
 *                "escapeChar": "\\", "skipWhiteSpace": false}}
 * Only the first row of a payload is decoded (decisions.md 12).
 */
#ifndef PGIOT_CSV_H
#define PGIOT_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "decode/json_dom.h"
#include "decode/json_out.h"

typedef struct CsvDecoder CsvDecoder;

typedef struct CsvError
{
	bool		description;	/* the description is invalid (else the payload) */
	int			position;		/* payload: 1-based character; 0 if none */
	char		message[240];
} CsvError;

/* Compile a description (a parsed JSON object). */
extern CsvDecoder *csv_compile(const JValue *description, CsvError *err);
extern void csv_free(CsvDecoder *d);

/* Decode the first row of payload into one JSON object appended to out. */
extern bool csv_decode(const CsvDecoder *d, const char *payload, size_t len, JsonOut *out,
					   CsvError *err);

/* The same, members only (merged into an object the caller writes). */
extern bool csv_decode_members(const CsvDecoder *d, const char *payload, size_t len,
							   JsonOut *out, CsvError *err);

#endif
