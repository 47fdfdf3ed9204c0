/*
 * clock.h: the platform clock (iot.now()).
 */
#ifndef PGIOT_CLOCK_H
#define PGIOT_CLOCK_H

#include "datatype/timestamp.h"

/* pgiot.now when set, else the transaction start time. */
extern TimestampTz pgiot_clock_now(void);

#endif
