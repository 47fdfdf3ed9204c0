/*
 * mustache.c: compile and render Mustache templates (see mustache.h).
 *
 * The compiled form is a flat array of nodes; a section node is followed
 * by its children and knows the index just past them.  Standalone lines
 * (a section, inverted, closing, comment, partial or delimiter tag alone
 * on its line) are removed whole, as the spec says.
 */
#include "decode/mustache.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/math_expr.h"

#define MUSTACHE_MAX_NEST 100
#define MUSTACHE_MAX_STACK 128
#define MUSTACHE_MAX_DELIM 16

typedef enum NType
{
	N_TEXT, N_VAR, N_RAW, N_SECTION, N_INVERTED
} NType;

typedef struct MNode
{
	NType		type;
	const char *text;			/* literal text or tag name (in m->src) */
	size_t		len;
	int			pos;			/* 1-based position of the tag */
	int			end;			/* sections: index past the children */
} MNode;

struct Mustache
{
	MNode	   *nodes;
	int			n;
	int			cap;
	char	   *src;			/* a copy of the template */
};

static bool
merr(MustacheError *err, size_t at, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static bool
merr(MustacheError *err, size_t at, const char *fmt,...)
{
	va_list		ap;

	if (err->message[0] != '\0')
		return false;
	err->position = (int) at + 1;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return false;
}

static MNode *
add_node(Mustache *m, NType type, const char *text, size_t len, size_t pos)
{
	MNode	   *nd;

	if (m->n == m->cap)
	{
		int			cap = m->cap ? m->cap * 2 : 32;
		MNode	   *nn = realloc(m->nodes, sizeof(MNode) * cap);

		if (nn == NULL)
			return NULL;
		m->nodes = nn;
		m->cap = cap;
	}
	nd = &m->nodes[m->n++];
	nd->type = type;
	nd->text = text;
	nd->len = len;
	nd->pos = (int) pos + 1;
	nd->end = -1;
	return nd;
}

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char) **s))
		(*s)++, (*len)--;
	while (*len > 0 && isspace((unsigned char) (*s)[*len - 1]))
		(*len)--;
}

static const char *
find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0 || hlen < nlen)
		return NULL;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

