/*
 * jbbp_eval.c: JBBP expressions at decoding time (Java int arithmetic:
 * wrap-around, shifts masked to 31, division truncating, MIN / -1 = MIN)
 * and Java's int view of float and double fields.
 */
#include "decode/jbbp_exec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Expressions: Java int arithmetic.
 * --------------------------------------------------------------------- */

bool
jbbp_eval(Exec *e, int index, const JbbpInsn *in, int32_t *result)
{
	const JbbpExpr *x = &e->prog->exprs[index];
	const int32_t *code = e->prog->code + x->start;
	int32_t    *st = e->stack;
	int			sp = 0;

	for (int i = 0; i < x->len; i++)
	{
		uint32_t	a,
					b;

		switch (code[i])
		{
			case X_CONST:
				st[sp++] = code[++i];
				continue;
			case X_SLOT:
				{
					int			s = code[++i];

					if (!e->slot_set[s])
						return jbbp_efail(e, JBBP_ERR_EVAL, in,
									"expression at position %d reads field \"%s\", which has not been read",
									x->pos, e->prog->keys + e->prog->insns[e->prog->slot_insn[s]].path);
					st[sp++] = e->slots[s];
					continue;
				}
			case X_COUNTER:
				st[sp++] = (int32_t) (uint32_t) (e->pos - e->base);
				continue;
			case X_NEG:
				st[sp - 1] = (int32_t) (0u - (uint32_t) st[sp - 1]);
				continue;
			case X_NOT:
				st[sp - 1] = ~st[sp - 1];
				continue;
			default:
				break;
		}
		sp--;
		a = (uint32_t) st[sp - 1];
		b = (uint32_t) st[sp];
		switch (code[i])
		{
			case X_ADD:
				a += b;
				break;
			case X_SUB:
				a -= b;
				break;
			case X_MUL:
				a *= b;
				break;
			case X_DIV:
			case X_MOD:
				if (b == 0)
					return jbbp_efail(e, JBBP_ERR_EVAL, in, "division by zero in the expression at position %d",
								x->pos);
				if ((int32_t) b == -1)
					a = code[i] == X_DIV ? 0u - a : 0;
				else
					a = (uint32_t) (code[i] == X_DIV ? (int32_t) a / (int32_t) b : (int32_t) a % (int32_t) b);
				break;
			case X_OR:
				a |= b;
				break;
			case X_XOR:
				a ^= b;
				break;
			case X_AND:
				a &= b;
				break;
			case X_SHL:
				a <<= (b & 31);
				break;
			case X_SHR:
				a = (uint32_t) ((int32_t) a >> (b & 31));
				break;
			case X_USHR:
				a >>= (b & 31);
				break;
		}
		st[sp - 1] = (int32_t) a;
	}
	*result = st[0];
	return true;
}

/*
 * Java's getAsInt() of a float / double field: Math.round (the nearest
 * integer, ties up, computed exactly), then (int) of the result: a float
 * saturates to int, a double's long keeps its low 32 bits.
 */
static double
java_round(double d)
{
	double		r = floor(d);

	return d - r >= 0.5 ? r + 1 : r;
}

int32_t
jbbp_java_int_of_float(float f)
{
	double		r;

	if (f != f)
		return 0;
	r = java_round(f);
	if (r >= 2147483647.0)
		return INT32_MAX;
	if (r <= -2147483648.0)
		return INT32_MIN;
	return (int32_t) r;
}

int32_t
jbbp_java_int_of_double(double d)
{
	double		r;
	int64_t		l;

	if (d != d)
		return 0;
	r = java_round(d);
	if (r >= 9.2233720368547758e18)
		l = INT64_MAX;
	else if (r <= -9.2233720368547758e18)
		l = INT64_MIN;
	else
		l = (int64_t) r;
	return (int32_t) (uint32_t) (uint64_t) l;
}

