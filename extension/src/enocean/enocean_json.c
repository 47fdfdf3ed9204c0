/*
 * enocean_json.c: jsonb building for the EnOcean connector's output.
 *
 * Numbers come from the pure decoder as text rounded the connector's way
 * (two decimals of the binary double, at least one decimal printed) and
 * become jsonb numerics from that text, so "29.0" stays "29.0".
 */
#include "postgres.h"

#include <limits.h>

#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "core/errors.h"
#include "core/guc.h"
#include "enocean_json.h"
#include "ingest/jsonb_util.h"

void
eno_raise(const EnoError *err)
{
	int			code;

	switch (err->kind)
	{
		case ENO_ERR_FRAME:
			code = ERRCODE_PGIOT_ENOCEAN_FRAME;
			break;
		case ENO_ERR_TELEGRAM:
			code = ERRCODE_PGIOT_ENOCEAN_TELEGRAM;
			break;
		case ENO_ERR_EEP_NOT_FOUND:
			code = ERRCODE_PGIOT_EEP_NOT_FOUND;
			break;
		case ENO_ERR_EEP_DECODE:
			code = ERRCODE_PGIOT_EEP_DECODE;
			break;
		case ENO_ERR_SECURITY:
			code = ERRCODE_PGIOT_ENOCEAN_SECURITY;
			break;
		default:
			code = ERRCODE_INTERNAL_ERROR;
	}
	if (err->position > 0)
		ereport(ERROR, (errcode(code), errmsg("%s", err->message),
						errdetail("The fault is at position %zu.", err->position)));
	ereport(ERROR, (errcode(code), errmsg("%s", err->message)));
}

/* A scalar goes into an array as an element, into an object as a value. */
static void
push_scalar(JsonbParseState **st, JsonbValue *v)
{
	bool		in_array = *st != NULL && (*st)->contVal.type == jbvArray;

	pushJsonbValue(st, in_array ? WJB_ELEM : WJB_VALUE, v);
}

void
eno_push_str(JsonbParseState **st, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	push_scalar(st, &v);
}

void
eno_push_null(JsonbParseState **st)
{
	JsonbValue	v;

	v.type = jbvNull;
	push_scalar(st, &v);
}

void
eno_push_numeric_text(JsonbParseState **st, const char *text)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(text),
														ObjectIdGetDatum(InvalidOid),
														Int32GetDatum(-1)));
	push_scalar(st, &v);
}

void
eno_push_int(JsonbParseState **st, int64 n)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	push_scalar(st, &v);
}

void
eno_push_bool(JsonbParseState **st, bool b)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = b;
	push_scalar(st, &v);
}

/* jb_string keeps the pointer: the text must live as long as the jsonb build */
void
eno_push_text(JsonbParseState **st, const char *s)
{
	eno_push_str(st, pstrdup(s));
}

void
eno_push_hex(JsonbParseState **st, const uint8_t *p, size_t n)
{
	char	   *buf = palloc(2 * n + 1);

	eno_hex(p, n, buf);
	eno_push_str(st, buf);
}

void
eno_push_id(JsonbParseState **st, uint32_t id)
{
	eno_push_str(st, psprintf("%08x", id));
}

JsonbValue *
eno_push_values(JsonbParseState **st, const EepResult *r)
{
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < r->n; i++)
	{
		const EepValue *v = &r->values[i];

		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		jb_key(st, "key");
		eno_push_str(st, v->key);
		jb_key(st, "value");
		if (v->is_number)
		{
			char		buf[64];

			eep_format_number(v->number, v->decimals, buf, sizeof(buf));
			eno_push_numeric_text(st, buf);
			jb_key(st, "unit");
			eno_push_str(st, v->unit ? v->unit : "");
		}
		else
		{
			eno_push_text(st, eep_value_token(v));
			jb_key(st, "meaning");
			if (v->undefined)
			{
				eno_push_str(st, psprintf("Undefined value %u", v->raw));
			}
			else
				eno_push_str(st, v->meaning ? v->meaning : "");
		}
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	return pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

Jsonb *
eno_values_jsonb(const EepResult *r)
{
	JsonbParseState *st = NULL;

	return JsonbValueToJsonb(eno_push_values(&st, r));
}

char *
eno_epoch_text(TimestampTz t, bool fraction)
{
	/* TimestampTz counts microseconds from 2000-01-01 */
	int64		us = t + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
	int64		sec = us >= 0 ? us / USECS_PER_SEC : -((-us + USECS_PER_SEC - 1) / USECS_PER_SEC);
	int64		frac = us - sec * USECS_PER_SEC;

	if (!fraction)
		return psprintf(INT64_FORMAT, sec);
	return psprintf(INT64_FORMAT ".%06d", sec, (int) frac);
}

JsonbValue *
eno_push_raw(JsonbParseState **st, const EnoTelegram *t, int rssi_dbm, int security_level,
			 bool has_time, TimestampTz received)
{
	bool		current = pgiot_enocean_json_format == PGIOT_ENOCEAN_JSON_CURRENT;
	int			rssi = rssi_dbm != INT_MIN ? rssi_dbm : (t->dbm >= 0 ? -t->dbm : INT_MIN);

	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	if (current && has_time)
	{
		pg_uuid_t	u;
		char		buf[37];

		/* a random (version 4) id of this telegram, as the connector adds */
		if (!pg_strong_random(u.data, UUID_LEN))
			elog(ERROR, "could not generate a random uuid");
		u.data[6] = (u.data[6] & 0x0F) | 0x40;
		u.data[8] = (u.data[8] & 0x3F) | 0x80;
		snprintf(buf, sizeof(buf),
				 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
				 u.data[0], u.data[1], u.data[2], u.data[3], u.data[4], u.data[5], u.data[6],
				 u.data[7], u.data[8], u.data[9], u.data[10], u.data[11], u.data[12], u.data[13],
				 u.data[14], u.data[15]);
		jb_key(st, "uuid");
		eno_push_text(st, buf);
	}
	jb_key(st, "data");
	{
		char	   *buf = palloc(2 * (t->payload_len + 1) + 1);
		uint8_t		rorg = t->rorg;

		eno_hex(&rorg, 1, buf);
		eno_hex(t->payload, t->payload_len, buf + 2);
		eno_push_str(st, buf);
	}
	jb_key(st, "sender");
	eno_push_id(st, t->sender);
	jb_key(st, "status");
	if (current)
		eno_push_int(st, t->status);
	else
	{
		eno_push_hex(st, &t->status, 1);
	}
	jb_key(st, "subTelNum");
	if (t->sub_tel_num >= 0)
		eno_push_int(st, t->sub_tel_num);
	else
		eno_push_null(st);
	jb_key(st, "destination");
	eno_push_id(st, t->destination);
	jb_key(st, "rssi");
	if (rssi == INT_MIN)
		eno_push_null(st);
	else
		eno_push_int(st, current ? rssi : -rssi);
	jb_key(st, "securityLevel");
	eno_push_int(st, security_level >= 0 ? security_level : 0);
	if (has_time)
	{
		char	   *ts = eno_epoch_text(received, !current);

		jb_key(st, "timestamp");
		eno_push_str(st, ts);
		if (current)
		{
			jb_key(st, "subTimestamp");
			eno_push_int(st, 0);
			jb_key(st, "subtelegrams");
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
		}
	}
	return pushJsonbValue(st, WJB_END_OBJECT, NULL);
}
