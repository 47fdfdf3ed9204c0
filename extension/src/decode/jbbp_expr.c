/*
 * jbbp_expr.c: JBBP expressions -> postfix code (see jbbp_internal.h).
 *
 * 32-bit integer arithmetic over decimal constants, $$ and the named
 * numeric fields read before, by path; JBBP's priorities, tightest first:
 *   unary - + ~  >  * / %  >  + -  >  << >> >>>  >  &  >  ^  >  |
 */
#include "decode/jbbp_compiler.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Expressions
 * --------------------------------------------------------------------- */

typedef struct ExprParser
{
	Compiler   *c;
	const char *s;				/* expression text */
	size_t		len;
	size_t		at;
	size_t		base;			/* offset of s in the format */
	int			depth;			/* current stack depth */
	int			max_depth;
	int			nesting;
} ExprParser;

static bool
emit(ExprParser *e, int32_t v)
{
	JbbpProgram *p = e->c->prog;

	if (!jbbp_cgrow(e->c, (void **) &p->code, &e->c->cap_code, p->ncode + 1, sizeof(int32_t)))
		return false;
	p->code[p->ncode++] = v;
	return true;
}

static void
push_depth(ExprParser *e, int d)
{
	e->depth += d;
	if (e->depth > e->max_depth)
		e->max_depth = e->depth;
}

static void
skip_ws(ExprParser *e)
{
	while (e->at < e->len && isspace((unsigned char) e->s[e->at]))
		e->at++;
}

static bool parse_binary(ExprParser *e, int level);

static bool
is_name_char(char ch)
{
	return isalnum((unsigned char) ch) || ch == '_' || ch == '.' || ch == '$';
}

/* A field reference: its slot (assigned on first use). */
static bool
reference(ExprParser *e, const char *name, size_t len, size_t pos)
{
	Compiler   *c = e->c;
	char		lower[256];
	int			found = -1;
	JbbpInsn   *in;

	if (len >= sizeof(lower))
		return jbbp_cfail(c, pos, "name too long in expression");
	for (size_t i = 0; i < len; i++)
		lower[i] = (char) tolower((unsigned char) name[i]);
	lower[len] = '\0';
	if (strcmp(lower, "$$") == 0)
	{
		push_depth(e, 1);
		return emit(e, X_COUNTER);
	}
	if (lower[0] == '$')
		return jbbp_cfail(c, pos, "external value \"%s\" is not available in a decoder", lower);
	for (int i = c->nnamed - 1; i >= 0; i--)
		if (strcmp(c->named[i].path, lower) == 0)
		{
			found = i;
			break;
		}
	if (found < 0)
		return jbbp_cfail(c, pos, "unknown field \"%s\" in expression (only fields read before can be used)",
					lower);
	if (c->named[found].is_array)
		return jbbp_cfail(c, pos, "array field \"%s\" cannot be used in an expression", lower);
	if (c->named[found].in_struct_array)
		return jbbp_cfail(c, pos, "field \"%s\" of a structure array cannot be used in an expression", lower);
	if (!c->named[found].numeric)
		return jbbp_cfail(c, pos, "field \"%s\" is not numeric and cannot be used in an expression", lower);
	in = &c->prog->insns[c->named[found].insn];
	if (in->slot < 0)
	{
		JbbpProgram *p = c->prog;

		if (!jbbp_cgrow(c, (void **) &p->slot_insn, &c->cap_slots, p->nslots + 1, sizeof(int32_t)))
			return false;
		p->slot_insn[p->nslots] = c->named[found].insn;
		in->slot = p->nslots++;
	}
	push_depth(e, 1);
	return emit(e, X_SLOT) && emit(e, in->slot);
}

