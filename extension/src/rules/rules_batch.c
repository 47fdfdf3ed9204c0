/*
 * rules_batch.c: the decisions of one batch of one tenant's messages, in
 * queue order: which matching rules match, which matches fire (ALWAYS,
 * ONCE, SLEEP against the guards), which states change.  Guards and states
 * decided for an earlier message of the batch apply to the later ones.
 *
 * The clock of a message is the time it was stored (its `created`): a
 * message evaluated late, after a restart, gives the events it would have
 * given on time.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "jl_jsonb.h"
#include "rules_batch.h"
#include "rules_eval.h"

static const Oid out_types[NOUT] = {
	[OUT_E_KIND] = TEXTOID,[OUT_E_RULE] = UUIDOID,[OUT_E_MATCHING] = UUIDOID,
	[OUT_E_KEY] = TEXTOID,[OUT_E_PREV] = JSONBOID,[OUT_E_NEW] = JSONBOID,
	[OUT_E_MESSAGE] = INT8OID,[OUT_E_DOC] = JSONBOID,[OUT_E_AT] = TIMESTAMPTZOID,[OUT_E_DEVICE] = TEXTOID,
	[OUT_G_RULE] = UUIDOID,[OUT_G_KEY] = TEXTOID,[OUT_G_CONTEXT] = JSONBOID,
	[OUT_G_CREATED] = TIMESTAMPTZOID,[OUT_G_EXPIRES] = TIMESTAMPTZOID,
	[OUT_S_RULE] = UUIDOID,[OUT_S_KEY] = TEXTOID,[OUT_S_STATE] = JSONBOID,
	[OUT_S_MESSAGE] = INT8OID,[OUT_S_AT] = TIMESTAMPTZOID,
	[OUT_A_DEVICE] = TEXTOID,[OUT_A_AT] = TIMESTAMPTZOID,
	[OUT_X_MESSAGE] = INT8OID,[OUT_X_RULE] = UUIDOID,[OUT_X_ERROR] = TEXTOID,
};

void
rules_batch_init(RulesBatch *b, RuleSet *rules, Datum tenant, MemoryContext cxt)
{
	memset(b, 0, sizeof(*b));
	b->rules = rules;
	b->tenant = tenant;
	b->cxt = cxt;
	jl_pg_arena_init(&b->arena, cxt);
	jl_pg_arena_init(&b->scratch, cxt);
	rules_ctx_init_tenant(&b->ctx, &b->arena, tenant);
	b->memo = MemoryContextAllocZero(cxt, sizeof(JlValue *) * (rules->memo_slots + 1));
	for (int i = 0; i < NOUT; i++)
		b->out[i].type = out_types[i];
}

static void
put(RulesBatch *b, OutCol col, Datum value, bool isnull)
{
	b->out[col].st = accumArrayResult(b->out[col].st, value, isnull, b->out[col].type, b->cxt);
}

Datum
rules_batch_column(RulesBatch *b, OutCol col)
{
	if (b->out[col].st == NULL)
		return PointerGetDatum(construct_empty_array(b->out[col].type));
	return makeArrayResult(b->out[col].st, b->cxt);
}

/* ------------------------------------------------------------------ */
/* (rule, key) tables													*/
/* ------------------------------------------------------------------ */

static void
table_rehash(RulesBatch *b, KeyTable *t, int nslots)
{
	t->slots = MemoryContextAllocZero(b->cxt, sizeof(int) * nslots);
	t->nslots = nslots;
	for (int i = 0; i < t->n; i++)
	{
		int			s = t->entries[i].hash & (nslots - 1);

		while (t->slots[s] != 0)
			s = (s + 1) & (nslots - 1);
		t->slots[s] = i + 1;
	}
}

