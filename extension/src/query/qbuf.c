/*
 * qbuf.c: arena-backed strings, SQL and JSON quoting (pure C).
 */
#include "qbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

char *
qa_strndup(QArena *a, const char *s, size_t len)
{
	char	   *r = qa_alloc(a, len + 1);

	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

void
qbuf_init(QBuf *b, QArena *a)
{
	b->arena = a;
	b->cap = 64;
	b->len = 0;
	b->data = qa_alloc(a, b->cap);
	b->data[0] = '\0';
}

static void
qbuf_reserve(QBuf *b, size_t more)
{
	size_t		want = b->len + more + 1;
	char	   *bigger;

	if (want <= b->cap)
		return;
	while (b->cap < want)
		b->cap *= 2;
	bigger = qa_alloc(b->arena, b->cap);
	memcpy(bigger, b->data, b->len + 1);
	b->data = bigger;			/* the old block goes with the arena */
}

void
qbuf_putn(QBuf *b, const char *s, size_t n)
{
	qbuf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
qbuf_puts(QBuf *b, const char *s)
{
	qbuf_putn(b, s, strlen(s));
}

void
qbuf_putc(QBuf *b, char c)
{
	qbuf_putn(b, &c, 1);
}

void
qbuf_printf(QBuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	qbuf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

void
qbuf_sql_literal(QBuf *b, const char *s, size_t n)
{
	if (memchr(s, '\\', n) != NULL)
		qbuf_putc(b, 'E');
	qbuf_putc(b, '\'');
	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '\'' || s[i] == '\\')
			qbuf_putc(b, s[i]);
		qbuf_putc(b, s[i]);
	}
	qbuf_putc(b, '\'');
}

void
qbuf_json_string(QBuf *b, const char *s, size_t n)
{
	qbuf_putc(b, '"');
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		switch (c)
		{
			case '"':
				qbuf_puts(b, "\\\"");
				break;
			case '\\':
				qbuf_puts(b, "\\\\");
				break;
			case '\n':
				qbuf_puts(b, "\\n");
				break;
			case '\r':
				qbuf_puts(b, "\\r");
				break;
			case '\t':
				qbuf_puts(b, "\\t");
				break;
			default:
				if (c < 0x20)
					qbuf_printf(b, "\\u%04x", c);
				else
					qbuf_putc(b, (char) c);
		}
	}
	qbuf_putc(b, '"');
}

int
utf8_char_pos(const char *s, size_t off)
{
	return (int) utf8_char_count(s, off) + 1;
}

size_t
utf8_char_count(const char *s, size_t n)
{
	size_t		count = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			count++;
	return count;
}
