/*
 * jbbp_compile.c: JBBP format text -> program (see jbbp_internal.h).
 *
 * The grammar is JBBP 2.0.x's: items end with ';' (fields) or '{'
 * (structures), '}' closes a structure, '//' starts a comment.
 *
 *   field   := [<|>]type[:extra] [ '[' size ']' ] [name] ';'
 *   struct  := [name] [ '[' size ']' ] '{' ... '}'
 *   extra   := integer | '(' expression ')'
 *   size    := integer > 0 | expression | '_' (until the end of the payload)
 *
 * Expressions are 32-bit integer arithmetic over decimal constants, the
 * named numeric fields already read (by path: header.len) and $$ (bytes
 * read so far), with JBBP's operators and priorities:
 *   unary - + ~  >  * / %  >  + -  >  << >> >>>  >  &  >  ^  >  |
 *
 * Live Objects rules on top of JBBP's: names are letters, digits and
 * '_', start with a letter, never contain '.' or '#'; floatj, doublej,
 * stringj and var are not available.
 */
#include "decode/jbbp_compiler.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
jbbp_cfail(Compiler *c, size_t offset, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (c->err->kind != JBBP_OK)
		return false;
	c->err->kind = JBBP_ERR_FORMAT;
	c->err->position = (int) offset + 1;
	n = snprintf(c->err->message, sizeof(c->err->message), "at position %d: ", (int) offset + 1);
	va_start(ap, fmt);
	vsnprintf(c->err->message + n, sizeof(c->err->message) - n, fmt, ap);
	va_end(ap);
	return false;
}

bool
jbbp_cnomem(Compiler *c)
{
	if (c->err->kind == JBBP_OK)
	{
		c->err->kind = JBBP_ERR_NOMEM;
		snprintf(c->err->message, sizeof(c->err->message), "out of memory");
	}
	return false;
}

bool
jbbp_cgrow(Compiler *c, void **arr, int *cap, int need, size_t elem)
{
	void	   *n;
	int			newcap;

	if (need <= *cap)
		return true;
	newcap = *cap ? *cap * 2 : 16;
	while (newcap < need)
		newcap *= 2;
	n = realloc(*arr, (size_t) newcap * elem);
	if (n == NULL)
		return jbbp_cnomem(c);
	*arr = n;
	*cap = newcap;
	return true;
}

/* Add a NUL-terminated string to the keys pool; its offset or -1. */
static int
add_key_text(Compiler *c, const char *s, size_t len)
{
	JbbpProgram *p = c->prog;
	int			off = p->keys_len;

	if (!jbbp_cgrow(c, (void **) &p->keys, &c->cap_keys, p->keys_len + (int) len + 1, 1))
		return -1;
	memcpy(p->keys + off, s, len);
	p->keys[off + len] = '\0';
	p->keys_len += (int) len + 1;
	return off;
}

static JbbpInsn *
new_insn(Compiler *c, JbbpOp op, size_t pos)
{
	JbbpProgram *p = c->prog;
	JbbpInsn   *in;

	if (p->ninsns >= JBBP_MAX_INSNS)
	{
		jbbp_cfail(c, pos, "the format has more than %d items", JBBP_MAX_INSNS);
		return NULL;
	}
	if (!jbbp_cgrow(c, (void **) &p->insns, &c->cap_insns, p->ninsns + 1, sizeof(JbbpInsn)))
		return NULL;
	in = &p->insns[p->ninsns++];
	memset(in, 0, sizeof(*in));
	in->op = op;
	in->count_expr = in->extra_expr = in->key = in->slot = in->end = in->path = -1;
	in->pos = (int) pos + 1;
	return in;
}

/* ---------------------------------------------------------------------
 * Items
 * --------------------------------------------------------------------- */

typedef struct Span
{
	const char *s;
	size_t		len;
	size_t		pos;			/* offset in the format */
} Span;

