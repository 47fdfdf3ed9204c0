/*
 * csv.c: decode the first row of a CSV payload (see csv.h).
 *
 * Reading a row: values are separated by columnSeparator and the row ends
 * at lineFeedSeparator (both may be several characters).  A value that
 * starts with quoteChar runs to the matching quoteChar; inside it a
 * doubled quoteChar is one quote and separators and line feeds are plain
 * text.  With useEscapeChar, escapeChar makes the next character literal,
 * in or out of quotes.  skipWhiteSpace trims blanks around values.
 *
 * Types: STRING as is; NUMERIC an integer (64-bit) or a decimal number,
 * signed; BOOLEAN true or false (any case).  An empty NUMERIC or BOOLEAN
 * value is JSON null; missing trailing values are left out; more values
 * than columns is an error.
 */
#include "decode/csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_COLUMNS 1000
#define CSV_MAX_SEP 16

typedef enum CsvType
{
	CSV_STRING, CSV_NUMERIC, CSV_BOOLEAN
} CsvType;

typedef struct CsvColumn
{
	char	   *name;
	size_t		name_len;
	CsvType		type;
} CsvColumn;

struct CsvDecoder
{
	CsvColumn  *columns;
	int			ncolumns;
	char		quote;
	char		escape;
	bool		use_escape;
	bool		skip_ws;
	char		sep[CSV_MAX_SEP + 1];
	size_t		sep_len;
	char		eol[CSV_MAX_SEP + 1];
	size_t		eol_len;
};

static bool
cerr(CsvError *err, bool description, int position, const char *fmt,...)
__attribute__((format(printf, 4, 5)));

static bool
cerr(CsvError *err, bool description, int position, const char *fmt,...)
{
	va_list		ap;

	if (err->message[0] != '\0')
		return false;
	err->description = description;
	err->position = position;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return false;
}

void
csv_free(CsvDecoder *d)
{
	if (d == NULL)
		return;
	for (int i = 0; i < d->ncolumns; i++)
		free(d->columns[i].name);
	free(d->columns);
	free(d);
}

static bool
string_option(const JValue *opts, const char *key, char *dst, size_t *dlen, bool one_char,
			  CsvError *err)
{
	const JValue *v = json_get(opts, key, strlen(key));

	if (v == NULL)
		return true;
	if (v->type != J_STRING || v->len == 0)
		return cerr(err, true, 0, "option %s must be a non-empty string", key);
	if (one_char && v->len != 1)
		return cerr(err, true, 0, "option %s must be one ASCII character", key);
	if (v->len > CSV_MAX_SEP)
		return cerr(err, true, 0, "option %s is longer than %d characters", key, CSV_MAX_SEP);
	memcpy(dst, v->u.text, v->len);
	dst[v->len] = '\0';
	if (dlen)
		*dlen = v->len;
	return true;
}

static bool
bool_option(const JValue *opts, const char *key, bool *dst, CsvError *err)
{
	const JValue *v = json_get(opts, key, strlen(key));

	if (v == NULL)
		return true;
	if (v->type != J_TRUE && v->type != J_FALSE)
		return cerr(err, true, 0, "option %s must be true or false", key);
	*dst = v->type == J_TRUE;
	return true;
}

