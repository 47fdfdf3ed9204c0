/*
 * jsonlogic_sql.c: iot.jsonlogic_apply(), iot.jsonlogic_check(),
 * iot.jsonlogic_valid(), and the backend's cache of compiled rules keyed
 * by their content (a rule is compiled once per backend, whatever query
 * passes it; the key is the rule itself, so nothing can go stale).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/clock.h"
#include "jl_jsonb.h"
#include "rules_ctx.h"
#include "rules_eval.h"

/*
 * The backend's cache of compiled rules for SQL calls: 4-way set
 * associative (2048 rules), keyed by the rule's bytes (hash, then a full
 * comparison), so it needs no invalidation; a full set replaces its
 * entries in turn.
 */
#define APPLY_CACHE_SETS 512
#define APPLY_CACHE_WAYS 4

/* All cached rules live in one arena, emptied with the cache beyond this. */
#define APPLY_CACHE_BYTES (8 * 1024 * 1024)

typedef struct ApplySlot
{
	uint64		hash;
	uint32		len;			/* content bytes of the rule */
	const char *rule;			/* a copy of the rule's content bytes */
	const JlNode *node;
} ApplySlot;

static ApplySlot *apply_cache = NULL;
static uint8 apply_victim[APPLY_CACHE_SETS];
static MemoryContext apply_cxt = NULL;
static JlArena apply_arena;
/* bumped when the arena is emptied: call-site caches then start over */
static uint64 apply_generation = 1;

/*
 * A call site's cache (fn_extra of iot.jsonlogic_apply): set-associative
 * by the address of the rule datum's content, so that a rule met again at
 * the same address (a constant, the inner side of a nested loop, a rule
 * table scanned per message) is found without hashing its bytes.  The
 * address only picks the entry: a hit still compares the whole rule with
 * the cached copy, so the content decides, as in the backend cache.
 */
#define SITE_SET_BITS 8
#define SITE_SETS (1 << SITE_SET_BITS)
#define SITE_WAYS 4

typedef struct ApplySiteSlot
{
	const char *at;				/* content address last seen here */
	const ApplySlot *cached;	/* its entry in the backend cache */
} ApplySiteSlot;

typedef struct ApplySite
{
	uint64		generation;
	ApplySiteSlot slots[SITE_SETS * SITE_WAYS];
	uint8		victim[SITE_SETS];
} ApplySite;

/*
 * A cheap 64-bit hash of the rule's bytes: all of a short rule; of a long
 * one its first and last 32 bytes and 8 words spread in between.  It only
 * spreads rules over the cache's sets: a hit is confirmed by comparing the
 * whole rule.
 */
static uint64
rule_hash(const char *p, size_t len)
{
	uint64		h = 0x9E3779B97F4A7C15ULL ^ len;
	uint64		w;

	if (len <= 96)
	{
		for (; len >= 8; p += 8, len -= 8)
		{
			memcpy(&w, p, 8);
			h = jl_hash_mix(h, w);
		}
		if (len > 0)
		{
			w = 0;
			memcpy(&w, p, len);
			h = jl_hash_mix(h, w);
		}
	}
	else
	{
		size_t		stride = (len - 64) / 8;

		for (int i = 0; i < 4; i++)
		{
			memcpy(&w, p + 8 * i, 8);
			h = jl_hash_mix(h, w);
			memcpy(&w, p + len - 8 * (i + 1), 8);
			h = jl_hash_mix(h, w);
		}
		for (int i = 0; i < 8; i++)
		{
			memcpy(&w, p + 32 + stride * i, 8);
			h = jl_hash_mix(h, w);
		}
	}
	h ^= h >> 29;
	h *= 0x94D049BB133111EBULL;
	return h ^ (h >> 32);
}

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

/* The content bytes of a rule datum, detoasted only when compressed or external. */
static inline const char *
rule_content(Datum datum, uint32 *len)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(datum);

	if (VARATT_IS_EXTENDED(raw) && !VARATT_IS_SHORT(raw))
		raw = (struct varlena *) PG_DETOAST_DATUM(datum);
	*len = VARSIZE_ANY_EXHDR(raw);
	return VARDATA_ANY(raw);
}

/*
 * The backend cache's entry of a rule's content, compiled on a miss.  The
 * cache is keyed by the content bytes (header excluded), read in place: a
 * hit needs no detoasting copy of the rule.
 */
