/*
 * rsql_parse.c: the RSQL/FIQL tokenizer and recursive-descent parser
 * (pure C).
 *
 *   query      := or_expr
 *   or_expr    := and_expr { ( "," | "or" ) and_expr }
 *   and_expr   := term { ( ";" | "and" ) term }
 *   term       := "(" or_expr ")" | selector op arguments
 *   op         := "==" | "!=" | "<" | "<=" | ">" | ">=" | "=" [a-z]* "="
 *   arguments  := value | "(" value { "," value } ")"
 *   value      := unreserved+ | "'" ... "'" | '"' ... '"'   (\ escapes)
 *
 * Unreserved characters are all but " ' ( ) ; , = ! ~ < > and white
 * space.  White space may surround every token; the keywords "and" and
 * "or" (lower case) must be followed by white space or "(".
 */
#include "rsql.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct Parser
{
	QArena	   *arena;
	const char *s;
	size_t		len;
	size_t		pos;
	int			depth;
	RsqlError  *err;
} Parser;

void
rsql_fail(RsqlError *err, RsqlErrorKind kind, int pos, const char *fmt,...)
{
	va_list		ap;

	if (err->kind != RSQL_OK)
		return;
	err->kind = kind;
	err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
rsql_fail_detail(RsqlError *err, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

const char *
rsql_op_name(RsqlOp op)
{
	static const char *const names[] = {
		"==", "!=", "=lt=", "=le=", "=gt=", "=ge=", "=in=", "=out=", "=q="
	};

	return names[op];
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_reserved(char c)
{
	return c == '"' || c == '\'' || c == '(' || c == ')' || c == ';' || c == ',' ||
		c == '=' || c == '!' || c == '~' || c == '<' || c == '>' || is_space(c);
}

static void
skip_space(Parser *p)
{
	while (p->pos < p->len && is_space(p->s[p->pos]))
		p->pos++;
}

#define syntax(p, pos, ...) rsql_fail((p)->err, RSQL_ERR_SYNTAX, (int) (pos), __VA_ARGS__)

/* What the parser found at pos, for messages. */
static const char *
found(Parser *p, size_t pos)
{
	char	   *what;
	char		c;

	if (pos >= p->len)
		return "the end of the query";
	c = p->s[pos];
	if ((unsigned char) c >= 0x80)
		return "a non-ASCII character";
	if ((unsigned char) c < 0x20 || c == 0x7f)
		return "a control character";
	what = qa_alloc(p->arena, 8);
	snprintf(what, 8, c == '\'' ? "\"%c\"" : "'%c'", c);
	return what;
}

static RsqlNode *
new_node(Parser *p, RsqlKind kind, size_t pos)
{
	RsqlNode   *n = qa_alloc(p->arena, sizeof(RsqlNode));

	n->kind = kind;
	n->pos = (int) pos;
	return n;
}

/* Operator at p->pos; false (with an error) when there is none. */
static bool
parse_op(Parser *p, RsqlOp *op)
{
	const char *c = p->s + p->pos;
	size_t		left = p->len - p->pos;
	size_t		start = p->pos;

	if (left >= 2 && c[0] == '=' && c[1] == '=')
	{
		*op = RSQL_EQ;
		p->pos += 2;
		return true;
	}
	if (left >= 2 && c[0] == '!' && c[1] == '=')
	{
		*op = RSQL_NE;
		p->pos += 2;
		return true;
	}
	if (left >= 1 && (c[0] == '<' || c[0] == '>'))
	{
		bool		eq = left >= 2 && c[1] == '=';

		*op = c[0] == '<' ? (eq ? RSQL_LE : RSQL_LT) : (eq ? RSQL_GE : RSQL_GT);
		p->pos += eq ? 2 : 1;
		return true;
	}
	if (left >= 1 && c[0] == '=')
	{
		static const struct
		{
			const char *name;
			RsqlOp		op;
		}			named[] = {
			{"lt", RSQL_LT}, {"le", RSQL_LE}, {"gt", RSQL_GT}, {"ge", RSQL_GE},
			{"in", RSQL_IN}, {"out", RSQL_OUT}, {"q", RSQL_Q}
		};
		size_t		n = 1;

		while (n < left && ((c[n] >= 'a' && c[n] <= 'z') || (c[n] >= 'A' && c[n] <= 'Z')))
			n++;
		if (n < left && c[n] == '=' && n > 1)
		{
			for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
				if (strlen(named[i].name) == n - 1 && memcmp(named[i].name, c + 1, n - 1) == 0)
				{
					*op = named[i].op;
					p->pos += n + 1;
					return true;
				}
			syntax(p, start, "unknown operator \"%s\" (operators are lower case: ==, !=, =lt=, =le=, =gt=, =ge=, =in=, =out=)",
				   qa_strndup(p->arena, c, n + 1));
			return false;
		}
	}
	syntax(p, start, "expected a comparison operator (==, !=, =in=, ...), found %s", found(p, start));
	return false;
}

/* One value, quoted or not. */
static bool
parse_value(Parser *p, RsqlValue *v)
{
	size_t		start = p->pos;
	QBuf		text;

	v->start = (int) start;
	if (p->pos < p->len && (p->s[p->pos] == '\'' || p->s[p->pos] == '"'))
	{
		char		q = p->s[p->pos++];
		bool		escaped_last = false;

		qbuf_init(&text, p->arena);
		for (;;)
		{
			char		c;

			if (p->pos >= p->len)
			{
				syntax(p, start, "unterminated quoted value (started with %s)", q == '\'' ? "'" : "\"");
				return false;
			}
			c = p->s[p->pos++];
			if (c == q)
				break;
			if (c == '\\')
			{
				if (p->pos >= p->len)
				{
					syntax(p, start, "unterminated quoted value (started with %s)", q == '\'' ? "'" : "\"");
					return false;
				}
				qbuf_putc(&text, p->s[p->pos++]);
				escaped_last = true;
			}
			else
			{
				qbuf_putc(&text, c);
				escaped_last = false;
			}
		}
		v->quote = q;
		v->text = text.data;
		v->len = text.len;
		v->star = v->len > 0 && v->text[v->len - 1] == '*' && !escaped_last;
	}
	else
	{
		while (p->pos < p->len && !is_reserved(p->s[p->pos]))
			p->pos++;
		if (p->pos == start)
		{
			syntax(p, start, "expected a value, found %s", found(p, start));
			return false;
		}
		v->quote = 0;
		v->text = qa_strndup(p->arena, p->s + start, p->pos - start);
		v->len = p->pos - start;
		v->star = v->text[v->len - 1] == '*';
	}
	v->end = (int) p->pos;
	return true;
}

static bool
parse_arguments(Parser *p, RsqlNode *n)
{
	int			cap = 4;

	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == '(')
	{
		p->pos++;
		n->list = true;
		n->args = qa_alloc(p->arena, sizeof(RsqlValue) * cap);
		for (;;)
		{
			skip_space(p);
			if (n->nargs == cap)
			{
				RsqlValue  *more = qa_alloc(p->arena, sizeof(RsqlValue) * cap * 2);

				memcpy(more, n->args, sizeof(RsqlValue) * cap);
				n->args = more;
				cap *= 2;
			}
			if (!parse_value(p, &n->args[n->nargs]))
				return false;
			n->nargs++;
			skip_space(p);
			if (p->pos < p->len && p->s[p->pos] == ',')
			{
				p->pos++;
				continue;
			}
			if (p->pos < p->len && p->s[p->pos] == ')')
			{
				p->pos++;
				return true;
			}
			syntax(p, p->pos, "expected \",\" or \")\" in the list of values, found %s", found(p, p->pos));
			return false;
		}
	}
	n->args = qa_alloc(p->arena, sizeof(RsqlValue));
	n->nargs = 1;
	return parse_value(p, &n->args[0]);
}

static RsqlNode *
parse_comparison(Parser *p)
{
	size_t		start = p->pos;
	RsqlNode   *n;

	while (p->pos < p->len && !is_reserved(p->s[p->pos]))
		p->pos++;
	if (p->pos == start)
	{
		syntax(p, start, "expected a selector, found %s", found(p, start));
		return NULL;
	}
	n = new_node(p, RSQL_CMP, start);
	n->selector = qa_strndup(p->arena, p->s + start, p->pos - start);
	skip_space(p);
	n->op_pos = (int) p->pos;
	if (!parse_op(p, &n->op) || !parse_arguments(p, n))
		return NULL;
	if (n->list && n->op != RSQL_IN && n->op != RSQL_OUT)
	{
		rsql_fail(p->err, RSQL_ERR_SYNTAX, n->args[0].start - 1,
				  "operator %s takes a single value, not a list", rsql_op_name(n->op));
		return NULL;
	}
	return n;
}

static RsqlNode *parse_or(Parser *p);

static RsqlNode *
parse_term(Parser *p)
{
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == '(')
	{
		size_t		open = p->pos;
		RsqlNode   *inner;

		if (++p->depth > RSQL_MAX_DEPTH)
		{
			syntax(p, open, "parentheses nested deeper than %d levels", RSQL_MAX_DEPTH);
			return NULL;
		}
		p->pos++;
		inner = parse_or(p);
		if (inner == NULL)
			return NULL;
		skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != ')')
		{
			syntax(p, p->pos, "expected \")\" or a logical operator, found %s", found(p, p->pos));
			return NULL;
		}
		p->pos++;
		p->depth--;
		return inner;
	}
	return parse_comparison(p);
}

