/*
 * jbbp_exec.h: the state of a JBBP decoding, shared by the interpreter
 * (jbbp_exec.c) and the expression evaluator (jbbp_eval.c).
 */
#ifndef PGIOT_JBBP_EXEC_H
#define PGIOT_JBBP_EXEC_H

#include "decode/jbbp_internal.h"

typedef struct Exec
{
	const JbbpProgram *prog;
	const uint8_t *data;
	size_t		len;
	size_t		pos;			/* byte holding the next bit */
	int			off;			/* bits of data[pos] already consumed */
	size_t		base;			/* $$ = pos - base */
	JsonOut    *out;
	JbbpError  *err;
	int32_t    *slots;
	uint8_t    *slot_set;
	int32_t    *stack;
	int64_t		items;
	char	   *sbuf;			/* string being decoded */
	size_t		slen;
	size_t		scap;
} Exec;

/* Record a decoding error (false, for returning); in names the item. */
extern bool jbbp_efail(Exec *e, JbbpErrorKind kind, const JbbpInsn *in, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* Evaluate expression `index` for item `in`. */
extern bool jbbp_eval(Exec *e, int index, const JbbpInsn *in, int32_t *result);

/* Java's getAsInt() of a float / double field. */
extern int32_t jbbp_java_int_of_float(float f);
extern int32_t jbbp_java_int_of_double(double d);

#endif
