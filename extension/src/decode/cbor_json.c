/*
 * cbor_json.c: CBOR data item -> JSON text (see cbor_json.h).
 */
#include "decode/cbor_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#define CBOR_MAX_DEPTH 100

bool
utf8_text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		unsigned	c = p[i];
		int			n;
		uint32_t	cp;

		if (c == 0)
			return false;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 2, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 3, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 4, cp = c & 0x07;
		else
			return false;
		if (i + n > len)
			return false;
		for (int k = 1; k < n; k++)
		{
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

/*
 * libcbor allocates arrays and maps for their declared size before it
 * reads them: walk the item headers first, so that no declared size is
 * larger than the bytes left could hold (an element takes at least one
 * byte).  Returns false with the offset of the first impossible header.
 */
static bool
plausible(const uint8_t *p, size_t len, size_t *pos, int depth)
{
	uint8_t		ib;
	int			major,
				ai;
	uint64_t	val = 0;

	if (depth > CBOR_MAX_DEPTH || *pos >= len)
		return false;
	ib = p[(*pos)++];
	major = ib >> 5;
	ai = ib & 31;
	if (ai >= 24 && ai <= 27)
	{
		int			n = 1 << (ai - 24);

		if (len - *pos < (size_t) n)
			return false;
		for (int i = 0; i < n; i++)
			val = (val << 8) | p[(*pos)++];
	}
	else if (ai >= 28 && ai <= 30)
		return false;
	else if (ai < 24)
		val = ai;
	if (major == 7 || major <= 1)
		return ai != 31;
	if (major == 6)
		return ai != 31 && plausible(p, len, pos, depth + 1);
	if (ai == 31)
	{
		/* indefinite: items (or chunks) up to the break byte */
		while (*pos < len && p[*pos] != 0xFF)
		{
			if ((major == 2 || major == 3) && (p[*pos] >> 5) != major)
				return false;
			if (!plausible(p, len, pos, depth + 1))
				return false;
			if (major == 5 && !plausible(p, len, pos, depth + 1))
				return false;
		}
		if (*pos >= len)
			return false;
		(*pos)++;
		return true;
	}
	if (major == 2 || major == 3)
	{
		if (val > len - *pos)
			return false;
		*pos += val;
		return true;
	}
	if (val > (len - *pos) / (major == 5 ? 2 : 1))
		return false;
	for (uint64_t i = 0; i < val * (major == 5 ? 2 : 1); i++)
		if (!plausible(p, len, pos, depth + 1))
			return false;
	return true;
}

typedef struct Conv
{
	JsonOut    *out;
	CborJsonError *err;
	char	   *tmp;			/* concatenated chunks */
	size_t		tmp_len;
	size_t		tmp_cap;
} Conv;

static bool
cfail(Conv *c, const char *msg)
{
	if (c->err->message[0] == '\0')
		snprintf(c->err->message, sizeof(c->err->message), "%s", msg);
	return false;
}

static bool
tmp_put(Conv *c, const void *d, size_t n)
{
	if (n == 0)
		return true;
	if (c->tmp_len + n > c->tmp_cap)
	{
		size_t		cap = c->tmp_cap ? c->tmp_cap : 256;
		char	   *nb;

		while (cap < c->tmp_len + n)
			cap *= 2;
		nb = realloc(c->tmp, cap);
		if (nb == NULL)
			return cfail(c, "out of memory");
		c->tmp = nb;
		c->tmp_cap = cap;
	}
	memcpy(c->tmp + c->tmp_len, d, n);
	c->tmp_len += n;
	return true;
}

/* The bytes of a (possibly chunked) byte or text string into c->tmp. */
static bool
gather(Conv *c, cbor_item_t *item, bool text)
{
	c->tmp_len = 0;
	if (text ? cbor_string_is_indefinite(item) : cbor_bytestring_is_indefinite(item))
	{
		size_t		n = text ? cbor_string_chunk_count(item) : cbor_bytestring_chunk_count(item);
		cbor_item_t **chunks = text ? cbor_string_chunks_handle(item) : cbor_bytestring_chunks_handle(item);

		for (size_t i = 0; i < n; i++)
			if (!tmp_put(c, text ? cbor_string_handle(chunks[i]) : cbor_bytestring_handle(chunks[i]),
						 text ? cbor_string_length(chunks[i]) : cbor_bytestring_length(chunks[i])))
				return false;
		return true;
	}
	return tmp_put(c, text ? cbor_string_handle(item) : cbor_bytestring_handle(item),
				   text ? cbor_string_length(item) : cbor_bytestring_length(item));
}

static bool
base64url(Conv *c, JsonOut *o)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = (const unsigned char *) c->tmp;
	size_t		n = c->tmp_len;
	char	   *enc = malloc(n / 3 * 4 + 5);
	size_t		k = 0;

	if (enc == NULL)
		return cfail(c, "out of memory");
	for (size_t i = 0; i < n; i += 3)
	{
		uint32_t	v = (uint32_t) p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t) p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		enc[k++] = tbl[(v >> 18) & 63];
		enc[k++] = tbl[(v >> 12) & 63];
		if (i + 1 < n)
			enc[k++] = tbl[(v >> 6) & 63];
		if (i + 2 < n)
			enc[k++] = tbl[v & 63];
	}
	json_out_string(o, enc, k);
	free(enc);
	return true;
}

static bool convert(Conv *c, cbor_item_t *item, int depth);

