/*
 * jl_json.c: JSON text to JlValue and back (RFC 8259).  Pure C; used by
 * the fuzz target, by the engine to print keys, and for error positions.
 */
#include "jsonlogic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Output buffer														*/
/* ------------------------------------------------------------------ */

void
jl_buf_init(JlBuf *b, JlArena *a)
{
	b->arena = a;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

static void
buf_reserve(JlBuf *b, size_t more)
{
	size_t		cap;
	char	   *data;

	if (b->len + more <= b->cap)
		return;
	cap = b->cap < 64 ? 64 : b->cap * 2;
	while (cap < b->len + more)
		cap *= 2;
	data = jl_alloc(b->arena, cap);
	if (b->len > 0)
		memcpy(data, b->data, b->len);
	b->data = data;
	b->cap = cap;
}

void
jl_buf_append(JlBuf *b, const char *s, size_t n)
{
	buf_reserve(b, n + 1);
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
jl_buf_char(JlBuf *b, char c)
{
	buf_reserve(b, 2);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

static void
write_string(JlBuf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		run = 0;

	jl_buf_char(b, '"');
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		const char *esc = NULL;
		char		u[7];

		switch (c)
		{
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '\b':
				esc = "\\b";
				break;
			case '\f':
				esc = "\\f";
				break;
			default:
				if (c < 0x20)
				{
					u[0] = '\\';
					u[1] = 'u';
					u[2] = '0';
					u[3] = '0';
					u[4] = hex[c >> 4];
					u[5] = hex[c & 15];
					u[6] = '\0';
					esc = u;
				}
		}
		if (esc != NULL)
		{
			jl_buf_append(b, s + i - run, run);
			run = 0;
			jl_buf_append(b, esc, strlen(esc));
		}
		else
			run++;
	}
	jl_buf_append(b, s + len - run, run);
	jl_buf_char(b, '"');
}

static void
write_value(JlBuf *b, const JlValue *v, int depth)
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
			if (isnan(v->u.num) || isinf(v->u.num))
				jl_buf_append(b, "null", 4);
			else
			{
				char		num[JL_NUMBER_BUFLEN];

				jl_buf_append(b, num, jl_format_number(v->u.num, num));
			}
			break;
		case JL_STRING:
			write_string(b, v->u.str.ptr, v->u.str.len);
			break;
		case JL_ARRAY:
			jl_buf_char(b, '[');
			for (size_t i = 0; i < v->u.arr.n && depth < JL_MAX_DEPTH * 4; i++)
			{
				if (i > 0)
					jl_buf_char(b, ',');
				write_value(b, v->u.arr.items[i], depth + 1);
			}
			jl_buf_char(b, ']');
			break;
		case JL_OBJECT:
			jl_buf_char(b, '{');
			for (size_t i = 0; i < v->u.obj.n && depth < JL_MAX_DEPTH * 4; i++)
			{
				if (i > 0)
					jl_buf_char(b, ',');
				write_string(b, v->u.obj.members[i].key, v->u.obj.members[i].keylen);
				jl_buf_char(b, ':');
				write_value(b, v->u.obj.members[i].val, depth + 1);
			}
			jl_buf_char(b, '}');
			break;
	}
}

void
jl_json_write(JlBuf *b, const JlValue *v)
{
	write_value(b, v, 0);
}

/* ------------------------------------------------------------------ */
/* Parser																*/
/* ------------------------------------------------------------------ */

typedef struct Parser
{
	JlArena    *arena;
	const char *s;
	size_t		len;
	size_t		pos;
	JlError    *err;
} Parser;

static const JlValue *
fail(Parser *p, JlErrorCode code, const char *what)
{
	if (p->err->code == JL_OK)
	{
		p->err->code = code;
		p->err->position = (int) p->pos + 1;
		snprintf(p->err->message, JL_ERROR_LEN, "%s", what);
	}
	return NULL;
}

