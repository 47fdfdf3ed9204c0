/*
 * jsonlogic.h: the JsonLogic engine of the rules area, pure C (no
 * PostgreSQL header) so that a libFuzzer target links it alone.
 *
 * A rule is parsed into a JlValue tree (from JSON text or, in the server,
 * from jsonb), compiled once into a JlNode tree, then evaluated against
 * data values as often as needed.  Everything is allocated in a JlArena
 * supplied by the caller; nothing is freed piecemeal.
 *
 * Semantics are those of json-logic-js (JavaScript truthiness, loose and
 * strict equality, ToNumber/ToString conversions), plus the operators of
 * Live Objects (geo, ctx, get, currentstate, time) and the decisions of
 * the specification (see docs/sql/rules.md).
 */
#ifndef PGIOT_JSONLOGIC_H
#define PGIOT_JSONLOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Values																*/
/* ------------------------------------------------------------------ */

typedef enum JlType
{
	JL_NULL,
	JL_BOOL,
	JL_NUMBER,
	JL_STRING,
	JL_ARRAY,
	JL_OBJECT
} JlType;

typedef struct JlValue JlValue;

typedef struct JlMember
{
	const char *key;
	size_t		keylen;
	const JlValue *val;
} JlMember;

/* Strings are UTF-8, not NUL-terminated, and may point into foreign memory. */
struct JlValue
{
	JlType		type;
	union
	{
		bool		b;
		double		num;
		struct
		{
			const char *ptr;
			size_t		len;
		}			str;
		struct
		{
			const JlValue **items;
			size_t		n;
		}			arr;
		struct
		{
			const JlMember *members;
			size_t		n;
		}			obj;
	}			u;
};

extern const JlValue jl_null_value;
extern const JlValue jl_true_value;
extern const JlValue jl_false_value;

/* One step of a 64-bit hash: w folded into h (hash tables and caches of rules). */
static inline uint64_t
jl_hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
	return h ^ (h >> 31);
}

/* ------------------------------------------------------------------ */
/* Arena: blocks from a caller's allocator, released all at once.		*/
/* The allocator never returns NULL (it aborts or longjmps instead).	*/
/* ------------------------------------------------------------------ */

typedef void *(*JlAllocFn) (size_t size, void *ctx);
typedef void (*JlFreeFn) (void *ptr, void *ctx);

typedef struct JlArenaBlock JlArenaBlock;

typedef struct JlArena
{
	JlAllocFn	alloc;
	JlFreeFn	release;		/* NULL: the allocator frees in bulk itself */
	void	   *ctx;
	JlArenaBlock *blocks;
	char	   *cur;
	size_t		left;
	size_t		used;			/* bytes handed out since the last reset */
	char	   *buffer;			/* caller's first block, or NULL */
	size_t		buffer_size;
} JlArena;

static inline void
jl_arena_init(JlArena *a, JlAllocFn alloc, JlFreeFn release, void *ctx)
{
	a->alloc = alloc;
	a->release = release;
	a->ctx = ctx;
	a->blocks = NULL;
	a->cur = NULL;
	a->left = 0;
	a->used = 0;
	a->buffer = NULL;
	a->buffer_size = 0;
}

/* Same, with a first block of the caller's (e.g. on its stack). */
static inline void
jl_arena_init_buffer(JlArena *a, JlAllocFn alloc, JlFreeFn release, void *ctx,
					 void *buffer, size_t size)
{
	size_t		skip = (size_t) (-(uintptr_t) buffer & 15);

	jl_arena_init(a, alloc, release, ctx);
	if (size > skip + 64)
	{
		a->buffer = (char *) buffer + skip;
		a->buffer_size = (size - skip) & ~(size_t) 15;
		a->cur = a->buffer;
		a->left = a->buffer_size;
	}
}

/* The blocks given back to the allocator (jl_arena_reset's slow part). */
extern void jl_arena_release_blocks(JlArena *a);

/* Everything allocated is gone; the caller's first block is kept. */
static inline void
jl_arena_reset(JlArena *a)
{
	if (a->blocks != NULL)
		jl_arena_release_blocks(a);
	a->cur = a->buffer;
	a->left = a->buffer_size;
	a->used = 0;
}

