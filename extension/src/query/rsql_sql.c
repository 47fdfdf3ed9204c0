/*
 * rsql_sql.c: SQL for a checked RSQL tree (pure C).
 *
 * Semantics (docs/sql/query.md):
 *   - a != b is exactly NOT (a == b), =out= is NOT (=in=), whether the
 *     field is a scalar, a list (tags) or nested elements (interfaces...):
 *     tags!=x holds for devices without tag x;
 *   - on lists and nested elements ==, =in=, =lt=... hold when one element
 *     matches; =q= when one element matches the whole sub-query;
 *   - ==value* is a prefix match (LIKE with % and _ escaped);
 *   - =lt= =le= =gt= =ge= compare as numbers when both sides read as
 *     numbers, else as text in the "C" collation (decisions.md 7).
 * Shapes chosen for the indexes: tags @> / && (GIN), properties @> (GIN
 * jsonb_path_ops), group_id = / IN (btree), the group path through a
 * semi-join on iot.device_group (unique btree on tenant_id, path).
 */
#include "rsql_sql.h"

#include <string.h>

#define NUMERIC_REGEX "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]{1,3})?$"

bool
rsql_numeric(const char *s, size_t n)
{
	size_t		i = 0;
	size_t		digits = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && s[i] == '.')
	{
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		exp = 0;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, exp++;
		if (exp == 0 || exp > 3)
			return false;
	}
	return i == n;
}

static void
literal(QBuf *out, const RsqlValue *v)
{
	qbuf_sql_literal(out, v->text, v->len);
}

/* 'prefix%' with \ % _ escaped (LIKE's default escape is \). */
static void
like_prefix(QBuf *out, const RsqlValue *v)
{
	QBuf		pat;

	qbuf_init(&pat, out->arena);
	for (size_t i = 0; i + 1 < v->len; i++)	/* without the trailing * */
	{
		char		c = v->text[i];

		if (c == '\\' || c == '%' || c == '_')
			qbuf_putc(&pat, '\\');
		qbuf_putc(&pat, c);
	}
	qbuf_putc(&pat, '%');
	qbuf_sql_literal(out, pat.data, pat.len);
}

static void
literal_list(QBuf *out, const RsqlNode *n)
{
	for (int i = 0; i < n->nargs; i++)
	{
		if (i > 0)
			qbuf_puts(out, ", ");
		literal(out, &n->args[i]);
	}
}

static const char *
cmp_sql(RsqlOp op)
{
	switch (op)
	{
		case RSQL_LT:
			return " < ";
		case RSQL_LE:
			return " <= ";
		case RSQL_GT:
			return " > ";
		default:
			return " >= ";
	}
}

/* expr <op> value: numerically when both read as numbers, else as text. */
static void
compare(QBuf *out, const char *expr, RsqlOp op, const RsqlValue *v)
{
	if (rsql_numeric(v->text, v->len))
	{
		qbuf_printf(out, "(CASE WHEN %s ~ ", expr);
		qbuf_sql_literal(out, NUMERIC_REGEX, strlen(NUMERIC_REGEX));
		qbuf_printf(out, " THEN (%s)::numeric%s", expr, cmp_sql(op));
		literal(out, v);
		qbuf_printf(out, "::numeric ELSE %s COLLATE \"C\"%s", expr, cmp_sql(op));
		literal(out, v);
		qbuf_puts(out, " END)");
		return;
	}
	qbuf_printf(out, "%s COLLATE \"C\"%s", expr, cmp_sql(op));
	literal(out, v);
}

/*
 * The positive form of a comparison on a scalar expression (==, =in=,
 * =lt=...), used for columns, elements and group paths.
 */
static void
scalar_positive(QBuf *out, const char *expr, const RsqlNode *n, RsqlOp op)
{
	const RsqlValue *v = &n->args[0];

	switch (op)
	{
		case RSQL_EQ:
			if (n->prefix)
			{
				qbuf_printf(out, "%s LIKE ", expr);
				like_prefix(out, v);
			}
			else if (n->field->type == VT_BOOL)
				qbuf_printf(out, "%s = %s", expr, strcmp(v->text, "true") == 0 ? "true" : "false");
			else
			{
				qbuf_printf(out, "%s = ", expr);
				literal(out, v);
			}
			break;
		case RSQL_IN:
			if (n->field->type == VT_BOOL)
			{
				bool		t = false,
							f = false;

				for (int i = 0; i < n->nargs; i++)
				{
					if (strcmp(n->args[i].text, "true") == 0)
						t = true;
					else
						f = true;
				}
				qbuf_printf(out, "%s IN (%s%s%s)", expr, t ? "true" : "", t && f ? ", " : "", f ? "false" : "");
			}
			else
			{
				qbuf_printf(out, "%s IN (", expr);
				literal_list(out, n);
				qbuf_putc(out, ')');
			}
			break;
		default:
			compare(out, expr, op, v);
	}
}

/* The positive operator whose negation op is. */
static RsqlOp
positive_of(RsqlOp op, bool *negated)
{
	*negated = op == RSQL_NE || op == RSQL_OUT;
	return op == RSQL_NE ? RSQL_EQ : op == RSQL_OUT ? RSQL_IN : op;
}

static void
emit_column(QBuf *out, const RsqlNode *n)
{
	const RsqlField *f = n->field;
	bool		negated;
	RsqlOp		op = positive_of(n->op, &negated);

	if (!negated)
	{
		scalar_positive(out, f->expr, n, op);
		return;
	}
	/* NOT (expr = v) would be NULL, not true, when expr is NULL */
	qbuf_puts(out, "NOT coalesce(");
	scalar_positive(out, f->expr, n, op);
	qbuf_puts(out, ", false)");
}

