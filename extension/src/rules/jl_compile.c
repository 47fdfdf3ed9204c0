/*
 * jl_compile.c: a JsonLogic rule (JlValue) compiled into a JlNode tree:
 * operators resolved once, argument lists flattened, literal var paths
 * split.  An object with exactly one key is an operation, as in
 * json-logic-js; any other value is a literal (arrays are arrays of rules).
 * Pure C.
 */
#include "jl_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct OpName
{
	const char *name;
	JlOp		op;
} OpName;

static const OpName op_names[] = {
	{"var", JOP_VAR}, {"missing", JOP_MISSING}, {"missing_some", JOP_MISSING_SOME},
	{"if", JOP_IF}, {"?:", JOP_IF},
	{"==", JOP_EQ}, {"===", JOP_STRICT_EQ}, {"!=", JOP_NE}, {"!==", JOP_STRICT_NE},
	{"!", JOP_NOT}, {"!!", JOP_NOTNOT}, {"or", JOP_OR}, {"and", JOP_AND},
	{">", JOP_GT}, {">=", JOP_GE}, {"<", JOP_LT}, {"<=", JOP_LE},
	{"max", JOP_MAX}, {"min", JOP_MIN},
	{"+", JOP_ADD}, {"-", JOP_SUB}, {"*", JOP_MUL}, {"/", JOP_DIV}, {"%", JOP_MOD},
	{"map", JOP_MAP}, {"reduce", JOP_REDUCE}, {"filter", JOP_FILTER},
	{"all", JOP_ALL}, {"none", JOP_NONE}, {"some", JOP_SOME},
	{"merge", JOP_MERGE}, {"in", JOP_IN}, {"cat", JOP_CAT}, {"substr", JOP_SUBSTR},
	{"distance", JOP_DISTANCE}, {"inside", JOP_INSIDE}, {"insideindex", JOP_INSIDEINDEX},
	{"closeto", JOP_CLOSETO}, {"closetoindex", JOP_CLOSETOINDEX},
	{"ctx", JOP_CTX}, {"get", JOP_GET}, {"currentstate", JOP_CURRENTSTATE},
	{"now_utc", JOP_NOW_UTC}, {"get_utc_hours", JOP_GET_UTC_HOURS},
	{"get_utc_minutes", JOP_GET_UTC_MINUTES}, {"get_utc_day", JOP_GET_UTC_DAY},
	{"get_utc_date", JOP_GET_UTC_DATE}, {"get_time", JOP_GET_TIME},
};

/* One step of the path from the rule's root to the node being compiled. */
typedef struct PathStep
{
	const char *name;			/* operator name, or NULL for an index */
	size_t		len;
	size_t		index;
} PathStep;

typedef struct Compiler
{
	JlArena    *arena;
	JlError    *err;
	PathStep	path[JL_MAX_DEPTH * 2 + 4];
	int			depth;
} Compiler;

static bool
lookup_op(const char *name, size_t len, JlOp *op)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strlen(op_names[i].name) == len && memcmp(op_names[i].name, name, len) == 0)
		{
			*op = op_names[i].op;
			return true;
		}
	return false;
}

/* The path is only written out when there is an error to report. */
static int
where_push(Compiler *c, const char *part, size_t len)
{
	if (c->depth < (int) (sizeof(c->path) / sizeof(c->path[0])))
	{
		c->path[c->depth].name = part;
		c->path[c->depth].len = len;
	}
	return c->depth++;
}

static int
where_push_index(Compiler *c, size_t i)
{
	if (c->depth < (int) (sizeof(c->path) / sizeof(c->path[0])))
	{
		c->path[c->depth].name = NULL;
		c->path[c->depth].index = i;
	}
	return c->depth++;
}

static void
where_pop(Compiler *c, int old)
{
	c->depth = old;
}

static void
where_format(Compiler *c, char *out, size_t size)
{
	size_t		len = 0;
	int			n = c->depth < (int) (sizeof(c->path) / sizeof(c->path[0])) ?
		c->depth : (int) (sizeof(c->path) / sizeof(c->path[0]));

	out[0] = '\0';
	for (int i = 0; i < n && len + 1 < size; i++)
	{
		int			w;

		if (c->path[i].name != NULL)
			w = snprintf(out + len, size - len, "/%.*s",
						 (int) (c->path[i].len > 64 ? 64 : c->path[i].len), c->path[i].name);
		else
			w = snprintf(out + len, size - len, "/%zu", c->path[i].index);
		if (w < 0)
			break;
		len += (size_t) w;
	}
	if (len == 0)
		snprintf(out, size, "/");
}

