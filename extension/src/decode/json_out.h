/*
 * json_out.h: a small JSON text writer in pure C (no PostgreSQL headers),
 * shared by the decoders.  The buffer grows with realloc; a writer that
 * ran out of memory or past its size limit remembers it (json_out_failed)
 * and ignores further writes, so callers check once at the end.
 */
#ifndef PGIOT_JSON_OUT_H
#define PGIOT_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_OUT_MAX_DEPTH 256

/*
 * Instead of text, a writer can hand its events to a sink (the SQL layer
 * builds jsonb from them directly, without printing and re-parsing).
 * Numbers arrive typed; number_text carries a JSON number's text.
 */
typedef struct JsonSink
{
	void		(*begin) (void *arg, bool object);
	void		(*end) (void *arg);
	void		(*key) (void *arg, const char *key, size_t len);
	void		(*integer) (void *arg, int64_t v);
	void		(*unsigned_integer) (void *arg, uint64_t v);
	void		(*real) (void *arg, double v, bool single);	/* finite */
	void		(*number_text) (void *arg, const char *text, size_t len);
	void		(*string) (void *arg, const char *s, size_t len);
	void		(*boolean) (void *arg, bool v);
	void		(*null) (void *arg);
} JsonSink;

typedef struct JsonOut
{
	const JsonSink *sink;		/* NULL: write text into buf */
	void	   *sink_arg;
	char	   *buf;
	size_t		len;
	size_t		cap;
	size_t		limit;			/* maximum length (0: 64 MiB) */
	bool		failed;			/* out of memory or over the limit */
	int			depth;
	bool		need_comma[JSON_OUT_MAX_DEPTH + 1];
} JsonOut;

extern void json_out_init(JsonOut *o, size_t limit);
/* A writer that sends its events to a sink (depth and limits still apply). */
extern void json_out_init_sink(JsonOut *o, const JsonSink *sink, void *arg);
extern void json_out_reset(JsonOut *o);
extern void json_out_free(JsonOut *o);
static inline bool
json_out_failed(const JsonOut *o)
{
	return o->failed;
}

extern void json_out_begin_object(JsonOut *o);
extern void json_out_end_object(JsonOut *o);
extern void json_out_begin_array(JsonOut *o);
extern void json_out_end_array(JsonOut *o);
/* A key, as text to escape. */
extern void json_out_key(JsonOut *o, const char *key, size_t len);
/* A key already rendered as "\"name\":" (no escaping, no copying checks). */
extern void json_out_raw_key(JsonOut *o, const char *quoted_colon, size_t len);
extern void json_out_int(JsonOut *o, int64_t v);
extern void json_out_uint(JsonOut *o, uint64_t v);
extern void json_out_bool(JsonOut *o, bool v);
extern void json_out_null(JsonOut *o);
/* Shortest decimal text that reads back as the same float / double;
 * NaN and infinities become the strings "NaN", "Infinity", "-Infinity". */
extern void json_out_float(JsonOut *o, float v);
extern void json_out_double(JsonOut *o, double v);
extern void json_out_string(JsonOut *o, const char *s, size_t len);
/* Raw JSON text as a value (the caller guarantees it is valid). */
extern void json_out_raw_value(JsonOut *o, const char *s, size_t len);

/* Shortest round-trip text of a double / float into buf (>= 32 bytes);
 * returns the length.  Finite values only. */
extern int	json_format_double(char *buf, double v);
extern int	json_format_float(char *buf, float v);

/* Append raw bytes (no separator logic). */
extern void json_out_append(JsonOut *o, const char *s, size_t len);

#endif
