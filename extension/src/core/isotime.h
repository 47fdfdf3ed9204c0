/*
 * isotime.h: strict ISO-8601 timestamp parser (no PostgreSQL dependency).
 *
 * Accepts YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|+HH[:MM]|-HH[:MM]].  A
 * missing zone means UTC.  Rejects PostgreSQL's convenience words (now,
 * epoch, ...) that a device must never be able to send.
 */
#ifndef PGIOT_ISOTIME_H
#define PGIOT_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct IsoTimeResult
{
	int64_t		unix_micros;	/* microseconds since 1970-01-01T00:00:00Z */
	int			error_pos;		/* 0-based offset of the fault, -1 if none */
	const char *error;			/* static message, NULL when valid */
} IsoTimeResult;

/* Parse len bytes of text (need not be NUL-terminated). */
extern IsoTimeResult iso8601_parse(const char *text, size_t len);

#endif