static bool
compile_options(CsvDecoder *d, const JValue *opts, CsvError *err)
{
	static const char *const known[] = {
		"quoteChar", "columnSeparator", "lineFeedSeparator", "useEscapeChar", "escapeChar",
		"skipWhiteSpace"
	};
	char		q[CSV_MAX_SEP + 1],
				e[CSV_MAX_SEP + 1];

	if (opts == NULL || opts->type == J_NULL)
		return true;
	if (opts->type != J_OBJECT)
		return cerr(err, true, 0, "options must be a JSON object");
	for (size_t i = 0; i < opts->len; i++)
	{
		bool		ok = false;

		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= opts->u.members[i].key_len == strlen(known[k]) &&
				memcmp(opts->u.members[i].key, known[k], strlen(known[k])) == 0;
		if (!ok)
			return cerr(err, true, 0, "unknown CSV option \"%.*s\"", (int) opts->u.members[i].key_len,
						opts->u.members[i].key);
	}
	q[0] = d->quote;
	e[0] = d->escape;
	if (!string_option(opts, "quoteChar", q, NULL, true, err) ||
		!string_option(opts, "escapeChar", e, NULL, true, err) ||
		!string_option(opts, "columnSeparator", d->sep, &d->sep_len, false, err) ||
		!string_option(opts, "lineFeedSeparator", d->eol, &d->eol_len, false, err) ||
		!bool_option(opts, "useEscapeChar", &d->use_escape, err) ||
		!bool_option(opts, "skipWhiteSpace", &d->skip_ws, err))
		return false;
	d->quote = q[0];
	d->escape = e[0];
	if ((unsigned char) d->quote >= 0x80 || (unsigned char) d->escape >= 0x80)
		return cerr(err, true, 0, "quoteChar and escapeChar must be ASCII characters");
	if (memchr(d->sep, d->quote, d->sep_len) || memchr(d->eol, d->quote, d->eol_len))
		return cerr(err, true, 0, "quoteChar must differ from the separators");
	if (d->sep_len == d->eol_len && memcmp(d->sep, d->eol, d->sep_len) == 0)
		return cerr(err, true, 0, "columnSeparator and lineFeedSeparator must differ");
	return true;
}

CsvDecoder *
csv_compile(const JValue *desc, CsvError *err)
{
	CsvDecoder *d = calloc(1, sizeof(CsvDecoder));
	const JValue *cols;

	memset(err, 0, sizeof(*err));
	if (d == NULL)
	{
		cerr(err, true, 0, "out of memory");
		return NULL;
	}
	d->quote = '"';
	d->escape = '\\';
	strcpy(d->sep, ",");
	d->sep_len = 1;
	strcpy(d->eol, "\n");
	d->eol_len = 1;
	if (desc == NULL || desc->type != J_OBJECT)
	{
		cerr(err, true, 0, "a CSV description is a JSON object with columns and options");
		goto failed;
	}
	for (size_t i = 0; i < desc->len; i++)
	{
		const JMember *m = &desc->u.members[i];

		if (!((m->key_len == 7 && memcmp(m->key, "columns", 7) == 0) ||
			  (m->key_len == 7 && memcmp(m->key, "options", 7) == 0)))
		{
			cerr(err, true, 0, "unknown member \"%.*s\" in a CSV description (columns, options)",
				 (int) m->key_len, m->key);
			goto failed;
		}
	}
	cols = json_get(desc, "columns", 7);
	if (cols == NULL || cols->type != J_ARRAY || cols->len == 0)
	{
		cerr(err, true, 0, "columns must be a non-empty array of {\"name\", \"jsonType\"}");
		goto failed;
	}
	if (cols->len > CSV_MAX_COLUMNS)
	{
		cerr(err, true, 0, "more than %d columns", CSV_MAX_COLUMNS);
		goto failed;
	}
	d->columns = calloc(cols->len, sizeof(CsvColumn));
	if (d->columns == NULL)
	{
		cerr(err, true, 0, "out of memory");
		goto failed;
	}
	for (size_t i = 0; i < cols->len; i++)
	{
		const JValue *c = &cols->u.items[i];
		const JValue *name = json_get(c, "name", 4);
		const JValue *type = json_get(c, "jsonType", 8);
		CsvColumn  *col = &d->columns[i];

		if (name == NULL || name->type != J_STRING || name->len == 0)
		{
			cerr(err, true, 0, "column %zu: name must be a non-empty string", i + 1);
			goto failed;
		}
		if (memchr(name->u.text, '.', name->len) != NULL)
		{
			cerr(err, true, 0, "column %zu: name \"%s\" must not contain '.'", i + 1, name->u.text);
			goto failed;
		}
		for (size_t k = 0; k < i; k++)
			if (d->columns[k].name_len == name->len && memcmp(d->columns[k].name, name->u.text, name->len) == 0)
			{
				cerr(err, true, 0, "column %zu: duplicate name \"%s\"", i + 1, name->u.text);
				goto failed;
			}
		if (type == NULL || type->type != J_STRING)
		{
			cerr(err, true, 0, "column %zu: jsonType must be STRING, NUMERIC or BOOLEAN", i + 1);
			goto failed;
		}
		if (strcasecmp(type->u.text, "STRING") == 0)
			col->type = CSV_STRING;
		else if (strcasecmp(type->u.text, "NUMERIC") == 0)
			col->type = CSV_NUMERIC;
		else if (strcasecmp(type->u.text, "BOOLEAN") == 0)
			col->type = CSV_BOOLEAN;
		else
		{
			cerr(err, true, 0, "column %zu: unknown jsonType \"%s\" (STRING, NUMERIC or BOOLEAN)",
				 i + 1, type->u.text);
			goto failed;
		}
		col->name = strndup(name->u.text, name->len);
		col->name_len = name->len;
		d->ncolumns++;
		if (col->name == NULL)
		{
			cerr(err, true, 0, "out of memory");
			goto failed;
		}
	}
	if (!compile_options(d, json_get(desc, "options", 7), err))
		goto failed;
	return d;

failed:
	csv_free(d);
	return NULL;
}

