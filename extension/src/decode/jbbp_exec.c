/*
 * jbbp_exec.c: run a compiled JBBP program over a payload.
 *
 * The payload is one continuous bit stream, as in JBBP: bits are taken
 * from the least significant bit of the current byte up (LSB0), and a
 * byte read after a partial bit read is NOT re-aligned (it takes the next
 * 8 bits).  Where JBBP's stream returns the remaining bits of the last
 * byte as a short read, so do we (a byte read needs at least one bit).
 * $$ counts the bytes fully consumed since the start or the last reset$$.
 *
 * JBBP quirks kept on purpose (the reference decides): a little-endian
 * byte/ubyte array comes out reversed; a negative skip skips nothing; an
 * align whose expression is not positive only drops the partial byte.
 */
#include "decode/jbbp_exec.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


bool
jbbp_efail(Exec *e, JbbpErrorKind kind, const JbbpInsn *in, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (e->err->kind != JBBP_OK)
		return false;
	e->err->kind = kind;
	e->err->position = in ? in->pos : 0;
	va_start(ap, fmt);
	n = vsnprintf(e->err->message, sizeof(e->err->message), fmt, ap);
	va_end(ap);
	if (in != NULL && n >= 0 && (size_t) n < sizeof(e->err->message))
	{
		if (in->path >= 0)
			snprintf(e->err->message + n, sizeof(e->err->message) - n, " (field \"%s\")",
					 e->prog->keys + in->path);
		else
			snprintf(e->err->message + n, sizeof(e->err->message) - n,
					 " (unnamed item at position %d of the format)", in->pos);
	}
	return false;
}

static inline size_t
avail_bits(const Exec *e)
{
	return e->pos < e->len ? (e->len - e->pos) * 8 - (size_t) e->off : 0;
}

static bool
eof(Exec *e, const JbbpInsn *in)
{
	return jbbp_efail(e, JBBP_ERR_EOF, in, "payload too short: nothing left to read at byte %zu of %zu",
				e->pos, e->len);
}

/* Up to n (1..8) bits; fewer at the very end of the payload. */
static inline bool
read_bits(Exec *e, int n, const JbbpInsn *in, uint32_t *v)
{
	size_t		avail = avail_bits(e);
	int			take = n;
	uint32_t	window;

	if (avail == 0)
		return eof(e, in);
	if ((size_t) take > avail)
		take = (int) avail;
	window = e->data[e->pos];
	if (e->pos + 1 < e->len)
		window |= (uint32_t) e->data[e->pos + 1] << 8;
	*v = (window >> e->off) & ((1u << take) - 1);
	e->off += take;
	e->pos += e->off >> 3;
	e->off &= 7;
	return true;
}

static inline bool
read_byte(Exec *e, const JbbpInsn *in, uint32_t *v)
{
	if (e->off == 0)
	{
		if (e->pos >= e->len)
			return eof(e, in);
		*v = e->data[e->pos++];
		return true;
	}
	return read_bits(e, 8, in, v);
}

/* k bytes (2, 4 or 8) as an unsigned number in the given byte order. */
static inline bool
read_number(Exec *e, int k, bool little, const JbbpInsn *in, uint64_t *v)
{
	uint64_t	r = 0;

	if (e->off == 0 && e->pos + k <= e->len)
	{
		const uint8_t *p = e->data + e->pos;

		if (little)
			for (int i = k - 1; i >= 0; i--)
				r = (r << 8) | p[i];
		else
			for (int i = 0; i < k; i++)
				r = (r << 8) | p[i];
		e->pos += k;
		*v = r;
		return true;
	}
	for (int i = 0; i < k; i++)
	{
		uint32_t	b = 0;

		if (!read_byte(e, in, &b))
			return false;
		if (little)
			r |= (uint64_t) b << (8 * i);
		else
			r = (r << 8) | b;
	}
	*v = r;
	return true;
}

/* ---------------------------------------------------------------------
 * Values
 * --------------------------------------------------------------------- */

