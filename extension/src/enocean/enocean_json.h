/*
 * enocean_json.h: the EnOcean IoT Connector's JSON shapes built as jsonb
 * (PostgreSQL side of the engine), and EnoError -> ereport.
 */
#ifndef PGIOT_ENOCEAN_JSON_H
#define PGIOT_ENOCEAN_JSON_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "eep.h"
#include "eno_common.h"
#include "erp.h"

/* Raise `err` with the SQLSTATE of its kind; `what` prefixes the message. */
extern void eno_raise(const EnoError *err) pg_attribute_noreturn();

/* Push a number given as text (kept as printed: "29.0", "627.45"). */
extern void eno_push_numeric_text(JsonbParseState **st, const char *text);
extern void eno_push_int(JsonbParseState **st, int64 v);
extern void eno_push_text(JsonbParseState **st, const char *s);	/* copies s */
/* s is kept by pointer: it must outlive the jsonb build (static or palloc'd) */
extern void eno_push_str(JsonbParseState **st, const char *s);
extern void eno_push_null(JsonbParseState **st);
extern void eno_push_bool(JsonbParseState **st, bool v);
extern void eno_push_hex(JsonbParseState **st, const uint8_t *p, size_t n);
extern void eno_push_id(JsonbParseState **st, uint32_t id);

/* The decoded values as the connector's array of {key, value, unit|meaning}. */
extern JsonbValue *eno_push_values(JsonbParseState **st, const EepResult *r);
extern Jsonb *eno_values_jsonb(const EepResult *r);

/*
 * The connector's raw section of a telegram (pgiot.enocean_json_format):
 * data (RORG + payload hex), sender, status, subTelNum, destination, rssi,
 * securityLevel, and with a receive time the timestamp (and in the
 * current format uuid, subTimestamp, subtelegrams).  rssi_dbm overrides
 * the ESP3 value when not INT_MIN.
 */
extern JsonbValue *eno_push_raw(JsonbParseState **st, const EnoTelegram *t, int rssi_dbm,
						 int security_level, bool has_time, TimestampTz received);

/* Epoch seconds of a timestamp: "1611927479.166352" (classic) or "1611927479". */
extern char *eno_epoch_text(TimestampTz t, bool fraction);

#endif
