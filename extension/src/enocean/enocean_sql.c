/*
 * enocean_sql.c: SQL wrappers of the pure EnOcean parsers:
 * iot.esp3_frames, iot.esp3_parse, iot.enocean_telegram, iot.eep_decode.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/errors.h"
#include "enocean_json.h"
#include "eep.h"
#include "erp.h"
#include "esp3.h"
#include "ingest/jsonb_util.h"
#include "signal.h"
#include "teachin.h"

typedef struct FrameSink
{
	ReturnSetInfo *rsinfo;
	const uint8_t *buf;
} FrameSink;

static void
emit_frame(void *ctx, size_t offset, size_t length)
{
	FrameSink  *sink = ctx;
	bytea	   *b = palloc(VARHDRSZ + length);
	Datum		value;
	bool		isnull = false;

	SET_VARSIZE(b, VARHDRSZ + length);
	memcpy(VARDATA(b), sink->buf + offset, length);
	value = PointerGetDatum(b);
	tuplestore_putvalues(sink->rsinfo->setResult, sink->rsinfo->setDesc, &value, &isnull);
	pfree(b);
}

PG_FUNCTION_INFO_V1(pgiot_esp3_frames);
Datum
pgiot_esp3_frames(PG_FUNCTION_ARGS)
{
	bytea	   *stream = PG_GETARG_BYTEA_PP(0);
	FrameSink	sink;
	Esp3ScanInfo info;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
	sink.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	sink.buf = (const uint8_t *) VARDATA_ANY(stream);
	esp3_scan(sink.buf, VARSIZE_ANY_EXHDR(stream), emit_frame, &sink, &info);
	return (Datum) 0;
}

/* The name of a RESPONSE return code or an EVENT code. */
static const char *
response_name(uint8_t code)
{
	static const char *const names[] = {
		"RET_OK", "RET_ERROR", "RET_NOT_SUPPORTED", "RET_WRONG_PARAM", "RET_OPERATION_DENIED",
		"RET_LOCK_SET", "RET_BUFFER_TO_SMALL", "RET_NO_FREE_BUFFER"
	};

	if (code < lengthof(names))
		return names[code];
	return code >= 0x80 ? "COMMAND_SPECIFIC" : "RESERVED";
}

static const char *
event_name(uint8_t code)
{
	static const char *const names[] = {
		NULL, "SA_RECLAIM_NOT_SUCCESSFUL", "SA_CONFIRM_LEARN", "SA_LEARN_ACK", "CO_READY",
		"CO_EVENT_SECUREDEVICES", "CO_DUTYCYCLE_LIMIT", "CO_TRANSMIT_FAILED"
	};

	if (code > 0 && code < lengthof(names))
		return names[code];
	return "RESERVED";
}

