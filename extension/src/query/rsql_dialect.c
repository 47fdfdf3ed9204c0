/*
 * rsql_dialect.c: field tables of the device and inventory dialects, and
 * the check that resolves a parsed query against one (pure C).
 *
 * Column names here are the only identifiers rsql_sql.c ever writes;
 * everything taken from a query becomes a quoted literal.
 */
#include "rsql_dialect.h"

#include <string.h>

#define OPS_DEVICE	(RSQL_OPBIT(RSQL_EQ) | RSQL_OPBIT(RSQL_NE) | RSQL_OPBIT(RSQL_LT) | \
					 RSQL_OPBIT(RSQL_LE) | RSQL_OPBIT(RSQL_GT) | RSQL_OPBIT(RSQL_GE) | \
					 RSQL_OPBIT(RSQL_IN) | RSQL_OPBIT(RSQL_OUT))
#define OPS_INVENTORY (RSQL_OPBIT(RSQL_EQ) | RSQL_OPBIT(RSQL_NE) | RSQL_OPBIT(RSQL_IN))
#define OPS_NESTED	RSQL_OPBIT(RSQL_Q)

/* Element fields of the nested lists (inside =q=, an element is "e"). */
static const RsqlField interface_fields[] = {
	{"connector", false, OPS_INVENTORY, true, SHAPE_COLUMN, "i.connector", false, VT_TEXT, NULL},
	{"nodeId", false, OPS_INVENTORY, true, SHAPE_COLUMN, "i.node_id", false, VT_TEXT, NULL},
	{"enabled", false, OPS_INVENTORY, false, SHAPE_COLUMN, "i.enabled", false, VT_BOOL, NULL},
	{"status", false, OPS_INVENTORY, true, SHAPE_COLUMN, "i.status", false, VT_TEXT, NULL},
	{"definition.profile", false, OPS_INVENTORY, true, SHAPE_COLUMN, "(i.definition ->> 'profile')", true, VT_TEXT, NULL},
};
static const RsqlField property_fields[] = {
	{"k", false, OPS_INVENTORY, true, SHAPE_COLUMN, "p.key", false, VT_TEXT, NULL},
	{"v", false, OPS_INVENTORY, true, SHAPE_COLUMN, "p.value", false, VT_TEXT, NULL},
};
static const RsqlField activity_fields[] = {
	{"ruleId", false, OPS_INVENTORY, true, SHAPE_COLUMN, "(a.e -> 'rule' ->> 'id')", true, VT_TEXT, NULL},
	{"state", false, OPS_INVENTORY, true, SHAPE_COLUMN, "(a.e ->> 'state')", true, VT_TEXT, NULL},
};

#define LEN(x) ((int) (sizeof(x) / sizeof((x)[0])))

static const RsqlNested interfaces = {
	"interfaces",
	"EXISTS (SELECT 1 FROM iot.device_interface i WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id AND ",
	interface_fields, LEN(interface_fields)
};
static const RsqlNested properties = {
	"properties",
	"EXISTS (SELECT 1 FROM jsonb_each_text(d.properties) AS p(key, value) WHERE ",
	property_fields, LEN(property_fields)
};
static const RsqlNested activities = {
	"activities",
	"EXISTS (SELECT 1 FROM jsonb_array_elements(d.activities) AS a(e) WHERE ",
	activity_fields, LEN(activity_fields)
};

static const RsqlField device_fields[] = {
	{"tags", false, OPS_DEVICE, true, SHAPE_TEXT_ARRAY, "d.tags", false, VT_TEXT, NULL},
	{"properties.", true, OPS_DEVICE, true, SHAPE_PROPERTY, NULL, true, VT_TEXT, NULL},
	{"groupId", false, OPS_DEVICE, true, SHAPE_COLUMN, "d.group_id", false, VT_TEXT, NULL},
	{"groupPath", false, OPS_DEVICE, true, SHAPE_GROUP_PATH, NULL, false, VT_TEXT, NULL},
	{"connector", false, OPS_DEVICE, true, SHAPE_ELEMENT, "i.connector", false, VT_TEXT, &interfaces},
};

