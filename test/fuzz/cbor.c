/*
 * Fuzz target: CBOR to JSON (libcbor decodes, our converter writes JSON).
 *
 * FUZZ_SOURCES: extension/src/decode/cbor_json.c extension/src/decode/json_out.c extension/src/decode/json_dom.c extension/src/decode/math_expr.c
 * FUZZ_LIBS: -lcbor -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/cbor_json.h"
#include "decode/json_dom.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JsonOut		out;
	CborJsonError err;

	json_out_init(&out, 1 << 20);
	if (cbor_to_json(data, size, &out, &err))
	{
		JArena	   *a = jarena_create();
		JParseError perr;

		if (json_parse(a, out.buf, out.len, false, &perr) == NULL)
			abort();			/* the output is always JSON */
		jarena_free(a);
	}
	else if (err.message[0] == '\0')
		abort();
	json_out_free(&out);
	return 0;
}
