/*
 * jbbp.h: the JBBP binary format language as Live Objects uses it (JBBP
 * 2.0.x plus the types float, double, utf8, asciichar and uint), in pure
 * C: a format is compiled once into a program, the program decodes any
 * number of payloads into JSON text.
 *
 * Field names are case-insensitive and come out lower-cased; arrays are
 * JSON arrays under the field's own name; structures are objects.
 */
#ifndef PGIOT_JBBP_H
#define PGIOT_JBBP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/json_out.h"

typedef enum JbbpErrorKind
{
	JBBP_OK = 0,
	JBBP_ERR_FORMAT,			/* the format text is invalid */
	JBBP_ERR_EOF,				/* the payload ends before a field */
	JBBP_ERR_DATA,				/* a value cannot be decoded (bad UTF-8, ...) */
	JBBP_ERR_EVAL,				/* an expression failed (division by zero, ...) */
	JBBP_ERR_LIMIT,				/* output or nesting too large */
	JBBP_ERR_NOMEM
} JbbpErrorKind;

typedef struct JbbpError
{
	JbbpErrorKind kind;
	int			position;		/* 1-based character in the format, 0 if none */
	char		message[300];
} JbbpError;

typedef struct JbbpProgram JbbpProgram;

/* Compile a format (len bytes).  NULL and *err filled on failure. */
extern JbbpProgram *jbbp_compile(const char *format, size_t len, JbbpError *err);
extern void jbbp_free(JbbpProgram *prog);

/* Number of bytes of memory the program holds (for cache accounting). */
extern size_t jbbp_program_size(const JbbpProgram *prog);

/*
 * Decode a payload: the decoded fields are appended to `out` as one JSON
 * object.  Returns false with *err filled on failure (out is then
 * unspecified).
 */
extern bool jbbp_decode(const JbbpProgram *prog, const uint8_t *data, size_t len,
						JsonOut *out, JbbpError *err);

/*
 * The same, writing the members only (no braces), for callers that merge
 * the fields into an object they are writing.
 */
extern bool jbbp_decode_members(const JbbpProgram *prog, const uint8_t *data, size_t len,
								JsonOut *out, JbbpError *err);

#endif
