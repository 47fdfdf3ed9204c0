/*
 * Fuzz target: the JBBP compiler and interpreter.  The input is a format
 * and a payload separated by the first NUL byte (no NUL: the whole input
 * is a format, decoded against itself as the payload).
 *
 * FUZZ_SOURCES: extension/src/decode/jbbp_compile.c extension/src/decode/jbbp_expr.c extension/src/decode/jbbp_exec.c extension/src/decode/jbbp_eval.c extension/src/decode/json_out.c
 * FUZZ_LIBS: -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/jbbp.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t		flen = nul ? (size_t) (nul - data) : size;
	const uint8_t *payload = nul ? nul + 1 : data;
	size_t		plen = nul ? size - flen - 1 : size;
	JbbpError	err;
	JbbpProgram *prog = jbbp_compile((const char *) data, flen, &err);
	JsonOut		out;

	if (prog == NULL)
	{
		if (err.kind == 0 || err.message[0] == '\0')
			abort();			/* a failure always explains itself */
		return 0;
	}
	json_out_init(&out, 1 << 20);
	if (jbbp_decode(prog, payload, plen, &out, &err))
	{
		if (out.len == 0 || out.buf[0] != '{' || out.buf[out.len - 1] != '}')
			abort();
	}
	else if (err.kind == 0 || err.message[0] == '\0')
		abort();
	json_out_free(&out);
	jbbp_free(prog);
	return 0;
}
