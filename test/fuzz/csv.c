/*
 * Fuzz target: the CSV decoder.  Input: description JSON, NUL, payload
 * (no NUL: the input is the payload of a fixed three-column description
 * with escapes and trimming on).
 *
 * FUZZ_SOURCES: extension/src/decode/csv.c extension/src/decode/json_dom.c extension/src/decode/json_out.c extension/src/decode/math_expr.c
 * FUZZ_LIBS: -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/csv.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed[] =
"{\"columns\": [{\"name\": \"s\", \"jsonType\": \"STRING\"}, {\"name\": \"n\", \"jsonType\": \"NUMERIC\"},"
" {\"name\": \"b\", \"jsonType\": \"BOOLEAN\"}], \"options\": {\"useEscapeChar\": true, \"skipWhiteSpace\": true,"
" \"lineFeedSeparator\": \"\\r\\n\", \"columnSeparator\": \";;\"}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	const char *desc_text = nul ? (const char *) data : fixed;
	size_t		desc_len = nul ? (size_t) (nul - data) : strlen(fixed);
	const char *payload = nul ? (const char *) nul + 1 : (const char *) data;
	size_t		plen = nul ? size - desc_len - 1 : size;
	JArena	   *a = jarena_create();
	JParseError perr;
	JValue	   *desc = json_parse(a, desc_text, desc_len, false, &perr);
	CsvError	err;
	CsvDecoder *d;
	JsonOut		out;

	if (desc == NULL)
	{
		if (perr.message[0] == '\0')
			abort();
		jarena_free(a);
		return 0;
	}
	d = csv_compile(desc, &err);
	if (d == NULL)
	{
		if (err.message[0] == '\0')
			abort();
		jarena_free(a);
		return 0;
	}
	json_out_init(&out, 1 << 20);
	if (csv_decode(d, payload, plen, &out, &err))
	{
		JArena	   *b = jarena_create();

		if (json_parse(b, out.buf, out.len, false, &perr) == NULL)
			abort();			/* the output is always JSON */
		jarena_free(b);
	}
	else if (err.message[0] == '\0')
		abort();
	json_out_free(&out);
	csv_free(d);
	jarena_free(a);
	return 0;
}
