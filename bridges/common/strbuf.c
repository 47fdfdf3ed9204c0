/* strbuf.c: growable buffer; aborts on out-of-memory (a bridge cannot go on). */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
reserve(StrBuf *sb, size_t more)
{
	size_t		need = sb->len + more + 1;

	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 256;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->data = realloc(sb->data, sb->cap);
	if (sb->data == NULL)
	{
		fprintf(stderr, "out of memory\n");
		abort();
	}
}

void
sb_init(StrBuf *sb)
{
	sb->data = NULL;
	sb->len = sb->cap = 0;
	reserve(sb, 0);
	sb->data[0] = '\0';
}

void
sb_reset(StrBuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
}

void
sb_free(StrBuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

void
sb_append(StrBuf *sb, const char *s, size_t n)
{
	reserve(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
sb_puts(StrBuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void
sb_printf(StrBuf *sb, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	reserve(sb, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t) n;
}

void
sb_json_string(StrBuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	reserve(sb, n + 2);
	sb->data[sb->len++] = '"';
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
		{
			char		e[2] = {'\\', (char) c};

			sb_append(sb, e, 2);
		}
		else if (c < 0x20)
		{
			char		e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			sb_append(sb, e, 6);
		}
		else
			sb_append(sb, (const char *) &c, 1);
	}
	sb_append(sb, "\"", 1);
}

void
sb_hex(StrBuf *sb, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	reserve(sb, 2 * n);
	for (size_t i = 0; i < n; i++)
	{
		sb->data[sb->len++] = hex[p[i] >> 4];
		sb->data[sb->len++] = hex[p[i] & 15];
	}
	sb->data[sb->len] = '\0';
}