static void
skip_space(Parser *p)
{
	while (p->pos < p->len)
	{
		char		c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool
literal(Parser *p, const char *word)
{
	size_t		n = strlen(word);

	if (p->len - p->pos >= n && memcmp(p->s + p->pos, word, n) == 0)
	{
		p->pos += n;
		return true;
	}
	return false;
}

static int
hex4(const char *s)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t
put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/* Length of a valid UTF-8 sequence at s, 0 when invalid. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	unsigned	cp;
	size_t		n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		(n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

/* A string token; p->pos at the opening quote. */
static bool
parse_string(Parser *p, const char **out, size_t *outlen)
{
	size_t		start = ++p->pos;
	bool		escaped = false;
	char	   *buf;
	size_t		n = 0;

	/* first pass: validate and find the end */
	while (p->pos < p->len && p->s[p->pos] != '"')
	{
		unsigned char c = (unsigned char) p->s[p->pos];

		if (c < 0x20)
		{
			fail(p, JL_ERR_JSON, "control character in string");
			return false;
		}
		if (c == '\\')
		{
			escaped = true;
			if (p->pos + 1 >= p->len)
				break;
			c = (unsigned char) p->s[p->pos + 1];
			if (c == 'u')
			{
				if (p->len - p->pos < 6 || hex4(p->s + p->pos + 2) < 0)
				{
					fail(p, JL_ERR_JSON, "invalid \\u escape in string");
					return false;
				}
				p->pos += 6;
			}
			else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
				p->pos += 2;
			else
			{
				fail(p, JL_ERR_JSON, "invalid escape in string");
				return false;
			}
			continue;
		}
		{
			size_t		u = utf8_len((const unsigned char *) p->s + p->pos, p->len - p->pos);

			if (u == 0)
			{
				fail(p, JL_ERR_JSON, "invalid UTF-8 in string");
				return false;
			}
			p->pos += u;
		}
	}
	if (p->pos >= p->len)
	{
		fail(p, JL_ERR_JSON, "unterminated string");
		return false;
	}
	p->pos++;					/* closing quote */
	if (!escaped)
	{
		*out = p->s + start;
		*outlen = p->pos - 1 - start;
		return true;
	}
	/* second pass: decode escapes */
	buf = jl_alloc(p->arena, p->pos - start + 1);
	for (size_t i = start; i < p->pos - 1;)
	{
		char		c = p->s[i];

		if (c != '\\')
		{
			buf[n++] = c;
			i++;
			continue;
		}
		c = p->s[i + 1];
		switch (c)
		{
			case 'b':
				buf[n++] = '\b';
				break;
			case 'f':
				buf[n++] = '\f';
				break;
			case 'n':
				buf[n++] = '\n';
				break;
			case 'r':
				buf[n++] = '\r';
				break;
			case 't':
				buf[n++] = '\t';
				break;
			case 'u':
				{
					unsigned	cp = (unsigned) hex4(p->s + i + 2);

					i += 6;
					if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= p->pos - 1 &&
						p->s[i] == '\\' && p->s[i + 1] == 'u')
					{
						int			lo = hex4(p->s + i + 2);

						if (lo >= 0xDC00 && lo <= 0xDFFF)
						{
							cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned) lo - 0xDC00);
							i += 6;
						}
					}
					if (cp >= 0xD800 && cp <= 0xDFFF)
						cp = 0xFFFD;	/* lone surrogate */
					n += put_utf8(buf + n, cp);
					continue;
				}
			default:
				buf[n++] = c;
		}
		i += 2;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return true;
}

static const JlValue *
parse_number(Parser *p)
{
	size_t		start = p->pos;
	char		small[64];
	char	   *buf;
	size_t		n;
	double		d;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (p->pos < p->len && p->s[p->pos] >= '1' && p->s[p->pos] <= '9')
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	else
		return fail(p, JL_ERR_JSON, "invalid number");
	if (p->pos < p->len && p->s[p->pos] == '.')
	{
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, JL_ERR_JSON, "invalid number: digits expected after the point");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
	{
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, JL_ERR_JSON, "invalid number: digits expected in the exponent");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	n = p->pos - start;
	buf = n < sizeof(small) ? small : jl_alloc(p->arena, n + 1);
	memcpy(buf, p->s + start, n);
	buf[n] = '\0';
	d = strtod(buf, NULL);
	return jl_number(p->arena, d);
}