static int
table_entry(RulesBatch *b, KeyTable *t, int rule, const char *key, size_t len)
{
	uint32		h = hash_bytes((const unsigned char *) key, (int) len) ^ ((uint32) rule * 0x9E3779B1u);
	int			s;
	KeyEntry   *e;

	if (t->nslots == 0 || (t->n + 1) * 2 > t->nslots)
		table_rehash(b, t, t->nslots == 0 ? 64 : t->nslots * 2);
	for (s = h & (t->nslots - 1); t->slots[s] != 0; s = (s + 1) & (t->nslots - 1))
	{
		e = &t->entries[t->slots[s] - 1];
		if (e->hash == h && e->rule == rule && e->keylen == len && memcmp(e->key, key, len) == 0)
			return t->slots[s] - 1;
	}
	if (t->n == t->cap)
	{
		int			cap = t->cap == 0 ? 64 : t->cap * 2;

		t->entries = t->entries == NULL ?
			MemoryContextAlloc(b->cxt, sizeof(KeyEntry) * cap) :
			repalloc(t->entries, sizeof(KeyEntry) * cap);
		t->cap = cap;
	}
	e = &t->entries[t->n];
	memset(e, 0, sizeof(*e));
	e->rule = rule;
	e->key = key;
	e->keylen = len;
	e->hash = h;
	t->slots[s] = ++t->n;
	return t->n - 1;
}

/* ------------------------------------------------------------------ */
/* keys																	*/
/* ------------------------------------------------------------------ */

/* A state key as text: strings as they are, other scalars as JavaScript writes them. */
static const char *
key_text(RulesBatch *b, const JlValue *v, size_t *len)
{
	if (v->type == JL_ARRAY || v->type == JL_OBJECT)
	{
		JlBuf		buf;

		jl_buf_init(&buf, &b->arena);
		jl_json_write(&buf, v);
		*len = buf.len;
		return buf.data;
	}
	return jl_to_string(&b->arena, v, len);
}

/* The firing context of a message: guard key (JSON array) and context object. */
static int
guard_entry(RulesBatch *b, int firing, const JlValue *data)
{
	FiringRule *f = &b->rules->firing[firing];
	const JlValue **values = jl_alloc(&b->arena, sizeof(JlValue *) * (f->nkeys + 1));
	JlMember   *members = jl_alloc(&b->arena, sizeof(JlMember) * (f->nkeys + 1));
	JlBuf		buf;
	int			slot;

	for (int k = 0; k < f->nkeys; k++)
	{
		const JlValue *v = jl_path_get(&b->arena, f->keys[k], data);

		values[k] = v != NULL ? v : &jl_null_value;
		members[k].key = f->key_names[k];
		members[k].keylen = strlen(f->key_names[k]);
		members[k].val = values[k];
	}
	jl_buf_init(&buf, &b->arena);
	jl_json_write(&buf, jl_array(&b->arena, values, f->nkeys));
	slot = table_entry(b, &b->guards, firing, buf.data, buf.len);
	if (b->guards.entries[slot].context == NULL)
		b->guards.entries[slot].context = jl_object(&b->arena, members, f->nkeys);
	return slot;
}

/* ------------------------------------------------------------------ */
/* evaluation															*/
/* ------------------------------------------------------------------ */

static void
failure(RulesBatch *b, const BatchMessage *m, const pg_uuid_t *rule, const JlEnv *env)
{
	put(b, OUT_X_MESSAGE, Int64GetDatum(m->id), false);
	put(b, OUT_X_RULE, UUIDPGetDatum(rule), false);
	put(b, OUT_X_ERROR, CStringGetTextDatum(env->error.message), false);
}

/* A new message: its scratch values and shared subexpressions go. */
static void
next_message(RulesBatch *b)
{
	jl_arena_reset(&b->scratch);
	memset(b->memo, 0, sizeof(JlValue *) * b->rules->memo_slots);
}

/* Evaluate; NULL (and a failure recorded) when the evaluation failed. */
static const JlValue *
evaluate(RulesBatch *b, const BatchMessage *m, const pg_uuid_t *rule, const JlNode *node,
		 const JlValue *state)
{
	JlEnv		env;
	const JlValue *v;

	jl_env_init(&env, &b->scratch, &b->ctx.host, rules_ms_of(m->created));
	env.current_state = state;
	env.memo = b->memo;
	env.memo_root = m->data;
	v = jl_eval(node, m->data, &env);
	if (env.failed)
	{
		failure(b, m, rule, &env);
		return NULL;
	}
	return v;
}