static bool
count_item(Exec *e, const JbbpInsn *in)
{
	if (++e->items > JBBP_MAX_ITEMS)
		return jbbp_efail(e, JBBP_ERR_LIMIT, in, "the payload decodes to more than %d values", JBBP_MAX_ITEMS);
	return true;
}

static bool
sbuf_put(Exec *e, const char *s, size_t n)
{
	if (e->slen + n > e->scap)
	{
		size_t		cap = e->scap ? e->scap * 2 : 64;
		char	   *nb;

		while (cap < e->slen + n)
			cap *= 2;
		nb = realloc(e->sbuf, cap);
		if (nb == NULL)
			return jbbp_efail(e, JBBP_ERR_NOMEM, NULL, "out of memory");
		e->sbuf = nb;
		e->scap = cap;
	}
	memcpy(e->sbuf + e->slen, s, n);
	e->slen += n;
	return true;
}

/* One character of an asciichar string: a byte, as Latin-1. */
static bool
read_ascii_char(Exec *e, const JbbpInsn *in)
{
	uint32_t	b = 0;
	char		u[2];

	if (!read_byte(e, in, &b))
		return false;
	if (b == 0)
		return true;			/* NUL cannot be stored in text: dropped */
	if (b < 0x80)
	{
		u[0] = (char) b;
		return sbuf_put(e, u, 1);
	}
	u[0] = (char) (0xC0 | (b >> 6));
	u[1] = (char) (0x80 | (b & 0x3F));
	return sbuf_put(e, u, 2);
}

/* One UTF-8 encoded character (1 to 4 bytes), validated. */
static bool
read_utf8_char(Exec *e, const JbbpInsn *in)
{
	uint32_t	b = 0,
				cp;
	int			n;
	char		u[4];
	size_t		at = e->pos;

	if (!read_byte(e, in, &b))
		return false;
	if (b < 0x80)
	{
		if (b == 0)
			return true;		/* NUL cannot be stored in text: dropped */
		u[0] = (char) b;
		return sbuf_put(e, u, 1);
	}
	if (b >= 0xC2 && b <= 0xDF)
		n = 2, cp = b & 0x1F;
	else if (b >= 0xE0 && b <= 0xEF)
		n = 3, cp = b & 0x0F;
	else if (b >= 0xF0 && b <= 0xF4)
		n = 4, cp = b & 0x07;
	else
		return jbbp_efail(e, JBBP_ERR_DATA, in, "invalid UTF-8 byte 0x%02X at byte %zu", b, at);
	u[0] = (char) b;
	for (int i = 1; i < n; i++)
	{
		uint32_t	c = 0;

		if (!read_byte(e, in, &c))
			return false;
		if ((c & 0xC0) != 0x80)
			return jbbp_efail(e, JBBP_ERR_DATA, in, "invalid UTF-8 sequence at byte %zu", at);
		cp = (cp << 6) | (c & 0x3F);
		u[i] = (char) c;
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		(cp >= 0xD800 && cp <= 0xDFFF))
		return jbbp_efail(e, JBBP_ERR_DATA, in, "invalid UTF-8 sequence at byte %zu", at);
	return sbuf_put(e, u, n);
}

static inline void
store(Exec *e, const JbbpInsn *in, int32_t v)
{
	e->slots[in->slot] = v;
	e->slot_set[in->slot] = 1;
}

/*
 * Read one element of a primitive type and write it (when `emit`).
 * Strings are handled by the caller.
 */
