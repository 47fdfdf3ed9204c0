/*
 * rules_cache.h: a tenant's enabled rules, compiled, cached per backend.
 * A change to a rule table sends a relcache invalidation at commit (the
 * rules_invalidate triggers); every backend then rebuilds on next use.
 */
#ifndef PGIOT_RULES_CACHE_H
#define PGIOT_RULES_CACHE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/uuid.h"

#include "jsonlogic.h"

typedef enum FiringType
{
	FIRING_ALWAYS,
	FIRING_ONCE,
	FIRING_SLEEP
} FiringType;

typedef struct MatchingRule
{
	pg_uuid_t	id;
	const JlNode *predicate;
	bool		used;			/* some enabled firing rule listens to it */
} MatchingRule;

typedef struct FiringRule
{
	pg_uuid_t	id;
	FiringType	type;
	Interval	sleep;			/* SLEEP */
	int			nmatching;
	int		   *matching;		/* indexes into RuleSet.matching, in listed order */
	int			nkeys;
	const JlPath **keys;		/* aggregationKeys */
	const char **key_names;
} FiringRule;

typedef struct StateRule
{
	pg_uuid_t	id;
	const JlNode *filter;		/* NULL: every message */
	const JlNode *function;
	const JlPath *key_path;		/* one pointer for rules with the same path */
	const char *key_path_text;
} StateRule;

typedef struct RuleSet
{
	pg_uuid_t	tenant;
	uint64		generation;
	MemoryContext cxt;
	int			nmatching;
	MatchingRule *matching;
	int			nfiring;
	FiringRule *firing;
	int			nstate;
	StateRule  *state;
	bool		has_activity;	/* an enabled activity rule exists */
	uint32		memo_slots;		/* subexpressions shared across the rules (jl_share.c) */
} RuleSet;

/* The tenant's compiled rules (SPI must be connected). */
extern RuleSet *rules_cache_get(Datum tenant);

#endif