/* A logical operator at p->pos (after white space): its kind and length. */
static bool
peek_logical(Parser *p, RsqlKind *kind, size_t *len)
{
	const char *c = p->s + p->pos;
	size_t		left = p->len - p->pos;

	if (left >= 1 && (c[0] == ';' || c[0] == ','))
	{
		*kind = c[0] == ';' ? RSQL_AND : RSQL_OR;
		*len = 1;
		return true;
	}
	if (left >= 3 && memcmp(c, "and", 3) == 0 && (left == 3 || is_space(c[3]) || c[3] == '('))
	{
		*kind = RSQL_AND;
		*len = 3;
		return true;
	}
	if (left >= 2 && memcmp(c, "or", 2) == 0 && (left == 2 || is_space(c[2]) || c[2] == '('))
	{
		*kind = RSQL_OR;
		*len = 2;
		return true;
	}
	return false;
}

static RsqlNode *
parse_chain(Parser *p, RsqlKind kind)
{
	RsqlNode   *first;
	RsqlNode   *group;
	int			cap = 4;

	first = kind == RSQL_AND ? parse_term(p) : parse_chain(p, RSQL_AND);
	if (first == NULL)
		return NULL;
	group = NULL;
	for (;;)
	{
		RsqlKind	k;
		size_t		oplen;
		RsqlNode   *next;

		skip_space(p);
		if (!peek_logical(p, &k, &oplen) || k != kind)
			break;
		p->pos += oplen;
		next = kind == RSQL_AND ? parse_term(p) : parse_chain(p, RSQL_AND);
		if (next == NULL)
			return NULL;
		if (group == NULL)
		{
			group = new_node(p, kind, (size_t) first->pos);
			group->children = qa_alloc(p->arena, sizeof(RsqlNode *) * cap);
			group->children[group->nchildren++] = first;
		}
		if (group->nchildren == cap)
		{
			RsqlNode  **more = qa_alloc(p->arena, sizeof(RsqlNode *) * cap * 2);

			memcpy(more, group->children, sizeof(RsqlNode *) * cap);
			group->children = more;
			cap *= 2;
		}
		group->children[group->nchildren++] = next;
	}
	return group != NULL ? group : first;
}

