/*
 * jl_jsonb.c: the JsonLogic engine seen from PostgreSQL: arenas in memory
 * contexts, jsonb <-> JlValue conversion, error reports.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "common/shortest_dec.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "jl_jsonb.h"
#include "rules_errors.h"

void *
jl_pg_alloc(size_t size, void *ctx)
{
	return MemoryContextAlloc((MemoryContext) ctx, size);
}

void
jl_pg_release(void *ptr, void *ctx)
{
	pfree(ptr);
}

/* ------------------------------------------------------------------ */
/* jsonb -> JlValue: a direct walk of the container (no iterator, no	*/
/* allocation but the values themselves)								*/
/* ------------------------------------------------------------------ */

/*
 * A numeric as a double.  Most JSON numbers are short decimals: their
 * digits make an integer M < 2^53 and a power of ten 10^E with |E| <= 22,
 * both exact doubles, so one multiplication or division rounds correctly.
 * Anything else goes through numeric_float8_no_overflow.  The layout read
 * here is numeric's on-disk format (short and long headers, base-10000
 * digits), stable since PostgreSQL 9.1.
 */
static double
numeric_to_double(Numeric num)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(num);
	size_t		len = VARSIZE_ANY_EXHDR(num);
	uint16		header;
	int			weight,
				hdrlen,
				ndigits;
	bool		negative;
	uint64		m = 0;
	int			e;
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

	if (len < 2)
		goto slow;
	memcpy(&header, p, 2);
	if ((header & 0xC000) == 0x8000)
	{
		/* short format */
		negative = (header & 0x2000) != 0;
		weight = (header & 0x0040) ? (int) (~0x003F | (header & 0x003F)) : (int) (header & 0x003F);
		hdrlen = 2;
	}
	else if ((header & 0xC000) == 0xC000)
		goto slow;				/* NaN, infinities */
	else
	{
		int16		w;

		if (len < 4)
			goto slow;
		negative = (header & 0xC000) == 0x4000;
		memcpy(&w, p + 2, 2);
		weight = w;
		hdrlen = 4;
	}
	ndigits = (int) ((len - hdrlen) / 2);
	if (ndigits == 0)
		return 0;
	if (ndigits > 4)
		goto slow;
	for (int i = 0; i < ndigits; i++)
	{
		int16		d;

		memcpy(&d, p + hdrlen + 2 * i, 2);
		m = m * 10000 + (uint64) d;
	}
	if (m > (UINT64CONST(1) << 53))
		goto slow;
	e = 4 * (weight - (ndigits - 1));
	if (e > 22 || e < -22)
		goto slow;
	{
		double		v = e >= 0 ? (double) m * pow10[e] : (double) m / pow10[-e];

		return negative ? -v : v;
	}
slow:
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(num)));
}

static const JlValue *from_container(JlArena *a, const JsonbContainer *c, bool copy, int depth);

/* The value of child `i` of a container, whose data starts at `off`. */
static const JlValue *
child_value(JlArena *a, const JsonbContainer *c, const char *base, JEntry e, uint32 off,
			uint32 end, bool copy, int depth)
{
	if (JBE_ISSTRING(e))
		return jl_string(a, base + off, end - off, copy);
	if (JBE_ISNUMERIC(e))
		return jl_number(a, numeric_to_double((Numeric) (base + INTALIGN(off))));
	if (JBE_ISBOOL_TRUE(e))
		return &jl_true_value;
	if (JBE_ISBOOL_FALSE(e))
		return &jl_false_value;
	if (JBE_ISNULL(e))
		return &jl_null_value;
	return from_container(a, (const JsonbContainer *) (base + INTALIGN(off)), copy, depth + 1);
}

