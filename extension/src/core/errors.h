/*
 * errors.h: pgiot's SQLSTATEs.  Standard codes are used where one fits
 * (22P02 malformed text, 22023 bad parameter, 22007 bad timestamp, 42501
 * privilege); the platform's own errors are in class PI.  The table is
 * documented in docs/sql/errors.md; never renumber a code.
 */
#ifndef PGIOT_ERRORS_H
#define PGIOT_ERRORS_H

#include "utils/elog.h"

#define ERRCODE_PGIOT_DEVICE_NOT_FOUND		MAKE_SQLSTATE('P','I','0','0','1')
#define ERRCODE_PGIOT_GROUP_NOT_FOUND		MAKE_SQLSTATE('P','I','0','0','2')
#define ERRCODE_PGIOT_DEVICE_DUPLICATE		MAKE_SQLSTATE('P','I','0','0','3')
#define ERRCODE_PGIOT_INTERFACE_DUPLICATE	MAKE_SQLSTATE('P','I','0','0','4')
#define ERRCODE_PGIOT_GROUP_DUPLICATE		MAKE_SQLSTATE('P','I','0','0','5')
#define ERRCODE_PGIOT_GROUP_UNDELETABLE		MAKE_SQLSTATE('P','I','0','0','6')
#define ERRCODE_PGIOT_INTERFACE_NOT_FOUND	MAKE_SQLSTATE('P','I','0','0','7')
#define ERRCODE_PGIOT_INTERFACE_DISABLED	MAKE_SQLSTATE('P','I','0','0','8')
#define ERRCODE_PGIOT_INTERFACE_CONFLICT	MAKE_SQLSTATE('P','I','0','0','9')
#define ERRCODE_PGIOT_MASTER_KEY			MAKE_SQLSTATE('P','I','0','1','0')
#define ERRCODE_PGIOT_NO_TENANT				MAKE_SQLSTATE('P','I','0','2','0')

/* EnOcean (PI3xx) */
#define ERRCODE_PGIOT_ENOCEAN_FRAME			MAKE_SQLSTATE('P','I','3','0','1')
#define ERRCODE_PGIOT_ENOCEAN_TELEGRAM		MAKE_SQLSTATE('P','I','3','0','2')
#define ERRCODE_PGIOT_EEP_NOT_FOUND			MAKE_SQLSTATE('P','I','3','0','3')
#define ERRCODE_PGIOT_EEP_DECODE			MAKE_SQLSTATE('P','I','3','0','4')
#define ERRCODE_PGIOT_ENOCEAN_SECURITY		MAKE_SQLSTATE('P','I','3','0','5')
#define ERRCODE_PGIOT_ENOCEAN_DEVICE_NOT_FOUND	MAKE_SQLSTATE('P','I','3','1','0')
#define ERRCODE_PGIOT_ENOCEAN_DEVICE_DUPLICATE	MAKE_SQLSTATE('P','I','3','1','1')

#endif