static bool
parse_unary(ExprParser *e)
{
	size_t		pos;
	char		ch;

	skip_ws(e);
	pos = e->base + e->at;
	if (e->at >= e->len)
		return jbbp_cfail(e->c, pos, "expression ends where a value is expected");
	ch = e->s[e->at];
	if (ch == '-' || ch == '+' || ch == '~')
	{
		e->at++;
		if (++e->nesting > 200)
			return jbbp_cfail(e->c, pos, "expression nested too deeply");
		if (!parse_unary(e))
			return false;
		e->nesting--;
		if (ch == '-')
			return emit(e, X_NEG);
		if (ch == '~')
			return emit(e, X_NOT);
		return true;
	}
	if (ch == '(')
	{
		e->at++;
		if (++e->nesting > 200)
			return jbbp_cfail(e->c, pos, "expression nested too deeply");
		if (!parse_binary(e, 0))
			return false;
		e->nesting--;
		skip_ws(e);
		if (e->at >= e->len || e->s[e->at] != ')')
			return jbbp_cfail(e->c, e->base + e->at, "missing ')' in expression");
		e->at++;
		return true;
	}
	if (isdigit((unsigned char) ch))
	{
		int64_t		v = 0;

		while (e->at < e->len && isdigit((unsigned char) e->s[e->at]))
		{
			v = v * 10 + (e->s[e->at] - '0');
			if (v > INT32_MAX)
				return jbbp_cfail(e->c, pos, "integer constant out of range in expression");
			e->at++;
		}
		if (e->at < e->len && (isalpha((unsigned char) e->s[e->at]) || e->s[e->at] == '_'))
			return jbbp_cfail(e->c, e->base + e->at, "only decimal integer constants are supported");
		push_depth(e, 1);
		return emit(e, X_CONST) && emit(e, (int32_t) v);
	}
	if (is_name_char(ch))
	{
		size_t		start = e->at;

		while (e->at < e->len && is_name_char(e->s[e->at]))
			e->at++;
		return reference(e, e->s + start, e->at - start, pos);
	}
	return jbbp_cfail(e->c, pos, "unexpected character '%c' in expression", ch);
}

/* The binary operator at the cursor of the given priority level, or -1. */
static int
binary_op(ExprParser *e, int level, int *oplen)
{
	const char *s = e->s + e->at;
	size_t		left = e->len - e->at;

	*oplen = 1;
	if (left == 0)
		return -1;
	switch (level)
	{
		case 0:
			return s[0] == '|' ? X_OR : -1;
		case 1:
			return s[0] == '^' ? X_XOR : -1;
		case 2:
			return s[0] == '&' ? X_AND : -1;
		case 3:
			if (left >= 3 && memcmp(s, ">>>", 3) == 0)
			{
				*oplen = 3;
				return X_USHR;
			}
			*oplen = 2;
			if (left >= 2 && memcmp(s, ">>", 2) == 0)
				return X_SHR;
			if (left >= 2 && memcmp(s, "<<", 2) == 0)
				return X_SHL;
			return -1;
		case 4:
			return s[0] == '+' ? X_ADD : s[0] == '-' ? X_SUB : -1;
		case 5:
			return s[0] == '*' ? X_MUL : s[0] == '/' ? X_DIV : s[0] == '%' ? X_MOD : -1;
	}
	return -1;
}

static bool
parse_binary(ExprParser *e, int level)
{
	if (level > 5)
		return parse_unary(e);
	if (!parse_binary(e, level + 1))
		return false;
	for (;;)
	{
		int			oplen;
		int			op;

		skip_ws(e);
		op = binary_op(e, level, &oplen);
		if (op < 0)
			return true;
		e->at += oplen;
		if (!parse_binary(e, level + 1))
			return false;
		push_depth(e, -1);
		if (!emit(e, op))
			return false;
	}
}

/* Compile expression text (at format offset `base`); its index or -1. */
int
jbbp_compile_expr(Compiler *c, const char *s, size_t len, size_t base)
{
	JbbpProgram *p = c->prog;
	ExprParser	e;
	int			start = p->ncode;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.s = s;
	e.len = len;
	e.base = base;
	skip_ws(&e);
	if (e.at >= len)
	{
		jbbp_cfail(c, base, "empty expression");
		return -1;
	}
	if (!parse_binary(&e, 0))
		return -1;
	skip_ws(&e);
	if (e.at < len)
	{
		jbbp_cfail(c, base + e.at, "unexpected '%c' in expression", s[e.at]);
		return -1;
	}
	if (!jbbp_cgrow(c, (void **) &p->exprs, &c->cap_exprs, p->nexprs + 1, sizeof(JbbpExpr)))
		return -1;
	p->exprs[p->nexprs].start = start;
	p->exprs[p->nexprs].len = p->ncode - start;
	p->exprs[p->nexprs].pos = (int) base + 1;
	p->exprs[p->nexprs].depth = e.max_depth;
	if (e.max_depth > p->max_stack)
		p->max_stack = e.max_depth;
	return p->nexprs++;
}

