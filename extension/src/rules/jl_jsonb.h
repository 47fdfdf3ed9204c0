/*
 * jl_jsonb.h: the JsonLogic engine's adapter to PostgreSQL: arenas in
 * memory contexts, jsonb to JlValue and back, and the SQLSTATEs of the
 * engine's errors.
 */
#ifndef PGIOT_JL_JSONB_H
#define PGIOT_JL_JSONB_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "jsonlogic.h"

/* The arena's allocator: palloc in the context given as ctx, pfree. */
extern void *jl_pg_alloc(size_t size, void *ctx);
extern void jl_pg_release(void *ptr, void *ctx);

/* An arena whose blocks are palloc'd in cxt (and pfree'd on reset). */
static inline void
jl_pg_arena_init(JlArena *a, MemoryContext cxt)
{
	jl_arena_init(a, jl_pg_alloc, jl_pg_release, cxt);
}

/* Same, first using the caller's buffer. */
static inline void
jl_pg_arena_init_buffer(JlArena *a, MemoryContext cxt, void *buffer, size_t size)
{
	jl_arena_init_buffer(a, jl_pg_alloc, jl_pg_release, cxt, buffer, size);
}

/*
 * The value of a jsonb container.  With copy_strings false, strings point
 * into the container, which must then outlive the value.
 */
extern const JlValue *jl_from_jsonb(JlArena *a, Jsonb *jb, bool copy_strings);
extern const JlValue *jl_from_jsonb_value(JlArena *a, JsonbValue *v, bool copy_strings);

extern Jsonb *jl_to_jsonb(const JlValue *v);

/* ereport the engine's error (compile or evaluation) with its SQLSTATE. */
extern void jl_report_error(const JlError *err, const char *what) pg_attribute_noreturn();

#endif
