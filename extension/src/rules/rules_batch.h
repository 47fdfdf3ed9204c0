/*
 * rules_batch.h: one batch of one tenant's queued messages, evaluated in
 * memory.  rules_process.c reads the batch and the guards and states it
 * needs, and writes what the batch decided; rules_batch.c decides.
 */
#ifndef PGIOT_RULES_BATCH_H
#define PGIOT_RULES_BATCH_H

#include "postgres.h"

#include "utils/array.h"

#include "jsonlogic.h"
#include "rules_cache.h"
#include "rules_ctx.h"

typedef struct BatchMessage
{
	uint64		txid;			/* the ingesting transaction (queue key) */
	int64		first_id;		/* its queue row: (txid, first_id) */
	int64		id;
	TimestampTz created;		/* the rules clock for this message */
	char	   *device_id;		/* NULL when none */
	const JlValue *data;		/* the data message, NULL when it is gone */
	Datum		doc;			/* data as jsonb, made for the first event (or 0) */
} BatchMessage;

/* A (rule, key) pair: a firing guard or a state. */
typedef struct KeyEntry
{
	int			rule;			/* index into the RuleSet's firing or state rules */
	const char *key;
	size_t		keylen;
	uint32		hash;
	bool		exists;			/* a guard or state is known (stored or decided) */
	bool		dirty;			/* decided in this batch: to be written */
	/* guards */
	const JlValue *context;		/* {"<aggregation key>": value, ...} */
	TimestampTz created;
	TimestampTz expires;
	bool		has_expires;
	/* states */
	const JlValue *state;
	int64		message_id;
	TimestampTz at;
} KeyEntry;

typedef struct KeyTable
{
	KeyEntry   *entries;
	int			n;
	int			cap;
	int		   *slots;			/* open addressing: entry index + 1, 0 free */
	int			nslots;
} KeyTable;

/* A match to run through a firing rule. */
typedef struct FireCandidate
{
	int			msg;
	int			firing;
	int			matching;
	int			guard;			/* KeyTable index, -1 for ALWAYS */
} FireCandidate;

/* A state rule to run on a message (its key is known). */
typedef struct StateCandidate
{
	int			msg;
	int			rule;
	int			slot;			/* KeyTable index */
} StateCandidate;

/* One output array (one argument of iot._rules_commit). */
typedef struct OutColumn
{
	ArrayBuildState *st;
	Oid			type;
} OutColumn;

typedef enum OutCol
{
	/* events */
	OUT_E_KIND, OUT_E_RULE, OUT_E_MATCHING, OUT_E_KEY, OUT_E_PREV, OUT_E_NEW, OUT_E_MESSAGE, OUT_E_DOC, OUT_E_AT,
	OUT_E_DEVICE,
	/* guards */
	OUT_G_RULE, OUT_G_KEY, OUT_G_CONTEXT, OUT_G_CREATED, OUT_G_EXPIRES,
	/* states */
	OUT_S_RULE, OUT_S_KEY, OUT_S_STATE, OUT_S_MESSAGE, OUT_S_AT,
	/* activity */
	OUT_A_DEVICE, OUT_A_AT,
	/* evaluation failures */
	OUT_X_MESSAGE, OUT_X_RULE, OUT_X_ERROR,
	NOUT
} OutCol;

typedef struct RulesBatch
{
	RuleSet    *rules;
	Datum		tenant;
	uint64		scan_from;		/* the read starts at this txid ... */
	uint64		next_scan_from; /* ... and the next one at this */
	MemoryContext cxt;			/* the batch's allocations */
	JlArena		arena;			/* values that live for the batch */
	JlArena		scratch;		/* one message's evaluations */
	const JlValue **memo;		/* one message's shared subexpressions (rules->memo_slots) */
	RulesCtx	ctx;			/* contexts, memoized for the batch */
	int			nmsg;
	BatchMessage *msgs;
	KeyTable	guards;
	KeyTable	states;
	FireCandidate *fire;
	int			nfire;
	int			capfire;
	StateCandidate *scand;
	int			nscand;
	int			capscand;
	OutColumn	out[NOUT];
	int			nevents;
} RulesBatch;

extern void rules_batch_init(RulesBatch *b, RuleSet *rules, Datum tenant, MemoryContext cxt);

/* Phase 1: data, matching rules, firing candidates, guard and state keys. */
extern void rules_batch_prepare(RulesBatch *b);

/* Phase 2 (guards and states loaded): fire, compute states, fill out[]. */
extern void rules_batch_decide(RulesBatch *b);

/* The array of an output column (empty when nothing was added). */
extern Datum rules_batch_column(RulesBatch *b, OutCol col);

#endif