static const JlValue *
from_container(JlArena *a, const JsonbContainer *c, bool copy, int depth)
{
	uint32		n = JsonContainerSize(c);
	const char *base;
	uint32		off = 0;

	if (depth % 64 == 63)
		check_stack_depth();
	if (JsonContainerIsArray(c))
	{
		const JlValue **items;

		base = (const char *) &c->children[n];
		if (JsonContainerIsScalar(c))
		{
			JEntry		e = c->children[0];
			uint32		end = 0;

			JBE_ADVANCE_OFFSET(end, e);
			return child_value(a, c, base, e, 0, end, copy, depth);
		}
		items = jl_alloc(a, sizeof(JlValue *) * (n > 0 ? n : 1));
		for (uint32 i = 0; i < n; i++)
		{
			JEntry		e = c->children[i];
			uint32		end = off;

			JBE_ADVANCE_OFFSET(end, e);
			items[i] = child_value(a, c, base, e, off, end, copy, depth);
			off = end;
		}
		return jl_array(a, items, n);
	}
	else
	{
		JlMember   *members = jl_alloc(a, sizeof(JlMember) * (n > 0 ? n : 1));
		uint32		voff;

		base = (const char *) &c->children[2 * n];
		/* keys are children 0..n-1, values n..2n-1 */
		for (uint32 i = 0; i < n; i++)
		{
			JEntry		e = c->children[i];
			uint32		end = off;
			const JlValue *key;

			JBE_ADVANCE_OFFSET(end, e);
			if (copy)
			{
				key = jl_string_copy(a, base + off, end - off);
				members[i].key = key->u.str.ptr;
			}
			else
				members[i].key = base + off;	/* read in place */
			members[i].keylen = end - off;
			off = end;
		}
		voff = off;
		for (uint32 i = 0; i < n; i++)
		{
			JEntry		e = c->children[n + i];
			uint32		end = voff;

			JBE_ADVANCE_OFFSET(end, e);
			members[i].val = child_value(a, c, base, e, voff, end, copy, depth);
			voff = end;
		}
		return jl_object(a, members, n);
	}
}

const JlValue *
jl_from_jsonb(JlArena *a, Jsonb *jb, bool copy_strings)
{
	return from_container(a, &jb->root, copy_strings, 0);
}

const JlValue *
jl_from_jsonb_value(JlArena *a, JsonbValue *v, bool copy_strings)
{
	switch (v->type)
	{
		case jbvNull:
			return &jl_null_value;
		case jbvBool:
			return jl_bool(v->val.boolean);
		case jbvNumeric:
			return jl_number(a, numeric_to_double(v->val.numeric));
		case jbvString:
			return jl_string(a, v->val.string.val, v->val.string.len, copy_strings);
		case jbvBinary:
			return from_container(a, v->val.binary.data, copy_strings, 0);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return &jl_null_value;
}

/* ------------------------------------------------------------------ */
/* JlValue -> jsonb: written straight into jsonb's binary format, as	*/
/* jsonb_util.c's convertToJsonb lays it out (containers and numerics	*/
/* int-aligned, the padding counted in the entry's length, an offset	*/
/* instead of a length every JB_OFFSET_STRIDE entries, object keys		*/
/* sorted by length then bytes, the last of duplicate keys kept).		*/
/* ------------------------------------------------------------------ */

typedef struct EncBuf
{
	char	   *data;
	uint32		len;
	uint32		cap;
} EncBuf;

/* Room for n more bytes (doubling), or the jsonb size limit error. */
static pg_noinline void
enc_grow(EncBuf *b, uint32 n)
{
	uint32		cap = b->cap * 2;

	if ((uint64) b->len + n > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("JsonLogic result exceeds the maximum jsonb size")));
	while (cap < b->len + n)
		cap *= 2;
	/* never beyond the limit, so that a reserve within cap is within it */
	if (cap > JENTRY_OFFLENMASK)
		cap = JENTRY_OFFLENMASK;
	b->data = repalloc(b->data, cap);
	b->cap = cap;
}