static const RsqlField inventory_fields[] = {
	{"name", false, OPS_INVENTORY, true, SHAPE_COLUMN, "d.name", true, VT_TEXT, NULL},
	{"id", false, OPS_INVENTORY, true, SHAPE_COLUMN, "d.id", false, VT_TEXT, NULL},
	{"group.path", false, OPS_INVENTORY, true, SHAPE_GROUP_PATH, NULL, false, VT_TEXT, NULL},
	{"group.id", false, OPS_INVENTORY, true, SHAPE_COLUMN, "d.group_id", false, VT_TEXT, NULL},
	{"tags", false, OPS_INVENTORY, true, SHAPE_TEXT_ARRAY, "d.tags", false, VT_TEXT, NULL},
	{"properties.k", false, OPS_INVENTORY, true, SHAPE_ELEMENT, "p.key", false, VT_TEXT, &properties},
	{"properties.v", false, OPS_INVENTORY, true, SHAPE_ELEMENT, "p.value", false, VT_TEXT, &properties},
	{"properties", false, OPS_NESTED, false, SHAPE_NESTED, NULL, false, VT_TEXT, &properties},
	{"property.", true, OPS_INVENTORY, true, SHAPE_PROPERTY, NULL, true, VT_TEXT, NULL},
	{"interfaces", false, OPS_NESTED, false, SHAPE_NESTED, NULL, false, VT_TEXT, &interfaces},
	{"interfaces.connector", false, OPS_INVENTORY, true, SHAPE_ELEMENT, "i.connector", false, VT_TEXT, &interfaces},
	{"interfaces.nodeId", false, OPS_INVENTORY, true, SHAPE_ELEMENT, "i.node_id", false, VT_TEXT, &interfaces},
	{"interfaces.enabled", false, OPS_INVENTORY, false, SHAPE_ELEMENT, "i.enabled", false, VT_BOOL, &interfaces},
	{"interfaces.status", false, OPS_INVENTORY, true, SHAPE_ELEMENT, "i.status", false, VT_TEXT, &interfaces},
	{"interfaces.definition.profile", false, OPS_INVENTORY, true, SHAPE_ELEMENT, "(i.definition ->> 'profile')", true, VT_TEXT, &interfaces},
	{"activities", false, OPS_NESTED, false, SHAPE_NESTED, NULL, false, VT_TEXT, &activities},
	{"activities.ruleId", false, OPS_INVENTORY, true, SHAPE_ELEMENT, "(a.e -> 'rule' ->> 'id')", true, VT_TEXT, &activities},
	{"activities.state", false, OPS_INVENTORY, true, SHAPE_ELEMENT, "(a.e ->> 'state')", true, VT_TEXT, &activities},
	{"aggregatedActivityState", false, OPS_INVENTORY, true, SHAPE_COLUMN, "iot.activity_aggregate(d.activities)", true, VT_TEXT, NULL},
	{"network.lora.lostMessagesRangeLabel", false, OPS_INVENTORY, true, SHAPE_COLUMN, "iot.lora_lost_label(d.lora_lost_ratio)", true, VT_TEXT, NULL},
};

static const RsqlDialect dialects[] = {
	{"device", device_fields, LEN(device_fields)},
	{"inventory", inventory_fields, LEN(inventory_fields)},
};

const RsqlDialect *
rsql_dialect(const char *name)
{
	for (int i = 0; i < LEN(dialects); i++)
		if (strcmp(dialects[i].name, name) == 0)
			return &dialects[i];
	return NULL;
}

static const char *
field_list(QArena *a, const RsqlField *fields, int n)
{
	QBuf		b;

	qbuf_init(&b, a);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			qbuf_puts(&b, ", ");
		qbuf_puts(&b, fields[i].name);
		if (fields[i].key_suffix)
			qbuf_puts(&b, "KEY");
	}
	return b.data;
}

const char *
rsql_dialect_fields(QArena *a, const RsqlDialect *d)
{
	return field_list(a, d->fields, d->nfields);
}

typedef struct Checker
{
	QArena	   *arena;
	const char *query;
	RsqlError  *err;
	int			depth;
} Checker;

static const RsqlField *
find_field(const RsqlField *fields, int n, const char *selector, const char **key)
{
	*key = NULL;
	for (int i = 0; i < n; i++)
		if (!fields[i].key_suffix && strcmp(fields[i].name, selector) == 0)
			return &fields[i];
	for (int i = 0; i < n; i++)
	{
		size_t		plen = strlen(fields[i].name);

		if (fields[i].key_suffix && strncmp(fields[i].name, selector, plen) == 0 && selector[plen] != '\0')
		{
			*key = selector + plen;
			return &fields[i];
		}
	}
	return NULL;
}

