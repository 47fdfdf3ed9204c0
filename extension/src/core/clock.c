/*
 * clock.c: iot.now(), the clock that firing, sleeping, activity and
 * partitioning read, so that tests can move it.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "clock.h"
#include "guc.h"

TimestampTz
pgiot_clock_now(void)
{
	if (pgiot_clock != NULL && pgiot_clock[0] != '\0')
		return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
													   CStringGetDatum(pgiot_clock),
													   ObjectIdGetDatum(InvalidOid),
													   Int32GetDatum(-1)));
	return GetCurrentTransactionStartTimestamp();
}

PG_FUNCTION_INFO_V1(pgiot_now);
Datum
pgiot_now(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(pgiot_clock_now());
}
