/*
 * jbbp_internal.h: the compiled form of a JBBP format, shared by the
 * compiler (jbbp_compile.c) and the interpreter (jbbp_exec.c).
 *
 * A program is a flat array of instructions; a structure is a STRUCT
 * instruction whose `end` is the index of its END.  Expressions are
 * compiled to postfix code in one pool.  Every named numeric field that an
 * expression reads gets a slot; the interpreter stores the field's value
 * (as JBBP's getAsInt() gives it) in that slot when it reads the field.
 */
#ifndef PGIOT_JBBP_INTERNAL_H
#define PGIOT_JBBP_INTERNAL_H

#include "decode/jbbp.h"

#define JBBP_MAX_DEPTH 32		/* nested structures */
#define JBBP_MAX_INSNS 4096
#define JBBP_MAX_FORMAT (256 * 1024)
#define JBBP_MAX_ITEMS 4000000	/* array elements + fields per payload */

typedef enum JbbpOp
{
	OP_BIT, OP_BOOL, OP_BYTE, OP_UBYTE, OP_SHORT, OP_USHORT, OP_INT, OP_UINT, OP_LONG,
	OP_FLOAT, OP_DOUBLE, OP_UTF8, OP_ASCII,
	OP_SKIP, OP_ALIGN, OP_VAL, OP_RESET, OP_STRUCT, OP_END
} JbbpOp;

typedef enum JbbpArr
{
	ARR_NONE, ARR_FIXED, ARR_EXPR, ARR_REST
} JbbpArr;

typedef enum JbbpExprOp
{
	X_CONST, X_SLOT, X_COUNTER,
	X_NEG, X_NOT,
	X_ADD, X_SUB, X_MUL, X_DIV, X_MOD, X_OR, X_XOR, X_AND, X_SHL, X_SHR, X_USHR
} JbbpExprOp;

typedef struct JbbpInsn
{
	uint8_t		op;				/* JbbpOp */
	uint8_t		little;			/* '<' given */
	uint8_t		arr;			/* JbbpArr */
	int32_t		count;			/* ARR_FIXED */
	int32_t		count_expr;		/* ARR_EXPR: expression index */
	int32_t		extra;			/* bit width, skip/align bytes, val constant */
	int32_t		extra_expr;		/* -1, or expression index for ":(expr)" */
	int32_t		key;			/* offset of "\"name\":" in keys, -1 when unnamed */
	int32_t		key_len;
	int32_t		slot;			/* -1, or where expressions find the value */
	int32_t		end;			/* STRUCT: index of its END */
	int32_t		pos;			/* 1-based position in the format */
	int32_t		path;			/* offset of the field path in keys (messages) */
} JbbpInsn;

typedef struct JbbpExpr
{
	int32_t		start;			/* in code[] */
	int32_t		len;
	int32_t		pos;			/* 1-based position in the format */
	int32_t		depth;			/* stack needed */
} JbbpExpr;

struct JbbpProgram
{
	JbbpInsn   *insns;
	int			ninsns;
	JbbpExpr   *exprs;
	int			nexprs;
	int32_t    *code;
	int			ncode;
	char	   *keys;			/* "\"name\":" strings and paths, NUL-separated */
	int			keys_len;
	int			nslots;
	int32_t    *slot_insn;		/* slot -> insn that sets it (messages) */
	int			max_stack;
};

#endif
