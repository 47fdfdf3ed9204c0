/*
 * Fuzz target: the JsonLogic engine, parse + compile + evaluate.
 *
 * The input is JSON text: [rule, data] evaluates rule against data, any
 * other value is a rule evaluated against null.  The host knows three
 * contexts (a number, a polygon, a list of keys) so that ctx and the geo
 * operators are reached.  Results are written back as JSON.  The rule is
 * also compiled twice more, its subexpressions shared between the copies
 * (jl_share.c), and both copies evaluated with one memo: each must give
 * the unshared result.
 *
 * FUZZ_SOURCES: extension/src/rules/jl_value.c extension/src/rules/jl_json.c extension/src/rules/jl_compile.c extension/src/rules/jl_eval.c extension/src/rules/jl_share.c extension/src/rules/jl_ops_array.c extension/src/rules/jl_ops_lo.c extension/src/rules/jl_geo.c extension/src/rules/jl_time.c extension/src/core/isotime.c
 * FUZZ_LIBS: -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/jsonlogic.h"

static void *
fuzz_alloc(size_t size, void *ctx)
{
	void	   *p = malloc(size);

	(void) ctx;
	if (p == NULL)
		abort();
	return p;
}

static void
fuzz_free(void *p, void *ctx)
{
	(void) ctx;
	free(p);
}

static const JlValue *
fuzz_ctx(void *arg, const char *key, size_t len, JlArena *a)
{
	static const char *const known[][2] = {
		{"threshold", "100"},
		{"zone", "[[[1.78,48.09],[2.30,48.00],[2.28,47.50],[1.25,47.72],[1.78,48.09]]]"},
		{"zones", "[\"zone\", \"threshold\", \"nowhere\"]"},
	};
	JlError		err;

	(void) arg;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i][0]) == len && memcmp(known[i][0], key, len) == 0)
			return jl_json_parse(a, known[i][1], strlen(known[i][1]), &err);
	return NULL;
}

/* Two copies of the rule sharing a memo give the unshared result (written in `expected`). */
static void
check_shared(JlArena *arena, const JlValue *rule, const JlValue *subject, const JlHost *host,
			 const JlValue *state, const JlBuf *expected)
{
	JlError		err;
	const JlNode *roots[2];
	const JlValue **memo;
	uint32_t	nslots;

	roots[0] = jl_compile(arena, rule, &err);
	roots[1] = jl_compile(arena, rule, &err);
	if (roots[0] == NULL || roots[1] == NULL)
		abort();				/* it compiled once */
	nslots = jl_share_subexpressions(arena, roots, 2);
	memo = jl_alloc(arena, sizeof(JlValue *) * (nslots + 1));
	memset(memo, 0, sizeof(JlValue *) * (nslots + 1));
	for (int i = 0; i < 2; i++)
	{
		JlEnv		env;
		JlBuf		out;
		const JlValue *result;

		jl_env_init(&env, arena, host, 1516021237290LL);
		env.max_steps = 100000;
		env.current_state = state;
		env.memo = memo;
		env.memo_root = subject;
		result = jl_eval(roots[i], subject, &env);
		if (env.failed)
			return;				/* a memo hit saves steps: budgets may differ */
		jl_buf_init(&out, arena);
		jl_json_write(&out, result);
		if (out.len != expected->len || memcmp(out.data, expected->data, out.len) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JlArena		arena;
	JlError		err;
	const JlValue *input,
			   *rule,
			   *subject = &jl_null_value;
	const JlNode *compiled;
	JlHost		host = {NULL, fuzz_ctx};
	JlEnv		env;
	const JlValue *result;
	JlBuf		out;
	const JlValue *state;

	jl_arena_init(&arena, fuzz_alloc, fuzz_free, NULL);
	input = jl_json_parse(&arena, (const char *) data, size, &err);
	if (input == NULL)
	{
		jl_arena_reset(&arena);
		return 0;
	}
	rule = input;
	if (input->type == JL_ARRAY && input->u.arr.n == 2)
	{
		rule = input->u.arr.items[0];
		subject = input->u.arr.items[1];
	}
	compiled = jl_compile(&arena, rule, &err);
	if (compiled != NULL)
	{
		jl_env_init(&env, &arena, &host, 1516021237290LL);
		env.max_steps = 100000;
		state = jl_string(&arena, "hot", 3, false);
		env.current_state = state;
		result = jl_eval(compiled, subject, &env);
		jl_buf_init(&out, &arena);
		jl_json_write(&out, result);
		/* the written JSON reads back as the same value */
		if (!env.failed)
		{
			const JlValue *again = jl_json_parse(&arena, out.data, out.len, &err);

			if (again == NULL)
				abort();
		}
		(void) jl_truthy(result);
		(void) jl_json_equal(result, subject);
		if (!env.failed)
			check_shared(&arena, rule, subject, &host, state, &out);
	}
	jl_arena_reset(&arena);
	return 0;
}