/* n bytes appended (uninitialized); their offset */
static inline uint32
enc_reserve(EncBuf *b, uint32 n)
{
	uint32		at = b->len;

	if (unlikely((uint64) b->len + n > b->cap))
		enc_grow(b, n);
	b->len += n;
	return at;
}

static inline void
enc_append(EncBuf *b, const void *p, uint32 n)
{
	uint32		at = enc_reserve(b, n);

	if (n > 0)
		memcpy(b->data + at, p, n);
}

static inline uint32
enc_pad(EncBuf *b)
{
	uint32		pad = INTALIGN(b->len) - b->len;
	uint32		at = enc_reserve(b, pad);

	memset(b->data + at, 0, pad);
	return pad;
}

/* numeric's on-disk short header (numeric.c), as numeric_to_double reads it */
#define NUMERIC_SHORT_FORMAT	0x8000
#define NUMERIC_SHORT_NEGATIVE	0x2000
#define NUMERIC_SHORT_WEIGHT	0x003F

/*
 * An integer below 2^53 in magnitude, written as the numeric that
 * int64_to_numeric makes (short format, dscale 0, base-10000 digits with
 * the trailing zero digits stripped; zero has no digit and weight 0),
 * without its intermediate NumericVar.
 */
/* Bytes of an integer numeric datum (see above), with room for its largest. */
#define INTEGER_NUMERIC_MAX (VARHDRSZ + sizeof(uint16) + 4 * sizeof(int16))

static uint32
integer_numeric(int64 v, char *datum)
{
	uint64		u = v < 0 ? (uint64) 0 - (uint64) v : (uint64) v;
	int16		low_first[4];
	int16		digits[4];
	int			k = 0,
				n = 0,
				lowest = 0;
	uint16		header;
	uint32		size;

	while (u > 0)
	{
		low_first[k++] = (int16) (u % 10000);
		u /= 10000;
	}
	while (lowest < k && low_first[lowest] == 0)
		lowest++;
	for (int i = k - 1; i >= lowest; i--)
		digits[n++] = low_first[i];
	header = NUMERIC_SHORT_FORMAT | (v < 0 ? NUMERIC_SHORT_NEGATIVE : 0) |
		((k > 0 ? k - 1 : 0) & NUMERIC_SHORT_WEIGHT);
	size = VARHDRSZ + sizeof(uint16) + sizeof(int16) * n;
	SET_VARSIZE(datum, size);
	memcpy(datum + VARHDRSZ, &header, sizeof(uint16));
	memcpy(datum + VARHDRSZ + sizeof(uint16), digits, sizeof(int16) * n);
	return size;
}

static JEntry
enc_integer(EncBuf *b, int64 v)
{
	char		datum[INTEGER_NUMERIC_MAX];
	uint32		size = integer_numeric(v, datum);
	uint32		pad = enc_pad(b);

	enc_append(b, datum, size);
	return JENTRY_ISNUMERIC | (pad + size);
}

static JEntry
enc_number(EncBuf *b, double d)
{
	Numeric		num;
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];
	uint32		pad,
				size;

	if (!isfinite(d))
		return JENTRY_ISNULL;	/* NaN and infinities are written as null */
	if (fabs(d) < 9007199254740992.0 && d == trunc(d))
		return enc_integer(b, (int64) d);	/* exact below 2^53: its shortest form is itself */
	/* the shortest decimal that reads back as d (as jl_format_number's, in Ryu's layout) */
	double_to_shortest_decimal_buf(d, buf);
	num = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
											  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	pad = enc_pad(b);
	size = VARSIZE_ANY(num);
	enc_append(b, num, size);
	return JENTRY_ISNUMERIC | (pad + size);
}

static JEntry enc_value(EncBuf *b, const JlValue *v);

