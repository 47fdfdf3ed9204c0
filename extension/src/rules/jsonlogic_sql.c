/*
 * jsonlogic_sql.c: iot.jsonlogic_apply(), iot.jsonlogic_check(),
 * iot.jsonlogic_valid(), and the backend's cache of compiled rules keyed
 * by their content (a rule is compiled once per backend, whatever query
 * passes it; the key is the rule itself, so nothing can go stale).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/clock.h"
#include "jl_jsonb.h"
#include "rules_ctx.h"
#include "rules_eval.h"

#define APPLY_CACHE_MAX 1024

typedef struct ApplyKey
{
	uint64		hash;
	uint32		len;
} ApplyKey;

typedef struct ApplyEntry
{
	ApplyKey	key;
	Jsonb	   *rule;			/* the rule the entry compiled */
	const JlNode *node;
	MemoryContext cxt;
} ApplyEntry;

/* Backend cache: content-addressed, so it needs no invalidation. */
static HTAB *apply_cache = NULL;
static MemoryContext apply_cache_cxt = NULL;

int64
rules_ms_of(TimestampTz ts)
{
	int64		us = ts + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

	return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

/* Compile into a fresh context; on error the context goes, then ereport. */
const JlNode *
rules_compile(Jsonb *rule, MemoryContext parent, MemoryContext *cxt_out, const char *what)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "pgiot rule", ALLOCSET_SMALL_SIZES);
	JlArena		a;
	JlError		err;
	const JlNode *node;

	jl_pg_arena_init(&a, cxt);
	node = jl_compile(&a, jl_from_jsonb(&a, rule, true), &err);
	if (node == NULL)
	{
		MemoryContextDelete(cxt);
		jl_report_error(&err, what);
	}
	*cxt_out = cxt;
	return node;
}

static void
apply_cache_reset(void)
{
	HASHCTL		ctl;

	if (apply_cache_cxt == NULL)
		apply_cache_cxt = AllocSetContextCreate(CacheMemoryContext, "pgiot jsonlogic cache",
												ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(apply_cache_cxt);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ApplyKey);
	ctl.entrysize = sizeof(ApplyEntry);
	ctl.hcxt = apply_cache_cxt;
	apply_cache = hash_create("pgiot jsonlogic cache", 256, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

const JlNode *
rules_compile_cached(Jsonb *rule)
{
	ApplyKey	key;
	ApplyEntry *e;
	bool		found;
	MemoryContext cxt;
	const JlNode *node;

	if (apply_cache == NULL || hash_get_num_entries(apply_cache) >= APPLY_CACHE_MAX)
		apply_cache_reset();
	memset(&key, 0, sizeof(key));
	key.len = VARSIZE(rule);
	key.hash = hash_bytes_extended((const unsigned char *) rule, key.len, 0);
	e = hash_search(apply_cache, &key, HASH_FIND, NULL);
	if (e != NULL)
	{
		if (memcmp(e->rule, rule, key.len) == 0)
			return e->node;
		/* a hash collision: compile uncached */
		return rules_compile(rule, CurrentMemoryContext, &cxt, "invalid JsonLogic rule");
	}
	node = rules_compile(rule, apply_cache_cxt, &cxt, "invalid JsonLogic rule");
	e = hash_search(apply_cache, &key, HASH_ENTER, &found);
	e->cxt = cxt;
	e->node = node;
	e->rule = MemoryContextAlloc(cxt, key.len);
	memcpy(e->rule, rule, key.len);
	return node;
}

/*
 * iot.jsonlogic_apply(rule jsonb, data jsonb DEFAULT NULL,
 *                     current_state jsonb DEFAULT NULL) -> jsonb
 * The rule applied to the data; ctx reads the session tenant's contexts,
 * now_utc reads iot.now(), currentstate is current_state.
 */
PG_FUNCTION_INFO_V1(pgiot_jsonlogic_apply);
Datum
pgiot_jsonlogic_apply(PG_FUNCTION_ARGS)
{
	const JlNode *node;
	JlArena		a;
	const JlValue *data = &jl_null_value;
	RulesCtx	ctx;
	JlEnv		env;
	const JlValue *result;
	Jsonb	   *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	node = rules_compile_cached(PG_GETARG_JSONB_P(0));
	jl_pg_arena_init(&a, CurrentMemoryContext);
	if (!PG_ARGISNULL(1))
		data = jl_from_jsonb(&a, PG_GETARG_JSONB_P(1), false);
	rules_ctx_init_session(&ctx, &a);
	jl_env_init(&env, &a, &ctx.host, rules_ms_of(pgiot_clock_now()));
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
		env.current_state = jl_from_jsonb(&a, PG_GETARG_JSONB_P(2), false);
	result = jl_eval(node, data, &env);
	if (env.failed)
		jl_report_error(&env.error, "JsonLogic evaluation failed");
	out = jl_to_jsonb(result);
	jl_arena_reset(&a);
	PG_RETURN_JSONB_P(out);
}

/* iot.jsonlogic_check(rule jsonb) -> jsonb: the rule, or error PI601. */
PG_FUNCTION_INFO_V1(pgiot_jsonlogic_check);
Datum
pgiot_jsonlogic_check(PG_FUNCTION_ARGS)
{
	Jsonb	   *rule = PG_GETARG_JSONB_P(0);
	MemoryContext cxt;

	(void) rules_compile(rule, CurrentMemoryContext, &cxt, "invalid JsonLogic rule");
	MemoryContextDelete(cxt);
	PG_RETURN_JSONB_P(rule);
}

/* iot.jsonlogic_valid(rule jsonb) -> boolean (for CHECK constraints). */
PG_FUNCTION_INFO_V1(pgiot_jsonlogic_valid);
Datum
pgiot_jsonlogic_valid(PG_FUNCTION_ARGS)
{
	Jsonb	   *rule = PG_GETARG_JSONB_P(0);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "pgiot rule check",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	JlArena		a;
	JlError		err;
	bool		ok;

	jl_pg_arena_init(&a, cxt);
	ok = jl_compile(&a, jl_from_jsonb(&a, rule, false), &err) != NULL;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_BOOL(ok);
}

/* iot.json_compact(value jsonb) -> text: JSON without spaces. */
PG_FUNCTION_INFO_V1(pgiot_json_compact);
Datum
pgiot_json_compact(PG_FUNCTION_ARGS)
{
	JlArena		a;
	JlBuf		out;
	text	   *result;

	jl_pg_arena_init(&a, CurrentMemoryContext);
	jl_buf_init(&out, &a);
	jl_json_write(&out, jl_from_jsonb(&a, PG_GETARG_JSONB_P(0), false));
	result = cstring_to_text_with_len(out.data, (int) out.len);
	jl_arena_reset(&a);
	PG_RETURN_TEXT_P(result);
}
