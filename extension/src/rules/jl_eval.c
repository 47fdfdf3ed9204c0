/*
 * jl_eval.c: evaluation of compiled JsonLogic: data access (var, missing),
 * logic, comparisons and arithmetic, with json-logic-js semantics; the
 * other operator families are in jl_ops_*.c, jl_geo.c and jl_time.c.
 * Pure C.
 *
 * An absent argument is JavaScript's undefined: it compares false, is
 * loosely equal only to null, and ToNumber makes it NaN.
 */
#include "jl_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void
jl_env_init(JlEnv *env, JlArena *a, const JlHost *host, int64_t now_ms)
{
	/* no memset: the error buffers are only written when a failure occurs */
	env->host = host;
	env->current_state = NULL;
	env->now_ms = now_ms;
	env->arena = a;
	env->max_steps = 0;
	env->memo = NULL;
	env->memo_root = NULL;
	env->steps = 0;
	env->failed = false;
	env->error.code = JL_OK;
	env->error.position = 0;
	env->error.message[0] = '\0';
	env->error.where[0] = '\0';
}

bool
jl_env_fail(JlEnv *env, JlErrorCode code, const char *message)
{
	if (!env->failed)
	{
		env->failed = true;
		env->error.code = code;
		snprintf(env->error.message, JL_ERROR_LEN, "%s", message);
	}
	return false;
}

const JlValue *
jl_eval(const JlNode *rule, const JlValue *data, JlEnv *env)
{
	if (env->max_steps == 0)
		env->max_steps = JL_DEFAULT_MAX_STEPS;
	return jl_eval_node(rule, data != NULL ? data : &jl_null_value, env);
}

/* ------------------------------------------------------------------ */
/* var, missing, missing_some											*/
/* ------------------------------------------------------------------ */

/* The path a var argument names (null, "" and absent: the whole data). */
static const JlPath *
dynamic_path(const JlValue *key, JlEnv *env)
{
	size_t		len;
	const char *s;

	if (key == NULL || key->type == JL_NULL)
		return jl_path_compile(env->arena, "", 0);
	s = jl_to_string(env->arena, key, &len);
	return jl_path_compile(env->arena, s, len);
}

static const JlValue *
op_var(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlPath *path = n->path;
	const JlValue *v;

	if (path == NULL)
		path = dynamic_path(jl_arg(n, 0, data, env), env);
	v = jl_path_get(env->arena, path, data);
	if (v != NULL)
		return v;
	return jl_arg_or_null(n, 1, data, env);
}

/* The keys among `keys` whose value is absent, null or "". */
static const JlValue *
missing_keys(const JlValue *const *keys, size_t nkeys, const JlValue *data, JlEnv *env)
{
	const JlValue **out = jl_alloc(env->arena, sizeof(JlValue *) * (nkeys > 0 ? nkeys : 1));
	size_t		n = 0;

	for (size_t i = 0; i < nkeys; i++)
	{
		const JlValue *v = jl_path_get(env->arena, dynamic_path(keys[i], env), data);

		if (v == NULL || v->type == JL_NULL || (v->type == JL_STRING && v->u.str.len == 0))
			out[n++] = keys[i];
	}
	return jl_array(env->arena, out, n);
}

static const JlValue *
op_missing(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue **vals = jl_alloc(env->arena, sizeof(JlValue *) * (n->nargs > 0 ? n->nargs : 1));

	for (uint32_t i = 0; i < n->nargs; i++)
		vals[i] = jl_eval_node(n->args[i], data, env);
	/* an array first argument is the list of keys */
	if (n->nargs > 0 && vals[0]->type == JL_ARRAY)
		return missing_keys(vals[0]->u.arr.items, vals[0]->u.arr.n, data, env);
	return missing_keys(vals, n->nargs, data, env);
}

static const JlValue *
op_missing_some(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *need = jl_arg_or_null(n, 0, data, env);
	const JlValue *options = jl_arg_or_null(n, 1, data, env);
	const JlValue *missing;
	size_t		total;

	if (options->type == JL_ARRAY)
	{
		missing = missing_keys(options->u.arr.items, options->u.arr.n, data, env);
		total = options->u.arr.n;
	}
	else
	{
		missing = missing_keys(&options, 1, data, env);
		total = 1;
	}
	if ((double) (total - missing->u.arr.n) >= jl_to_number(need))
		return jl_array(env->arena, NULL, 0);
	return missing;
}

