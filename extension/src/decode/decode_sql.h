/*
 * decode_sql.h: what the SQL wrappers of the decoders share.
 */
#ifndef PGIOT_DECODE_SQL_H
#define PGIOT_DECODE_SQL_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "decode/csv.h"
#include "decode/jbbp.h"
#include "decode/json_dom.h"
#include "decode/mustache.h"

/* Raise the SQL error of a JBBP failure (never returns). */
extern void pgiot_jbbp_report(const JbbpError *err) pg_attribute_noreturn();

/* jsonb of JSON text the decoders wrote (always valid JSON). */
extern Jsonb *pgiot_json_text_to_jsonb(const char *json, size_t len);

/* Raise PI040 for a template that does not compile (never returns). */
extern void pgiot_mustache_report_compile(const MustacheError *err) pg_attribute_noreturn();

/* A jsonb as a JSON tree in the arena (NULL for NULL). */
extern JValue *pgiot_jsonb_to_dom(JArena *a, Jsonb *j);

/* The Live Objects template rule over decoded fields (PI041 on failure). */
extern Jsonb *pgiot_template_apply(Mustache *m, Jsonb *decoded);

/* Raise the SQL error of a CSV failure (never returns). */
extern void pgiot_csv_report(const CsvError *err) pg_attribute_noreturn();

/* Compile a CSV description held in jsonb (PI040 on error). */
extern CsvDecoder *pgiot_csv_compile(Jsonb *desc);

#endif
