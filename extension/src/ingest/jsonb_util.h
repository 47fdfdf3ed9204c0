/*
 * jsonb_util.h: small helpers for reading and building jsonb in C.
 */
#ifndef PGIOT_JSONB_UTIL_H
#define PGIOT_JSONB_UTIL_H

#include "postgres.h"

#include "utils/jsonb.h"

/* Member `key` of an object container; NULL when absent or JSON null. */
extern JsonbValue *jb_get(JsonbContainer *obj, const char *key, JsonbValue *out);

/* palloc'd NUL-terminated copy of a jbvString. */
extern char *jb_strdup(const JsonbValue *v);

/* Number as double; false when not a number. */
extern bool jb_double(const JsonbValue *v, double *out);

extern void jb_key(JsonbParseState **st, const char *key);
extern void jb_string(JsonbParseState **st, const char *s);
extern void jb_float8(JsonbParseState **st, double d);
extern void jb_null(JsonbParseState **st);
/* Push a value of any kind, containers (jbvBinary) included. */
extern void jb_value(JsonbParseState **st, JsonbValue *v);

/* Push the members of an object container, skipping the listed keys. */
extern void jb_members_except(JsonbParseState **st, JsonbContainer *obj,
							  const char *const *skip, int nskip);

/* A jsonb datum seen as a jbvBinary value (for pushing or reading). */
extern JsonbValue jb_binary_of(Jsonb *j);

/* A Jsonb datum from a value of any kind. */
extern Jsonb *jb_to_jsonb(JsonbValue *v);

#endif
