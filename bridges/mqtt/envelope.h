/*
 * envelope.h: one MQTT uplink turned into what PostgreSQL stores.  Pure C
 * (jansson for JSON), no I/O, so it is fuzzed (test/fuzz/mqtt_envelope.c).
 *
 *   data     an item of iot.ingest_batch(): {"connector", "nodeId",
 *            "received", "network", "raw", "message"}
 *   control  an item of iot.mqtt_handle(): {"kind", "mode", "clientId",
 *            "keyId", "topic", "payload"}
 *   reject   a malformed publication (its reason in err), audited
 */
#ifndef PGIOT_MQTT_ENVELOPE_H
#define PGIOT_MQTT_ENVELOPE_H

#include <stddef.h>

#include "bridges/common/strbuf.h"
#include "bridges/common/topics.h"

typedef enum
{
	ENV_DATA,
	ENV_CONTROL,
	ENV_REJECT
} EnvKind;

/* How a configured extra pattern's payload is read. */
typedef enum
{
	PATTERN_JSON,				/* a Live Objects data message */
	PATTERN_IOTC,				/* EnOcean IoT Connector sensor telemetry */
	PATTERN_AWS_RULE			/* AWS IoT basic ingest: any JSON object */
} PatternKind;

typedef struct Pattern
{
	char	   *filter;
	PatternKind kind;
} Pattern;

/* "filter=kind filter=kind ..." → patterns; false (with err) on a bad entry. */
extern int	patterns_parse(const char *spec, Pattern **out, char *err, size_t errlen);

/* JSON text of a value (numbers in their shortest round-trip form). */
struct json_t;
extern void envelope_put_json(StrBuf *out, struct json_t *j);

extern EnvKind envelope_build(const UpTopic *up, const Pattern *patterns, int npatterns,
							  const void *payload, size_t len, const char *received,
							  StrBuf *out, char *err, size_t errlen);

#endif