/* ---------------------------------------------------------------------
 * Decoding
 * --------------------------------------------------------------------- */

typedef struct Field
{
	char	   *buf;
	size_t		len;
	size_t		cap;
	size_t		pos;			/* where the value starts in the payload */
	bool		quoted;
} Field;

static bool
field_put(Field *f, char c)
{
	if (f->len + 1 >= f->cap)
	{
		size_t		cap = f->cap ? f->cap * 2 : 64;
		char	   *nb = realloc(f->buf, cap);

		if (nb == NULL)
			return false;
		f->buf = nb;
		f->cap = cap;
	}
	f->buf[f->len++] = c;
	return true;
}

static bool
at_str(const char *p, size_t left, const char *s, size_t n)
{
	return left >= n && memcmp(p, s, n) == 0;
}

static bool
emit_value(const CsvDecoder *d, const CsvColumn *col, Field *f, JsonOut *out, CsvError *err)
{
	const char *v = f->buf ? f->buf : "";
	size_t		n = f->len;

	if (d->skip_ws)
	{
		while (n > 0 && (*v == ' ' || *v == '\t'))
			v++, n--;
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
	}
	json_out_key(out, col->name, col->name_len);
	switch (col->type)
	{
		case CSV_STRING:
			if (memchr(v, '\0', n) != NULL)
				return cerr(err, false, (int) f->pos + 1, "column %s: NUL character in value", col->name);
			json_out_string(out, v, n);
			return true;
		case CSV_BOOLEAN:
			if (n == 0)
				json_out_null(out);
			else if (n == 4 && strncasecmp(v, "true", 4) == 0)
				json_out_bool(out, true);
			else if (n == 5 && strncasecmp(v, "false", 5) == 0)
				json_out_bool(out, false);
			else
				return cerr(err, false, (int) f->pos + 1, "column %s: \"%.*s\" is not true or false",
							col->name, (int) (n > 40 ? 40 : n), v);
			return true;
		case CSV_NUMERIC:
			{
				char		tmp[128];
				char	   *end;
				size_t		i = 0;
				bool		digits = false;

				if (n == 0)
				{
					json_out_null(out);
					return true;
				}
				if (n >= sizeof(tmp))
					return cerr(err, false, (int) f->pos + 1, "column %s: number too long", col->name);
				/* [+-] digits [. digits] [e [+-] digits], nothing else */
				memcpy(tmp, v, n);
				tmp[n] = '\0';
				if (tmp[i] == '+' || tmp[i] == '-')
					i++;
				while (isdigit((unsigned char) tmp[i]))
					i++, digits = true;
				if (tmp[i] == '.')
				{
					i++;
					while (isdigit((unsigned char) tmp[i]))
						i++, digits = true;
				}
				if (digits && (tmp[i] == 'e' || tmp[i] == 'E'))
				{
					size_t		e = ++i;

					if (tmp[i] == '+' || tmp[i] == '-')
						i++, e++;
					while (isdigit((unsigned char) tmp[i]))
						i++;
					if (i == e)
						digits = false;
				}
				if (!digits || i != n)
					return cerr(err, false, (int) f->pos + 1, "column %s: \"%s\" is not a number",
								col->name, tmp);
				if (strpbrk(tmp, ".eE") == NULL)
				{
					long long	ll;

					errno = 0;
					ll = strtoll(tmp, &end, 10);
					if (errno == 0)
					{
						json_out_int(out, ll);
						return true;
					}
				}
				{
					double		dv = strtod(tmp, &end);

					if (!isfinite(dv))
						return cerr(err, false, (int) f->pos + 1, "column %s: \"%s\" is out of range",
									col->name, tmp);
					if (dv == floor(dv) && fabs(dv) < 9007199254740992.0)
						json_out_int(out, (int64_t) dv);
					else
						json_out_double(out, dv);
				}
				return true;
			}
	}
	return true;
}

