/*
 * jbbp_cli: decode payloads with the pure-C JBBP core, outside PostgreSQL
 * (used by the differential test and the benchmark).
 *
 *   jbbp_cli FORMAT                 read hex payloads from stdin, one per
 *                                   line; print one JSON line (or
 *                                   "ERROR <kind>: message") per payload
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/jbbp.h"

static int
unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i + 1 < n; i += 2)
	{
		unsigned	v;

		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		out[i / 2] = (uint8_t) v;
	}
	return (int) (n / 2);
}

int
main(int argc, char **argv)
{
	JbbpError	err;
	JbbpProgram *prog;
	JsonOut		out;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	uint8_t    *buf = NULL;

	if (argc != 2)
	{
		fprintf(stderr, "usage: jbbp_cli FORMAT < hex-lines\n");
		return 2;
	}
	prog = jbbp_compile(argv[1], strlen(argv[1]), &err);
	json_out_init(&out, 0);
	while ((n = getline(&line, &cap, stdin)) >= 0)
	{
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (prog == NULL)
		{
			printf("ERROR format: %s\n", err.message);
			continue;
		}
		buf = realloc(buf, n / 2 + 1);
		json_out_reset(&out);
		if (jbbp_decode(prog, buf, unhex(line, n, buf), &out, &err))
			printf("%s\n", out.buf);
		else
			printf("ERROR %d: %s\n", err.kind, err.message);
	}
	json_out_free(&out);
	jbbp_free(prog);
	free(buf);
	free(line);
	return 0;
}
