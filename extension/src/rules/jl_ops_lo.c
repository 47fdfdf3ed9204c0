/*
 * jl_ops_lo.c: the context and miscellaneous operators of Live Objects:
 * ctx, get, currentstate.  Pure C; contexts come from the host.
 *
 * ctx: one argument that is not an array is one key, and yields its
 * value.  Otherwise (an array of keys, several arguments) every key array
 * is flattened, however nested, and the result is the array of the values
 * in key order (decision 15); values are never flattened.  Unknown keys
 * yield null.
 */
#include "jl_internal.h"

#include <math.h>

static const JlValue *
lookup(JlEnv *env, const JlValue *key)
{
	size_t		len;
	const char *s;
	const JlValue *v;

	if (key->type == JL_NULL || key->type == JL_OBJECT || env->host == NULL ||
		env->host->ctx_lookup == NULL)
		return &jl_null_value;
	s = jl_to_string(env->arena, key, &len);
	v = env->host->ctx_lookup(env->host->arg, s, len, env->arena);
	return v != NULL ? v : &jl_null_value;
}

typedef struct KeyList
{
	const JlValue **items;
	size_t		n;
	size_t		cap;
} KeyList;

static void
collect_keys(JlEnv *env, KeyList *keys, const JlValue *v, int depth)
{
	if (v->type == JL_ARRAY)
	{
		if (depth > JL_MAX_DEPTH)
			return;
		for (size_t i = 0; i < v->u.arr.n; i++)
			collect_keys(env, keys, v->u.arr.items[i], depth + 1);
		return;
	}
	if (keys->n == keys->cap)
	{
		size_t		cap = keys->cap < 8 ? 8 : keys->cap * 2;
		const JlValue **more = jl_alloc(env->arena, sizeof(JlValue *) * cap);

		for (size_t i = 0; i < keys->n; i++)
			more[i] = keys->items[i];
		keys->items = more;
		keys->cap = cap;
	}
	keys->items[keys->n++] = v;
}

static const JlValue *
op_ctx(const JlNode *n, const JlValue *data, JlEnv *env)
{
	KeyList		keys = {NULL, 0, 0};
	const JlValue **values;

	if (n->nargs == 1)
	{
		const JlValue *key = jl_eval_node(n->args[0], data, env);

		if (key->type != JL_ARRAY)
			return lookup(env, key);
		collect_keys(env, &keys, key, 0);
	}
	else
		for (uint32_t i = 0; i < n->nargs; i++)
			collect_keys(env, &keys, jl_eval_node(n->args[i], data, env), 0);
	values = jl_alloc(env->arena, sizeof(JlValue *) * (keys.n > 0 ? keys.n : 1));
	for (size_t i = 0; i < keys.n; i++)
		values[i] = lookup(env, keys.items[i]);
	return jl_array(env->arena, values, keys.n);
}

/* get: element of an array by 0-based index, or member of an object. */
static const JlValue *
op_get(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *container = jl_arg_or_null(n, 0, data, env);
	const JlValue *index = jl_arg_or_null(n, 1, data, env);

	if (container->type == JL_ARRAY)
	{
		double		i = jl_to_number(index);

		if (index->type == JL_NULL || isnan(i) || i != trunc(i) || i < 0 ||
			i >= (double) container->u.arr.n)
			return &jl_null_value;
		return container->u.arr.items[(size_t) i];
	}
	if (container->type == JL_OBJECT && index->type != JL_NULL)
	{
		size_t		len;
		const char *key = jl_to_string(env->arena, index, &len);
		const JlValue *v = jl_member(container, key, len);

		return v != NULL ? v : &jl_null_value;
	}
	return &jl_null_value;
}

const JlValue *
jl_op_lo(const JlNode *n, const JlValue *data, JlEnv *env)
{
	switch (n->op)
	{
		case JOP_CTX:
			return op_ctx(n, data, env);
		case JOP_GET:
			return op_get(n, data, env);
		case JOP_CURRENTSTATE:
			return env->current_state != NULL ? env->current_state : &jl_null_value;
		default:
			return &jl_null_value;
	}
}
