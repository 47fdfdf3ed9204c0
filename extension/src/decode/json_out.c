/*
 * json_out.c: the JSON text writer of the decoders (see json_out.h).
 */
#include "decode/json_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_OUT_DEFAULT_LIMIT ((size_t) 64 * 1024 * 1024)

void
json_out_init(JsonOut *o, size_t limit)
{
	memset(o, 0, sizeof(*o));
	o->limit = limit ? limit : JSON_OUT_DEFAULT_LIMIT;
}

void
json_out_init_sink(JsonOut *o, const JsonSink *sink, void *arg)
{
	json_out_init(o, 0);
	o->sink = sink;
	o->sink_arg = arg;
}

void
json_out_reset(JsonOut *o)
{
	o->len = 0;
	o->failed = false;
	o->depth = 0;
	o->need_comma[0] = false;
}

void
json_out_free(JsonOut *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

static bool
reserve(JsonOut *o, size_t extra)
{
	size_t		want;
	char	   *nb;

	if (o->failed)
		return false;
	want = o->len + extra + 1;
	if (want <= o->cap)
		return true;
	if (want > o->limit)
	{
		o->failed = true;
		return false;
	}
	{
		size_t		cap = o->cap ? o->cap : 256;

		while (cap < want)
			cap *= 2;
		nb = realloc(o->buf, cap);
		if (nb == NULL)
		{
			o->failed = true;
			return false;
		}
		o->buf = nb;
		o->cap = cap;
	}
	return true;
}

void
json_out_append(JsonOut *o, const char *s, size_t len)
{
	if (!reserve(o, len))
		return;
	memcpy(o->buf + o->len, s, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

static inline void
put_char(JsonOut *o, char c)
{
	if (o->len + 2 <= o->cap && !o->failed)
	{
		o->buf[o->len++] = c;
		o->buf[o->len] = '\0';
	}
	else
		json_out_append(o, &c, 1);
}

/* Comma before a value or key when needed. */
static inline void
separate(JsonOut *o)
{
	if (o->need_comma[o->depth])
		put_char(o, ',');
	o->need_comma[o->depth] = true;
}

static void
open_container(JsonOut *o, char c)
{
	if (o->sink)
	{
		if (o->depth >= JSON_OUT_MAX_DEPTH)
			o->failed = true;
		else
		{
			o->depth++;
			o->sink->begin(o->sink_arg, c == '{');
		}
		return;
	}
	separate(o);
	put_char(o, c);
	if (o->depth >= JSON_OUT_MAX_DEPTH)
	{
		o->failed = true;
		return;
	}
	o->depth++;
	o->need_comma[o->depth] = false;
}

static void
close_container(JsonOut *o, char c)
{
	if (o->sink)
	{
		if (o->depth > 0 && !o->failed)
		{
			o->depth--;
			o->sink->end(o->sink_arg);
		}
		return;
	}
	if (o->depth > 0)
		o->depth--;
	put_char(o, c);
}

void
json_out_begin_object(JsonOut *o)
{
	open_container(o, '{');
}

void
json_out_end_object(JsonOut *o)
{
	close_container(o, '}');
}

void
json_out_begin_array(JsonOut *o)
{
	open_container(o, '[');
}

void
json_out_end_array(JsonOut *o)
{
	close_container(o, ']');
}

static void
escape_string(JsonOut *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	if (!reserve(o, len + 2))
		return;
	o->buf[o->len++] = '"';
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
		{
			if (o->len + 2 > o->cap && !reserve(o, 2))
				return;
			o->buf[o->len++] = (char) c;
			continue;
		}
		if (!reserve(o, 8))
			return;
		o->buf[o->len++] = '\\';
		switch (c)
		{
			case '"':
				o->buf[o->len++] = '"';
				break;
			case '\\':
				o->buf[o->len++] = '\\';
				break;
			case '\n':
				o->buf[o->len++] = 'n';
				break;
			case '\r':
				o->buf[o->len++] = 'r';
				break;
			case '\t':
				o->buf[o->len++] = 't';
				break;
			case '\b':
				o->buf[o->len++] = 'b';
				break;
			case '\f':
				o->buf[o->len++] = 'f';
				break;
			default:
				o->buf[o->len++] = 'u';
				o->buf[o->len++] = '0';
				o->buf[o->len++] = '0';
				o->buf[o->len++] = hex[c >> 4];
				o->buf[o->len++] = hex[c & 15];
		}
	}
	if (!reserve(o, 1))
		return;
	o->buf[o->len++] = '"';
	o->buf[o->len] = '\0';
}

void
json_out_key(JsonOut *o, const char *key, size_t len)
{
	if (o->sink)
	{
		o->sink->key(o->sink_arg, key, len);
		return;
	}
	separate(o);
	escape_string(o, key, len);
	put_char(o, ':');
	o->need_comma[o->depth] = false;
}

void
json_out_raw_key(JsonOut *o, const char *quoted_colon, size_t len)
{
	if (o->sink)
	{
		o->sink->key(o->sink_arg, quoted_colon + 1, len - 3);
		return;
	}
	separate(o);
	json_out_append(o, quoted_colon, len);
	o->need_comma[o->depth] = false;
}

/* After a key the next value takes no comma; after a value the next does. */
static inline void
value_prefix(JsonOut *o)
{
	separate(o);
}

void
json_out_int(JsonOut *o, int64_t v)
{
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);
	uint64_t	u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

	if (o->sink)
	{
		o->sink->integer(o->sink_arg, v);
		return;
	}
	value_prefix(o);
	do
	{
		*--p = (char) ('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	json_out_append(o, p, tmp + sizeof(tmp) - p);
}

void
json_out_uint(JsonOut *o, uint64_t u)
{
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);

	if (o->sink)
	{
		o->sink->unsigned_integer(o->sink_arg, u);
		return;
	}
	value_prefix(o);
	do
	{
		*--p = (char) ('0' + u % 10);
		u /= 10;
	} while (u);
	json_out_append(o, p, tmp + sizeof(tmp) - p);
}

void
json_out_bool(JsonOut *o, bool v)
{
	if (o->sink)
	{
		o->sink->boolean(o->sink_arg, v);
		return;
	}
	value_prefix(o);
	if (v)
		json_out_append(o, "true", 4);
	else
		json_out_append(o, "false", 5);
}

void
json_out_null(JsonOut *o)
{
	if (o->sink)
	{
		o->sink->null(o->sink_arg);
		return;
	}
	value_prefix(o);
	json_out_append(o, "null", 4);
}

/*
 * %.Ng strips trailing zeros, so the first precision that reads back is
 * the shortest text.  A shorter decimal that reads back is always found
 * at 6 digits (float) or 15 (double): half an ulp is smaller than half a
 * unit of that digit, so rounding there lands on it.
 */
int
json_format_double(char *buf, double v)
{
	int			n = 0;

	for (int prec = 15; prec <= 17; prec++)
	{
		n = snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return n;
}

int
json_format_float(char *buf, float v)
{
	int			n = 0;

	for (int prec = 6; prec <= 9; prec++)
	{
		n = snprintf(buf, 32, "%.*g", prec, (double) v);
		if (strtof(buf, NULL) == v)
			break;
	}
	return n;
}

static bool
non_finite(JsonOut *o, double v)
{
	if (isnan(v))
		escape_string(o, "NaN", 3);
	else if (isinf(v))
	{
		if (v > 0)
			escape_string(o, "Infinity", 8);
		else
			escape_string(o, "-Infinity", 9);
	}
	else
		return false;
	return true;
}

/* A number; `single`: a float32, printed as the shortest float that reads back. */
static void
out_real(JsonOut *o, double v, bool single)
{
	char		tmp[32];
	int			n;

	if (o->sink)
	{
		if (isfinite(v))
			o->sink->real(o->sink_arg, v, single);
		else
			o->sink->string(o->sink_arg, isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity",
							isnan(v) ? 3 : v > 0 ? 8 : 9);
		return;
	}
	value_prefix(o);
	if (non_finite(o, v))
		return;
	n = single ? json_format_float(tmp, (float) v) : json_format_double(tmp, v);
	json_out_append(o, tmp, n);
}

void
json_out_double(JsonOut *o, double v)
{
	out_real(o, v, false);
}

void
json_out_float(JsonOut *o, float v)
{
	out_real(o, v, true);
}

void
json_out_string(JsonOut *o, const char *s, size_t len)
{
	if (o->sink)
	{
		o->sink->string(o->sink_arg, s, len);
		return;
	}
	value_prefix(o);
	escape_string(o, s, len);
}

void
json_out_raw_value(JsonOut *o, const char *s, size_t len)
{
	if (o->sink)
	{
		o->sink->number_text(o->sink_arg, s, len);
		return;
	}
	value_prefix(o);
	json_out_append(o, s, len);
}