Mustache *
mustache_compile(const char *tmpl, size_t len, MustacheError *err)
{
	Mustache   *m = calloc(1, sizeof(Mustache));
	char		open[MUSTACHE_MAX_DELIM + 1] = "{{",
				close[MUSTACHE_MAX_DELIM + 1] = "}}";
	size_t		olen = 2,
				clen = 2;
	int			stack[MUSTACHE_MAX_NEST];
	int			depth = 0;
	size_t		at = 0;
	const char *s;

	memset(err, 0, sizeof(*err));
	if (m == NULL || (m->src = malloc(len + 1)) == NULL)
	{
		merr(err, 0, "out of memory");
		goto failed;
	}
	memcpy(m->src, tmpl, len);
	m->src[len] = '\0';
	s = m->src;

	while (at < len)
	{
		const char *tag = find(s + at, len - at, open, olen);
		size_t		tstart,
					cstart,
					tend,
					nlen;
		const char *name,
				   *closing;
		char		kind;
		bool		standalone_kind;

		if (tag == NULL)
		{
			if (!add_node(m, N_TEXT, s + at, len - at, at))
				goto nomem;
			break;
		}
		tstart = tag - s;
		cstart = tstart + olen;
		kind = cstart < len ? s[cstart] : '\0';
		if (kind == '{')
		{
			char		c2[MUSTACHE_MAX_DELIM + 2];

			c2[0] = '}';
			memcpy(c2 + 1, close, clen);
			closing = find(s + cstart, len - cstart, c2, clen + 1);
			if (closing == NULL)
			{
				merr(err, tstart, "unclosed tag");
				goto failed;
			}
			tend = closing - s + clen + 1;
		}
		else
		{
			/* a sigil is the tag's, never the start of its closing delimiter */
			size_t		from = (kind != '\0' && strchr("&#^/!>=", kind) != NULL) ? cstart + 1 : cstart;

			closing = find(s + from, len - from, close, clen);
			if (closing == NULL)
			{
				merr(err, tstart, "unclosed tag");
				goto failed;
			}
			tend = closing - s + clen;
		}
		name = s + cstart;
		nlen = closing - name;
		if (strchr("{&#^/!>=", kind) != NULL && kind != '\0')
			name++, nlen--;
		if (kind == '=')
		{
			if (nlen == 0 || name[nlen - 1] != '=')
			{
				merr(err, tstart, "invalid delimiter tag");
				goto failed;
			}
			nlen--;
		}
		trim(&name, &nlen);

		/* standalone: only blanks before it on its line, and after it */
		standalone_kind = strchr("#^/!>=", kind) != NULL && kind != '\0';
		{
			size_t		b = tstart,
						e = tend;
			bool		standalone = standalone_kind;

			while (standalone && b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			if (standalone && b > 0 && s[b - 1] != '\n')
				standalone = false;
			while (standalone && e < len && (s[e] == ' ' || s[e] == '\t'))
				e++;
			if (standalone && e < len)
			{
				if (s[e] == '\n')
					e++;
				else if (s[e] == '\r' && e + 1 < len && s[e + 1] == '\n')
					e += 2;
				else
					standalone = false;
			}
			if (!standalone)
				b = tstart, e = tend;
			if (b > at && !add_node(m, N_TEXT, s + at, b - at, at))
				goto nomem;
			at = e;
		}

		switch (kind)
		{
			case '!':
				break;
			case '>':
				break;			/* no partials: they render as empty text */
			case '=':
				{
					const char *sp = name;
					size_t		k = 0;

					while (k < nlen && !isspace((unsigned char) sp[k]))
						k++;
					if (k == 0 || k > MUSTACHE_MAX_DELIM)
					{
						merr(err, tstart, "invalid delimiters");
						goto failed;
					}
					memcpy(open, sp, k);
					open[k] = '\0';
					olen = k;
					while (k < nlen && isspace((unsigned char) sp[k]))
						k++;
					if (nlen - k == 0 || nlen - k > MUSTACHE_MAX_DELIM ||
						memchr(sp + k, ' ', nlen - k) != NULL || memchr(sp + k, '=', nlen - k) != NULL ||
						memchr(open, '=', olen) != NULL)
					{
						merr(err, tstart, "invalid delimiters");
						goto failed;
					}
					memcpy(close, sp + k, nlen - k);
					close[nlen - k] = '\0';
					clen = nlen - k;
					break;
				}
			case '#':
			case '^':
				if (nlen == 0)
				{
					merr(err, tstart, "section without a name");
					goto failed;
				}
				if (depth >= MUSTACHE_MAX_NEST)
				{
					merr(err, tstart, "sections nested deeper than %d", MUSTACHE_MAX_NEST);
					goto failed;
				}
				if (!add_node(m, kind == '#' ? N_SECTION : N_INVERTED, name, nlen, tstart))
					goto nomem;
				stack[depth++] = m->n - 1;
				break;
			case '/':
				{
					MNode	   *open_node;

					if (depth == 0)
					{
						merr(err, tstart, "closing tag {{/%.*s}} without an open section",
							 (int) nlen, name);
						goto failed;
					}
					open_node = &m->nodes[stack[depth - 1]];
					if (open_node->len != nlen || memcmp(open_node->text, name, nlen) != 0)
					{
						merr(err, tstart, "closing tag {{/%.*s}} does not match section {{#%.*s}} at position %d",
							 (int) nlen, name, (int) open_node->len, open_node->text, open_node->pos);
						goto failed;
					}
					open_node->end = m->n;
					depth--;
					break;
				}
			default:
				if (nlen == 0)
				{
					merr(err, tstart, "empty tag");
					goto failed;
				}
				if (!add_node(m, (kind == '{' || kind == '&') ? N_RAW : N_VAR, name, nlen, tstart))
					goto nomem;
		}
	}
	if (depth > 0)
	{
		MNode	   *open_node = &m->nodes[stack[depth - 1]];

		merr(err, open_node->pos - 1, "section {{#%.*s}} is not closed", (int) open_node->len,
			 open_node->text);
		goto failed;
	}
	return m;

nomem:
	merr(err, 0, "out of memory");
failed:
	mustache_free(m);
	return NULL;
}

void
mustache_free(Mustache *m)
{
	if (m == NULL)
		return;
	free(m->nodes);
	free(m->src);
	free(m);
}

/* ---------------------------------------------------------------------
 * Rendering
 * --------------------------------------------------------------------- */

typedef struct Render
{
	const Mustache *m;
	const JValue *stack[MUSTACHE_MAX_STACK];
	int			depth;
	MustacheError *err;
} Render;

static const JValue *
lookup(Render *r, const char *name, size_t len)
{
	const JValue *v = NULL;
	size_t		seg;

	if (len == 1 && name[0] == '.')
		return r->depth > 0 ? r->stack[r->depth - 1] : NULL;
	for (seg = 0; seg < len && name[seg] != '.'; seg++)
		;
	for (int i = r->depth - 1; i >= 0 && v == NULL; i--)
		v = json_get_ci(r->stack[i], name, seg);
	while (v != NULL && seg < len)
	{
		size_t		start = seg + 1,
					end = start;

		while (end < len && name[end] != '.')
			end++;
		v = json_get_ci(v, name + start, end - start);
		seg = end;
	}
	return v;
}

static bool
falsy(const JValue *v)
{
	return v == NULL || v->type == J_NULL || v->type == J_FALSE ||
		(v->type == J_ARRAY && v->len == 0) || (v->type == J_STRING && v->len == 0);
}

static void
append_escaped(JsonOut *o, const char *s, size_t len)
{
	size_t		start = 0;

	for (size_t i = 0; i < len; i++)
	{
		const char *rep = NULL;

		switch (s[i])
		{
			case '&':
				rep = "&amp;";
				break;
			case '<':
				rep = "&lt;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '"':
				rep = "&quot;";
				break;
		}
		if (rep != NULL)
		{
			json_out_append(o, s + start, i - start);
			json_out_append(o, rep, strlen(rep));
			start = i + 1;
		}
	}
	json_out_append(o, s + start, len - start);
}

static void
append_value(JsonOut *o, const JValue *v, bool escape)
{
	JsonOut		tmp;

	switch (v->type)
	{
		case J_NULL:
			return;
		case J_TRUE:
			json_out_append(o, "true", 4);
			return;
		case J_FALSE:
			json_out_append(o, "false", 5);
			return;
		case J_NUMBER:
		case J_STRING:
			if (escape)
				append_escaped(o, v->u.text, v->len);
			else
				json_out_append(o, v->u.text, v->len);
			return;
		default:
			json_out_init(&tmp, o->limit);
			json_write(&tmp, v);
			if (json_out_failed(&tmp))
				o->failed = true;
			else if (escape)
				append_escaped(o, tmp.buf, tmp.len);
			else
				json_out_append(o, tmp.buf, tmp.len);
			json_out_free(&tmp);
	}
}

static bool render_nodes(Render *r, int from, int to, JsonOut *o);

static bool
is_name(const MNode *nd, const char *name)
{
	return nd->len == strlen(name) && memcmp(nd->text, name, nd->len) == 0;
}

/* {{#math}}, {{#toUpperCase}}, {{#toLowerCase}}: render, then transform. */
static bool
render_lambda(Render *r, const MNode *nd, int index, JsonOut *o)
{
	JsonOut		inner;
	bool		ok;

	json_out_init(&inner, o->limit);
	ok = render_nodes(r, index + 1, nd->end, &inner);
	if (ok && !json_out_failed(&inner) && inner.len > 0)
	{
		if (is_name(nd, "math"))
		{
			double		d;
			char		buf[32];

			if (math_eval(inner.buf, inner.len, &d, NULL))
				json_out_append(o, buf, math_format(buf, d));
			else
				json_out_append(o, inner.buf, inner.len);
		}
		else
		{
			bool		upper = is_name(nd, "toUpperCase");

			for (size_t i = 0; i < inner.len; i++)
				inner.buf[i] = (char) (upper ? toupper((unsigned char) inner.buf[i])
									   : tolower((unsigned char) inner.buf[i]));
			json_out_append(o, inner.buf, inner.len);
		}
	}
	if (json_out_failed(&inner))
		o->failed = true;
	json_out_free(&inner);
	return ok;
}

static bool
push(Render *r, const JValue *v, const MNode *nd)
{
	if (r->depth >= MUSTACHE_MAX_STACK)
		return merr(r->err, nd->pos - 1, "context stack deeper than %d", MUSTACHE_MAX_STACK);
	r->stack[r->depth++] = v;
	return true;
}

static bool
render_nodes(Render *r, int from, int to, JsonOut *o)
{
	for (int i = from; i < to; i++)
	{
		const MNode *nd = &r->m->nodes[i];
		const JValue *v;

		if (json_out_failed(o))
			return merr(r->err, nd->pos - 1, "the rendered text is too large");
		switch (nd->type)
		{
			case N_TEXT:
				json_out_append(o, nd->text, nd->len);
				break;
			case N_VAR:
			case N_RAW:
				v = lookup(r, nd->text, nd->len);
				if (v != NULL)
					append_value(o, v, nd->type == N_VAR);
				break;
			case N_SECTION:
				v = lookup(r, nd->text, nd->len);
				if (v == NULL && (is_name(nd, "math") || is_name(nd, "toUpperCase") ||
								  is_name(nd, "toLowerCase")))
				{
					if (!render_lambda(r, nd, i, o))
						return false;
				}
				else if (!falsy(v))
				{
					if (v->type == J_ARRAY)
					{
						for (size_t k = 0; k < v->len; k++)
						{
							if (!push(r, &v->u.items[k], nd))
								return false;
							if (!render_nodes(r, i + 1, nd->end, o))
								return false;
							r->depth--;
						}
					}
					else
					{
						if (!push(r, v, nd))
							return false;
						if (!render_nodes(r, i + 1, nd->end, o))
							return false;
						r->depth--;
					}
				}
				i = nd->end - 1;
				break;
			case N_INVERTED:
				v = lookup(r, nd->text, nd->len);
				if (falsy(v) && !render_nodes(r, i + 1, nd->end, o))
					return false;
				i = nd->end - 1;
				break;
		}
	}
	return true;
}

bool
mustache_render(const Mustache *m, const JValue *context, JsonOut *out, MustacheError *err)
{
	Render		r;

	memset(err, 0, sizeof(*err));
	memset(&r, 0, sizeof(r));
	r.m = m;
	r.err = err;
	if (context != NULL)
		r.stack[r.depth++] = context;
	if (!render_nodes(&r, 0, m->n, out))
		return false;
	if (json_out_failed(out))
		return merr(err, 0, "the rendered text is too large");
	return true;
}

/* ---------------------------------------------------------------------
 * The Live Objects template rule
 * --------------------------------------------------------------------- */

static bool
numbers_from_strings(JArena *a, JValue *v, MustacheError *err, int depth)
{
	double		d;

	if (depth > 200)
		return merr(err, 0, "template output nested too deeply");
	switch (v->type)
	{
		case J_STRING:
			if (v->len > 0 && v->len < 1000 && math_eval(v->u.text, v->len, &d, NULL))
			{
				if (!json_number_from_double(a, v, d))
					return merr(err, 0, "out of memory");
			}
			return true;
		case J_ARRAY:
			for (size_t i = 0; i < v->len; i++)
				if (!numbers_from_strings(a, &v->u.items[i], err, depth + 1))
					return false;
			return true;
		case J_OBJECT:
			for (size_t i = 0; i < v->len; i++)
			{
				JMember    *mb = &v->u.members[i];

				if (memchr(mb->key, '.', mb->key_len) != NULL)
					return merr(err, 0, "template output key \"%.*s\" contains '.'",
								(int) mb->key_len, mb->key);
				if (!numbers_from_strings(a, &mb->value, err, depth + 1))
					return false;
			}
			return true;
		default:
			return true;
	}
}

bool
mustache_apply_template(const Mustache *m, const JValue *context, JsonOut *out, MustacheError *err)
{
	JsonOut		text;
	JArena	   *a;
	JValue	   *v;
	JParseError perr;
	bool		ok = false;

	json_out_init(&text, out->limit);
	if (!mustache_render(m, context, &text, err))
	{
		json_out_free(&text);
		return false;
	}
	a = jarena_create();
	if (a == NULL)
	{
		json_out_free(&text);
		return merr(err, 0, "out of memory");
	}
	v = json_parse(a, text.buf ? text.buf : "", text.len, true, &perr);
	if (v == NULL)
		merr(err, 0, "the rendered template is not JSON: %s at character %d of \"%.*s\"",
			 perr.message, perr.position, (int) (text.len > 120 ? 120 : text.len),
			 text.buf ? text.buf : "");
	else if (v->type != J_OBJECT)
		merr(err, 0, "the rendered template is not a JSON object");
	else if (numbers_from_strings(a, v, err, 0))
	{
		json_write(out, v);
		ok = !json_out_failed(out) || merr(err, 0, "the template output is too large");
	}
	jarena_free(a);
	json_out_free(&text);
	return ok;
}

bool
mustache_check_keys(const char *tmpl, size_t len, MustacheError *err)
{
	size_t		i = 0;

	memset(err, 0, sizeof(*err));
	while (i < len)
	{
		if (i + 1 < len && tmpl[i] == '{' && tmpl[i + 1] == '{')
		{
			const char *e = find(tmpl + i, len - i, "}}", 2);

			if (e == NULL)
				return true;
			i = e - tmpl + 2;
			continue;
		}
		if (tmpl[i] == '"')
		{
			size_t		start = i++;
			bool		dot = false,
						tag = false;

			while (i < len && tmpl[i] != '"')
			{
				if (tmpl[i] == '\\')
					i++;
				else if (tmpl[i] == '.')
					dot = true;
				else if (tmpl[i] == '{' && i + 1 < len && tmpl[i + 1] == '{')
					tag = true;
				i++;
			}
			i++;
			{
				size_t		k = i;

				while (k < len && isspace((unsigned char) tmpl[k]))
					k++;
				if (dot && !tag && k < len && tmpl[k] == ':')
					return merr(err, start, "template key %.*s contains '.'", (int) (i - start),
								tmpl + start);
			}
			continue;
		}
		i++;
	}
	return true;
}