static const JlNode *
compile_fail(Compiler *c, JlErrorCode code, const char *fmt, const char *name, size_t len)
{
	if (c->err->code == JL_OK)
	{
		c->err->code = code;
		snprintf(c->err->message, JL_ERROR_LEN, fmt, (int) (len > 64 ? 64 : len), name);
		where_format(c, c->err->where, JL_ERROR_LEN);
	}
	return NULL;
}

static JlNode *
new_node(Compiler *c, JlOp op, uint32_t nargs)
{
	JlNode	   *n = jl_alloc(c->arena, sizeof(JlNode));

	memset(n, 0, sizeof(*n));
	n->op = op;
	n->nargs = nargs;
	n->args = nargs > 0 ? jl_alloc(c->arena, sizeof(JlNode *) * nargs) : NULL;
	return n;
}

const JlPath *
jl_path_compile(JlArena *a, const char *path, size_t len)
{
	JlPath	   *p = jl_alloc(a, sizeof(JlPath));
	JlPathSeg  *segs;
	size_t		n = 1,
				start = 0,
				k = 0;

	if (len == 0)
	{
		p->n = 0;
		p->segs = NULL;
		return p;
	}
	for (size_t i = 0; i < len; i++)
		if (path[i] == '.')
			n++;
	segs = jl_alloc(a, sizeof(JlPathSeg) * n);
	for (size_t i = 0; i <= len; i++)
	{
		if (i < len && path[i] != '.')
			continue;
		segs[k].s = path + start;
		segs[k].len = i - start;
		segs[k].index = -1;
		/* a canonical non-negative integer is also an array index */
		if (segs[k].len > 0 && segs[k].len <= 9 &&
			(segs[k].len == 1 || path[start] != '0'))
		{
			long		v = 0;
			size_t		j;

			for (j = start; j < i && path[j] >= '0' && path[j] <= '9'; j++)
				v = v * 10 + (path[j] - '0');
			if (j == i)
				segs[k].index = v;
		}
		k++;
		start = i + 1;
	}
	p->n = n;
	p->segs = segs;
	return p;
}

/* Number of code points of a UTF-8 string, and the byte offset of the i-th. */
static size_t
utf8_offset(const char *s, size_t len, long index, size_t *count)
{
	size_t		cp = 0,
				off = len;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
		{
			if ((long) cp == index)
				off = i;
			cp++;
		}
	*count = cp;
	return off;
}

/* data[segment] with JavaScript's property access; NULL if undefined. */
static const JlValue *
step(const JlValue *data, const JlPathSeg *seg)
{
	switch (data->type)
	{
		case JL_OBJECT:
			return jl_member(data, seg->s, seg->len);
		case JL_ARRAY:
			if (seg->index >= 0)
				return (size_t) seg->index < data->u.arr.n ? data->u.arr.items[seg->index] : NULL;
			return NULL;
		default:
			return NULL;
	}
}

const JlValue *
jl_path_get(JlArena *a, const JlPath *path, const JlValue *data)
{
	for (size_t i = 0; i < path->n; i++)
	{
		const JlPathSeg *seg = &path->segs[i];

		if (data == NULL || data->type == JL_NULL)
			return NULL;
		if (seg->len == 6 && memcmp(seg->s, "length", 6) == 0 &&
			(data->type == JL_ARRAY || data->type == JL_STRING))
		{
			size_t		count = data->u.arr.n;

			if (data->type == JL_STRING)
				(void) utf8_offset(data->u.str.ptr, data->u.str.len, -1, &count);
			data = jl_number(a, (double) count);
			continue;
		}
		if (data->type == JL_STRING)
		{
			size_t		count,
						off,
						end;

			if (seg->index < 0)
				return NULL;
			off = utf8_offset(data->u.str.ptr, data->u.str.len, seg->index, &count);
			if ((size_t) seg->index >= count)
				return NULL;
			end = off + 1;
			while (end < data->u.str.len && ((unsigned char) data->u.str.ptr[end] & 0xC0) == 0x80)
				end++;
			data = jl_string(a, data->u.str.ptr + off, end - off, false);
			continue;
		}
		data = step(data, seg);
	}
	return data;
}