/* ------------------------------------------------------------------ */
/* logic																*/
/* ------------------------------------------------------------------ */

static const JlValue *
op_if(const JlNode *n, const JlValue *data, JlEnv *env)
{
	uint32_t	i;

	for (i = 0; i + 1 < n->nargs; i += 2)
		if (jl_truthy(jl_eval_node(n->args[i], data, env)))
			return jl_eval_node(n->args[i + 1], data, env);
	if (n->nargs == i + 1)
		return jl_eval_node(n->args[i], data, env);
	return &jl_null_value;
}

static const JlValue *
op_and_or(const JlNode *n, const JlValue *data, JlEnv *env, bool is_and)
{
	const JlValue *current = &jl_null_value;

	for (uint32_t i = 0; i < n->nargs; i++)
	{
		current = jl_eval_node(n->args[i], data, env);
		if (jl_truthy(current) != is_and)
			return current;
	}
	return current;
}

/* x == y where NULL is undefined. */
static bool
loose_equal(JlEnv *env, const JlValue *x, const JlValue *y)
{
	if (x == NULL || y == NULL)
		return (x == NULL || x->type == JL_NULL) && (y == NULL || y->type == JL_NULL);
	return jl_loose_equal(env->arena, x, y);
}

static bool
strict_equal(const JlValue *x, const JlValue *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return jl_strict_equal(x, y);
}

/* x < y (or x <= y); false whenever undefined is involved. */
static bool
less(JlEnv *env, const JlValue *x, const JlValue *y, bool or_equal)
{
	bool		undefined;
	int			c;

	if (x == NULL || y == NULL)
		return false;
	c = jl_compare(env->arena, x, y, &undefined);
	if (undefined)
		return false;
	return or_equal ? c <= 0 : c < 0;
}

static const JlValue *
op_compare(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *a = jl_arg(n, 0, data, env);
	const JlValue *b = jl_arg(n, 1, data, env);

	switch (n->op)
	{
		case JOP_EQ:
			return jl_bool(loose_equal(env, a, b));
		case JOP_NE:
			return jl_bool(!loose_equal(env, a, b));
		case JOP_STRICT_EQ:
			return jl_bool(strict_equal(a, b));
		case JOP_STRICT_NE:
			return jl_bool(!strict_equal(a, b));
		case JOP_GT:
			return jl_bool(less(env, b, a, false));
		case JOP_GE:
			return jl_bool(less(env, b, a, true));
		case JOP_LT:
		case JOP_LE:
			{
				bool		or_equal = n->op == JOP_LE;

				if (n->nargs >= 3)
				{
					const JlValue *c = jl_arg(n, 2, data, env);

					return jl_bool(less(env, a, b, or_equal) && less(env, b, c, or_equal));
				}
				return jl_bool(less(env, a, b, or_equal));
			}
		default:
			return &jl_null_value;
	}
}

/* ------------------------------------------------------------------ */
/* arithmetic															*/
/* ------------------------------------------------------------------ */

static double
number_of(const JlValue *v)
{
	return v == NULL ? NAN : jl_to_number(v);
}

static const JlValue *
op_arith(const JlNode *n, const JlValue *data, JlEnv *env)
{
	JlArena    *a = env->arena;
	double		r;

	switch (n->op)
	{
		case JOP_MAX:
		case JOP_MIN:
			r = n->op == JOP_MAX ? -INFINITY : INFINITY;
			for (uint32_t i = 0; i < n->nargs; i++)
			{
				double		d = jl_to_number(jl_eval_node(n->args[i], data, env));

				if (isnan(d) || isnan(r))
					r = NAN;
				else if (n->op == JOP_MAX ? d > r : d < r)
					r = d;
			}
			return jl_number(a, r);
		case JOP_ADD:
			/* parseFloat of every operand, summed from 0 */
			r = 0;
			for (uint32_t i = 0; i < n->nargs; i++)
				r += jl_parse_float(a, jl_eval_node(n->args[i], data, env));
			return jl_number(a, r);
		case JOP_MUL:
			/* reduce without an initial value: one operand is returned as is */
			if (n->nargs == 0)
				return &jl_null_value;
			if (n->nargs == 1)
				return jl_eval_node(n->args[0], data, env);
			r = jl_parse_float(a, jl_eval_node(n->args[0], data, env));
			for (uint32_t i = 1; i < n->nargs; i++)
				r *= jl_parse_float(a, jl_eval_node(n->args[i], data, env));
			return jl_number(a, r);
		case JOP_SUB:
			{
				const JlValue *x = jl_arg(n, 0, data, env);

				if (n->nargs < 2)
					return jl_number(a, -number_of(x));
				return jl_number(a, number_of(x) - number_of(jl_arg(n, 1, data, env)));
			}
		case JOP_DIV:
			{
				double		x = number_of(jl_arg(n, 0, data, env));

				return jl_number(a, x / number_of(jl_arg(n, 1, data, env)));
			}
		case JOP_MOD:
			{
				double		x = number_of(jl_arg(n, 0, data, env));
				double		y = number_of(jl_arg(n, 1, data, env));

				return jl_number(a, (isinf(x) || y == 0) ? NAN : (isinf(y) ? x : fmod(x, y)));
			}
		default:
			return &jl_null_value;
	}
}