static const ApplySlot *
apply_cache_entry(const char *content, uint32 len)
{
	uint64		hash = rule_hash(content, len);
	ApplySlot  *set;
	ApplySlot  *slot;
	const JlNode *node;
	JlError		err;
	char	   *copy;
	Jsonb	   *jb;

	if (apply_cache == NULL)
	{
		apply_cxt = AllocSetContextCreate(CacheMemoryContext, "pgiot jsonlogic cache",
										  ALLOCSET_DEFAULT_SIZES);
		jl_pg_arena_init(&apply_arena, apply_cxt);
		apply_cache = MemoryContextAllocZero(CacheMemoryContext,
											 sizeof(ApplySlot) * APPLY_CACHE_SETS * APPLY_CACHE_WAYS);
	}
	set = &apply_cache[(hash % APPLY_CACHE_SETS) * APPLY_CACHE_WAYS];
	for (int w = 0; w < APPLY_CACHE_WAYS; w++)
	{
		slot = &set[w];
		if (slot->rule != NULL && slot->hash == hash && slot->len == len &&
			memcmp(slot->rule, content, len) == 0)
			return slot;
	}
	/* full: start over (evicted entries are only freed this way) */
	if (apply_arena.used > APPLY_CACHE_BYTES)
	{
		jl_arena_reset(&apply_arena);
		memset(apply_cache, 0, sizeof(ApplySlot) * APPLY_CACHE_SETS * APPLY_CACHE_WAYS);
		apply_generation++;
	}
	/* the content as an aligned jsonb, in the arena with the compiled rule */
	jb = jl_alloc(&apply_arena, VARHDRSZ + len);
	SET_VARSIZE(jb, VARHDRSZ + len);
	memcpy(VARDATA(jb), content, len);
	/* compile first: an invalid rule leaves the set as it was */
	node = jl_compile(&apply_arena, jl_from_jsonb(&apply_arena, jb, true), &err);
	if (node == NULL)
		jl_report_error(&err, "invalid JsonLogic rule");
	copy = VARDATA(jb);
	slot = &set[apply_victim[hash % APPLY_CACHE_SETS]++ % APPLY_CACHE_WAYS];
	slot->hash = hash;
	slot->len = len;
	slot->rule = copy;
	slot->node = node;
	return slot;
}

/* The compiled rule of a jsonb datum, from the backend cache. */
const JlNode *
rules_compile_cached_datum(Datum datum)
{
	uint32		len;
	const char *content = rule_content(datum, &len);

	return apply_cache_entry(content, len)->node;
}

/* A call site's entries are forgotten once the backend cache started over. */
static inline void
site_forget_if_stale(ApplySite *site)
{
	if (site->generation != apply_generation)
	{
		memset(site->slots, 0, sizeof(site->slots));
		memset(site->victim, 0, sizeof(site->victim));
		site->generation = apply_generation;
	}
}

/* Same, through the call site's cache first. */
static const JlNode *
site_compile_cached(FmgrInfo *flinfo, Datum datum)
{
	ApplySite  *site = (ApplySite *) flinfo->fn_extra;
	uint32		len;
	const char *content = rule_content(datum, &len);
	ApplySiteSlot *set;
	ApplySiteSlot *s;
	const ApplySlot *cached;

	if (site == NULL)
	{
		site = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(ApplySite));
		flinfo->fn_extra = site;
	}
	site_forget_if_stale(site);
	set = &site->slots[(((uint64) (uintptr_t) content * UINT64CONST(0x9E3779B97F4A7C15)) >>
						(64 - SITE_SET_BITS)) * SITE_WAYS];
	for (int w = 0; w < SITE_WAYS; w++)
		if (set[w].at == content && set[w].cached->len == len &&
			memcmp(set[w].cached->rule, content, len) == 0)
			return set[w].cached->node;
	cached = apply_cache_entry(content, len);
	/* the entry may have emptied the cache: the generation moved on */
	site_forget_if_stale(site);
	s = &set[site->victim[(set - site->slots) / SITE_WAYS]++ % SITE_WAYS];
	s->at = content;
	s->cached = cached;
	return cached->node;
}

const JlNode *
rules_compile_cached(Jsonb *rule)
{
	return rules_compile_cached_datum(JsonbPGetDatum(rule));
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
	char		first_block[4096];
	union
	{
		int64		align;
		char		bytes[2048];
	}			data_copy;
	const JlValue *data = &jl_null_value;
	RulesCtx	ctx;
	JlEnv		env;
	const JlValue *result;
	Jsonb	   *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	node = fcinfo->flinfo != NULL ? site_compile_cached(fcinfo->flinfo, PG_GETARG_DATUM(0))
		: rules_compile_cached_datum(PG_GETARG_DATUM(0));
	jl_pg_arena_init_buffer(&a, CurrentMemoryContext, first_block, sizeof(first_block));
	if (!PG_ARGISNULL(1))
	{
		struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(1));
		Jsonb	   *jb;

		/* a small value with a 1-byte header: realign it on the stack, not in a palloc'd copy */
		if (VARATT_IS_SHORT(raw) && VARSIZE_SHORT(raw) - VARHDRSZ_SHORT + VARHDRSZ <= sizeof(data_copy.bytes))
		{
			Size		len = VARSIZE_SHORT(raw) - VARHDRSZ_SHORT;

			memcpy(data_copy.bytes + VARHDRSZ, VARDATA_SHORT(raw), len);
			SET_VARSIZE(data_copy.bytes, len + VARHDRSZ);
			jb = (Jsonb *) data_copy.bytes;
		}
		else
			jb = PG_GETARG_JSONB_P(1);
		data = jl_from_jsonb(&a, jb, false);
	}
	rules_ctx_init_session(&ctx, &a);
	jl_env_init(&env, &a, &ctx.host, JL_NOW_UNKNOWN);
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
