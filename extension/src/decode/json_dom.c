/*
 * json_dom.c: JSON text <-> tree, arena-allocated (see json_dom.h).
 */
#include "decode/json_dom.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/math_expr.h"

#define JSON_MAX_DEPTH 200

typedef struct JChunk
{
	struct JChunk *next;
	size_t		used;
	size_t		size;
	char		data[];
} JChunk;

struct JArena
{
	JChunk	   *head;
	bool		failed;
};

JArena *
jarena_create(void)
{
	return calloc(1, sizeof(JArena));
}

void
jarena_free(JArena *a)
{
	if (a == NULL)
		return;
	while (a->head)
	{
		JChunk	   *n = a->head->next;

		free(a->head);
		a->head = n;
	}
	free(a);
}

bool
jarena_failed(const JArena *a)
{
	return a->failed;
}

void *
jarena_alloc(JArena *a, size_t size)
{
	JChunk	   *c = a->head;
	void	   *p;

	size = (size + 15) & ~(size_t) 15;
	if (c == NULL || c->size - c->used < size)
	{
		size_t		csize = size > 16384 ? size : 16384;

		c = malloc(sizeof(JChunk) + csize);
		if (c == NULL)
		{
			a->failed = true;
			return NULL;
		}
		c->size = csize;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += size;
	return p;
}

char *
jarena_strdup(JArena *a, const char *s, size_t len)
{
	char	   *d = jarena_alloc(a, len + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

typedef struct JParser
{
	JArena	   *a;
	const char *s;
	size_t		len;
	size_t		at;
	bool		arithmetic;
	int			depth;
	JParseError *err;
} JParser;

static bool
perr(JParser *p, size_t at, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static bool
perr(JParser *p, size_t at, const char *fmt,...)
{
	va_list		ap;

	if (p->err->message[0] != '\0')
		return false;
	p->err->position = (int) at + 1;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return false;
}

static void
skip_ws(JParser *p)
{
	while (p->at < p->len && (p->s[p->at] == ' ' || p->s[p->at] == '\t' ||
							  p->s[p->at] == '\n' || p->s[p->at] == '\r'))
		p->at++;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
put_utf8(char *d, uint32_t cp)
{
	if (cp < 0x80)
	{
		d[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		d[0] = (char) (0xC0 | (cp >> 6));
		d[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		d[0] = (char) (0xE0 | (cp >> 12));
		d[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		d[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (char) (0xF0 | (cp >> 18));
	d[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	d[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	d[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

static bool
read_hex4(JParser *p, uint32_t *cp)
{
	*cp = 0;
	if (p->at + 4 > p->len)
		return perr(p, p->at, "truncated \\u escape");
	for (int i = 0; i < 4; i++)
	{
		int			h = hexval(p->s[p->at + i]);

		if (h < 0)
			return perr(p, p->at + i, "invalid \\u escape");
		*cp = (*cp << 4) | (uint32_t) h;
	}
	p->at += 4;
	return true;
}

/* A string at p->at (the opening quote); unescaped into the arena. */
static bool
parse_string(JParser *p, const char **out, size_t *outlen)
{
	size_t		start = ++p->at;
	size_t		n = 0;
	char	   *d;
	bool		escapes = false;

	while (p->at < p->len && p->s[p->at] != '"')
	{
		unsigned char c = (unsigned char) p->s[p->at];

		if (c < 0x20)
			return perr(p, p->at, "control character in string");
		if (c == '\\')
		{
			escapes = true;
			p->at++;
		}
		p->at++;
	}
	if (p->at >= p->len)
		return perr(p, start - 1, "unterminated string");
	if (!escapes)
	{
		*out = jarena_strdup(p->a, p->s + start, p->at - start);
		*outlen = p->at - start;
		p->at++;
		return *out != NULL || perr(p, start, "out of memory");
	}
	d = jarena_alloc(p->a, (p->at - start) + 1);
	if (d == NULL)
		return perr(p, start, "out of memory");
	p->at = start;
	while (p->s[p->at] != '"')
	{
		char		c = p->s[p->at++];
		uint32_t	cp;

		if (c != '\\')
		{
			d[n++] = c;
			continue;
		}
		c = p->s[p->at++];
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				d[n++] = c;
				break;
			case 'b':
				d[n++] = '\b';
				break;
			case 'f':
				d[n++] = '\f';
				break;
			case 'n':
				d[n++] = '\n';
				break;
			case 'r':
				d[n++] = '\r';
				break;
			case 't':
				d[n++] = '\t';
				break;
			case 'u':
				if (!read_hex4(p, &cp))
					return false;
				if (cp >= 0xD800 && cp <= 0xDBFF)
				{
					uint32_t	lo;

					if (p->at + 6 > p->len || p->s[p->at] != '\\' || p->s[p->at + 1] != 'u')
						return perr(p, p->at, "lone surrogate in \\u escape");
					p->at += 2;
					if (!read_hex4(p, &lo))
						return false;
					if (lo < 0xDC00 || lo > 0xDFFF)
						return perr(p, p->at - 6, "invalid surrogate pair");
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				}
				else if (cp >= 0xDC00 && cp <= 0xDFFF)
					return perr(p, p->at - 6, "lone surrogate in \\u escape");
				if (cp == 0)
					return perr(p, p->at - 6, "\\u0000 is not allowed");
				n += put_utf8(d + n, cp);
				break;
			default:
				return perr(p, p->at - 1, "invalid escape \\%c", c);
		}
	}
	d[n] = '\0';
	*out = d;
	*outlen = n;
	p->at++;
	return true;
}

static bool parse_value(JParser *p, JValue *v);

/* A bare arithmetic value (template output): up to , } ] at depth 0. */
static bool
parse_arithmetic(JParser *p, JValue *v)
{
	size_t		start = p->at;
	int			depth = 0;
	double		d;

	while (p->at < p->len)
	{
		char		c = p->s[p->at];

		if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
		else if (depth <= 0 && (c == ',' || c == '}' || c == ']'))
			break;
		p->at++;
	}
	if (!math_eval(p->s + start, p->at - start, &d, NULL))
		return perr(p, start, "invalid number or arithmetic");
	if (!json_number_from_double(p->a, v, d))
		return perr(p, start, "out of memory");
	return true;
}

static bool
parse_number(JParser *p, JValue *v)
{
	size_t		start = p->at;
	const char *s = p->s;

	if (p->at < p->len && s[p->at] == '-')
		p->at++;
	if (p->at < p->len && s[p->at] == '0')
		p->at++;
	else if (p->at < p->len && isdigit((unsigned char) s[p->at]))
		while (p->at < p->len && isdigit((unsigned char) s[p->at]))
			p->at++;
	else
		return perr(p, start, "invalid number");
	if (p->at < p->len && s[p->at] == '.')
	{
		p->at++;
		if (p->at >= p->len || !isdigit((unsigned char) s[p->at]))
			return perr(p, p->at, "invalid number");
		while (p->at < p->len && isdigit((unsigned char) s[p->at]))
			p->at++;
	}
	if (p->at < p->len && (s[p->at] == 'e' || s[p->at] == 'E'))
	{
		p->at++;
		if (p->at < p->len && (s[p->at] == '+' || s[p->at] == '-'))
			p->at++;
		if (p->at >= p->len || !isdigit((unsigned char) s[p->at]))
			return perr(p, p->at, "invalid number");
		while (p->at < p->len && isdigit((unsigned char) s[p->at]))
			p->at++;
	}
	v->type = J_NUMBER;
	v->len = p->at - start;
	v->u.text = jarena_strdup(p->a, s + start, v->len);
	return v->u.text != NULL || perr(p, start, "out of memory");
}

static bool
looks_arithmetic(JParser *p)
{
	size_t		i = p->at;

	if (!p->arithmetic)
		return false;
	if (p->s[i] == '(' || p->s[i] == '+')
		return true;
	/* a number followed by an operator */
	if (p->s[i] == '-')
		i++;
	while (i < p->len && (isdigit((unsigned char) p->s[i]) || p->s[i] == '.' ||
						  p->s[i] == 'e' || p->s[i] == 'E'))
		i++;
	while (i < p->len && isspace((unsigned char) p->s[i]))
		i++;
	return i < p->len && strchr("+-*/%^", p->s[i]) != NULL && p->s[i] != '\0';
}

static bool
parse_container(JParser *p, JValue *v, bool object)
{
	size_t		cap = 8,
				n = 0;
	size_t		elem = object ? sizeof(JMember) : sizeof(JValue);
	char	   *items = jarena_alloc(p->a, cap * elem);
	char		close = object ? '}' : ']';

	if (items == NULL)
		return perr(p, p->at, "out of memory");
	if (++p->depth > JSON_MAX_DEPTH)
		return perr(p, p->at, "JSON nested too deeply");
	p->at++;
	skip_ws(p);
	if (p->at < p->len && p->s[p->at] == close)
		p->at++;
	else
		for (;;)
		{
			if (n == cap)
			{
				char	   *bigger = jarena_alloc(p->a, cap * 2 * elem);

				if (bigger == NULL)
					return perr(p, p->at, "out of memory");
				memcpy(bigger, items, cap * elem);
				items = bigger;
				cap *= 2;
			}
			skip_ws(p);
			if (object)
			{
				JMember    *m = (JMember *) (items + n * elem);

				if (p->at >= p->len || p->s[p->at] != '"')
					return perr(p, p->at, "expected a member name");
				if (!parse_string(p, &m->key, &m->key_len))
					return false;
				skip_ws(p);
				if (p->at >= p->len || p->s[p->at] != ':')
					return perr(p, p->at, "expected ':'");
				p->at++;
				if (!parse_value(p, &m->value))
					return false;
			}
			else if (!parse_value(p, (JValue *) (items + n * elem)))
				return false;
			n++;
			skip_ws(p);
			if (p->at < p->len && p->s[p->at] == ',')
			{
				p->at++;
				continue;
			}
			if (p->at < p->len && p->s[p->at] == close)
			{
				p->at++;
				break;
			}
			return perr(p, p->at, "expected ',' or '%c'", close);
		}
	p->depth--;
	v->type = object ? J_OBJECT : J_ARRAY;
	v->len = n;
	if (object)
		v->u.members = (JMember *) items;
	else
		v->u.items = (JValue *) items;
	return true;
}

static bool
parse_value(JParser *p, JValue *v)
{
	skip_ws(p);
	if (p->at >= p->len)
		return perr(p, p->at, "unexpected end of JSON");
	switch (p->s[p->at])
	{
		case '{':
			return parse_container(p, v, true);
		case '[':
			return parse_container(p, v, false);
		case '"':
			v->type = J_STRING;
			return parse_string(p, &v->u.text, &v->len);
		case 't':
			if (p->len - p->at >= 4 && memcmp(p->s + p->at, "true", 4) == 0)
			{
				p->at += 4;
				v->type = J_TRUE;
				return true;
			}
			break;
		case 'f':
			if (p->len - p->at >= 5 && memcmp(p->s + p->at, "false", 5) == 0)
			{
				p->at += 5;
				v->type = J_FALSE;
				return true;
			}
			break;
		case 'n':
			if (p->len - p->at >= 4 && memcmp(p->s + p->at, "null", 4) == 0)
			{
				p->at += 4;
				v->type = J_NULL;
				return true;
			}
			break;
		default:
			if (looks_arithmetic(p))
				return parse_arithmetic(p, v);
			if (p->s[p->at] == '-' || isdigit((unsigned char) p->s[p->at]))
				return parse_number(p, v);
	}
	return perr(p, p->at, "unexpected character '%c'", p->s[p->at]);
}

JValue *
json_parse(JArena *a, const char *text, size_t len, bool arithmetic, JParseError *err)
{
	JParser		p;
	JValue	   *v = jarena_alloc(a, sizeof(JValue));

	memset(err, 0, sizeof(*err));
	if (v == NULL)
	{
		snprintf(err->message, sizeof(err->message), "out of memory");
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.s = text;
	p.len = len;
	p.arithmetic = arithmetic;
	p.err = err;
	if (!parse_value(&p, v))
		return NULL;
	skip_ws(&p);
	if (p.at < len)
	{
		perr(&p, p.at, "unexpected text after the JSON value");
		return NULL;
	}
	return v;
}

JValue *
json_get(const JValue *obj, const char *key, size_t len)
{
	if (obj == NULL || obj->type != J_OBJECT)
		return NULL;
	/* the last member wins, as in jsonb */
	for (size_t i = obj->len; i-- > 0;)
		if (obj->u.members[i].key_len == len && memcmp(obj->u.members[i].key, key, len) == 0)
			return &obj->u.members[i].value;
	return NULL;
}

JValue *
json_get_ci(const JValue *obj, const char *key, size_t len)
{
	JValue	   *v = json_get(obj, key, len);

	if (v != NULL || obj == NULL || obj->type != J_OBJECT)
		return v;
	for (size_t i = obj->len; i-- > 0;)
	{
		const JMember *m = &obj->u.members[i];

		if (m->key_len == len && strncasecmp(m->key, key, len) == 0)
			return (JValue *) &m->value;
	}
	return NULL;
}

void
json_write(JsonOut *o, const JValue *v)
{
	switch (v->type)
	{
		case J_NULL:
			json_out_null(o);
			break;
		case J_FALSE:
		case J_TRUE:
			json_out_bool(o, v->type == J_TRUE);
			break;
		case J_NUMBER:
			json_out_raw_value(o, v->u.text, v->len);
			break;
		case J_STRING:
			json_out_string(o, v->u.text, v->len);
			break;
		case J_ARRAY:
			json_out_begin_array(o);
			for (size_t i = 0; i < v->len; i++)
				json_write(o, &v->u.items[i]);
			json_out_end_array(o);
			break;
		case J_OBJECT:
			json_out_begin_object(o);
			for (size_t i = 0; i < v->len; i++)
			{
				json_out_key(o, v->u.members[i].key, v->u.members[i].key_len);
				json_write(o, &v->u.members[i].value);
			}
			json_out_end_object(o);
			break;
	}
}

bool
json_number_from_double(JArena *a, JValue *out, double d)
{
	char		buf[32];
	int			n = math_format(buf, d);

	out->type = J_NUMBER;
	out->len = n;
	out->u.text = jarena_strdup(a, buf, n);
	return out->u.text != NULL;
}
