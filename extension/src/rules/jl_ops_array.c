/*
 * jl_ops_array.c: JsonLogic's array operators (map, reduce, filter, all,
 * none, some, merge, in) and string operators (cat, substr).  Pure C.
 */
#include "jl_internal.h"

#include <math.h>
#include <string.h>

static const JlValue *
empty_array(JlEnv *env)
{
	return jl_array(env->arena, NULL, 0);
}

static bool
contains_bytes(const char *hay, size_t haylen, const char *needle, size_t len)
{
	if (len == 0)
		return true;
	if (len > haylen)
		return false;
	for (size_t i = 0; i + len <= haylen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, len) == 0)
			return true;
	return false;
}

/* Does the element pass the filter's test (a rule, or a bare string)? */
static bool
keeps(const JlNode *n, const JlValue *item, JlEnv *env)
{
	if (n->value != NULL)
		return item->type == JL_STRING &&
			contains_bytes(item->u.str.ptr, item->u.str.len, n->value->u.str.ptr, n->value->u.str.len);
	if (n->nargs < 2)
		return false;
	return jl_truthy(jl_eval_node(n->args[1], item, env));
}

static const JlValue *
filter(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *scoped = jl_arg_or_null(n, 0, data, env);
	const JlValue **out;
	size_t		k = 0;

	if (scoped->type != JL_ARRAY)
		return empty_array(env);
	out = jl_alloc(env->arena, sizeof(JlValue *) * (scoped->u.arr.n > 0 ? scoped->u.arr.n : 1));
	for (size_t i = 0; i < scoped->u.arr.n; i++)
		if (keeps(n, scoped->u.arr.items[i], env))
			out[k++] = scoped->u.arr.items[i];
	return jl_array(env->arena, out, k);
}

static const JlValue *
map(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *scoped = jl_arg_or_null(n, 0, data, env);
	const JlValue **out;

	if (scoped->type != JL_ARRAY)
		return empty_array(env);
	out = jl_alloc(env->arena, sizeof(JlValue *) * (scoped->u.arr.n > 0 ? scoped->u.arr.n : 1));
	for (size_t i = 0; i < scoped->u.arr.n; i++)
		out[i] = n->nargs >= 2 ? jl_eval_node(n->args[1], scoped->u.arr.items[i], env) : &jl_null_value;
	return jl_array(env->arena, out, scoped->u.arr.n);
}

static const JlValue *
reduce(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *scoped = jl_arg_or_null(n, 0, data, env);
	const JlValue *acc = jl_arg_or_null(n, 2, data, env);

	if (scoped->type != JL_ARRAY)
		return acc;
	for (size_t i = 0; i < scoped->u.arr.n; i++)
	{
		JlMember   *m = jl_alloc(env->arena, sizeof(JlMember) * 2);

		m[0].key = "current";
		m[0].keylen = 7;
		m[0].val = scoped->u.arr.items[i];
		m[1].key = "accumulator";
		m[1].keylen = 11;
		m[1].val = acc;
		acc = n->nargs >= 2 ? jl_eval_node(n->args[1], jl_object(env->arena, m, 2), env) : &jl_null_value;
	}
	return acc;
}

static const JlValue *
all(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *scoped = jl_arg_or_null(n, 0, data, env);

	/* json-logic-js: an empty (or non-array) list is not "all" */
	if (scoped->type != JL_ARRAY || scoped->u.arr.n == 0)
		return &jl_false_value;
	for (size_t i = 0; i < scoped->u.arr.n; i++)
		if (n->nargs < 2 || !jl_truthy(jl_eval_node(n->args[1], scoped->u.arr.items[i], env)))
			return &jl_false_value;
	return &jl_true_value;
}

static const JlValue *
merge(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue **vals = jl_alloc(env->arena, sizeof(JlValue *) * (n->nargs > 0 ? n->nargs : 1));
	const JlValue **out;
	size_t		total = 0,
				k = 0;

	for (uint32_t i = 0; i < n->nargs; i++)
	{
		vals[i] = jl_eval_node(n->args[i], data, env);
		total += vals[i]->type == JL_ARRAY ? vals[i]->u.arr.n : 1;
	}
	out = jl_alloc(env->arena, sizeof(JlValue *) * (total > 0 ? total : 1));
	for (uint32_t i = 0; i < n->nargs; i++)
	{
		if (vals[i]->type == JL_ARRAY)
			for (size_t j = 0; j < vals[i]->u.arr.n; j++)
				out[k++] = vals[i]->u.arr.items[j];
		else
			out[k++] = vals[i];
	}
	return jl_array(env->arena, out, k);
}

