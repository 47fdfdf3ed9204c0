/*
 * rules_cache.c: per-backend cache of each tenant's compiled rules, and
 * its transactional invalidation.
 *
 * The statement triggers rules_invalidate on the rule tables queue a
 * relcache invalidation of the table; PostgreSQL delivers it to every
 * backend when the transaction commits (and to this backend at its next
 * command), never when it aborts.  The callback only bumps a generation
 * number; a stale RuleSet is rebuilt the next time it is asked for, which
 * is always at the start of a batch, never while one is in use.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "jl_jsonb.h"
#include "rules_cache.h"

typedef struct CacheEntry
{
	pg_uuid_t	tenant;
	RuleSet    *set;
} CacheEntry;

#define NRULE_TABLES 4
static const char *const rule_tables[NRULE_TABLES] = {
	"matching_rule", "firing_rule", "state_rule", "activity_rule"
};

/* Backend cache state (allowed: the issue asks for it, with invalidation). */
static HTAB *rule_cache = NULL;
static uint64 rule_generation = 1;
static Oid	rule_relids[NRULE_TABLES];
static bool callback_registered = false;

static void
invalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid)
	{
		rule_generation++;
		return;
	}
	for (int i = 0; i < NRULE_TABLES; i++)
		if (rule_relids[i] == relid)
		{
			rule_generation++;
			return;
		}
}

static void
resolve_relids(void)
{
	Oid			nsp = get_namespace_oid("iot", false);

	for (int i = 0; i < NRULE_TABLES; i++)
		rule_relids[i] = get_relname_relid(rule_tables[i], nsp);
}

/* Trigger: a rule table changed. */
PG_FUNCTION_INFO_V1(pgiot_rules_invalidate);
Datum
pgiot_rules_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "iot._rules_invalidate() is a trigger");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}

static const JlNode *
compile_stored(JlArena *a, Datum rule, const pg_uuid_t *id, const char *what)
{
	JlError		err;
	const JlNode *node = jl_compile(a, jl_from_jsonb(a, DatumGetJsonbP(rule), true), &err);

	if (node == NULL)
		ereport(WARNING,
				(errmsg("pgiot: %s %s does not compile and is skipped: %s",
						what, DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(id))),
						err.message)));
	return node;
}

static int
matching_index(RuleSet *s, const pg_uuid_t *id)
{
	for (int i = 0; i < s->nmatching; i++)
		if (memcmp(&s->matching[i].id, id, UUID_LEN) == 0)
			return i;
	return -1;
}

static void
run(const char *sql, Datum tenant)
{
	Oid			type = UUIDOID;
	int			rc = SPI_execute_with_args(sql, 1, &type, &tenant, NULL, false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "loading rules failed: %s", SPI_result_code_string(rc));
}

static void
load_matching(RuleSet *s, JlArena *a, Datum tenant)
{
	run("SELECT id, data_predicate FROM iot.matching_rule WHERE tenant_id = $1 AND enabled "
		"ORDER BY created, id", tenant);
	s->matching = MemoryContextAllocZero(s->cxt, sizeof(MatchingRule) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		MatchingRule *m = &s->matching[s->nmatching];

		memcpy(&m->id, DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull)), UUID_LEN);
		m->predicate = compile_stored(a, SPI_getbinval(tup, desc, 2, &isnull), &m->id, "matching rule");
		if (m->predicate != NULL)
			s->nmatching++;
	}
}

static void
load_firing(RuleSet *s, JlArena *a, Datum tenant)
{
	run("SELECT id, matching_rule_ids, aggregation_keys, firing_type, sleep_interval "
		"FROM iot.firing_rule WHERE tenant_id = $1 AND enabled ORDER BY created, id", tenant);
	s->firing = MemoryContextAllocZero(s->cxt, sizeof(FiringRule) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		FiringRule *f = &s->firing[s->nfiring];
		Datum	   *ids,
				   *keys;
		int			nids,
					nkeys;
		char	   *type;

		memcpy(&f->id, DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull)), UUID_LEN);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 2, &isnull)), UUIDOID, UUID_LEN,
						  false, TYPALIGN_CHAR, &ids, NULL, &nids);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 3, &isnull)), TEXTOID, -1,
						  false, TYPALIGN_INT, &keys, NULL, &nkeys);
		type = TextDatumGetCString(SPI_getbinval(tup, desc, 4, &isnull));
		f->type = strcmp(type, "ONCE") == 0 ? FIRING_ONCE :
			strcmp(type, "SLEEP") == 0 ? FIRING_SLEEP : FIRING_ALWAYS;
		if (f->type == FIRING_SLEEP)
			memcpy(&f->sleep, DatumGetIntervalP(SPI_getbinval(tup, desc, 5, &isnull)), sizeof(Interval));
		f->matching = MemoryContextAlloc(s->cxt, sizeof(int) * (nids + 1));
		for (int k = 0; k < nids; k++)
		{
			int			m = matching_index(s, DatumGetUUIDP(ids[k]));

			/* disabled or unknown matching rules never match */
			if (m >= 0)
			{
				f->matching[f->nmatching++] = m;
				s->matching[m].used = true;
			}
		}
		f->keys = MemoryContextAlloc(s->cxt, sizeof(JlPath *) * (nkeys + 1));
		f->key_names = MemoryContextAlloc(s->cxt, sizeof(char *) * (nkeys + 1));
		for (int k = 0; k < nkeys; k++)
		{
			char	   *name = MemoryContextStrdup(s->cxt, TextDatumGetCString(keys[k]));

			f->key_names[k] = name;
			f->keys[k] = jl_path_compile(a, name, strlen(name));
		}
		f->nkeys = nkeys;
		s->nfiring++;
	}
}

