/*
 * jbbp_compiler.h: the state of a JBBP compilation, shared by the item
 * compiler (jbbp_compile.c) and the expression compiler (jbbp_expr.c).
 */
#ifndef PGIOT_JBBP_COMPILER_H
#define PGIOT_JBBP_COMPILER_H

#include "decode/jbbp_internal.h"

typedef struct NamedField
{
	char	   *path;			/* lower-case, prefixed when its structure closes */
	int			insn;
	bool		numeric;
	bool		is_array;
	bool		in_struct_array;	/* inside a closed, named structure array */
} NamedField;

typedef struct OpenStruct
{
	int			insn;
	int			named_start;	/* first NamedField index inside */
	char	   *name;			/* lower-case, NULL when unnamed */
	bool		is_array;
} OpenStruct;

typedef struct Compiler
{
	const char *src;
	size_t		len;
	size_t		at;
	JbbpError  *err;
	JbbpProgram *prog;
	int			cap_insns,
				cap_exprs,
				cap_code,
				cap_keys,
				cap_named,
				cap_slots;
	NamedField *named;
	int			nnamed;
	OpenStruct	stack[JBBP_MAX_DEPTH];
	int			depth;
	int			rest_insn;		/* the [_] array, -1 when none */
	int			rest_depth;		/* depth of the [_] item: nothing may follow at or above it */
} Compiler;

/* Record a format error at a 0-based offset (false, for returning). */
extern bool jbbp_cfail(Compiler *c, size_t offset, const char *fmt,...) __attribute__((format(printf, 3, 4)));
extern bool jbbp_cnomem(Compiler *c);
/* Grow *arr (of elem-sized items) to hold need; false when out of memory. */
extern bool jbbp_cgrow(Compiler *c, void **arr, int *cap, int need, size_t elem);

/* Compile expression text found at format offset base; its index or -1. */
extern int	jbbp_compile_expr(Compiler *c, const char *s, size_t len, size_t base);

#endif
