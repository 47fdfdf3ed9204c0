/*
 * jl_internal.h: the compiled form of JsonLogic rules, shared by the
 * compiler and the evaluator files.  Pure C.
 */
#ifndef PGIOT_JL_INTERNAL_H
#define PGIOT_JL_INTERNAL_H

#include "jsonlogic.h"

typedef enum JlOp
{
	/* not operators: a literal, an array of rules */
	JOP_CONST,
	JOP_ARRAY,
	/* data access */
	JOP_VAR,
	JOP_MISSING,
	JOP_MISSING_SOME,
	/* logic */
	JOP_IF,
	JOP_EQ,
	JOP_STRICT_EQ,
	JOP_NE,
	JOP_STRICT_NE,
	JOP_NOT,
	JOP_NOTNOT,
	JOP_OR,
	JOP_AND,
	/* numbers */
	JOP_GT,
	JOP_GE,
	JOP_LT,
	JOP_LE,
	JOP_MAX,
	JOP_MIN,
	JOP_ADD,
	JOP_SUB,
	JOP_MUL,
	JOP_DIV,
	JOP_MOD,
	/* arrays */
	JOP_MAP,
	JOP_REDUCE,
	JOP_FILTER,
	JOP_ALL,
	JOP_NONE,
	JOP_SOME,
	JOP_MERGE,
	JOP_IN,
	/* strings */
	JOP_CAT,
	JOP_SUBSTR,
	/* Live Objects: geo */
	JOP_DISTANCE,
	JOP_INSIDE,
	JOP_INSIDEINDEX,
	JOP_CLOSETO,
	JOP_CLOSETOINDEX,
	/* Live Objects: context, miscellaneous */
	JOP_CTX,
	JOP_GET,
	JOP_CURRENTSTATE,
	/* Live Objects: time */
	JOP_NOW_UTC,
	JOP_GET_UTC_HOURS,
	JOP_GET_UTC_MINUTES,
	JOP_GET_UTC_DAY,
	JOP_GET_UTC_DATE,
	JOP_GET_TIME
} JlOp;

typedef struct JlPathSeg
{
	const char *s;
	size_t		len;
	long		index;			/* the segment as an array index, -1 if not one */
} JlPathSeg;

struct JlPath
{
	size_t		n;				/* 0: the whole data */
	const JlPathSeg *segs;
};

struct JlNode
{
	JlOp		op;
	uint32_t	nargs;
	const JlNode **args;
	const JlValue *value;		/* CONST: the literal; FILTER: a bare string */
	const JlPath *path;			/* VAR: the path when it is a literal */
	uint32_t	memo;			/* 1 + its slot in a rule set's memo (jl_share.c); 0: none */
};

/* jl_eval.c */
extern const JlValue *jl_eval_node_call(const JlNode *n, const JlValue *data, JlEnv *env);
extern bool jl_env_fail(JlEnv *env, JlErrorCode code, const char *message);

/*
 * A node evaluated.  A literal, the most frequent argument, is answered
 * here (one step of the budget, as any node); the rest is a call.
 */
static inline const JlValue *
jl_eval_node(const JlNode *n, const JlValue *data, JlEnv *env)
{
	if (n->op == JOP_CONST && !env->failed && env->steps < env->max_steps)
	{
		env->steps++;
		return n->value;
	}
	return jl_eval_node_call(n, data, env);
}

/* Argument i evaluated, or NULL when the rule gave fewer arguments. */
static inline const JlValue *
jl_arg(const JlNode *n, uint32_t i, const JlValue *data, JlEnv *env)
{
	return i < n->nargs ? jl_eval_node(n->args[i], data, env) : NULL;
}

/* Argument i evaluated, JSON null when absent. */
static inline const JlValue *
jl_arg_or_null(const JlNode *n, uint32_t i, const JlValue *data, JlEnv *env)
{
	return i < n->nargs ? jl_eval_node(n->args[i], data, env) : &jl_null_value;
}

/* jl_ops_array.c, jl_ops_lo.c: one function per operator family */
extern const JlValue *jl_op_array(const JlNode *n, const JlValue *data, JlEnv *env);
extern const JlValue *jl_op_string(const JlNode *n, const JlValue *data, JlEnv *env);
extern const JlValue *jl_op_geo(const JlNode *n, const JlValue *data, JlEnv *env);
extern const JlValue *jl_op_lo(const JlNode *n, const JlValue *data, JlEnv *env);
extern const JlValue *jl_op_time(const JlNode *n, const JlValue *data, JlEnv *env);

#endif