void
rules_batch_prepare(RulesBatch *b)
{
	RuleSet    *rs = b->rules;
	bool	   *matched = palloc(sizeof(bool) * (rs->nmatching + 1));

	for (int i = 0; i < b->nmsg; i++)
	{
		BatchMessage *m = &b->msgs[i];
		const JlPath *key_path = NULL;
		const char *key = NULL;
		size_t		len = 0;

		if (m->data == NULL)
			continue;			/* the message is gone (retention) */

		for (int j = 0; j < rs->nmatching; j++)
		{
			const JlValue *v = NULL;

			if (rs->matching[j].used)
				v = evaluate(b, m, &rs->matching[j].id, rs->matching[j].predicate, NULL);
			matched[j] = v != NULL && jl_truthy(v);
		}
		for (int f = 0; f < rs->nfiring; f++)
		{
			int			guard = -2;

			for (int k = 0; k < rs->firing[f].nmatching; k++)
			{
				FireCandidate *c;

				if (!matched[rs->firing[f].matching[k]])
					continue;
				if (guard == -2)
					guard = rs->firing[f].type == FIRING_ALWAYS ? -1 : guard_entry(b, f, m->data);
				if (b->nfire == b->capfire)
				{
					b->capfire = b->capfire == 0 ? 256 : b->capfire * 2;
					b->fire = b->fire == NULL ? palloc(sizeof(FireCandidate) * b->capfire) :
						repalloc(b->fire, sizeof(FireCandidate) * b->capfire);
				}
				c = &b->fire[b->nfire++];
				c->msg = i;
				c->firing = f;
				c->matching = rs->firing[f].matching[k];
				c->guard = guard;
			}
		}
		for (int s = 0; s < rs->nstate; s++)
		{
			const JlValue *v;
			StateCandidate *c;

			/* rules with one key path (the same pointer) share the key */
			if (rs->state[s].key_path != key_path)
			{
				key_path = rs->state[s].key_path;
				v = jl_path_get(&b->arena, key_path, m->data);
				key = (v == NULL || v->type == JL_NULL) ? NULL : key_text(b, v, &len);
			}
			if (key == NULL)
				continue;		/* no state key: the rule does not apply */
			if (b->nscand == b->capscand)
			{
				b->capscand = b->capscand == 0 ? 256 : b->capscand * 2;
				b->scand = b->scand == NULL ? palloc(sizeof(StateCandidate) * b->capscand) :
					repalloc(b->scand, sizeof(StateCandidate) * b->capscand);
			}
			c = &b->scand[b->nscand++];
			c->msg = i;
			c->rule = s;
			c->slot = table_entry(b, &b->states, s, key, len);
		}
		next_message(b);
	}
	pfree(matched);
}

static void
event(RulesBatch *b, const char *kind, const pg_uuid_t *rule, const pg_uuid_t *matching,
	  const KeyEntry *state, const JlValue *previous, const JlValue *next, const BatchMessage *m)
{
	put(b, OUT_E_KIND, CStringGetTextDatum(kind), false);
	put(b, OUT_E_RULE, UUIDPGetDatum(rule), false);
	put(b, OUT_E_MATCHING, matching ? UUIDPGetDatum(matching) : (Datum) 0, matching == NULL);
	put(b, OUT_E_KEY, state ? PointerGetDatum(cstring_to_text_with_len(state->key, (int) state->keylen)) : 0,
		state == NULL);
	put(b, OUT_E_PREV, previous ? JsonbPGetDatum(jl_to_jsonb(previous)) : (Datum) 0, previous == NULL);
	put(b, OUT_E_NEW, next ? JsonbPGetDatum(jl_to_jsonb(next)) : (Datum) 0, next == NULL);
	put(b, OUT_E_MESSAGE, Int64GetDatum(m->id), false);
	/* the document the rules saw, as the event's data */
	if (m->doc == (Datum) 0)
		((BatchMessage *) m)->doc = JsonbPGetDatum(jl_to_jsonb(m->data));
	put(b, OUT_E_DOC, m->doc, false);
	put(b, OUT_E_AT, TimestampTzGetDatum(m->created), false);
	put(b, OUT_E_DEVICE, m->device_id ? CStringGetTextDatum(m->device_id) : (Datum) 0, m->device_id == NULL);
	b->nevents++;
}

