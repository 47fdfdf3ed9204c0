/*
 * cbor_json.h: CBOR (RFC 8949) to JSON text, with Debian's libcbor doing
 * the decoding; no PostgreSQL headers.  The mapping is RFC 8949 section
 * 6.1's: byte strings become base64url text (no padding), NaN and the
 * infinities become null, undefined is null, tags are dropped (their
 * content is kept), map keys that are not text become their JSON text.
 */
#ifndef PGIOT_CBOR_JSON_H
#define PGIOT_CBOR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/json_out.h"

typedef struct CborJsonError
{
	size_t		position;		/* byte offset of the fault */
	char		message[200];
} CborJsonError;

/* Exactly one CBOR data item must fill the payload. */
extern bool cbor_to_json(const uint8_t *data, size_t len, JsonOut *out, CborJsonError *err);

/* Is s[0..len) valid UTF-8 without NUL (storable as PostgreSQL text)? */
extern bool utf8_text_valid(const char *s, size_t len);

#endif