static RsqlNode *
parse_or(Parser *p)
{
	return parse_chain(p, RSQL_OR);
}

RsqlNode *
rsql_parse(QArena *a, const char *query, size_t len, RsqlError *err)
{
	Parser		p = {a, query, len, 0, 0, err};
	RsqlNode   *root;
	const char *nul = memchr(query, '\0', len);

	memset(err, 0, sizeof(*err));
	if (utf8_char_count(query, len) > RSQL_MAX_CHARS)
	{
		size_t		off = 0;

		for (size_t chars = 0; off < len; off++)
			if (((unsigned char) query[off] & 0xC0) != 0x80 && chars++ == RSQL_MAX_CHARS)
				break;
		rsql_fail(err, RSQL_ERR_TOO_LONG, (int) off,
				  "query longer than %d characters", RSQL_MAX_CHARS);
		return NULL;
	}
	if (nul != NULL)
	{
		syntax(&p, (size_t) (nul - query), "NUL byte in the query");
		return NULL;
	}
	skip_space(&p);
	if (p.pos >= len)
	{
		syntax(&p, p.pos, "empty query");
		return NULL;
	}
	root = parse_or(&p);
	if (root == NULL)
		return NULL;
	skip_space(&p);
	if (p.pos < len)
	{
		if (query[p.pos] == ')')
			syntax(&p, p.pos, "unbalanced \")\"");
		else
			syntax(&p, p.pos, "expected \";\", \",\", \"and\", \"or\" or the end of the query, found %s",
				   found(&p, p.pos));
		return NULL;
	}
	return root;
}