static const JlNode *compile_value(Compiler *c, const JlValue *v, int depth);

static const JlNode *
compile_op(Compiler *c, const JlMember *m, int depth)
{
	JlOp		op;
	const JlValue *values = m->val;
	const JlValue *const *items;
	size_t		n;
	JlNode	   *node;
	int			saved;

	if (!lookup_op(m->key, m->keylen, &op))
	{
		if (m->keylen == 3 && memcmp(m->key, "log", 3) == 0)
			return compile_fail(c, JL_ERR_RULE, "operator \"%.*s\" is deactivated", m->key, m->keylen);
		return compile_fail(c, JL_ERR_RULE, "unknown operator \"%.*s\"", m->key, m->keylen);
	}
	/* json-logic-js: a non-array operand is a list of one */
	if (values->type == JL_ARRAY)
	{
		items = values->u.arr.items;
		n = values->u.arr.n;
	}
	else
	{
		items = &m->val;
		n = 1;
	}
	if (n > UINT32_MAX / 2)
		return compile_fail(c, JL_ERR_RULE, "too many arguments for \"%.*s\"", m->key, m->keylen);
	saved = where_push(c, m->key, m->keylen);
	node = new_node(c, op, (uint32_t) n);
	for (size_t i = 0; i < n; i++)
	{
		int			inner = values->type == JL_ARRAY ? where_push_index(c, i) : c->depth;

		node->args[i] = compile_value(c, items[i], depth + 1);
		if (node->args[i] == NULL)
			return NULL;
		where_pop(c, inner);
	}
	where_pop(c, saved);

	/* a literal var path is split once */
	if (op == JOP_VAR && n > 0 && node->args[0]->op == JOP_CONST)
	{
		const JlValue *p = node->args[0]->value;

		if (p->type == JL_STRING)
			node->path = jl_path_compile(c->arena, p->u.str.ptr, p->u.str.len);
		else if (p->type == JL_NUMBER)
		{
			char	   *buf = jl_alloc(c->arena, JL_NUMBER_BUFLEN);

			node->path = jl_path_compile(c->arena, buf, jl_format_number(p->u.num, buf));
		}
		else if (p->type == JL_NULL)
			node->path = jl_path_compile(c->arena, "", 0);
	}
	else if (op == JOP_VAR && n == 0)
		node->path = jl_path_compile(c->arena, "", 0);

	/*
	 * Decision 14: filter with a bare string keeps the elements containing
	 * it (some and none are filters in json-logic-js; all is not).
	 */
	if ((op == JOP_FILTER || op == JOP_SOME || op == JOP_NONE) && n >= 2 &&
		node->args[1]->op == JOP_CONST && node->args[1]->value->type == JL_STRING)
		node->value = node->args[1]->value;
	return node;
}

static const JlNode *
compile_value(Compiler *c, const JlValue *v, int depth)
{
	JlNode	   *node;

	if (depth > JL_MAX_DEPTH)
		return compile_fail(c, JL_ERR_DEPTH, "rule nested deeper than %.*s levels", "256", 3);
	if (v->type == JL_OBJECT && v->u.obj.n == 1)
		return compile_op(c, &v->u.obj.members[0], depth);
	if (v->type == JL_ARRAY)
	{
		if (v->u.arr.n > UINT32_MAX / 2)
			return compile_fail(c, JL_ERR_RULE, "array too large%.*s", "", 0);
		node = new_node(c, JOP_ARRAY, (uint32_t) v->u.arr.n);
		for (size_t i = 0; i < v->u.arr.n; i++)
		{
			int			saved = where_push_index(c, i);

			node->args[i] = compile_value(c, v->u.arr.items[i], depth + 1);
			if (node->args[i] == NULL)
				return NULL;
			where_pop(c, saved);
		}
		node->value = v;
		return node;
	}
	node = new_node(c, JOP_CONST, 0);
	node->value = v;
	return node;
}

const JlNode *
jl_compile(JlArena *a, const JlValue *rule, JlError *err)
{
	Compiler	c;

	memset(err, 0, sizeof(*err));
	c.arena = a;
	c.err = err;
	c.depth = 0;
	return compile_value(&c, rule, 0);
}