static inline bool
read_value(Exec *e, const JbbpInsn *in, int bits, bool emit, bool scalar)
{
	JsonOut    *o = e->out;
	uint32_t	b = 0;
	uint64_t	v;

	switch (in->op)
	{
		case OP_BIT:
			if (!read_bits(e, bits, in, &b))
				return false;
			if (emit)
				json_out_int(o, b);
			if (scalar && in->slot >= 0)
				store(e, in, (int32_t) b);
			return true;
		case OP_BOOL:
			if (!read_byte(e, in, &b))
				return false;
			if (emit)
				json_out_bool(o, b != 0);
			if (scalar && in->slot >= 0)
				store(e, in, b != 0);
			return true;
		case OP_BYTE:
		case OP_UBYTE:
			if (!read_byte(e, in, &b))
				return false;
			{
				int32_t		x = in->op == OP_BYTE ? (int32_t) (int8_t) b : (int32_t) b;

				if (emit)
					json_out_int(o, x);
				if (scalar && in->slot >= 0)
					store(e, in, x);
			}
			return true;
		case OP_SHORT:
		case OP_USHORT:
			if (!read_number(e, 2, in->little, in, &v))
				return false;
			{
				int32_t		x = in->op == OP_SHORT ? (int32_t) (int16_t) v : (int32_t) v;

				if (emit)
					json_out_int(o, x);
				if (scalar && in->slot >= 0)
					store(e, in, x);
			}
			return true;
		case OP_INT:
		case OP_UINT:
			if (!read_number(e, 4, in->little, in, &v))
				return false;
			if (emit)
			{
				if (in->op == OP_INT)
					json_out_int(o, (int32_t) (uint32_t) v);
				else
					json_out_uint(o, v);
			}
			if (scalar && in->slot >= 0)
				store(e, in, (int32_t) (uint32_t) v);
			return true;
		case OP_LONG:
			if (!read_number(e, 8, in->little, in, &v))
				return false;
			if (emit)
				json_out_int(o, (int64_t) v);
			if (scalar && in->slot >= 0)
				store(e, in, (int32_t) (uint32_t) v);
			return true;
		case OP_FLOAT:
			if (!read_number(e, 4, in->little, in, &v))
				return false;
			{
				uint32_t	u = (uint32_t) v;
				float		f;

				memcpy(&f, &u, 4);
				if (emit)
					json_out_float(o, f);
				if (scalar && in->slot >= 0)
					store(e, in, jbbp_java_int_of_float(f));
			}
			return true;
		case OP_DOUBLE:
			if (!read_number(e, 8, in->little, in, &v))
				return false;
			{
				double		d;

				memcpy(&d, &v, 8);
				if (emit)
					json_out_double(o, d);
				if (scalar && in->slot >= 0)
					store(e, in, jbbp_java_int_of_double(d));
			}
			return true;
	}
	return false;
}

static bool run_block(Exec *e, int from, int to, bool emit);

/* The element count of an array item; -1 for [_]. */
static bool
array_count(Exec *e, const JbbpInsn *in, int64_t *n)
{
	int32_t		v;

	switch (in->arr)
	{
		case ARR_FIXED:
			*n = in->count;
			return true;
		case ARR_REST:
			*n = -1;
			return true;
		case ARR_EXPR:
			if (!jbbp_eval(e, in->count_expr, in, &v))
				return false;
			if (v < 0)
				return jbbp_efail(e, JBBP_ERR_EVAL, in, "array size expression gives %d", v);
			*n = v;
			return true;
	}
	*n = 1;
	return true;
}

static bool
run_string(Exec *e, const JbbpInsn *in, int64_t n, bool emit)
{
	bool		(*one) (Exec *, const JbbpInsn *) = in->op == OP_UTF8 ? read_utf8_char : read_ascii_char;

	e->slen = 0;
	if (n < 0)
	{
		while (avail_bits(e) > 0)
			if (!one(e, in))
				return false;
	}
	else
	{
		if ((uint64_t) n > avail_bits(e))
			return jbbp_efail(e, JBBP_ERR_EOF, in,
						"payload too short: %lld characters wanted at byte %zu of %zu",
						(long long) n, e->pos, e->len);
		for (int64_t i = 0; i < n; i++)
			if (!one(e, in))
				return false;
	}
	if (emit)
	{
		json_out_raw_key(e->out, e->prog->keys + in->key, in->key_len);
		json_out_string(e->out, e->sbuf, e->slen);
	}
	return count_item(e, in);
}

