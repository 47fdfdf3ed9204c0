/*
 * jsonb_build.h: jsonb straight from a decoder's JSON events.
 *
 *   JsonOut out;
 *   JsonbBuilder *b = jsonb_builder_start(&out);
 *   ... jbbp_decode(prog, data, len, &out, &err) ...
 *   Jsonb *j = jsonb_builder_finish(b);
 */
#ifndef PGIOT_JSONB_BUILD_H
#define PGIOT_JSONB_BUILD_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "decode/json_out.h"

typedef struct JsonbBuilder JsonbBuilder;

extern JsonbBuilder *jsonb_builder_start(JsonOut *out);
extern Jsonb *jsonb_builder_finish(JsonbBuilder *b);

/* The keys the writer passes stay valid until finish (JBBP's compiled
 * names, CSV column names): they are not copied. */
extern void jsonb_builder_stable_keys(JsonbBuilder *b);

#endif