static void
text_array(QBuf *out, const RsqlNode *n)
{
	qbuf_puts(out, "ARRAY[");
	literal_list(out, n);
	qbuf_puts(out, "]::text[]");
}

static void
emit_tags(QBuf *out, const RsqlNode *n)
{
	bool		negated;
	RsqlOp		op = positive_of(n->op, &negated);

	if (negated)
		qbuf_puts(out, "NOT (");
	if (op == RSQL_EQ && !n->prefix)
	{
		qbuf_puts(out, "d.tags @> ");
		text_array(out, n);
	}
	else if (op == RSQL_IN)
	{
		qbuf_puts(out, "d.tags && ");
		text_array(out, n);
	}
	else
	{
		qbuf_puts(out, "EXISTS (SELECT 1 FROM unnest(d.tags) AS t(v) WHERE ");
		scalar_positive(out, "t.v", n, op);
		qbuf_putc(out, ')');
	}
	if (negated)
		qbuf_putc(out, ')');
}

/* d.properties @> '{"KEY": "value"}'::jsonb */
static void
property_contains(QBuf *out, const char *key, const RsqlValue *v)
{
	QBuf		json;

	qbuf_init(&json, out->arena);
	qbuf_putc(&json, '{');
	qbuf_json_string(&json, key, strlen(key));
	qbuf_puts(&json, ": ");
	qbuf_json_string(&json, v->text, v->len);
	qbuf_putc(&json, '}');
	qbuf_puts(out, "d.properties @> ");
	qbuf_sql_literal(out, json.data, json.len);
	qbuf_puts(out, "::jsonb");
}

static void
emit_property(QBuf *out, const RsqlNode *n)
{
	bool		negated;
	RsqlOp		op = positive_of(n->op, &negated);
	QBuf		expr;

	if (negated)
		qbuf_puts(out, "NOT coalesce(");
	if (op == RSQL_EQ && !n->prefix)
		property_contains(out, n->key, &n->args[0]);
	else if (op == RSQL_IN)
	{
		qbuf_putc(out, '(');
		for (int i = 0; i < n->nargs; i++)
		{
			if (i > 0)
				qbuf_puts(out, " OR ");
			property_contains(out, n->key, &n->args[i]);
		}
		qbuf_putc(out, ')');
	}
	else
	{
		qbuf_init(&expr, out->arena);
		qbuf_puts(&expr, "(d.properties ->> ");
		qbuf_sql_literal(&expr, n->key, strlen(n->key));
		qbuf_putc(&expr, ')');
		scalar_positive(out, expr.data, n, op);
	}
	if (negated)
		qbuf_puts(out, ", false)");
}

static void
emit_group_path(QBuf *out, const RsqlNode *n)
{
	bool		negated;
	RsqlOp		op = positive_of(n->op, &negated);

	qbuf_printf(out, "(d.tenant_id, d.group_id) %sIN (SELECT g.tenant_id, g.id FROM iot.device_group g WHERE ",
				negated ? "NOT " : "");
	scalar_positive(out, "g.path", n, op);
	qbuf_putc(out, ')');
}

static void emit_node(QBuf *out, const RsqlNode *n);

/* properties=q='k==K and v==V' is d.properties @> {"K": "V"} (indexed). */
static bool
property_pair(const RsqlNode *sub, const RsqlValue **k, const RsqlValue **v)
{
	*k = *v = NULL;
	if (sub->kind != RSQL_AND || sub->nchildren != 2)
		return false;
	for (int i = 0; i < 2; i++)
	{
		const RsqlNode *c = sub->children[i];

		if (c->kind != RSQL_CMP || c->op != RSQL_EQ || c->prefix)
			return false;
		if (strcmp(c->field->name, "k") == 0)
			*k = &c->args[0];
		else
			*v = &c->args[0];
	}
	return *k != NULL && *v != NULL;
}

static void
emit_elements(QBuf *out, const RsqlNode *n)
{
	const RsqlNested *nested = n->field->nested;
	bool		negated;
	RsqlOp		op = positive_of(n->op, &negated);
	const RsqlValue *k,
			   *v;

	if (n->op == RSQL_Q && strcmp(nested->name, "properties") == 0 && property_pair(n->sub, &k, &v))
	{
		property_contains(out, k->text, v);
		return;
	}
	if (negated)
		qbuf_puts(out, "NOT ");
	qbuf_puts(out, nested->exists_open);
	if (n->op == RSQL_Q)
		emit_node(out, n->sub);
	else
		scalar_positive(out, n->field->expr, n, op);
	qbuf_putc(out, ')');
}

static void
emit_node(QBuf *out, const RsqlNode *n)
{
	if (n->kind != RSQL_CMP)
	{
		qbuf_putc(out, '(');
		for (int i = 0; i < n->nchildren; i++)
		{
			if (i > 0)
				qbuf_puts(out, n->kind == RSQL_AND ? " AND " : " OR ");
			emit_node(out, n->children[i]);
		}
		qbuf_putc(out, ')');
		return;
	}
	qbuf_putc(out, '(');
	switch (n->field->shape)
	{
		case SHAPE_COLUMN:
			emit_column(out, n);
			break;
		case SHAPE_TEXT_ARRAY:
			emit_tags(out, n);
			break;
		case SHAPE_PROPERTY:
			emit_property(out, n);
			break;
		case SHAPE_GROUP_PATH:
			emit_group_path(out, n);
			break;
		case SHAPE_ELEMENT:
		case SHAPE_NESTED:
			emit_elements(out, n);
			break;
	}
	qbuf_putc(out, ')');
}

void
rsql_to_sql(QBuf *out, const RsqlNode *root)
{
	emit_node(out, root);
}