/* Allocation sizes are rounded to 16 bytes (max alignment). */
#define JL_ARENA_ALIGN(n) (((n) + 15) & ~(size_t) 15)

/* A new block (or a block of its own for a large request). */
extern void *jl_alloc_block(JlArena *a, size_t size);

/* size bytes, 16-byte aligned, from the current block when they fit. */
static inline void *
jl_alloc(JlArena *a, size_t size)
{
	void	   *p;

	size = JL_ARENA_ALIGN(size == 0 ? 1 : size);
	if (size > a->left)
		return jl_alloc_block(a, size);
	p = a->cur;
	a->cur += size;
	a->left -= size;
	a->used += size;
	return p;
}

/* Constructors (results live in the arena). */
extern const JlValue *jl_bool(bool b);
static inline const JlValue *
jl_number(JlArena *a, double d)
{
	JlValue    *v = (JlValue *) jl_alloc(a, sizeof(JlValue));

	v->type = JL_NUMBER;
	v->u.num = d;
	return v;
}
extern const JlValue *jl_string_copy(JlArena *a, const char *ptr, size_t len);

/* A string; its bytes are copied into the arena (NUL-terminated) when copy. */
static inline const JlValue *
jl_string(JlArena *a, const char *ptr, size_t len, bool copy)
{
	JlValue    *v;

	if (copy)
		return jl_string_copy(a, ptr, len);
	v = (JlValue *) jl_alloc(a, sizeof(JlValue));
	v->type = JL_STRING;
	v->u.str.ptr = ptr;
	v->u.str.len = len;
	return v;
}

static inline const JlValue *
jl_array(JlArena *a, const JlValue **items, size_t n)
{
	JlValue    *v = (JlValue *) jl_alloc(a, sizeof(JlValue));

	v->type = JL_ARRAY;
	v->u.arr.items = items;
	v->u.arr.n = n;
	return v;
}

static inline const JlValue *
jl_object(JlArena *a, const JlMember *members, size_t n)
{
	JlValue    *v = (JlValue *) jl_alloc(a, sizeof(JlValue));

	v->type = JL_OBJECT;
	v->u.obj.members = members;
	v->u.obj.n = n;
	return v;
}

/* Member of an object (the last one wins on duplicates); NULL if absent. */
extern const JlValue *jl_member(const JlValue *obj, const char *key, size_t keylen);

/* Deep copy into another arena (strings copied too). */
extern const JlValue *jl_copy(JlArena *a, const JlValue *v);

/* ------------------------------------------------------------------ */
/* JavaScript semantics													*/
/* ------------------------------------------------------------------ */

extern bool jl_truthy(const JlValue *v);
extern double jl_to_number(const JlValue *v);	/* ToNumber */
extern double jl_parse_float(JlArena *a, const JlValue *v); /* parseFloat(String(v)) */
/* ToString; *len set; result NUL-terminated in the arena (or static). */
extern const char *jl_to_string(JlArena *a, const JlValue *v, size_t *len);
extern bool jl_loose_equal(JlArena *a, const JlValue *x, const JlValue *y);
extern bool jl_strict_equal(const JlValue *x, const JlValue *y);
/* Abstract relational comparison; *undefined set when NaN is involved. */
extern int	jl_compare(JlArena *a, const JlValue *x, const JlValue *y, bool *undefined);
/* Same JSON value (numbers by value, objects by their member sets). */
extern bool jl_json_equal(const JlValue *x, const JlValue *y);