/* Byte offset in the query of character `inner` of a value's text. */
static int
value_offset(const char *query, const RsqlValue *v, size_t inner)
{
	int			r = v->start + (v->quote ? 1 : 0);

	for (size_t k = 0; k < inner && r < v->end; k++)
		r += (v->quote && query[r] == '\\') ? 2 : 1;
	return r;
}

static bool check_tree(Checker *c, RsqlNode *n, const RsqlField *fields, int nfields,
					   const char *scope);

/* =q=: parse the value as a query over the elements of a nested list. */
static bool
check_subquery(Checker *c, RsqlNode *n)
{
	const RsqlNested *nested = n->field->nested;
	RsqlValue  *v = &n->args[0];
	RsqlError	inner;
	RsqlNode   *sub;
	Checker		sc = {c->arena, v->text, &inner, c->depth + 1};

	if (c->depth >= 1)
	{
		rsql_fail(c->err, RSQL_ERR_FIELD, n->op_pos, "=q= cannot be nested");
		return false;
	}
	sub = rsql_parse(c->arena, v->text, v->len, &inner);
	if (sub != NULL && check_tree(&sc, sub, nested->fields, nested->nfields, nested->name))
	{
		n->sub = sub;
		return true;
	}
	rsql_fail(c->err, inner.kind, value_offset(c->query, v, (size_t) inner.pos),
			  "in the %s=q= query: %s", nested->name, inner.msg);
	if (inner.detail[0] != '\0')
		rsql_fail_detail(c->err, "%s", inner.detail);
	return false;
}

static bool
check_comparison(Checker *c, RsqlNode *n, const RsqlField *fields, int nfields, const char *scope)
{
	const RsqlField *f = find_field(fields, nfields, n->selector, &n->key);

	if (f == NULL)
	{
		rsql_fail(c->err, RSQL_ERR_FIELD, n->pos, "unknown field \"%.200s\"", n->selector);
		rsql_fail_detail(c->err, "Known %s fields: %s.", scope, field_list(c->arena, fields, nfields));
		return false;
	}
	n->field = f;
	if (!(f->ops & RSQL_OPBIT(n->op)))
	{
		rsql_fail(c->err, RSQL_ERR_FIELD, n->op_pos, "operator %s is not supported for field %.200s",
				  rsql_op_name(n->op), n->selector);
		return false;
	}
	if (n->op == RSQL_Q)
		return check_subquery(c, n);
	for (int i = 0; i < n->nargs; i++)
	{
		RsqlValue  *v = &n->args[i];

		if (f->type == VT_BOOL && strcmp(v->text, "true") != 0 && strcmp(v->text, "false") != 0)
		{
			rsql_fail(c->err, RSQL_ERR_FIELD, v->start, "field %.200s takes true or false", n->selector);
			return false;
		}
		if (v->star && (n->op != RSQL_EQ || !f->prefix_ok))
		{
			rsql_fail(c->err, RSQL_ERR_FIELD, v->end - 1 - (v->quote ? 1 : 0),
					  "a trailing * (prefix match) is only allowed with ==%s",
					  f->prefix_ok ? "" : " on a text field");
			return false;
		}
		n->prefix = v->star;
	}
	return true;
}

static bool
check_tree(Checker *c, RsqlNode *n, const RsqlField *fields, int nfields, const char *scope)
{
	if (n->kind != RSQL_CMP)
	{
		for (int i = 0; i < n->nchildren; i++)
			if (!check_tree(c, n->children[i], fields, nfields, scope))
				return false;
		return true;
	}
	if (fields == NULL)
	{
		if (n->op == RSQL_Q)
		{
			rsql_fail(c->err, RSQL_ERR_FIELD, n->op_pos,
					  "operator =q= is not standard RSQL (it needs the inventory dialect)");
			return false;
		}
		return true;
	}
	return check_comparison(c, n, fields, nfields, scope);
}

bool
rsql_check(QArena *a, const char *query, RsqlNode *root, const RsqlDialect *dialect, RsqlError *err)
{
	Checker		c = {a, query, err, 0};

	if (dialect == NULL)
		return check_tree(&c, root, NULL, 0, "standard");
	return check_tree(&c, root, dialect->fields, dialect->nfields, dialect->name);
}

RsqlNode *
rsql_parse_dialect(QArena *a, const char *query, size_t len, const RsqlDialect *dialect, RsqlError *err)
{
	RsqlNode   *root = rsql_parse(a, query, len, err);

	if (root == NULL || !rsql_check(a, query, root, dialect, err))
		return NULL;
	return root;
}