/* Does the firing context let this match through?  Arms the guard if so. */
static bool
gate(RulesBatch *b, const FiringRule *f, KeyEntry *g, const BatchMessage *m)
{
	/* a guard blocks until it expires (no expiry: until it is deleted) */
	if (g->exists && (!g->has_expires || g->expires > m->created))
		return false;
	g->exists = g->dirty = true;
	g->created = m->created;
	g->has_expires = f->type == FIRING_SLEEP;
	if (g->has_expires)
		g->expires = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
															 TimestampTzGetDatum(m->created),
															 IntervalPGetDatum(&f->sleep)));
	return true;
}

static void
decide_state(RulesBatch *b, const StateCandidate *c, const BatchMessage *m)
{
	StateRule  *r = &b->rules->state[c->rule];
	KeyEntry   *e = &b->states.entries[c->slot];
	const JlValue *current = e->exists ? e->state : NULL;
	const JlValue *v;

	if (r->filter != NULL)
	{
		v = evaluate(b, m, &r->id, r->filter, current);
		if (v == NULL || !jl_truthy(v))
			return;
	}
	v = evaluate(b, m, &r->id, r->function, current);
	/* decision 16: a null state sets nothing and says nothing */
	if (v == NULL || v->type == JL_NULL)
		return;
	if (current != NULL && jl_json_equal(current, v))
		return;
	event(b, "stateChange", &r->id, NULL, e, current, v, m);
	e->state = jl_copy(&b->arena, v);
	e->exists = e->dirty = true;
	e->message_id = m->id;
	e->at = m->created;
}

void
rules_batch_decide(RulesBatch *b)
{
	RuleSet    *rs = b->rules;
	int			fc = 0,
				sc = 0;

	for (int i = 0; i < b->nmsg; i++)
	{
		BatchMessage *m = &b->msgs[i];

		for (; fc < b->nfire && b->fire[fc].msg == i; fc++)
		{
			const FireCandidate *c = &b->fire[fc];
			const FiringRule *f = &rs->firing[c->firing];

			if (f->type != FIRING_ALWAYS && !gate(b, f, &b->guards.entries[c->guard], m))
				continue;
			event(b, "matchingFired", &f->id, &rs->matching[c->matching].id, NULL, NULL, NULL, m);
		}
		for (; sc < b->nscand && b->scand[sc].msg == i; sc++)
			decide_state(b, &b->scand[sc], m);
		next_message(b);
		if (rs->has_activity && m->device_id != NULL && m->data != NULL)
		{
			put(b, OUT_A_DEVICE, CStringGetTextDatum(m->device_id), false);
			put(b, OUT_A_AT, TimestampTzGetDatum(m->created), false);
		}
	}

	for (int i = 0; i < b->guards.n; i++)
	{
		KeyEntry   *g = &b->guards.entries[i];

		if (!g->dirty)
			continue;
		put(b, OUT_G_RULE, UUIDPGetDatum(&rs->firing[g->rule].id), false);
		put(b, OUT_G_KEY, PointerGetDatum(cstring_to_text_with_len(g->key, (int) g->keylen)), false);
		put(b, OUT_G_CONTEXT, JsonbPGetDatum(jl_to_jsonb(g->context)), false);
		put(b, OUT_G_CREATED, TimestampTzGetDatum(g->created), false);
		put(b, OUT_G_EXPIRES, TimestampTzGetDatum(g->expires), !g->has_expires);
	}
	for (int i = 0; i < b->states.n; i++)
	{
		KeyEntry   *s = &b->states.entries[i];

		if (!s->dirty)
			continue;
		put(b, OUT_S_RULE, UUIDPGetDatum(&rs->state[s->rule].id), false);
		put(b, OUT_S_KEY, PointerGetDatum(cstring_to_text_with_len(s->key, (int) s->keylen)), false);
		put(b, OUT_S_STATE, JsonbPGetDatum(jl_to_jsonb(s->state)), false);
		put(b, OUT_S_MESSAGE, Int64GetDatum(s->message_id), false);
		put(b, OUT_S_AT, TimestampTzGetDatum(s->at), false);
	}
}