static const struct
{
	const char *name;
	JbbpOp		op;
}			type_names[] =
{
	{"bit", OP_BIT}, {"bool", OP_BOOL}, {"byte", OP_BYTE}, {"ubyte", OP_UBYTE},
	{"short", OP_SHORT}, {"ushort", OP_USHORT}, {"int", OP_INT}, {"uint", OP_UINT},
	{"long", OP_LONG}, {"float", OP_FLOAT}, {"double", OP_DOUBLE}, {"utf8", OP_UTF8},
	{"asciichar", OP_ASCII}, {"skip", OP_SKIP}, {"align", OP_ALIGN}, {"val", OP_VAL},
	{"reset$$", OP_RESET}
};

/* Names JBBP reserves for types (they cannot name a field). */
static const char *const reserved_names[] = {
	"floatj", "doublej", "stringj", "bit", "bool", "byte", "ubyte", "short", "ushort",
	"int", "long", "align", "skip", "$", "float", "double", "utf8", "asciichar", "uint"
};

static bool
span_is(const Span *sp, const char *lower)
{
	size_t		n = strlen(lower);

	if (sp->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char) sp->s[i]) != lower[i])
			return false;
	return true;
}

/* Check a field or structure name; its lower-case copy in *out. */
static bool
check_name(Compiler *c, const Span *name, char *out, size_t outsz)
{
	if (name->len >= outsz)
		return jbbp_cfail(c, name->pos, "field name too long");
	for (size_t i = 0; i < name->len; i++)
	{
		char		ch = name->s[i];

		if (ch == '.')
			return jbbp_cfail(c, name->pos + i, "field name \"%.*s\" must not contain '.'",
						(int) name->len, name->s);
		if (ch == '#')
			return jbbp_cfail(c, name->pos + i, "field name \"%.*s\" must not contain '#'",
						(int) name->len, name->s);
		if (i == 0 && (ch == '$' || ch == '_' || isdigit((unsigned char) ch)))
			return jbbp_cfail(c, name->pos, "field name \"%.*s\" must not start with '%c'",
						(int) name->len, name->s, ch);
		if (!isalnum((unsigned char) ch) && ch != '_')
			return jbbp_cfail(c, name->pos + i, "invalid character '%c' in field name \"%.*s\"",
						ch, (int) name->len, name->s);
		out[i] = (char) tolower((unsigned char) ch);
	}
	out[name->len] = '\0';
	for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
		if (strcmp(out, reserved_names[i]) == 0)
			return jbbp_cfail(c, name->pos, "\"%s\" is a type and cannot be a field name", out);
	return true;
}

/* Register a named item: duplicates in the same structure are errors. */
static bool
register_name(Compiler *c, JbbpInsn *in, const char *lower, size_t pos, bool numeric, bool is_array)
{
	JbbpProgram *p = c->prog;
	int			border = c->depth > 0 ? c->stack[c->depth - 1].named_start : 0;
	char		quoted[300];
	char		path[1024];
	int			n;

	for (int i = c->nnamed - 1; i >= border; i--)
		if (strcmp(c->named[i].path, lower) == 0)
			return jbbp_cfail(c, pos, "duplicate field name \"%s\"", lower);
	if (!jbbp_cgrow(c, (void **) &c->named, &c->cap_named, c->nnamed + 1, sizeof(NamedField)))
		return false;
	c->named[c->nnamed].path = strdup(lower);
	if (c->named[c->nnamed].path == NULL)
		return jbbp_cnomem(c);
	c->named[c->nnamed].insn = (int) (in - p->insns);
	c->named[c->nnamed].numeric = numeric;
	c->named[c->nnamed].is_array = is_array;
	c->named[c->nnamed].in_struct_array = false;
	c->nnamed++;

	n = snprintf(quoted, sizeof(quoted), "\"%s\":", lower);
	in->key = add_key_text(c, quoted, n);
	in->key_len = n;
	/* the path for messages: enclosing structures' names, then this one */
	path[0] = '\0';
	n = 0;
	for (int d = 0; d < c->depth; d++)
		if (c->stack[d].name != NULL)
			n += snprintf(path + n, sizeof(path) - n, "%s%s", c->stack[d].name,
						  c->stack[d].is_array ? "[]." : ".");
	snprintf(path + n, sizeof(path) - n, "%s", lower);
	in->path = add_key_text(c, path, strlen(path));
	return in->key >= 0 && in->path >= 0;
}