static JEntry
enc_scalar(EncBuf *b, const JlValue *v)
{
	switch (v->type)
	{
		case JL_NULL:
			return JENTRY_ISNULL;
		case JL_BOOL:
			return v->u.b ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
		case JL_NUMBER:
			return enc_number(b, v->u.num);
		case JL_STRING:
			enc_append(b, v->u.str.ptr, (uint32) v->u.str.len);
			return (JEntry) v->u.str.len;
		default:
			return enc_value(b, v);
	}
}

/* Write the entry of child i, turning its length into an end offset when due. */
static void
enc_entry(EncBuf *b, uint32 entries, uint32 i, JEntry meta, uint32 *total)
{
	*total += JBE_OFFLENFLD(meta);
	if (i % JB_OFFSET_STRIDE == 0)
		meta = (meta & JENTRY_TYPEMASK) | *total | JENTRY_HAS_OFF;
	memcpy(b->data + entries + i * sizeof(JEntry), &meta, sizeof(JEntry));
}

static JEntry
enc_array(EncBuf *b, const JlValue *v, bool raw_scalar)
{
	uint32		base = b->len,
				n = raw_scalar ? 1 : (uint32) v->u.arr.n,
				header,
				entries,
				total = 0;

	enc_pad(b);
	header = n | JB_FARRAY | (raw_scalar ? JB_FSCALAR : 0);
	enc_append(b, &header, sizeof(header));
	entries = enc_reserve(b, n * sizeof(JEntry));
	for (uint32 i = 0; i < n; i++)
		enc_entry(b, entries, i, enc_scalar(b, raw_scalar ? v : v->u.arr.items[i]), &total);
	return JENTRY_ISCONTAINER | (b->len - base);
}

static int
key_order(const JlMember *x, const JlMember *y)
{
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return x->keylen > 0 ? memcmp(x->key, y->key, x->keylen) : 0;
}

static int
member_cmp(const void *a, const void *b)
{
	const JlMember *const *x = a;
	const JlMember *const *y = b;
	int			c = key_order(*x, *y);

	/* equal keys: the later one first, so that it is kept */
	if (c == 0)
		return *x > *y ? -1 : (*x < *y ? 1 : 0);
	return c;
}

static JEntry
enc_object(EncBuf *b, const JlValue *v)
{
	uint32		base = b->len,
				n = (uint32) v->u.obj.n,
				kept = 0,
				header,
				entries,
				total = 0;
	const JlMember **m = palloc(sizeof(JlMember *) * (n > 0 ? n : 1));
	bool		ordered = true;

	for (uint32 i = 0; i < n; i++)
	{
		m[i] = &v->u.obj.members[i];
		if (i > 0 && key_order(m[i - 1], m[i]) >= 0)
			ordered = false;
	}
	if (!ordered)
	{
		qsort(m, n, sizeof(JlMember *), member_cmp);
		for (uint32 i = 0; i < n; i++)
			if (kept == 0 || key_order(m[kept - 1], m[i]) != 0)
				m[kept++] = m[i];
		n = kept;
	}
	check_stack_depth();
	enc_pad(b);
	header = n | JB_FOBJECT;
	enc_append(b, &header, sizeof(header));
	entries = enc_reserve(b, 2 * n * sizeof(JEntry));
	for (uint32 i = 0; i < n; i++)
	{
		enc_append(b, m[i]->key, (uint32) m[i]->keylen);
		enc_entry(b, entries, i, (JEntry) m[i]->keylen, &total);
	}
	for (uint32 i = 0; i < n; i++)
		enc_entry(b, entries, n + i, enc_scalar(b, m[i]->val), &total);
	pfree(m);
	return JENTRY_ISCONTAINER | (b->len - base);
}

static JEntry
enc_value(EncBuf *b, const JlValue *v)
{
	if (v->type == JL_ARRAY)
	{
		check_stack_depth();
		return enc_array(b, v, false);
	}
	if (v->type == JL_OBJECT)
		return enc_object(b, v);
	return enc_scalar(b, v);
}

