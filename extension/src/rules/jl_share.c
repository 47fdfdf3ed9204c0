/*
 * jl_share.c: subexpressions common to the rules of a rule set, evaluated
 * once per message.
 *
 * A tenant's rules read the same few fields and often repeat whole
 * subexpressions ({"var": "value.temp"}, a distance to the same point, a
 * model test).  After a rule set is compiled, every subexpression that
 * occurs at least twice across its rules (structurally equal: same
 * operators, literals and paths) gets one slot of a memo; the evaluator
 * keeps the value of a slotted node for the rest of the message when it
 * evaluates it against the message itself (env->memo_root), so each
 * shared subexpression is computed once per message.
 *
 * Only pure subexpressions are slotted: their value depends on the data
 * they are evaluated against and on what is constant for a message (the
 * clock, the contexts), never on a rule's current state.  Inside map,
 * filter, reduce, all, some and none the data is an element, not the
 * message: the evaluator's root check leaves those evaluations alone.
 * Pure C.
 */
#include "jl_internal.h"

#include <string.h>

typedef struct ShareClass
{
	uint64_t	hash;
	const JlNode *node;			/* the first node of the class */
	uint32_t	count;			/* occurrences across the roots */
	uint32_t	slot;			/* 1 + memo slot; 0: none yet */
} ShareClass;

typedef struct Share
{
	ShareClass *classes;
	uint32_t	cap;			/* a power of two */
	uint32_t	n;
	uint32_t	nslots;
} Share;

static uint64_t
bytes_hash(uint64_t h, const char *s, size_t len)
{
	h = jl_hash_mix(h, len);
	for (size_t i = 0; i < len; i++)
		h = jl_hash_mix(h, (unsigned char) s[i]);
	return h;
}

static uint64_t
value_hash(const JlValue *v)
{
	uint64_t	h = jl_hash_mix(0x51ED270B27ULL, (uint64_t) v->type);

	switch (v->type)
	{
		case JL_BOOL:
			return jl_hash_mix(h, v->u.b ? 1 : 2);
		case JL_NUMBER:
			{
				double		d = v->u.num == 0 ? 0 : v->u.num;	/* -0 equals 0 */
				uint64_t	bits;

				memcpy(&bits, &d, sizeof(bits));
				return jl_hash_mix(h, bits);
			}
		case JL_STRING:
			return bytes_hash(h, v->u.str.ptr, v->u.str.len);
		case JL_ARRAY:
			for (size_t i = 0; i < v->u.arr.n; i++)
				h = jl_hash_mix(h, value_hash(v->u.arr.items[i]));
			return h;
		default:
			return h;			/* null; objects: equality decides */
	}
}

static uint64_t
node_hash(const JlNode *n)
{
	uint64_t	h = jl_hash_mix(jl_hash_mix(0x9E3779B97F4A7C15ULL, (uint64_t) n->op), n->nargs);

	for (uint32_t i = 0; i < n->nargs; i++)
		h = jl_hash_mix(h, node_hash(n->args[i]));
	if (n->value != NULL)
		h = jl_hash_mix(h, value_hash(n->value));
	if (n->path != NULL)
		for (size_t i = 0; i < n->path->n; i++)
			h = bytes_hash(h, n->path->segs[i].s, n->path->segs[i].len);
	return h;
}

static bool
path_equal(const JlPath *x, const JlPath *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (x->segs[i].len != y->segs[i].len || memcmp(x->segs[i].s, y->segs[i].s, x->segs[i].len) != 0)
			return false;
	return true;
}

static bool
node_equal(const JlNode *x, const JlNode *y)
{
	if (x == y)
		return true;
	if (x->op != y->op || x->nargs != y->nargs || !path_equal(x->path, y->path))
		return false;
	if ((x->value == NULL) != (y->value == NULL) ||
		(x->value != NULL && !jl_json_equal(x->value, y->value)))
		return false;
	for (uint32_t i = 0; i < x->nargs; i++)
		if (!node_equal(x->args[i], y->args[i]))
			return false;
	return true;
}

/* Free of currentstate (the one input that varies between a message's rules). */
static bool
node_pure(const JlNode *n)
{
	if (n->op == JOP_CURRENTSTATE)
		return false;
	for (uint32_t i = 0; i < n->nargs; i++)
		if (!node_pure(n->args[i]))
			return false;
	return true;
}

static ShareClass *
class_of(Share *s, JlArena *a, const JlNode *n)
{
	uint64_t	h = node_hash(n);
	uint32_t	i;

	if ((s->n + 1) * 2 > s->cap)
	{
		ShareClass *old = s->classes;
		uint32_t	oldcap = s->cap;

		s->cap = s->cap == 0 ? 64 : s->cap * 2;
		s->classes = jl_alloc(a, sizeof(ShareClass) * s->cap);
		memset(s->classes, 0, sizeof(ShareClass) * s->cap);
		for (uint32_t k = 0; k < oldcap; k++)
			if (old[k].node != NULL)
			{
				for (i = (uint32_t) old[k].hash & (s->cap - 1); s->classes[i].node != NULL; i = (i + 1) & (s->cap - 1))
					;
				s->classes[i] = old[k];
			}
	}
	for (i = (uint32_t) h & (s->cap - 1); s->classes[i].node != NULL; i = (i + 1) & (s->cap - 1))
		if (s->classes[i].hash == h && node_equal(s->classes[i].node, n))
			return &s->classes[i];
	s->classes[i].hash = h;
	s->classes[i].node = n;
	s->n++;
	return &s->classes[i];
}

static void
visit(Share *s, JlArena *a, const JlNode *n, bool assign)
{
	if (n == NULL)
		return;
	if (n->op != JOP_CONST && node_pure(n))
	{
		ShareClass *c = class_of(s, a, n);

		if (!assign)
			c->count++;
		else if (c->count >= 2)
		{
			if (c->slot == 0)
				c->slot = ++s->nslots;
			((JlNode *) n)->memo = c->slot;
		}
	}
	for (uint32_t i = 0; i < n->nargs; i++)
		visit(s, a, n->args[i], assign);
}

uint32_t
jl_share_subexpressions(JlArena *a, const JlNode *const *roots, size_t nroots)
{
	Share		s;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < nroots; i++)
		visit(&s, a, roots[i], false);
	for (size_t i = 0; i < nroots; i++)
		visit(&s, a, roots[i], true);
	return s.nslots;
}
