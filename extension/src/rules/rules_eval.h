/*
 * rules_eval.h: compiling rules for the server (jsonlogic_sql.c) and the
 * time base the engine uses.
 */
#ifndef PGIOT_RULES_EVAL_H
#define PGIOT_RULES_EVAL_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "jsonlogic.h"

/* Milliseconds since the Unix epoch (floor) of a timestamptz. */
extern int64 rules_ms_of(TimestampTz ts);

/*
 * Compile a rule in a new context under parent (returned in *cxt); on an
 * invalid rule, error PI601 prefixed by `what`.
 */
extern const JlNode *rules_compile(Jsonb *rule, MemoryContext parent, MemoryContext *cxt,
								   const char *what);

/* Compile through the backend's content-addressed cache. */
extern const JlNode *rules_compile_cached(Jsonb *rule);
extern const JlNode *rules_compile_cached_datum(Datum rule);

#endif