/* "in": membership (===) in an array, or substring of a string. */
static const JlValue *
in(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *needle = jl_arg_or_null(n, 0, data, env);
	const JlValue *hay = jl_arg(n, 1, data, env);

	if (hay == NULL || !jl_truthy(hay))
		return &jl_false_value;
	if (hay->type == JL_ARRAY)
	{
		for (size_t i = 0; i < hay->u.arr.n; i++)
			if (jl_strict_equal(hay->u.arr.items[i], needle))
				return &jl_true_value;
		return &jl_false_value;
	}
	if (hay->type == JL_STRING)
	{
		size_t		len;
		const char *s = jl_to_string(env->arena, needle, &len);

		return jl_bool(contains_bytes(hay->u.str.ptr, hay->u.str.len, s, len));
	}
	return &jl_false_value;
}

const JlValue *
jl_op_array(const JlNode *n, const JlValue *data, JlEnv *env)
{
	switch (n->op)
	{
		case JOP_MAP:
			return map(n, data, env);
		case JOP_REDUCE:
			return reduce(n, data, env);
		case JOP_FILTER:
			return filter(n, data, env);
		case JOP_ALL:
			return all(n, data, env);
		case JOP_NONE:
			return jl_bool(filter(n, data, env)->u.arr.n == 0);
		case JOP_SOME:
			return jl_bool(filter(n, data, env)->u.arr.n > 0);
		case JOP_MERGE:
			return merge(n, data, env);
		case JOP_IN:
			return in(n, data, env);
		default:
			return &jl_null_value;
	}
}

/* ------------------------------------------------------------------ */
/* strings																*/
/* ------------------------------------------------------------------ */

static const JlValue *
cat(const JlNode *n, const JlValue *data, JlEnv *env)
{
	JlBuf		b;

	jl_buf_init(&b, env->arena);
	jl_buf_append(&b, "", 0);
	for (uint32_t i = 0; i < n->nargs; i++)
	{
		const JlValue *v = jl_eval_node(n->args[i], data, env);
		size_t		len;
		const char *s;

		if (v->type == JL_NULL)
			continue;			/* join() writes null as nothing */
		s = jl_to_string(env->arena, v, &len);
		jl_buf_append(&b, s, len);
	}
	return jl_string(env->arena, b.data, b.len, false);
}

/* ToIntegerOrInfinity, clamped to what a string index can be. */
static double
to_integer(const JlValue *v)
{
	double		d = v == NULL ? NAN : jl_to_number(v);

	if (isnan(d))
		return 0;
	return trunc(d);
}

/* Byte offset of code point `cp` (or the end). */
static size_t
cp_offset(const char *s, size_t len, size_t cp)
{
	size_t		seen = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
		{
			if (seen == cp)
				return i;
			seen++;
		}
	return len;
}

static size_t
cp_count(const char *s, size_t len)
{
	size_t		n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* String.prototype.substr(start, length) over code points. */
static void
js_substr(const char *s, size_t len, double start, const JlValue *length,
		  size_t *from, size_t *to)
{
	double		size = (double) cp_count(s, len);
	double		first,
				count;

	if (start < 0)
		first = size + start < 0 ? 0 : size + start;
	else
		first = start > size ? size : start;
	count = length == NULL ? size : to_integer(length);
	if (count < 0)
		count = 0;
	if (first + count > size)
		count = size - first;
	*from = cp_offset(s, len, (size_t) first);
	*to = cp_offset(s, len, (size_t) (first + count));
}

/* JavaScript's v < 0 */
static bool
less_than_zero(const JlValue *v)
{
	double		d = jl_to_number(v);

	return !isnan(d) && d < 0;
}

static const JlValue *
substr(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *source = jl_arg_or_null(n, 0, data, env);
	double		start = to_integer(jl_arg(n, 1, data, env));
	const JlValue *end = jl_arg(n, 2, data, env);
	size_t		len,
				from,
				to;
	const char *s = jl_to_string(env->arena, source, &len);

	if (end != NULL && less_than_zero(end))
	{
		/* json-logic-js: a negative end counts back from the end */
		size_t		tfrom,
					tto;
		double		keep;

		js_substr(s, len, start, NULL, &tfrom, &tto);
		keep = (double) cp_count(s + tfrom, tto - tfrom) + to_integer(end);
		js_substr(s + tfrom, tto - tfrom, 0, jl_number(env->arena, keep), &from, &to);
		return jl_string(env->arena, s + tfrom + from, to - from, false);
	}
	js_substr(s, len, start, end, &from, &to);
	return jl_string(env->arena, s + from, to - from, false);
}

const JlValue *
jl_op_string(const JlNode *n, const JlValue *data, JlEnv *env)
{
	if (n->op == JOP_CAT)
		return cat(n, data, env);
	return substr(n, data, env);
}