static bool
run_struct(Exec *e, const JbbpInsn *in, int index, bool emit)
{
	int64_t		n;
	bool		named = emit && in->key >= 0;
	bool		empty_at_start;

	if (in->arr == ARR_NONE)
	{
		if (named)
		{
			json_out_raw_key(e->out, e->prog->keys + in->key, in->key_len);
			json_out_begin_object(e->out);
		}
		if (!run_block(e, index + 1, in->end, emit))
			return false;
		if (named)
			json_out_end_object(e->out);
		return count_item(e, in);
	}
	if (!array_count(e, in, &n))
		return false;
	empty_at_start = avail_bits(e) == 0;
	if (named)
	{
		json_out_raw_key(e->out, e->prog->keys + in->key, in->key_len);
		json_out_begin_array(e->out);
	}
	/* unnamed structure arrays are read but not written */
	for (int64_t i = 0; n < 0 ? avail_bits(e) > 0 : i < n; i++)
	{
		size_t		before = e->pos * 8 + e->off;

		if (named)
			json_out_begin_object(e->out);
		if (!run_block(e, index + 1, in->end, named))
			return false;
		if (named)
			json_out_end_object(e->out);
		if (!count_item(e, in))
			return false;
		if (n < 0 && e->pos * 8 + e->off == before)
			return jbbp_efail(e, JBBP_ERR_EVAL, in, "a structure array [_] whose element reads nothing never ends");
	}
	if (named)
		json_out_end_array(e->out);

	/*
	 * JBBP (2.0.x) reads the body of a [_] structure array that finds no
	 * data left once more, as if it were not an array, into the parent:
	 * named fields land in the parent object and any read fails.  Kept, as
	 * the reference decides.
	 */
	if (n < 0 && empty_at_start)
		return run_block(e, index + 1, in->end, emit);
	return true;
}

static bool
run_field(Exec *e, const JbbpInsn *in, bool emit)
{
	int32_t		x = in->extra;
	int64_t		n;
	bool		named = emit && in->key >= 0;

	if (in->extra_expr >= 0 && !jbbp_eval(e, in->extra_expr, in, &x))
		return false;
	switch (in->op)
	{
		case OP_SKIP:
			for (int32_t i = 0; i < x; i++)
			{
				uint32_t	b = 0;

				if (e->off == 0 && e->pos + (size_t) (x - i) <= e->len)
				{
					e->pos += x - i;
					break;
				}
				if (!read_byte(e, in, &b))
					return jbbp_efail(e, JBBP_ERR_EOF, in, "payload too short: cannot skip %d bytes", x);
			}
			return true;
		case OP_ALIGN:
			if (e->off > 0)
			{
				e->pos++;
				e->off = 0;
			}
			if (x > 0)
			{
				size_t		pad = ((size_t) x - (e->pos - e->base) % (size_t) x) % (size_t) x;

				if (e->pos + pad > e->len)
					return jbbp_efail(e, JBBP_ERR_EOF, in, "payload too short: cannot align to %d bytes", x);
				e->pos += pad;
			}
			return true;
		case OP_RESET:
			if (e->off > 0)
			{
				e->pos++;
				e->off = 0;
			}
			e->base = e->pos;
			return true;
		case OP_VAL:
			if (named)
			{
				json_out_raw_key(e->out, e->prog->keys + in->key, in->key_len);
				json_out_int(e->out, x);
			}
			if (in->slot >= 0)
				store(e, in, x);
			return count_item(e, in);
		case OP_BIT:
			if (x < 1 || x > 8)
				return jbbp_efail(e, JBBP_ERR_EVAL, in, "bit width %d is not in 1..8", x);
			break;
		default:
			break;
	}
	if (in->op == OP_UTF8 || in->op == OP_ASCII)
	{
		if (!array_count(e, in, &n))
			return false;
		return run_string(e, in, in->arr == ARR_NONE ? 1 : n, named);
	}
	if (in->arr == ARR_NONE)
	{
		if (named)
			json_out_raw_key(e->out, e->prog->keys + in->key, in->key_len);
		if (!read_value(e, in, x, named, true))
			return false;
		return count_item(e, in);
	}
	if (!array_count(e, in, &n))
		return false;
	if (n > 0 && (uint64_t) n > avail_bits(e))
		return jbbp_efail(e, JBBP_ERR_EOF, in, "payload too short: %lld elements wanted at byte %zu of %zu",
					(long long) n, e->pos, e->len);
	if (named)
	{
		json_out_raw_key(e->out, e->prog->keys + in->key, in->key_len);
		json_out_begin_array(e->out);
	}
	if (in->little && (in->op == OP_BYTE || in->op == OP_UBYTE))
	{
		/* JBBP reverses a little-endian byte array */
		size_t		start = e->pos;
		uint32_t	b = 0;
		uint8_t    *tmp;
		int64_t		k = 0;

		tmp = malloc(avail_bits(e) / 8 + 2);
		if (tmp == NULL)
			return jbbp_efail(e, JBBP_ERR_NOMEM, in, "out of memory");
		for (; n < 0 ? avail_bits(e) > 0 : k < n; k++)
		{
			if (!read_byte(e, in, &b))
			{
				free(tmp);
				return false;
			}
			tmp[k] = (uint8_t) b;
		}
		(void) start;
		for (int64_t i = k - 1; named && i >= 0; i--)
			json_out_int(e->out, in->op == OP_BYTE ? (int32_t) (int8_t) tmp[i] : (int32_t) tmp[i]);
		free(tmp);
		e->items += k;
	}
	else
	{
		for (int64_t i = 0; n < 0 ? avail_bits(e) > 0 : i < n; i++)
		{
			if (!read_value(e, in, x, named, false))
				return false;
			if (!count_item(e, in))
				return false;
		}
	}
	if (named)
		json_out_end_array(e->out);
	return count_item(e, in);
}