static void
load_state(RuleSet *s, JlArena *a, Datum tenant)
{
	run("SELECT id, state_key_path, state_function, filter_predicate FROM iot.state_rule "
		"WHERE tenant_id = $1 AND enabled ORDER BY created, id", tenant);
	s->state = MemoryContextAllocZero(s->cxt, sizeof(StateRule) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		StateRule  *r = &s->state[s->nstate];
		char	   *path;
		Datum		filter;

		memcpy(&r->id, DatumGetUUIDP(SPI_getbinval(tup, desc, 1, &isnull)), UUID_LEN);
		path = MemoryContextStrdup(s->cxt, TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull)));
		r->key_path_text = path;
		r->key_path = NULL;
		for (int j = 0; j < s->nstate && r->key_path == NULL; j++)
			if (strcmp(s->state[j].key_path_text, path) == 0)
				r->key_path = s->state[j].key_path;	/* its key is computed once per message */
		if (r->key_path == NULL)
			r->key_path = jl_path_compile(a, path, strlen(path));
		r->function = compile_stored(a, SPI_getbinval(tup, desc, 3, &isnull), &r->id, "state rule");
		filter = SPI_getbinval(tup, desc, 4, &isnull);
		r->filter = isnull ? NULL : compile_stored(a, filter, &r->id, "state rule filter");
		if (r->function != NULL && (isnull || r->filter != NULL))
			s->nstate++;
	}
}

/* Memo slots for the subexpressions the predicates and state functions share. */
static void
share(RuleSet *s, JlArena *a)
{
	const JlNode **roots = palloc(sizeof(JlNode *) * (s->nmatching + 2 * s->nstate + 1));
	size_t		n = 0;

	for (int i = 0; i < s->nmatching; i++)
		roots[n++] = s->matching[i].predicate;
	for (int i = 0; i < s->nstate; i++)
	{
		roots[n++] = s->state[i].function;
		if (s->state[i].filter != NULL)
			roots[n++] = s->state[i].filter;
	}
	s->memo_slots = jl_share_subexpressions(a, roots, n);
	pfree(roots);
}

static RuleSet *
build(Datum tenant)
{
	MemoryContext cxt = AllocSetContextCreate(CacheMemoryContext, "pgiot tenant rules",
											  ALLOCSET_SMALL_SIZES);
	RuleSet    *s = MemoryContextAllocZero(cxt, sizeof(RuleSet));
	JlArena		a;

	s->cxt = cxt;
	s->generation = rule_generation;
	memcpy(&s->tenant, DatumGetUUIDP(tenant), UUID_LEN);
	jl_pg_arena_init(&a, cxt);
	PG_TRY();
	{
		load_matching(s, &a, tenant);
		load_firing(s, &a, tenant);
		load_state(s, &a, tenant);
		run("SELECT EXISTS (SELECT FROM iot.activity_rule WHERE tenant_id = $1 AND enabled)", tenant);
		{
			bool		isnull;

			s->has_activity = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
														 1, &isnull));
		}
		share(s, &a);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return s;
}

RuleSet *
rules_cache_get(Datum tenant)
{
	CacheEntry *e;
	bool		found;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(invalidate, (Datum) 0);
		callback_registered = true;
	}
	if (rule_cache == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = UUID_LEN;
		ctl.entrysize = sizeof(CacheEntry);
		ctl.hcxt = CacheMemoryContext;
		rule_cache = hash_create("pgiot rule cache", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	/* see this transaction's own rule changes, and others' committed ones */
	AcceptInvalidationMessages();
	e = hash_search(rule_cache, DatumGetUUIDP(tenant), HASH_ENTER, &found);
	if (!found)
		e->set = NULL;
	if (e->set != NULL && e->set->generation != rule_generation)
	{
		MemoryContextDelete(e->set->cxt);
		e->set = NULL;
	}
	if (e->set == NULL)
	{
		uint64		generation = rule_generation;

		resolve_relids();
		e->set = build(tenant);
		/* an invalidation that arrived while loading makes the next call reload */
		e->set->generation = generation;
	}
	return e->set;
}