/* ------------------------------------------------------------------ */
/* dispatch																*/
/* ------------------------------------------------------------------ */

static const JlValue *
eval_node(const JlNode *n, const JlValue *data, JlEnv *env)
{
	if (++env->steps > env->max_steps)
	{
		jl_env_fail(env, JL_ERR_TOO_COMPLEX, "rule evaluation exceeded its step budget");
		return &jl_null_value;
	}
	switch (n->op)
	{
		case JOP_CONST:
			return n->value;
		case JOP_ARRAY:
			{
				const JlValue **items = jl_alloc(env->arena, sizeof(JlValue *) * (n->nargs > 0 ? n->nargs : 1));

				for (uint32_t i = 0; i < n->nargs; i++)
					items[i] = jl_eval_node(n->args[i], data, env);
				return jl_array(env->arena, items, n->nargs);
			}
		case JOP_VAR:
			return op_var(n, data, env);
		case JOP_MISSING:
			return op_missing(n, data, env);
		case JOP_MISSING_SOME:
			return op_missing_some(n, data, env);
		case JOP_IF:
			return op_if(n, data, env);
		case JOP_AND:
			return op_and_or(n, data, env, true);
		case JOP_OR:
			return op_and_or(n, data, env, false);
		case JOP_NOT:
			return jl_bool(!jl_truthy(jl_arg_or_null(n, 0, data, env)));
		case JOP_NOTNOT:
			return jl_bool(jl_truthy(jl_arg_or_null(n, 0, data, env)));
		case JOP_EQ:
		case JOP_STRICT_EQ:
		case JOP_NE:
		case JOP_STRICT_NE:
		case JOP_GT:
		case JOP_GE:
		case JOP_LT:
		case JOP_LE:
			return op_compare(n, data, env);
		case JOP_MAX:
		case JOP_MIN:
		case JOP_ADD:
		case JOP_SUB:
		case JOP_MUL:
		case JOP_DIV:
		case JOP_MOD:
			return op_arith(n, data, env);
		case JOP_MAP:
		case JOP_REDUCE:
		case JOP_FILTER:
		case JOP_ALL:
		case JOP_NONE:
		case JOP_SOME:
		case JOP_MERGE:
		case JOP_IN:
			return jl_op_array(n, data, env);
		case JOP_CAT:
		case JOP_SUBSTR:
			return jl_op_string(n, data, env);
		case JOP_DISTANCE:
		case JOP_INSIDE:
		case JOP_INSIDEINDEX:
		case JOP_CLOSETO:
		case JOP_CLOSETOINDEX:
			return jl_op_geo(n, data, env);
		case JOP_CTX:
		case JOP_GET:
		case JOP_CURRENTSTATE:
			return jl_op_lo(n, data, env);
		case JOP_NOW_UTC:
		case JOP_GET_UTC_HOURS:
		case JOP_GET_UTC_MINUTES:
		case JOP_GET_UTC_DAY:
		case JOP_GET_UTC_DATE:
		case JOP_GET_TIME:
			return jl_op_time(n, data, env);
	}
	return &jl_null_value;
}

const JlValue *
jl_eval_node_call(const JlNode *n, const JlValue *data, JlEnv *env)
{
	const JlValue *v;

	if (env->failed)
		return &jl_null_value;
	if (n->memo == 0 || env->memo == NULL || data != env->memo_root)
		return eval_node(n, data, env);
	/* a subexpression shared across the rule set: once per message */
	if ((v = env->memo[n->memo - 1]) != NULL)
		return v;
	v = eval_node(n, data, env);
	if (!env->failed)
		env->memo[n->memo - 1] = v;
	return v;
}
