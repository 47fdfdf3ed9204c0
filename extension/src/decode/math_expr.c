/*
 * math_expr.c: evaluate template arithmetic (see math_expr.h).
 */
#include "decode/math_expr.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/json_out.h"

typedef struct MathParser
{
	const char *s;
	size_t		len;
	size_t		at;
	int			depth;
	bool		has_op;
} MathParser;

static bool parse_sum(MathParser *p, double *v);

static void
ws(MathParser *p)
{
	while (p->at < p->len && isspace((unsigned char) p->s[p->at]))
		p->at++;
}

/* A JSON-style number: -? digits [. digits] [e [+-] digits]. */
static bool
parse_number(MathParser *p, double *v)
{
	size_t		start = p->at;
	char		buf[64];

	if (p->at < p->len && isdigit((unsigned char) p->s[p->at]))
		while (p->at < p->len && isdigit((unsigned char) p->s[p->at]))
			p->at++;
	else if (!(p->at + 1 < p->len && p->s[p->at] == '.' && isdigit((unsigned char) p->s[p->at + 1])))
		return false;
	if (p->at < p->len && p->s[p->at] == '.')
	{
		p->at++;
		if (p->at >= p->len || !isdigit((unsigned char) p->s[p->at]))
			return false;
		while (p->at < p->len && isdigit((unsigned char) p->s[p->at]))
			p->at++;
	}
	if (p->at < p->len && (p->s[p->at] == 'e' || p->s[p->at] == 'E'))
	{
		p->at++;
		if (p->at < p->len && (p->s[p->at] == '+' || p->s[p->at] == '-'))
			p->at++;
		if (p->at >= p->len || !isdigit((unsigned char) p->s[p->at]))
			return false;
		while (p->at < p->len && isdigit((unsigned char) p->s[p->at]))
			p->at++;
	}
	if (p->at - start >= sizeof(buf))
		return false;
	memcpy(buf, p->s + start, p->at - start);
	buf[p->at - start] = '\0';
	*v = strtod(buf, NULL);
	return true;
}

static bool
parse_primary(MathParser *p, double *v)
{
	ws(p);
	if (p->at >= p->len)
		return false;
	if (p->s[p->at] == '(')
	{
		p->at++;
		if (++p->depth > 100 || !parse_sum(p, v))
			return false;
		p->depth--;
		ws(p);
		if (p->at >= p->len || p->s[p->at] != ')')
			return false;
		p->at++;
		return true;
	}
	return parse_number(p, v);
}

static bool
parse_unary(MathParser *p, double *v);

/* power: primary [^ unary] (right-associative) */
static bool
parse_power(MathParser *p, double *v)
{
	double		e;

	if (!parse_primary(p, v))
		return false;
	ws(p);
	if (p->at < p->len && p->s[p->at] == '^')
	{
		p->at++;
		p->has_op = true;
		if (++p->depth > 100 || !parse_unary(p, &e))
			return false;
		p->depth--;
		*v = pow(*v, e);
	}
	return true;
}

static bool
parse_unary(MathParser *p, double *v)
{
	ws(p);
	if (p->at < p->len && (p->s[p->at] == '-' || p->s[p->at] == '+'))
	{
		bool		neg = p->s[p->at] == '-';

		p->at++;
		if (++p->depth > 100 || !parse_unary(p, v))
			return false;
		p->depth--;
		if (neg)
			*v = -*v;
		return true;
	}
	return parse_power(p, v);
}

static bool
parse_product(MathParser *p, double *v)
{
	double		r;

	if (!parse_unary(p, v))
		return false;
	for (;;)
	{
		char		op;

		ws(p);
		if (p->at >= p->len)
			return true;
		op = p->s[p->at];
		if (op != '*' && op != '/' && op != '%')
			return true;
		p->at++;
		p->has_op = true;
		if (!parse_unary(p, &r))
			return false;
		if (op == '*')
			*v *= r;
		else if (op == '/')
			*v /= r;
		else
			*v = fmod(*v, r);
	}
}

static bool
parse_sum(MathParser *p, double *v)
{
	double		r;

	if (!parse_product(p, v))
		return false;
	for (;;)
	{
		char		op;

		ws(p);
		if (p->at >= p->len)
			return true;
		op = p->s[p->at];
		if (op != '+' && op != '-')
			return true;
		p->at++;
		p->has_op = true;
		if (!parse_product(p, &r))
			return false;
		*v = op == '+' ? *v + r : *v - r;
	}
}

bool
math_eval(const char *s, size_t len, double *result, bool *has_operator)
{
	MathParser	p;
	double		v;

	memset(&p, 0, sizeof(p));
	p.s = s;
	p.len = len;
	if (!parse_sum(&p, &v))
		return false;
	ws(&p);
	if (p.at != len || !isfinite(v))
		return false;
	*result = v == 0 ? 0 : v;	/* no "-0" */
	if (has_operator)
		*has_operator = p.has_op;
	return true;
}

int
math_format(char *buf, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		return snprintf(buf, 32, "%.0f", v);
	return json_format_double(buf, v);
}