static bool
decode(const CsvDecoder *d, const char *p, size_t len, JsonOut *out, CsvError *err, bool braces)
{
	Field		f;
	size_t		i = 0;
	int			col = 0;
	bool		done = false,
				ok = true;

	memset(err, 0, sizeof(*err));
	memset(&f, 0, sizeof(f));
	if (braces)
		json_out_begin_object(out);
	while (!done && ok)
	{
		/* one value */
		f.len = 0;
		f.pos = i;
		f.quoted = false;
		if (d->skip_ws)
			while (i < len && (p[i] == ' ' || p[i] == '\t'))
				i++;
		if (i < len && p[i] == d->quote)
		{
			size_t		qstart = i++;
			bool		closed = false;

			f.quoted = true;
			while (i < len)
			{
				if (d->use_escape && p[i] == d->escape && i + 1 < len)
				{
					if (!field_put(&f, p[i + 1]))
						goto nomem;
					i += 2;
					continue;
				}
				if (p[i] == d->quote)
				{
					if (i + 1 < len && p[i + 1] == d->quote)
					{
						if (!field_put(&f, d->quote))
							goto nomem;
						i += 2;
						continue;
					}
					i++;
					closed = true;
					break;
				}
				if (!field_put(&f, p[i++]))
					goto nomem;
			}
			if (!closed)
			{
				ok = cerr(err, false, (int) qstart + 1, "unterminated quoted value");
				break;
			}
			if (d->skip_ws)
				while (i < len && (p[i] == ' ' || p[i] == '\t'))
					i++;
			if (i < len && !at_str(p + i, len - i, d->sep, d->sep_len) &&
				!at_str(p + i, len - i, d->eol, d->eol_len))
			{
				ok = cerr(err, false, (int) i + 1, "unexpected character after a quoted value");
				break;
			}
		}
		else
		{
			while (i < len && !at_str(p + i, len - i, d->sep, d->sep_len) &&
				   !at_str(p + i, len - i, d->eol, d->eol_len))
			{
				if (d->use_escape && p[i] == d->escape && i + 1 < len)
					i++;
				if (!field_put(&f, p[i++]))
					goto nomem;
			}
		}
		/* what ends it */
		if (i >= len)
			done = true;
		else if (at_str(p + i, len - i, d->eol, d->eol_len))
			done = true;		/* the first row only */
		else
			i += d->sep_len;
		if (col >= d->ncolumns)
		{
			/* a lone empty value after the last column at end of row is not one */
			ok = cerr(err, false, (int) f.pos + 1, "the row has more than %d values", d->ncolumns);
			break;
		}
		if (!emit_value(d, &d->columns[col], &f, out, err))
		{
			ok = false;
			break;
		}
		col++;
	}
	free(f.buf);
	if (ok && braces)
		json_out_end_object(out);
	if (ok && json_out_failed(out))
		return cerr(err, false, 0, "the decoded JSON is too large");
	return ok;

nomem:
	free(f.buf);
	return cerr(err, false, 0, "out of memory");
}

bool
csv_decode(const CsvDecoder *d, const char *payload, size_t len, JsonOut *out, CsvError *err)
{
	return decode(d, payload, len, out, err, true);
}

bool
csv_decode_members(const CsvDecoder *d, const char *payload, size_t len, JsonOut *out,
				   CsvError *err)
{
	return decode(d, payload, len, out, err, false);
}
