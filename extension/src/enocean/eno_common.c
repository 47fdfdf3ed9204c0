/*
 * eno_common.c: error reports and hex output shared by the EnOcean parsers.
 */
#include "eno_common.h"

#include <stdarg.h>
#include <stdio.h>

EnoErrorKind
eno_fail(EnoError *err, EnoErrorKind kind, size_t position, const char *fmt,...)
{
	va_list		ap;

	if (err != NULL)
	{
		err->kind = kind;
		err->position = position;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return kind;
}

void
eno_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++)
	{
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0F];
	}
	out[2 * n] = '\0';
}
