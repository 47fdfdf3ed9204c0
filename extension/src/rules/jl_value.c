/*
 * jl_value.c: JsonLogic values, the arena they live in, and the
 * JavaScript conversions and comparisons JsonLogic inherits (truthiness,
 * ToNumber, ToString, ==, ===, <).  Pure C.
 */
#include "jsonlogic.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

const JlValue jl_null_value = {.type = JL_NULL};
const JlValue jl_true_value = {.type = JL_BOOL, .u.b = true};
const JlValue jl_false_value = {.type = JL_BOOL, .u.b = false};

/* ------------------------------------------------------------------ */
/* Arena																*/
/* ------------------------------------------------------------------ */

struct JlArenaBlock
{
	JlArenaBlock *next;
	/* payload follows, max-aligned */
};

#define JL_BLOCK_SIZE 8192
#define JL_HEADER JL_ARENA_ALIGN(sizeof(JlArenaBlock))

void *
jl_alloc_block(JlArena *a, size_t size)
{
	size_t		want = size > JL_BLOCK_SIZE / 4 ? size : JL_BLOCK_SIZE;
	JlArenaBlock *b = a->alloc(JL_HEADER + want, a->ctx);
	void	   *p;

	b->next = a->blocks;
	a->blocks = b;
	a->used += size;
	if (want == size && size > JL_BLOCK_SIZE / 4)
		return (char *) b + JL_HEADER;	/* a large request: keep the current block */
	p = (char *) b + JL_HEADER;
	a->cur = (char *) p + size;
	a->left = want - size;
	return p;
}

void
jl_arena_release_blocks(JlArena *a)
{
	if (a->release != NULL)
	{
		JlArenaBlock *b = a->blocks;

		while (b != NULL)
		{
			JlArenaBlock *next = b->next;

			a->release(b, a->ctx);
			b = next;
		}
	}
	a->blocks = NULL;
}

/* ------------------------------------------------------------------ */
/* Constructors															*/
/* ------------------------------------------------------------------ */

const JlValue *
jl_bool(bool b)
{
	return b ? &jl_true_value : &jl_false_value;
}

const JlValue *
jl_string_copy(JlArena *a, const char *ptr, size_t len)
{
	JlValue    *v = jl_alloc(a, sizeof(JlValue));
	char	   *s = jl_alloc(a, len + 1);

	if (len > 0)
		memcpy(s, ptr, len);
	s[len] = '\0';
	v->type = JL_STRING;
	v->u.str.ptr = s;
	v->u.str.len = len;
	return v;
}

const JlValue *
jl_member(const JlValue *obj, const char *key, size_t keylen)
{
	if (obj == NULL || obj->type != JL_OBJECT)
		return NULL;
	for (size_t i = obj->u.obj.n; i-- > 0;)
	{
		const JlMember *m = &obj->u.obj.members[i];

		if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
			return m->val;
	}
	return NULL;
}

const JlValue *
jl_copy(JlArena *a, const JlValue *v)
{
	switch (v->type)
	{
		case JL_NULL:
			return &jl_null_value;
		case JL_BOOL:
			return jl_bool(v->u.b);
		case JL_NUMBER:
			return jl_number(a, v->u.num);
		case JL_STRING:
			return jl_string(a, v->u.str.ptr, v->u.str.len, true);
		case JL_ARRAY:
			{
				const JlValue **items = jl_alloc(a, sizeof(JlValue *) * v->u.arr.n);

				for (size_t i = 0; i < v->u.arr.n; i++)
					items[i] = jl_copy(a, v->u.arr.items[i]);
				return jl_array(a, items, v->u.arr.n);
			}
		case JL_OBJECT:
			{
				JlMember   *m = jl_alloc(a, sizeof(JlMember) * v->u.obj.n);

				for (size_t i = 0; i < v->u.obj.n; i++)
				{
					const JlValue *k = jl_string(a, v->u.obj.members[i].key,
												 v->u.obj.members[i].keylen, true);

					m[i].key = k->u.str.ptr;
					m[i].keylen = k->u.str.len;
					m[i].val = jl_copy(a, v->u.obj.members[i].val);
				}
				return jl_object(a, m, v->u.obj.n);
			}
	}
	return &jl_null_value;
}