/* Parse an integer constant (optionally negative); false if not one. */
static bool
parse_int(const char *s, size_t len, int64_t *out)
{
	int64_t		v = 0;
	size_t		i = 0;
	bool		neg = false;

	if (len > 0 && s[0] == '-')
	{
		neg = true;
		i = 1;
	}
	if (i >= len)
		return false;
	for (; i < len; i++)
	{
		if (!isdigit((unsigned char) s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > (int64_t) INT32_MAX + 1)
			return false;
	}
	*out = neg ? -v : v;
	return *out >= INT32_MIN && *out <= INT32_MAX;
}

/* The array part of an item. */
static bool
compile_array(Compiler *c, JbbpInsn *in, const Span *arr)
{
	size_t		b = 0,
				e = arr->len;
	int64_t		n;

	while (b < e && isspace((unsigned char) arr->s[b]))
		b++;
	while (e > b && isspace((unsigned char) arr->s[e - 1]))
		e--;
	if (b == e)
		return jbbp_cfail(c, arr->pos, "empty array size");
	if (e - b == 1 && arr->s[b] == '_')
	{
		if (c->rest_insn >= 0)
			return jbbp_cfail(c, arr->pos, "only one array may read until the end of the payload");
		in->arr = ARR_REST;
		c->rest_insn = (int) (in - c->prog->insns);
		c->rest_depth = c->depth;
		return true;
	}
	if (parse_int(arr->s + b, e - b, &n) && arr->s[b] != '-')
	{
		if (n <= 0)
			return jbbp_cfail(c, arr->pos + b, "array size must be greater than zero");
		in->arr = ARR_FIXED;
		in->count = (int32_t) n;
		return true;
	}
	in->arr = ARR_EXPR;
	in->count_expr = jbbp_compile_expr(c, arr->s + b, e - b, arr->pos + b);
	return in->count_expr >= 0;
}

static bool
compile_field(Compiler *c, const Span *type, const Span *arr, const Span *name)
{
	size_t		i = 0;
	bool		little = false;
	Span		tname,
				extra = {NULL, 0, 0};
	int			op = -1;
	JbbpInsn   *in;
	char		lower[256];
	int64_t		n;

	if (type->len > 0 && (type->s[0] == '<' || type->s[0] == '>'))
	{
		little = type->s[0] == '<';
		i = 1;
	}
	tname.s = type->s + i;
	tname.pos = type->pos + i;
	while (i < type->len && type->s[i] != ':')
		i++;
	tname.len = type->s + i - tname.s;
	if (i < type->len)
	{
		extra.s = type->s + i + 1;
		extra.len = type->len - i - 1;
		extra.pos = type->pos + i + 1;
		if (extra.len == 0)
			return jbbp_cfail(c, type->pos + i, "missing value after ':'");
	}
	if (tname.len == 0)
		return jbbp_cfail(c, type->pos, "missing type");
	for (size_t k = 0; k < sizeof(type_names) / sizeof(type_names[0]); k++)
		if (span_is(&tname, type_names[k].name))
			op = type_names[k].op;
	if (op < 0)
	{
		if (span_is(&tname, "floatj"))
			return jbbp_cfail(c, tname.pos, "type floatj is not available, use float");
		if (span_is(&tname, "doublej"))
			return jbbp_cfail(c, tname.pos, "type doublej is not available, use double");
		if (span_is(&tname, "stringj"))
			return jbbp_cfail(c, tname.pos, "type stringj is not available, use utf8 or asciichar");
		if (span_is(&tname, "var"))
			return jbbp_cfail(c, tname.pos, "type var needs a custom processor and is not available");
		return jbbp_cfail(c, tname.pos, "unknown type \"%.*s\"", (int) tname.len, tname.s);
	}
	if (c->rest_insn >= 0 && c->depth <= c->rest_depth)
		return jbbp_cfail(c, type->pos, "nothing can follow an array that reads until the end of the payload");

	in = new_insn(c, op, type->pos);
	if (in == NULL)
		return false;
	in->little = little;

	/* extra ":n" or ":(expr)" */
	if (extra.len > 0)
	{
		if (extra.s[0] == '(')
		{
			if (extra.s[extra.len - 1] != ')')
				return jbbp_cfail(c, extra.pos, "an expression after ':' must be in parentheses");
			if (op != OP_BIT && op != OP_SKIP && op != OP_ALIGN && op != OP_VAL)
				return jbbp_cfail(c, extra.pos, "type %.*s takes no expression after ':'",
							(int) tname.len, tname.s);
			in->extra_expr = jbbp_compile_expr(c, extra.s + 1, extra.len - 2, extra.pos + 1);
			if (in->extra_expr < 0)
				return false;
		}
		else if (!parse_int(extra.s, extra.len, &n))
			return jbbp_cfail(c, extra.pos, "the value after ':' must be an integer or an expression in parentheses");
		else
			in->extra = (int32_t) n;
	}
	else
		in->extra = (op == OP_BIT || op == OP_SKIP || op == OP_ALIGN) ? 1 : 0;

	switch (op)
	{
		case OP_BIT:
			if (in->extra_expr < 0 && (in->extra < 1 || in->extra > 8))
				return jbbp_cfail(c, extra.pos, "bit width must be 1..8");
			break;
		case OP_SKIP:
		case OP_ALIGN:
		case OP_RESET:
			if (arr != NULL)
				return jbbp_cfail(c, arr->pos, "%.*s cannot be an array", (int) tname.len, tname.s);
			if (name != NULL)
				return jbbp_cfail(c, name->pos, "%.*s cannot be named", (int) tname.len, tname.s);
			if (op == OP_RESET && extra.len > 0)
				return jbbp_cfail(c, extra.pos, "reset$$ takes no value");
			if (op == OP_SKIP && in->extra_expr < 0 && in->extra < 0)
				return jbbp_cfail(c, extra.pos, "skip size must not be negative");
			if (op == OP_ALIGN && in->extra_expr < 0 && in->extra <= 0)
				return jbbp_cfail(c, extra.pos, "align size must be greater than zero");
			break;
		case OP_VAL:
			if (arr != NULL)
				return jbbp_cfail(c, arr->pos, "val cannot be an array");
			if (name == NULL)
				return jbbp_cfail(c, type->pos, "val must be named");
			if (extra.len == 0)
				return jbbp_cfail(c, type->pos, "val needs a value: val:(expression) name");
			break;
		default:
			break;
	}
	if (arr != NULL && !compile_array(c, in, arr))
		return false;
	if (name != NULL)
	{
		/* JBBP's expressions cannot read bool (nor strings) */
		bool		numeric = op != OP_UTF8 && op != OP_ASCII && op != OP_BOOL;

		if (!check_name(c, name, lower, sizeof(lower)))
			return false;
		in = &c->prog->insns[c->prog->ninsns - 1];	/* arrays may have moved */
		return register_name(c, in, lower, name->pos, numeric, arr != NULL);
	}
	return true;
}

static bool
open_struct(Compiler *c, const Span *name, const Span *arr, size_t pos)
{
	JbbpInsn   *in;
	OpenStruct *os;
	char		lower[256];

	if (c->depth >= JBBP_MAX_DEPTH)
		return jbbp_cfail(c, pos, "structures nested deeper than %d", JBBP_MAX_DEPTH);
	if (c->rest_insn >= 0 && c->depth <= c->rest_depth)
		return jbbp_cfail(c, pos, "nothing can follow an array that reads until the end of the payload");
	in = new_insn(c, OP_STRUCT, name ? name->pos : pos);
	if (in == NULL)
		return false;
	if (arr != NULL && !compile_array(c, in, arr))
		return false;
	in = &c->prog->insns[c->prog->ninsns - 1];
	os = &c->stack[c->depth];
	os->insn = c->prog->ninsns - 1;
	os->is_array = arr != NULL;
	os->name = NULL;
	if (name != NULL)
	{
		if (!check_name(c, name, lower, sizeof(lower)) ||
			!register_name(c, in, lower, name->pos, false, arr != NULL))
			return false;
		os->name = c->named[c->nnamed - 1].path;
	}
	os->named_start = c->nnamed;
	c->depth++;
	return true;
}

static bool
close_struct(Compiler *c, size_t pos)
{
	OpenStruct *os;
	JbbpInsn   *in;

	if (c->depth == 0)
		return jbbp_cfail(c, pos, "'}' without an open structure");
	os = &c->stack[--c->depth];
	in = new_insn(c, OP_END, pos);
	if (in == NULL)
		return false;
	c->prog->insns[os->insn].end = c->prog->ninsns - 1;
	in->end = os->insn;
	if (os->name != NULL)
	{
		for (int i = os->named_start; i < c->nnamed; i++)
		{
			size_t		n = strlen(os->name) + strlen(c->named[i].path) + 2;
			char	   *np = malloc(n);

			if (np == NULL)
				return jbbp_cnomem(c);
			snprintf(np, n, "%s.%s", os->name, c->named[i].path);
			free(c->named[i].path);
			c->named[i].path = np;
			if (os->is_array)
				c->named[i].in_struct_array = true;
		}
	}
	return true;
}

/* ---------------------------------------------------------------------
 * The scanner: one item at a time, like JBBP's tokenizer.
 * --------------------------------------------------------------------- */

static bool
is_stop(char ch)
{
	return isspace((unsigned char) ch) || ch == ';' || ch == '[' || ch == ']' || ch == '{' || ch == '}';
}

static void
skip_space(Compiler *c)
{
	while (c->at < c->len)
	{
		if (isspace((unsigned char) c->src[c->at]))
			c->at++;
		else if (c->src[c->at] == '/' && c->at + 1 < c->len && c->src[c->at + 1] == '/')
		{
			while (c->at < c->len && c->src[c->at] != '\n')
				c->at++;
		}
		else
			break;
	}
}

static bool
compile_item(Compiler *c)
{
	Span		first = {NULL, 0, 0},
				arr = {NULL, 0, 0},
				name = {NULL, 0, 0};
	bool		has_first = false,
				has_arr = false,
				has_name = false;
	size_t		start = c->at;

	if (c->src[c->at] == '}')
	{
		c->at++;
		return close_struct(c, start);
	}
	if (!is_stop(c->src[c->at]))
	{
		int			parens = 0;

		/* spaces are allowed inside the parentheses of ":(expr)" */
		first.s = c->src + c->at;
		first.pos = c->at;
		while (c->at < c->len)
		{
			char		ch = c->src[c->at];

			if (ch == ';' || ch == '{' || ch == '}' || (parens == 0 && is_stop(ch)))
				break;
			parens += ch == '(' ? 1 : ch == ')' ? -1 : 0;
			c->at++;
		}
		first.len = c->src + c->at - first.s;
		has_first = true;
	}
	skip_space(c);
	if (c->at < c->len && c->src[c->at] == '[')
	{
		c->at++;
		arr.s = c->src + c->at;
		arr.pos = c->at;
		while (c->at < c->len && c->src[c->at] != ']')
		{
			char		ch = c->src[c->at];

			if (ch == '[' || ch == '{' || ch == '}' || ch == ';')
				return jbbp_cfail(c, c->at, "unexpected '%c' in array size", ch);
			c->at++;
		}
		if (c->at >= c->len)
			return jbbp_cfail(c, arr.pos - 1, "unclosed '['");
		arr.len = c->src + c->at - arr.s;
		c->at++;
		has_arr = true;
		skip_space(c);
	}
	if (c->at < c->len && !is_stop(c->src[c->at]) && c->src[c->at] != '/')
	{
		name.s = c->src + c->at;
		name.pos = c->at;
		while (c->at < c->len && !is_stop(c->src[c->at]) && c->src[c->at] != '/')
			c->at++;
		name.len = c->src + c->at - name.s;
		has_name = true;
		skip_space(c);
	}
	if (c->at >= c->len)
		return jbbp_cfail(c, start, "item not terminated by ';' or '{'");
	if (c->src[c->at] == '{')
	{
		c->at++;
		if (has_name)
			return jbbp_cfail(c, name.pos, "a structure has a name and an optional array size only");
		return open_struct(c, has_first ? &first : NULL, has_arr ? &arr : NULL, start);
	}
	if (c->src[c->at] != ';')
		return jbbp_cfail(c, c->at, "unexpected '%c', expected ';' or '{'", c->src[c->at]);
	c->at++;
	if (!has_first)
		return jbbp_cfail(c, start, "field without a type");
	if (has_name && isdigit((unsigned char) name.s[0]))
		return jbbp_cfail(c, name.pos, "field name \"%.*s\" must not start with a digit",
					(int) name.len, name.s);
	return compile_field(c, &first, has_arr ? &arr : NULL, has_name ? &name : NULL);
}

static void
free_compiler(Compiler *c)
{
	for (int i = 0; i < c->nnamed; i++)
		free(c->named[i].path);
	free(c->named);
}

JbbpProgram *
jbbp_compile(const char *format, size_t len, JbbpError *err)
{
	Compiler	c;

	memset(err, 0, sizeof(*err));
	memset(&c, 0, sizeof(c));
	c.src = format;
	c.len = len;
	c.err = err;
	c.rest_insn = -1;
	c.rest_depth = -1;
	if (len > JBBP_MAX_FORMAT)
	{
		jbbp_cfail(&c, 0, "format longer than %d bytes", JBBP_MAX_FORMAT);
		return NULL;
	}
	if (memchr(format, '\0', len) != NULL)
	{
		jbbp_cfail(&c, (const char *) memchr(format, '\0', len) - format, "NUL character in format");
		return NULL;
	}
	c.prog = calloc(1, sizeof(JbbpProgram));
	if (c.prog == NULL)
	{
		jbbp_cnomem(&c);
		return NULL;
	}
	for (;;)
	{
		skip_space(&c);
		if (c.at >= c.len)
			break;
		if (!compile_item(&c))
			goto failed;
	}
	if (c.depth > 0)
	{
		jbbp_cfail(&c, c.prog->insns[c.stack[c.depth - 1].insn].pos - 1, "structure not closed by '}'");
		goto failed;
	}
	if (c.prog->ninsns == 0)
	{
		jbbp_cfail(&c, 0, "the format declares no field");
		goto failed;
	}
	free_compiler(&c);
	return c.prog;

failed:
	free_compiler(&c);
	jbbp_free(c.prog);
	return NULL;
}

void
jbbp_free(JbbpProgram *prog)
{
	if (prog == NULL)
		return;
	free(prog->insns);
	free(prog->exprs);
	free(prog->code);
	free(prog->keys);
	free(prog->slot_insn);
	free(prog);
}

size_t
jbbp_program_size(const JbbpProgram *prog)
{
	return sizeof(*prog) + prog->ninsns * sizeof(JbbpInsn) + prog->nexprs * sizeof(JbbpExpr) +
		prog->ncode * sizeof(int32_t) + prog->keys_len + prog->nslots * sizeof(int32_t);
}
