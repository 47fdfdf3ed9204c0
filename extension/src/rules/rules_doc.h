/*
 * rules_doc.h: a data message (iot.message row) as the engine's value, the
 * same document as iot.message_json().  RULES_DOC_COLUMNS is the select
 * list (over the message as m) that rules_message_value() reads, from
 * column `first` on.
 */
#ifndef PGIOT_RULES_DOC_H
#define PGIOT_RULES_DOC_H

#include "postgres.h"

#include "access/htup.h"
#include "executor/spi.h"

#include "jsonlogic.h"

#define RULES_DOC_COLUMNS \
	"m.id, m.stream_id, m.ts, m.created, m.model, m.value, to_jsonb(m.tags), m.extra, " \
	"m.location, m.location_alt, m.location_accuracy, m.location_provider, m.metadata"

enum
{
	RULES_DOC_ID, RULES_DOC_STREAM, RULES_DOC_TS, RULES_DOC_CREATED, RULES_DOC_MODEL,
	RULES_DOC_VALUE, RULES_DOC_TAGS, RULES_DOC_EXTRA, RULES_DOC_LOCATION,
	RULES_DOC_ALT, RULES_DOC_ACCURACY, RULES_DOC_PROVIDER, RULES_DOC_METADATA,
	RULES_DOC_NCOLUMNS
};

/* values and nulls: the row deformed (heap_deform_tuple); first is 1-based */
extern const JlValue *rules_message_value(JlArena *a, const Datum *values, const bool *nulls,
										  TupleDesc desc, int first);

#endif