/* A map key as JSON object key text. */
static bool
write_key(Conv *c, cbor_item_t *key, int depth)
{
	while (cbor_isa_tag(key))
		key = cbor_move(cbor_tag_item(key));	/* the map still holds it */
	if (cbor_isa_string(key))
	{
		if (!gather(c, key, true))
			return false;
		if (c->tmp_len > 0 && !utf8_text_valid(c->tmp, c->tmp_len))
			return cfail(c, "map key is not valid UTF-8 text");
		json_out_key(c->out, c->tmp, c->tmp_len);
		return true;
	}
	{
		JsonOut		k;
		JsonOut    *saved = c->out;
		bool		ok;

		json_out_init(&k, saved->limit);
		c->out = &k;
		ok = convert(c, key, depth + 1);
		c->out = saved;
		if (ok && json_out_failed(&k))
			ok = cfail(c, "a map key is too large or nested too deeply");
		if (ok)
			json_out_key(saved, k.buf, k.len);
		json_out_free(&k);
		return ok;
	}
}

static bool
convert(Conv *c, cbor_item_t *item, int depth)
{
	JsonOut    *o = c->out;

	if (depth > CBOR_MAX_DEPTH)
		return cfail(c, "CBOR nested too deeply");
	switch (cbor_typeof(item))
	{
		case CBOR_TYPE_UINT:
			json_out_uint(o, cbor_get_int(item));
			return true;
		case CBOR_TYPE_NEGINT:
			{
				uint64_t	n = cbor_get_int(item);	/* value is -1 - n */
				char		buf[32];

				if (n < INT64_MAX)
					json_out_int(o, -1 - (int64_t) n);
				else
				{
					/* -1 - n for n up to 2^64-1: print the magnitude n + 1 */
					unsigned __int128 m = (unsigned __int128) n + 1;
					char	   *p = buf + sizeof(buf);

					*--p = '\0';
					do
					{
						*--p = (char) ('0' + (int) (m % 10));
						m /= 10;
					} while (m);
					*--p = '-';
					json_out_raw_value(o, p, strlen(p));
				}
				return true;
			}
		case CBOR_TYPE_BYTESTRING:
			return gather(c, item, false) && base64url(c, o);
		case CBOR_TYPE_STRING:
			if (!gather(c, item, true))
				return false;
			if (c->tmp_len > 0 && !utf8_text_valid(c->tmp, c->tmp_len))
				return cfail(c, "text string is not valid UTF-8 (or contains NUL)");
			json_out_string(o, c->tmp, c->tmp_len);
			return true;
		case CBOR_TYPE_ARRAY:
			{
				size_t		n = cbor_array_size(item);
				cbor_item_t **items = cbor_array_handle(item);

				json_out_begin_array(o);
				for (size_t i = 0; i < n; i++)
					if (!convert(c, items[i], depth + 1))
						return false;
				json_out_end_array(o);
				return true;
			}
		case CBOR_TYPE_MAP:
			{
				size_t		n = cbor_map_size(item);
				struct cbor_pair *pairs = cbor_map_handle(item);

				json_out_begin_object(o);
				for (size_t i = 0; i < n; i++)
					if (!write_key(c, pairs[i].key, depth) || !convert(c, pairs[i].value, depth + 1))
						return false;
				json_out_end_object(o);
				return true;
			}
		case CBOR_TYPE_TAG:
			{
				cbor_item_t *inner = cbor_tag_item(item);
				bool		ok = convert(c, inner, depth + 1);

				cbor_decref(&inner);
				return ok;
			}
		case CBOR_TYPE_FLOAT_CTRL:
			if (cbor_float_ctrl_is_ctrl(item))
			{
				if (cbor_is_bool(item))
					json_out_bool(o, cbor_get_bool(item));
				else if (cbor_is_null(item) || cbor_is_undef(item))
					json_out_null(o);
				else
					json_out_uint(o, cbor_ctrl_value(item));	/* other simple values */
				return true;
			}
			{
				double		d = cbor_float_get_float(item);

				if (!isfinite(d))
					json_out_null(o);
				else if (cbor_float_get_width(item) == CBOR_FLOAT_32)
					json_out_float(o, (float) d);
				else
					json_out_double(o, d);
				return true;
			}
	}
	return cfail(c, "unknown CBOR item");
}

bool
cbor_to_json(const uint8_t *data, size_t len, JsonOut *out, CborJsonError *err)
{
	struct cbor_load_result res;
	cbor_item_t *item;
	Conv		c;
	bool		ok;

	memset(err, 0, sizeof(*err));
	if (len == 0)
	{
		snprintf(err->message, sizeof(err->message), "empty CBOR payload");
		return false;
	}
	{
		size_t		pos = 0;

		if (!plausible(data, len, &pos, 0))
		{
			err->position = pos;
			snprintf(err->message, sizeof(err->message),
					 "malformed or truncated CBOR data near byte %zu", pos > 0 ? pos - 1 : 0);
			return false;
		}
	}
	item = cbor_load(data, len, &res);
	if (item == NULL || res.error.code != CBOR_ERR_NONE)
	{
		const char *why;

		switch (res.error.code)
		{
			case CBOR_ERR_NOTENOUGHDATA:
				why = "truncated CBOR data";
				break;
			case CBOR_ERR_MEMERROR:
				why = "out of memory (or a declared size too large)";
				break;
			default:
				why = "malformed CBOR data";
		}
		err->position = res.error.position;
		snprintf(err->message, sizeof(err->message), "%s at byte %zu", why, res.error.position);
		if (item)
			cbor_decref(&item);
		return false;
	}
	if (res.read != len)
	{
		err->position = res.read;
		snprintf(err->message, sizeof(err->message), "%zu bytes after the CBOR data item (at byte %zu)",
				 len - res.read, res.read);
		cbor_decref(&item);
		return false;
	}
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.err = err;
	ok = convert(&c, item, 0);
	if (ok && json_out_failed(out))
		ok = cfail(&c, "the JSON is too large");
	free(c.tmp);
	cbor_decref(&item);
	return ok;
}
