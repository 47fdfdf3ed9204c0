/*
 * eno_common.h: what every pure-C part of the EnOcean engine shares
 * (limits, the error report).  No PostgreSQL header: the fuzz targets
 * link these files alone.
 */
#ifndef PGIOT_ENO_COMMON_H
#define PGIOT_ENO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest ESP3 data + optional data accepted (radio packets are far smaller). */
#define ENO_MAX_FRAME_BODY 1024
/* Largest telegram payload after RORG (a reassembled chain included). */
#define ENO_MAX_PAYLOAD 600

#define ENO_BROADCAST 0xFFFFFFFFu

/* What went wrong, mapped to a SQLSTATE by the SQL layer. */
typedef enum EnoErrorKind
{
	ENO_OK = 0,
	ENO_ERR_FRAME,				/* ESP3 framing: sync, lengths, CRC */
	ENO_ERR_TELEGRAM,			/* radio telegram layout */
	ENO_ERR_EEP_NOT_FOUND,		/* the EEP is not in the tables */
	ENO_ERR_EEP_DECODE,			/* the data does not fit the EEP */
	ENO_ERR_SECURITY			/* malformed secure telegram or teach-in */
} EnoErrorKind;

typedef struct EnoError
{
	EnoErrorKind kind;
	size_t		position;		/* 1-based byte (or bit, for EEP fields) of the fault; 0 = none */
	char		message[200];
} EnoError;

/* Record an error (printf-style); returns the kind for `return eno_fail(...)`. */
extern EnoErrorKind eno_fail(EnoError *err, EnoErrorKind kind, size_t position, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* Lower-case hex of n bytes into out (2n + 1 chars). */
extern void eno_hex(const uint8_t *p, size_t n, char *out);

#endif