/* ------------------------------------------------------------------ */
/* Numbers as JavaScript writes and reads them							*/
/* ------------------------------------------------------------------ */

size_t
jl_format_number(double d, char *buf)
{
	char		tmp[40];
	char		digits[20];
	int			k = 0,
				exp10 = 0,
				n,
				pos = 0;
	bool		neg = false;

	if (isnan(d))
		return (size_t) snprintf(buf, JL_NUMBER_BUFLEN, "NaN");
	if (isinf(d))
		return (size_t) snprintf(buf, JL_NUMBER_BUFLEN, d > 0 ? "Infinity" : "-Infinity");
	if (d == 0)
		return (size_t) snprintf(buf, JL_NUMBER_BUFLEN, "0");
	if (fabs(d) < 9007199254740992.0 && d == trunc(d))
	{
		/* an exact integer: its digits */
		uint64_t	u = (uint64_t) fabs(d);
		char		rev[20];
		int			r = 0;

		do
		{
			rev[r++] = (char) ('0' + u % 10);
			u /= 10;
		} while (u > 0);
		if (d < 0)
			buf[pos++] = '-';
		while (r > 0)
			buf[pos++] = rev[--r];
		buf[pos] = '\0';
		return (size_t) pos;
	}

	/*
	 * The shortest decimal that reads back as d (trailing zeros are dropped
	 * below).  A normal double that some decimal of at most DBL_DIG (15)
	 * digits reads back as prints as that decimal at 15 digits, so the
	 * search starts there; subnormals have fewer digits and start at 1.
	 */
	for (int prec = fabs(d) >= DBL_MIN ? DBL_DIG : 1; prec <= 17; prec++)
	{
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp: [-]d[.ddd]e[+-]xx */
	{
		const char *p = tmp;

		if (*p == '-')
		{
			neg = true;
			p++;
		}
		for (; *p != 'e'; p++)
			if (*p >= '0' && *p <= '9' && k < (int) sizeof(digits))
				digits[k++] = *p;
		exp10 = atoi(p + 1);
	}
	while (k > 1 && digits[k - 1] == '0')
		k--;
	n = exp10 + 1;				/* position of the decimal point */

	if (neg)
		buf[pos++] = '-';
	if (k <= n && n <= 21)
	{
		memcpy(buf + pos, digits, k);
		pos += k;
		for (int i = 0; i < n - k; i++)
			buf[pos++] = '0';
	}
	else if (0 < n && n <= 21)
	{
		memcpy(buf + pos, digits, n);
		pos += n;
		buf[pos++] = '.';
		memcpy(buf + pos, digits + n, k - n);
		pos += k - n;
	}
	else if (-6 < n && n <= 0)
	{
		buf[pos++] = '0';
		buf[pos++] = '.';
		for (int i = 0; i < -n; i++)
			buf[pos++] = '0';
		memcpy(buf + pos, digits, k);
		pos += k;
	}
	else
	{
		buf[pos++] = digits[0];
		if (k > 1)
		{
			buf[pos++] = '.';
			memcpy(buf + pos, digits + 1, k - 1);
			pos += k - 1;
		}
		pos += snprintf(buf + pos, JL_NUMBER_BUFLEN - pos, "e%c%d", n - 1 >= 0 ? '+' : '-',
						abs(n - 1));
	}
	buf[pos] = '\0';
	return (size_t) pos;
}

/* Length of the JavaScript white space (or line terminator) at s, 0 if none. */
static size_t
js_space(const unsigned char *s, size_t left)
{
	if (left >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
		return 1;
	if (left >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;				/* U+00A0 */
	if (left >= 3)
	{
		if (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
			return 3;			/* U+FEFF */
		if (s[0] == 0xE2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8A) ||
											 s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
			return 3;			/* U+2000..200A, 2028, 2029, 202F */
		if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
			return 3;			/* U+205F */
		if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
			return 3;			/* U+3000 */
		if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80)
			return 3;			/* U+1680 */
	}
	return 0;
}

/*
 * Length of the longest StrDecimalLiteral prefix of s (sign, digits,
 * fraction, exponent, or Infinity); 0 when there is none.
 */
static size_t
decimal_prefix(const char *s, size_t len, bool *infinity)
{
	size_t		i = 0,
				int_digits = 0,
				frac_digits = 0;

	*infinity = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (len - i >= 8 && memcmp(s + i, "Infinity", 8) == 0)
	{
		*infinity = true;
		return i + 8;
	}
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, int_digits++;
	if (i < len && s[i] == '.')
	{
		size_t		j = i + 1;

		while (j < len && s[j] >= '0' && s[j] <= '9')
			j++, frac_digits++;
		if (int_digits > 0 || frac_digits > 0)
			i = j;
	}
	if (int_digits == 0 && frac_digits == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		j = i + 1;

		if (j < len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < len && s[j] >= '0' && s[j] <= '9')
		{
			while (j < len && s[j] >= '0' && s[j] <= '9')
				j++;
			i = j;
		}
	}
	return i;
}

static double
decimal_value(const char *s, size_t len, bool infinity)
{
	char		small[64];
	char	   *buf = small;
	double		d;

	if (infinity)
		return s[0] == '-' ? -INFINITY : INFINITY;
	if (len >= sizeof(small))
		buf = malloc(len + 1);
	if (buf == NULL)
		return NAN;
	memcpy(buf, s, len);
	buf[len] = '\0';
	d = strtod(buf, NULL);
	if (buf != small)
		free(buf);
	return d;
}

static double
radix_value(const char *s, size_t len, int radix)
{
	double		d = 0;

	if (len == 0)
		return NAN;
	for (size_t i = 0; i < len; i++)
	{
		int			c = (unsigned char) s[i],
					digit;

		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (c >= 'a' && c <= 'z')
			digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'Z')
			digit = c - 'A' + 10;
		else
			return NAN;
		if (digit >= radix)
			return NAN;
		d = d * radix + digit;
	}
	return d;
}

double
jl_string_to_number(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		start = 0,
				end = len,
				w,
				used;
	bool		infinity;

	while (start < end && (w = js_space(u + start, end - start)) > 0)
		start += w;
	/* trailing space: scan back over single bytes and multi-byte spaces */
	while (end > start)
	{
		size_t		back = 0;

		for (size_t k = 1; k <= 3 && k <= end - start; k++)
			if (js_space(u + end - k, k) == k)
			{
				back = k;
				break;
			}
		if (back == 0)
			break;
		end -= back;
	}
	s += start;
	len = end - start;
	if (len == 0)
		return 0;
	if (len > 2 && s[0] == '0')
	{
		if (s[1] == 'x' || s[1] == 'X')
			return radix_value(s + 2, len - 2, 16);
		if (s[1] == 'o' || s[1] == 'O')
			return radix_value(s + 2, len - 2, 8);
		if (s[1] == 'b' || s[1] == 'B')
			return radix_value(s + 2, len - 2, 2);
	}
	used = decimal_prefix(s, len, &infinity);
	if (used != len)
		return NAN;
	return decimal_value(s, len, infinity);
}

double
jl_to_number(const JlValue *v)
{
	switch (v->type)
	{
		case JL_NULL:
			return 0;
		case JL_BOOL:
			return v->u.b ? 1 : 0;
		case JL_NUMBER:
			return v->u.num;
		case JL_STRING:
			return jl_string_to_number(v->u.str.ptr, v->u.str.len);
		case JL_ARRAY:
			/*
			 * ToPrimitive: the joined elements.  Two or more always hold a
			 * comma (NaN); one is its own string form; null is empty.
			 */
			if (v->u.arr.n == 0)
				return 0;
			if (v->u.arr.n == 1)
			{
				const JlValue *item = v->u.arr.items[0];

				if (item->type == JL_NULL)
					return 0;
				if (item->type == JL_BOOL || item->type == JL_OBJECT)
					return NAN;
				return jl_to_number(item);
			}
			return NAN;
		case JL_OBJECT:
			return NAN;
	}
	return NAN;
}

double
jl_parse_float(JlArena *a, const JlValue *v)
{
	size_t		len,
				start = 0,
				w,
				used;
	const char *s;
	bool		infinity;

	if (v->type == JL_NUMBER)
		return v->u.num;
	s = jl_to_string(a, v, &len);
	while (start < len && (w = js_space((const unsigned char *) s + start, len - start)) > 0)
		start += w;
	used = decimal_prefix(s + start, len - start, &infinity);
	if (used == 0)
		return NAN;
	return decimal_value(s + start, used, infinity);
}

/* ------------------------------------------------------------------ */
/* ToString																*/
/* ------------------------------------------------------------------ */

static void
append_string(JlBuf *b, const JlValue *v, int depth)
{
	switch (v->type)
	{
		case JL_NULL:
			jl_buf_append(b, "null", 4);
			break;
		case JL_BOOL:
			if (v->u.b)
				jl_buf_append(b, "true", 4);
			else
				jl_buf_append(b, "false", 5);
			break;
		case JL_NUMBER:
			{
				char		num[JL_NUMBER_BUFLEN];
				size_t		n = jl_format_number(v->u.num, num);

				jl_buf_append(b, num, n);
				break;
			}
		case JL_STRING:
			jl_buf_append(b, v->u.str.ptr, v->u.str.len);
			break;
		case JL_ARRAY:
			/* Array.prototype.join: null elements are empty */
			if (depth > JL_MAX_DEPTH)
				break;
			for (size_t i = 0; i < v->u.arr.n; i++)
			{
				if (i > 0)
					jl_buf_char(b, ',');
				if (v->u.arr.items[i]->type != JL_NULL)
					append_string(b, v->u.arr.items[i], depth + 1);
			}
			break;
		case JL_OBJECT:
			jl_buf_append(b, "[object Object]", 15);
			break;
	}
}

const char *
jl_to_string(JlArena *a, const JlValue *v, size_t *len)
{
	JlBuf		b;

	if (v->type == JL_STRING)
	{
		*len = v->u.str.len;
		return v->u.str.ptr;
	}
	jl_buf_init(&b, a);
	append_string(&b, v, 0);
	jl_buf_char(&b, '\0');
	*len = b.len - 1;
	return b.data;
}

/* ------------------------------------------------------------------ */
/* Equality and order													*/
/* ------------------------------------------------------------------ */

bool
jl_truthy(const JlValue *v)
{
	switch (v->type)
	{
		case JL_NULL:
			return false;
		case JL_BOOL:
			return v->u.b;
		case JL_NUMBER:
			return v->u.num != 0 && !isnan(v->u.num);
		case JL_STRING:
			return v->u.str.len > 0;
		case JL_ARRAY:
			return v->u.arr.n > 0;	/* JsonLogic: an empty array is falsy */
		case JL_OBJECT:
			return true;
	}
	return false;
}

bool
jl_strict_equal(const JlValue *x, const JlValue *y)
{
	if (x->type != y->type)
		return false;
	switch (x->type)
	{
		case JL_NULL:
			return true;
		case JL_BOOL:
			return x->u.b == y->u.b;
		case JL_NUMBER:
			return x->u.num == y->u.num;
		case JL_STRING:
			return x->u.str.len == y->u.str.len &&
				memcmp(x->u.str.ptr, y->u.str.ptr, x->u.str.len) == 0;
		case JL_ARRAY:
		case JL_OBJECT:
			return x == y;		/* the same object */
	}
	return false;
}

static bool
is_primitive(const JlValue *v)
{
	return v->type != JL_ARRAY && v->type != JL_OBJECT;
}

/* ToPrimitive of an array or object: its string form. */
static const JlValue *
to_primitive(JlArena *a, const JlValue *v)
{
	size_t		len;
	const char *s;

	if (is_primitive(v))
		return v;
	s = jl_to_string(a, v, &len);
	return jl_string(a, s, len, false);
}

bool
jl_loose_equal(JlArena *a, const JlValue *x, const JlValue *y)
{
	for (int round = 0; round < 4; round++)
	{
		if (x->type == y->type)
			return jl_strict_equal(x, y);
		if (x->type == JL_NULL || y->type == JL_NULL)
			return false;
		if (x->type == JL_BOOL)
		{
			x = jl_number(a, x->u.b ? 1 : 0);
			continue;
		}
		if (y->type == JL_BOOL)
		{
			y = jl_number(a, y->u.b ? 1 : 0);
			continue;
		}
		if (x->type == JL_NUMBER && y->type == JL_STRING)
			return x->u.num == jl_to_number(y);
		if (x->type == JL_STRING && y->type == JL_NUMBER)
			return jl_to_number(x) == y->u.num;
		if (is_primitive(x) && !is_primitive(y))
		{
			y = to_primitive(a, y);
			continue;
		}
		if (!is_primitive(x) && is_primitive(y))
		{
			x = to_primitive(a, x);
			continue;
		}
		return false;
	}
	return false;
}

/* Compare UTF-8 strings by code point (the order of their bytes). */
static int
string_order(const JlValue *x, const JlValue *y)
{
	size_t		n = x->u.str.len < y->u.str.len ? x->u.str.len : y->u.str.len;
	int			c = n > 0 ? memcmp(x->u.str.ptr, y->u.str.ptr, n) : 0;

	if (c != 0)
		return c < 0 ? -1 : 1;
	return x->u.str.len == y->u.str.len ? 0 : (x->u.str.len < y->u.str.len ? -1 : 1);
}

int
jl_compare(JlArena *a, const JlValue *x, const JlValue *y, bool *undefined)
{
	double		nx,
				ny;

	*undefined = false;
	x = to_primitive(a, x);
	y = to_primitive(a, y);
	if (x->type == JL_STRING && y->type == JL_STRING)
		return string_order(x, y);
	nx = jl_to_number(x);
	ny = jl_to_number(y);
	if (isnan(nx) || isnan(ny))
	{
		*undefined = true;
		return 0;
	}
	return nx < ny ? -1 : (nx > ny ? 1 : 0);
}

bool
jl_json_equal(const JlValue *x, const JlValue *y)
{
	if (x->type != y->type)
		return false;
	switch (x->type)
	{
		case JL_NULL:
		case JL_BOOL:
		case JL_NUMBER:
		case JL_STRING:
			return jl_strict_equal(x, y);
		case JL_ARRAY:
			if (x->u.arr.n != y->u.arr.n)
				return false;
			for (size_t i = 0; i < x->u.arr.n; i++)
				if (!jl_json_equal(x->u.arr.items[i], y->u.arr.items[i]))
					return false;
			return true;
		case JL_OBJECT:
			{
				size_t		distinct = 0;

				for (size_t i = 0; i < x->u.obj.n; i++)
				{
					const JlMember *m = &x->u.obj.members[i];
					const JlValue *other = jl_member(y, m->key, m->keylen);

					/* only the last of duplicate keys counts */
					if (jl_member(x, m->key, m->keylen) != m->val)
						continue;
					distinct++;
					if (other == NULL || !jl_json_equal(m->val, other))
						return false;
				}
				for (size_t i = 0; i < y->u.obj.n; i++)
				{
					const JlMember *m = &y->u.obj.members[i];

					if (jl_member(y, m->key, m->keylen) == m->val)
						distinct--;
				}
				return distinct == 0;
			}
	}
	return false;
}
