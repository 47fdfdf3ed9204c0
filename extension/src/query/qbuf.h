/*
 * qbuf.h: allocation and string building for the query area's pure-C
 * code (RSQL parser, SQL and JSON emitters, geohash).  No PostgreSQL
 * header: the SQL wrappers pass an arena that allocates with palloc, the
 * fuzz targets one that allocates with malloc.  Nothing is ever freed
 * piecemeal; the owner of the arena releases everything at once.
 */
#ifndef PGIOT_QBUF_H
#define PGIOT_QBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct QArena
{
	/* returns zeroed memory or does not return (palloc0 errors out) */
	void	   *(*alloc) (void *state, size_t size);
	void	   *state;
} QArena;

static inline void *
qa_alloc(QArena *a, size_t size)
{
	return a->alloc(a->state, size);
}

extern char *qa_strndup(QArena *a, const char *s, size_t len);

/* A growable NUL-terminated string. */
typedef struct QBuf
{
	QArena	   *arena;
	char	   *data;
	size_t		len;
	size_t		cap;
} QBuf;

extern void qbuf_init(QBuf *b, QArena *a);
extern void qbuf_putn(QBuf *b, const char *s, size_t n);
extern void qbuf_puts(QBuf *b, const char *s);
extern void qbuf_putc(QBuf *b, char c);
extern void qbuf_printf(QBuf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* 'text' as an SQL literal, exactly like PostgreSQL's quote_literal():
 * quotes doubled, and when a backslash occurs, E'' with it doubled. */
extern void qbuf_sql_literal(QBuf *b, const char *s, size_t n);

/* "text" as a JSON string (quotes, backslash and control characters
 * escaped; other bytes copied). */
extern void qbuf_json_string(QBuf *b, const char *s, size_t n);

/* 1-based character position (UTF-8) of byte offset `off` in s. */
extern int	utf8_char_pos(const char *s, size_t off);

/* Number of UTF-8 characters in s[0..n). */
extern size_t utf8_char_count(const char *s, size_t n);

#endif