static const JlValue *parse_value(Parser *p, int depth);

static const JlValue *
parse_array(Parser *p, int depth)
{
	size_t		n = 0,
				cap = 8;
	const JlValue **items = jl_alloc(p->arena, sizeof(JlValue *) * cap);

	p->pos++;
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == ']')
	{
		p->pos++;
		return jl_array(p->arena, items, 0);
	}
	for (;;)
	{
		const JlValue *v = parse_value(p, depth + 1);

		if (v == NULL)
			return NULL;
		if (n == cap)
		{
			const JlValue **more = jl_alloc(p->arena, sizeof(JlValue *) * cap * 2);

			memcpy(more, items, sizeof(JlValue *) * n);
			items = more;
			cap *= 2;
		}
		items[n++] = v;
		skip_space(p);
		if (p->pos < p->len && p->s[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']')
		{
			p->pos++;
			return jl_array(p->arena, items, n);
		}
		return fail(p, JL_ERR_JSON, "expected , or ] in array");
	}
}

static const JlValue *
parse_object(Parser *p, int depth)
{
	size_t		n = 0,
				cap = 8;
	JlMember   *members = jl_alloc(p->arena, sizeof(JlMember) * cap);

	p->pos++;
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == '}')
	{
		p->pos++;
		return jl_object(p->arena, members, 0);
	}
	for (;;)
	{
		const char *key;
		size_t		keylen;
		const JlValue *v;

		skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != '"')
			return fail(p, JL_ERR_JSON, "expected a string key in object");
		if (!parse_string(p, &key, &keylen))
			return NULL;
		skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != ':')
			return fail(p, JL_ERR_JSON, "expected : after object key");
		p->pos++;
		v = parse_value(p, depth + 1);
		if (v == NULL)
			return NULL;
		if (n == cap)
		{
			JlMember   *more = jl_alloc(p->arena, sizeof(JlMember) * cap * 2);

			memcpy(more, members, sizeof(JlMember) * n);
			members = more;
			cap *= 2;
		}
		members[n].key = key;
		members[n].keylen = keylen;
		members[n].val = v;
		n++;
		skip_space(p);
		if (p->pos < p->len && p->s[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}')
		{
			p->pos++;
			return jl_object(p->arena, members, n);
		}
		return fail(p, JL_ERR_JSON, "expected , or } in object");
	}
}

static const JlValue *
parse_value(Parser *p, int depth)
{
	if (depth > JL_MAX_DEPTH)
		return fail(p, JL_ERR_DEPTH, "JSON nested too deeply");
	skip_space(p);
	if (p->pos >= p->len)
		return fail(p, JL_ERR_JSON, "unexpected end of JSON text");
	switch (p->s[p->pos])
	{
		case '{':
			return parse_object(p, depth);
		case '[':
			return parse_array(p, depth);
		case '"':
			{
				const char *s;
				size_t		len;

				if (!parse_string(p, &s, &len))
					return NULL;
				return jl_string(p->arena, s, len, false);
			}
		case 't':
			if (literal(p, "true"))
				return &jl_true_value;
			break;
		case 'f':
			if (literal(p, "false"))
				return &jl_false_value;
			break;
		case 'n':
			if (literal(p, "null"))
				return &jl_null_value;
			break;
		default:
			if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
				return parse_number(p);
	}
	return fail(p, JL_ERR_JSON, "unexpected character");
}

const JlValue *
jl_json_parse(JlArena *a, const char *text, size_t len, JlError *err)
{
	Parser		p = {a, text, len, 0, err};
	const JlValue *v;

	memset(err, 0, sizeof(*err));
	v = parse_value(&p, 0);
	if (v == NULL)
		return NULL;
	skip_space(&p);
	if (p.pos != p.len)
		return fail(&p, JL_ERR_JSON, "unexpected data after the JSON value");
	return v;
}
