/*
 * json_dom.h: a JSON document tree in pure C (no PostgreSQL headers), for
 * the Mustache renderer's context and the templates' output.  Every node
 * and string lives in one arena, freed at once.
 */
#ifndef PGIOT_JSON_DOM_H
#define PGIOT_JSON_DOM_H

#include <stdbool.h>
#include <stddef.h>

#include "decode/json_out.h"

typedef struct JArena JArena;

typedef enum JType
{
	J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT
} JType;

typedef struct JValue JValue;
typedef struct JMember JMember;

struct JValue
{
	JType		type;
	size_t		len;			/* string/number text length, or element count */
	union
	{
		const char *text;		/* J_STRING (unescaped UTF-8), J_NUMBER (JSON text) */
		JValue	   *items;		/* J_ARRAY */
		JMember    *members;	/* J_OBJECT, in document order */
	}			u;
};

struct JMember
{
	const char *key;
	size_t		key_len;
	JValue		value;
};

extern JArena *jarena_create(void);
extern void jarena_free(JArena *a);
/* NULL when out of memory (the arena remembers it: jarena_failed). */
extern void *jarena_alloc(JArena *a, size_t size);
extern bool jarena_failed(const JArena *a);
extern char *jarena_strdup(JArena *a, const char *s, size_t len);

typedef struct JParseError
{
	int			position;		/* 1-based character of the fault */
	char		message[200];
} JParseError;

/*
 * Parse JSON text.  With `arithmetic`, a value may also be a bare
 * arithmetic expression over numbers ({"t": 2587/100}), evaluated to a
 * number (the templates' output).  NULL and *err on failure.
 */
extern JValue *json_parse(JArena *a, const char *text, size_t len, bool arithmetic,
						  JParseError *err);

/* Member of an object (exact key), or NULL. */
extern JValue *json_get(const JValue *obj, const char *key, size_t len);
/* The same, ignoring ASCII case when no key matches exactly. */
extern JValue *json_get_ci(const JValue *obj, const char *key, size_t len);

/* Write a value as JSON text. */
extern void json_write(JsonOut *o, const JValue *v);

/* A number node from a double (shortest text; integral values without
 * fraction). */
extern bool json_number_from_double(JArena *a, JValue *out, double d);

#endif
