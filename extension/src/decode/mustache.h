/*
 * mustache.h: Mustache templates in pure C (the spec's interpolation,
 * sections, inverted sections, comments, set delimiters, dotted names,
 * implicit iterator and standalone-line rules; partials render empty),
 * plus the Live Objects lambdas {{#math}}, {{#toUpperCase}},
 * {{#toLowerCase}}.
 *
 * A template is compiled once and rendered against any number of JSON
 * contexts.  Unknown names render as empty text, never as an error.
 */
#ifndef PGIOT_MUSTACHE_H
#define PGIOT_MUSTACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "decode/json_dom.h"
#include "decode/json_out.h"

typedef struct Mustache Mustache;

typedef struct MustacheError
{
	int			position;		/* 1-based character in the template */
	char		message[200];
} MustacheError;

extern Mustache *mustache_compile(const char *tmpl, size_t len, MustacheError *err);
extern void mustache_free(Mustache *m);

/* Append the rendering to out (used as a text buffer). */
extern bool mustache_render(const Mustache *m, const JValue *context, JsonOut *out,
							MustacheError *err);

/*
 * The Live Objects template rule: render, read the result as JSON (a bare
 * arithmetic value is evaluated), turn every string value whose whole
 * content is a number or arithmetic over numbers into that number, and
 * write the resulting JSON into out.  Keys containing '.' are refused.
 */
extern bool mustache_apply_template(const Mustache *m, const JValue *context, JsonOut *out,
									MustacheError *err);

/* Template text check at creation: a quoted key with '.' outside tags. */
extern bool mustache_check_keys(const char *tmpl, size_t len, MustacheError *err);

#endif