static bool
run_block(Exec *e, int from, int to, bool emit)
{
	const JbbpInsn *insns = e->prog->insns;

	for (int i = from; i < to; i++)
	{
		const JbbpInsn *in = &insns[i];

		if (in->op == OP_STRUCT)
		{
			if (!run_struct(e, in, i, emit))
				return false;
			i = in->end;
		}
		else if (!run_field(e, in, emit))
			return false;
	}
	return true;
}

static bool
decode(const JbbpProgram *prog, const uint8_t *data, size_t len, JsonOut *out, JbbpError *err,
	   bool braces)
{
	Exec		e;
	int32_t		small_slots[16];
	uint8_t		small_set[16];
	int32_t		small_stack[32];
	bool		ok;

	memset(err, 0, sizeof(*err));
	memset(&e, 0, sizeof(e));
	e.prog = prog;
	e.data = data;
	e.len = len;
	e.out = out;
	e.err = err;
	if (prog->nslots <= 16)
	{
		e.slots = small_slots;
		e.slot_set = small_set;
	}
	else
	{
		e.slots = malloc(sizeof(int32_t) * prog->nslots);
		e.slot_set = malloc(prog->nslots);
		if (e.slots == NULL || e.slot_set == NULL)
		{
			free(e.slots);
			free(e.slot_set);
			return jbbp_efail(&e, JBBP_ERR_NOMEM, NULL, "out of memory");
		}
	}
	memset(e.slot_set, 0, prog->nslots);
	e.stack = prog->max_stack <= 32 ? small_stack : malloc(sizeof(int32_t) * prog->max_stack);
	if (e.stack == NULL)
		ok = jbbp_efail(&e, JBBP_ERR_NOMEM, NULL, "out of memory");
	else
	{
		if (braces)
			json_out_begin_object(out);
		ok = run_block(&e, 0, prog->ninsns, true);
		if (braces)
			json_out_end_object(out);
	}
	if (ok && json_out_failed(out))
		ok = jbbp_efail(&e, JBBP_ERR_LIMIT, NULL, "the decoded JSON is too large");
	if (e.slots != small_slots)
	{
		free(e.slots);
		free(e.slot_set);
	}
	if (e.stack != small_stack)
		free(e.stack);
	free(e.sbuf);
	return ok;
}

bool
jbbp_decode(const JbbpProgram *prog, const uint8_t *data, size_t len, JsonOut *out, JbbpError *err)
{
	return decode(prog, data, len, out, err, true);
}

bool
jbbp_decode_members(const JbbpProgram *prog, const uint8_t *data, size_t len, JsonOut *out,
					JbbpError *err)
{
	return decode(prog, data, len, out, err, false);
}
