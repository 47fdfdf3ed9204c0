/*
 * ids.c: SQL wrappers around the pure-C device id and ISO-8601 checks,
 * and the random secrets API keys are made of.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "device_id.h"
#include "ids.h"
#include "isotime.h"

/* Microseconds between the Unix and PostgreSQL epochs. */
#define UNIX_TO_PG_EPOCH_USECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

char *
pgiot_device_id_problem(const char *id, size_t len)
{
	DeviceIdCheck c;

	if (len > DEVICE_ID_MAX)
		return psprintf("device id longer than %d characters", DEVICE_ID_MAX);
	c = device_id_check(id, len);
	if (c.error == NULL)
		return NULL;
	return psprintf("%s at position %d", c.error, c.error_pos + 1);
}

char *
pgiot_timestamp_problem(const char *text, size_t len, TimestampTz *out)
{
	IsoTimeResult r = iso8601_parse(text, len);
	TimestampTz ts;

	if (r.error != NULL)
		return psprintf("%s at position %d", r.error, r.error_pos + 1);
	ts = (TimestampTz) (r.unix_micros - UNIX_TO_PG_EPOCH_USECS);
	if (!IS_VALID_TIMESTAMP(ts))
		return pstrdup("timestamp out of range");
	*out = ts;
	return NULL;
}

PG_FUNCTION_INFO_V1(pgiot_device_id_valid);
Datum
pgiot_device_id_valid(PG_FUNCTION_ARGS)
{
	text	   *id = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(id);

	PG_RETURN_BOOL(len <= DEVICE_ID_MAX &&
				   device_id_check(VARDATA_ANY(id), len).error == NULL);
}

PG_FUNCTION_INFO_V1(pgiot_device_id_check);
Datum
pgiot_device_id_check(PG_FUNCTION_ARGS)
{
	text	   *id = PG_GETARG_TEXT_PP(0);
	char	   *problem = pgiot_device_id_problem(VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid device id \"%s\"", text_to_cstring(id)),
				 errdetail("%s.", problem),
				 errhint("A device id looks like urn:lo:nsid:{namespace}:{id}.")));
	PG_RETURN_TEXT_P(id);
}

PG_FUNCTION_INFO_V1(pgiot_parse_timestamp);
Datum
pgiot_parse_timestamp(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	TimestampTz ts = 0;
	char	   *problem = pgiot_timestamp_problem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &ts);

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("invalid timestamp \"%s\"", text_to_cstring(t)),
				 errdetail("%s; expected ISO-8601 such as 2020-10-13T12:15:02.123Z.", problem)));
	PG_RETURN_TIMESTAMPTZ(ts);
}

PG_FUNCTION_INFO_V1(pgiot_random_hex);
Datum
pgiot_random_hex(PG_FUNCTION_ARGS)
{
	int32		nbytes = PG_GETARG_INT32(0);
	uint8	   *buf;
	char	   *hex;
	static const char digits[] = "0123456789abcdef";

	if (nbytes < 1 || nbytes > 1024)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("random_hex takes 1 to 1024 bytes, not %d", nbytes)));
	buf = palloc(nbytes);
	hex = palloc(nbytes * 2 + 1);
	if (!pg_strong_random(buf, nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes")));
	for (int i = 0; i < nbytes; i++)
	{
		hex[2 * i] = digits[buf[i] >> 4];
		hex[2 * i + 1] = digits[buf[i] & 15];
	}
	hex[nbytes * 2] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}