/* true, false and null as jsonb, built once per backend, handed out as copies */
static Jsonb *constant_jsonb[3];

Jsonb *
jl_to_jsonb(const JlValue *v)
{
	EncBuf		b;
	int			slot = -1;

	if (v->type == JL_BOOL)
		slot = v->u.b ? 1 : 0;
	else if (v->type == JL_NULL || (v->type == JL_NUMBER && !isfinite(v->u.num)))
		slot = 2;
	if (slot >= 0 && constant_jsonb[slot] != NULL)
	{
		Jsonb	   *copy = palloc(VARSIZE(constant_jsonb[slot]));

		memcpy(copy, constant_jsonb[slot], VARSIZE(constant_jsonb[slot]));
		return copy;
	}
	/*
	 * A string or an integer alone: a raw scalar (a one-element array
	 * flagged scalar; its entry holds the end offset, as the first entry of
	 * a container does), written at its exact size.
	 */
	if ((v->type == JL_STRING && v->u.str.len <= JENTRY_OFFLENMASK - 64) ||
		(v->type == JL_NUMBER && fabs(v->u.num) < 9007199254740992.0 && v->u.num == trunc(v->u.num)))
	{
		char		datum[INTEGER_NUMERIC_MAX];
		const char *bytes;
		uint32		len;
		uint32		header = 1 | JB_FARRAY | JB_FSCALAR;
		JEntry		entry;
		char	   *out;

		if (v->type == JL_STRING)
		{
			bytes = v->u.str.ptr;
			len = (uint32) v->u.str.len;
			entry = JENTRY_ISSTRING | len | JENTRY_HAS_OFF;
		}
		else
		{
			/* at offset 2 * 4 of the container: int-aligned, no padding */
			len = integer_numeric((int64) v->u.num, datum);
			bytes = datum;
			entry = JENTRY_ISNUMERIC | len | JENTRY_HAS_OFF;
		}
		out = palloc(VARHDRSZ + sizeof(header) + sizeof(entry) + len);
		SET_VARSIZE(out, VARHDRSZ + sizeof(header) + sizeof(entry) + len);
		memcpy(out + VARHDRSZ, &header, sizeof(header));
		memcpy(out + VARHDRSZ + sizeof(header), &entry, sizeof(entry));
		if (len > 0)
			memcpy(out + VARHDRSZ + sizeof(header) + sizeof(entry), bytes, len);
		return (Jsonb *) out;
	}
	b.cap = 64;
	b.data = palloc(b.cap);
	b.len = VARHDRSZ;
	if (v->type == JL_ARRAY || v->type == JL_OBJECT)
		(void) enc_value(&b, v);
	else
		(void) enc_array(&b, v, true);
	SET_VARSIZE(b.data, b.len);
	if (slot >= 0)
	{
		constant_jsonb[slot] = MemoryContextAlloc(TopMemoryContext, b.len);
		memcpy(constant_jsonb[slot], b.data, b.len);
	}
	return (Jsonb *) b.data;
}

void
jl_report_error(const JlError *err, const char *what)
{
	switch (err->code)
	{
		case JL_ERR_TOO_COMPLEX:
			ereport(ERROR,
					(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
					 errmsg("%s: %s", what, err->message),
					 errhint("Rules are limited to %d evaluation steps per message.",
							 JL_DEFAULT_MAX_STEPS)));
			break;
		case JL_ERR_DEPTH:
			ereport(ERROR,
					(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
					 errmsg("%s: %s", what, err->message),
					 errdetail("at %s", err->where[0] ? err->where : "/")));
			break;
		case JL_ERR_JSON:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("%s: %s at position %d", what, err->message, err->position)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_PGIOT_INVALID_RULE),
					 errmsg("%s: %s", what, err->message),
					 errdetail("at %s", err->where[0] ? err->where : "/")));
	}
	pg_unreachable();
}
