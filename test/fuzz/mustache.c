/*
 * Fuzz target: the Mustache compiler, renderer and the Live Objects
 * template rule.  Input: template, NUL, JSON context (no NUL: the input
 * is the template and the context is a fixed document).
 *
 * FUZZ_SOURCES: extension/src/decode/mustache.c extension/src/decode/json_dom.c extension/src/decode/json_out.c extension/src/decode/math_expr.c
 * FUZZ_LIBS: -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/mustache.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_context[] =
"{\"pressure\": 10115, \"temperature\": 2587, \"unit\": \"celsius\", \"list\": [1, \"two\", {\"k\": true}],"
" \"obj\": {\"a\": {\"b\": null}}, \"html\": \"<&>\\\"\"}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t		tlen = nul ? (size_t) (nul - data) : size;
	const char *ctx_text = nul ? (const char *) nul + 1 : fixed_context;
	size_t		ctx_len = nul ? size - tlen - 1 : strlen(fixed_context);
	MustacheError err;
	Mustache   *m = mustache_compile((const char *) data, tlen, &err);
	JArena	   *a;
	JParseError perr;
	JValue	   *ctx;
	JsonOut		out;

	if (m == NULL)
	{
		if (err.message[0] == '\0')
			abort();
		return 0;
	}
	a = jarena_create();
	ctx = json_parse(a, ctx_text, ctx_len, false, &perr);
	if (ctx == NULL && perr.message[0] == '\0')
		abort();
	json_out_init(&out, 1 << 20);
	if (!mustache_render(m, ctx, &out, &err) && err.message[0] == '\0')
		abort();
	json_out_reset(&out);
	if (mustache_apply_template(m, ctx, &out, &err))
	{
		/* the rule's output is JSON: it must read back */
		JArena	   *b = jarena_create();

		if (json_parse(b, out.buf, out.len, false, &perr) == NULL)
			abort();
		jarena_free(b);
	}
	else if (err.message[0] == '\0')
		abort();
	json_out_free(&out);
	jarena_free(a);
	mustache_free(m);
	return 0;
}
