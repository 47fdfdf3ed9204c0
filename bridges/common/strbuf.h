/* strbuf.h: a growable byte buffer (always NUL-terminated). */
#ifndef PGIOT_BRIDGE_STRBUF_H
#define PGIOT_BRIDGE_STRBUF_H

#include <stddef.h>

typedef struct StrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} StrBuf;

extern void sb_init(StrBuf *sb);
extern void sb_reset(StrBuf *sb);
extern void sb_free(StrBuf *sb);
extern void sb_append(StrBuf *sb, const char *s, size_t n);
extern void sb_puts(StrBuf *sb, const char *s);
extern void sb_printf(StrBuf *sb, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string literal (quotes included); invalid UTF-8 is kept as is. */
extern void sb_json_string(StrBuf *sb, const char *s, size_t n);
extern void sb_hex(StrBuf *sb, const unsigned char *p, size_t n);

#endif