/* Number::toString; buf holds at least JL_NUMBER_BUFLEN bytes. */
#define JL_NUMBER_BUFLEN 32
extern size_t jl_format_number(double d, char *buf);
/* StringToNumber of len bytes (NaN when not a numeric literal). */
extern double jl_string_to_number(const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* JSON text															*/
/* ------------------------------------------------------------------ */

typedef enum JlErrorCode
{
	JL_OK = 0,
	JL_ERR_JSON,				/* malformed JSON text */
	JL_ERR_RULE,				/* not a valid rule (unknown operator, ...) */
	JL_ERR_DEPTH,				/* nested too deeply */
	JL_ERR_TOO_COMPLEX			/* evaluation exceeded its step budget */
} JlErrorCode;

#define JL_ERROR_LEN 256
#define JL_MAX_DEPTH 256

typedef struct JlError
{
	JlErrorCode code;
	int			position;		/* 1-based byte position in JSON text, or 0 */
	char		message[JL_ERROR_LEN];
	char		where[JL_ERROR_LEN];	/* rule path of the fault, e.g. /and/1/> */
} JlError;

/* Parse JSON text (RFC 8259; depth limited to JL_MAX_DEPTH). */
extern const JlValue *jl_json_parse(JlArena *a, const char *text, size_t len, JlError *err);

/* Growable output buffer in an arena. */
typedef struct JlBuf
{
	JlArena    *arena;
	char	   *data;
	size_t		len;
	size_t		cap;
} JlBuf;

extern void jl_buf_init(JlBuf *b, JlArena *a);
extern void jl_buf_append(JlBuf *b, const char *s, size_t n);
extern void jl_buf_char(JlBuf *b, char c);
/* Compact JSON of v (NaN and infinities as null, like JSON.stringify). */
extern void jl_json_write(JlBuf *b, const JlValue *v);

/* ------------------------------------------------------------------ */
/* Rules																*/
/* ------------------------------------------------------------------ */

typedef struct JlNode JlNode;

/* Compile a rule; NULL on error (err filled, with the rule path). */
extern const JlNode *jl_compile(JlArena *a, const JlValue *rule, JlError *err);

/*
 * Give every pure subexpression occurring at least twice across the roots
 * a memo slot; returns the number of slots (the size of JlEnv.memo).
 */
extern uint32_t jl_share_subexpressions(JlArena *a, const JlNode *const *roots, size_t nroots);

/* A compiled dotted path (var, aggregationKeys, stateKeyPath). */
typedef struct JlPath JlPath;
extern const JlPath *jl_path_compile(JlArena *a, const char *path, size_t len);
/*
 * Value at the path with JavaScript's property access (objects, array
 * indexes, "length" and indexes of strings and arrays); NULL when absent
 * (JSON null is returned as such).
 */
extern const JlValue *jl_path_get(JlArena *a, const JlPath *path, const JlValue *data);

/* What the evaluator asks its host for. */
typedef struct JlHost
{
	void	   *arg;
	/* The context (or geozone) value of a key, NULL when unknown. */
	const JlValue *(*ctx_lookup) (void *arg, const char *key, size_t keylen, JlArena *a);
	/* The clock, asked for when env->now_ms is JL_NOW_UNKNOWN; may be NULL. */
	int64_t		(*now_ms) (void *arg);
} JlHost;

#define JL_NOW_UNKNOWN INT64_MIN

typedef struct JlEnv
{
	const JlHost *host;			/* NULL: ctx always yields null */
	const JlValue *current_state;	/* currentstate; NULL means null */
	int64_t		now_ms;			/* now_utc, ms since the Unix epoch (or JL_NOW_UNKNOWN) */
	JlArena    *arena;			/* results and temporaries */
	uint64_t	max_steps;		/* 0: JL_DEFAULT_MAX_STEPS */
	/*
	 * Shared subexpressions (jl_share_subexpressions): the values of slotted
	 * nodes evaluated against memo_root, kept by the caller for one data
	 * value (all slots NULL when it changes).  NULL: no memo.
	 */
	const JlValue **memo;
	const JlValue *memo_root;
	/* out */
	uint64_t	steps;
	bool		failed;
	JlError		error;
} JlEnv;

#define JL_DEFAULT_MAX_STEPS 10000000

extern void jl_env_init(JlEnv *env, JlArena *a, const JlHost *host, int64_t now_ms);

/* Evaluate; never NULL.  env->failed tells whether the result is usable. */
extern const JlValue *jl_eval(const JlNode *rule, const JlValue *data, JlEnv *env);

#endif
