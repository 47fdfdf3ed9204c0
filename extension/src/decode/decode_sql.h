/*
 * decode_sql.h: what the SQL wrappers of the decoders share.
 */
#ifndef PGIOT_DECODE_SQL_H
#define PGIOT_DECODE_SQL_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "decode/jbbp.h"

/* Raise the SQL error of a JBBP failure (never returns). */
extern void pgiot_jbbp_report(const JbbpError *err) pg_attribute_noreturn();

/* jsonb of JSON text the decoders wrote (always valid JSON). */
extern Jsonb *pgiot_json_text_to_jsonb(const char *json, size_t len);

#endif