static void
push_telegram(JsonbParseState **st, const EnoTelegram *t)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	jb_key(st, "rorg");
	eno_push_hex(st, &t->rorg, 1);
	jb_key(st, "rorgName");
	eno_push_str(st, eno_rorg_name(t->rorg));
	jb_key(st, "payload");
	eno_push_hex(st, t->payload, t->payload_len);
	jb_key(st, "sender");
	eno_push_id(st, t->sender);
	jb_key(st, "status");
	eno_push_int(st, t->status);
	jb_key(st, "repeaterCount");
	eno_push_int(st, t->status & 0x0F);
	jb_key(st, "subTelNum");
	if (t->sub_tel_num >= 0)
		eno_push_int(st, t->sub_tel_num);
	else
		eno_push_null(st);
	jb_key(st, "destination");
	eno_push_id(st, t->destination);
	jb_key(st, "dBm");
	if (t->dbm >= 0)
		eno_push_int(st, -t->dbm);
	else
		eno_push_null(st);
	jb_key(st, "securityLevel");
	if (t->security_level >= 0)
		eno_push_int(st, t->security_level);
	else
		eno_push_null(st);
	if (t->packet_type == ESP3_RADIO_ERP2)
	{
		jb_key(st, "erp2");
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		jb_key(st, "header");
		eno_push_int(st, t->erp2_header);
		jb_key(st, "addressControl");
		eno_push_int(st, t->erp2_header >> 5);
		jb_key(st, "telegramType");
		eno_push_int(st, t->erp2_header & 0x0F);
		jb_key(st, "extendedTelegramType");
		if (t->erp2_ext_type >= 0)
			eno_push_int(st, t->erp2_ext_type);
		else
			eno_push_null(st);
		jb_key(st, "extendedHeader");
		if (t->erp2_ext_header >= 0)
			eno_push_int(st, t->erp2_ext_header);
		else
			eno_push_null(st);
		jb_key(st, "originator");
		eno_push_hex(st, t->erp2_originator, t->erp2_originator_bits / 8);
		jb_key(st, "optionalData");
		eno_push_hex(st, t->erp2_opt, t->erp2_opt_len);
		jb_key(st, "crc");
		eno_push_int(st, t->erp2_crc);
		jb_key(st, "crcOk");
		eno_push_bool(st, t->erp2_crc_ok);
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
parse_frame(bytea *frame, Esp3Packet *p)
{
	EnoError	err;

	if (esp3_parse((const uint8_t *) VARDATA_ANY(frame), VARSIZE_ANY_EXHDR(frame), p, &err) != ENO_OK)
		eno_raise(&err);
}

PG_FUNCTION_INFO_V1(pgiot_esp3_parse);
Datum
pgiot_esp3_parse(PG_FUNCTION_ARGS)
{
	bytea	   *frame = PG_GETARG_BYTEA_PP(0);
	Esp3Packet	p;
	JsonbParseState *st = NULL;
	JsonbValue *res;

	parse_frame(frame, &p);
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jb_key(&st, "packetType");
	eno_push_int(&st, p.type);
	jb_key(&st, "packetTypeName");
	eno_push_str(&st, esp3_packet_type_name(p.type));
	jb_key(&st, "dataLength");
	eno_push_int(&st, p.data_len);
	jb_key(&st, "optionalLength");
	eno_push_int(&st, p.opt_len);
	jb_key(&st, "data");
	eno_push_hex(&st, p.data, p.data_len);
	jb_key(&st, "optionalData");
	eno_push_hex(&st, p.opt, p.opt_len);
	if (p.type == ESP3_RADIO_ERP1 || p.type == ESP3_RADIO_ERP2)
	{
		EnoTelegram *t = palloc(sizeof(EnoTelegram));
		EnoError	err;

		if (eno_telegram_from_packet(&p, t, &err) != ENO_OK)
			eno_raise(&err);
		jb_key(&st, "telegram");
		push_telegram(&st, t);
	}
	else if (p.type == ESP3_RESPONSE && p.data_len >= 1)
	{
		jb_key(&st, "returnCode");
		eno_push_int(&st, p.data[0]);
		jb_key(&st, "returnCodeName");
		eno_push_str(&st, response_name(p.data[0]));
	}
	else if (p.type == ESP3_EVENT && p.data_len >= 1)
	{
		jb_key(&st, "eventCode");
		eno_push_int(&st, p.data[0]);
		jb_key(&st, "eventName");
		eno_push_str(&st, event_name(p.data[0]));
	}
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

PG_FUNCTION_INFO_V1(pgiot_enocean_telegram);
Datum
pgiot_enocean_telegram(PG_FUNCTION_ARGS)
{
	bytea	   *frame = PG_GETARG_BYTEA_PP(0);
	Esp3Packet	p;
	EnoTelegram *t = palloc(sizeof(EnoTelegram));
	EnoError	err;
	JsonbParseState *st = NULL;

	parse_frame(frame, &p);
	if (eno_telegram_from_packet(&p, t, &err) != ENO_OK || eno_adt_decapsulate(t, &err) != ENO_OK)
		eno_raise(&err);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(eno_push_raw(&st, t, INT_MIN, t->security_level, false, 0)));
}

PG_FUNCTION_INFO_V1(pgiot_eep_decode);
Datum
pgiot_eep_decode(PG_FUNCTION_ARGS)
{
	char	   *eep = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bytea	   *data = PG_GETARG_BYTEA_PP(1);
	int32		status = PG_GETARG_INT32(2);
	const EepProfile *profile = eep_find(eep);
	EepResult  *r = palloc(sizeof(EepResult));
	EnoError	err;

	if (profile == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PGIOT_EEP_NOT_FOUND),
				 errmsg("EEP \"%s\" is not supported", eep),
				 errhint("iot.eep_profiles() lists the supported profiles (written RR-FF-TT, e.g. A5-02-05).")));
	if (status < 0 || status > 255)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status %d is not a byte (0 to 255)", status)));
	if (eep_decode(profile, (const uint8_t *) VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data),
				   (uint8_t) status, r, &err) != ENO_OK)
		eno_raise(&err);
	PG_RETURN_JSONB_P(eno_values_jsonb(r));
}
