/*
 * jsonb_build.c: a JsonSink (decode/json_out.h) that writes jsonb directly
 * from the decoders' events, in PostgreSQL's on-disk jsonb format, without
 * printing JSON and parsing it again (most of the cost of a decoded
 * payload) and without an intermediate JsonbValue tree.
 *
 * Each open container collects its children as items (a type, the bytes of
 * a string, a numeric or an already written child container, and for
 * objects the key).  When it closes, an object's items are sorted the way
 * jsonb wants them (shorter keys first, then by bytes; of equal keys the
 * last one wins) and the container is written: its header, the JEntries
 * (every 32nd holding an end offset instead of a length), the keys, then
 * the values, numerics and containers padded to 4 bytes.  A container's
 * bytes are written relative to its own start, which its parent always
 * places on a 4-byte boundary, so the padding is what jsonb_in would have
 * made; the differential test checks every result against the jsonb its
 * text makes.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "decode/jsonb_build.h"

typedef struct Item
{
	const char *key;			/* objects */
	int			key_len;
	int			order;			/* position in the input (duplicate keys) */
	uint32		type;			/* JENTRY_IS* */
	const char *data;			/* string bytes, numeric, or container bytes */
	int			len;
	char		inl[16];		/* a small numeric, when data is NULL */
} Item;

typedef struct Frame
{
	bool		object;
	int			n;
	int			cap;
	Item	   *items;
	const char *key;			/* objects: the key waiting for its value */
	int			key_len;
} Frame;

static inline void put_numeric(JsonbBuilder *b, Numeric n);
static void add(JsonbBuilder *b, uint32 type, const char *data, int len);
static void add_inline(JsonbBuilder *b, uint32 type, const char *bytes, int len);

struct JsonbBuilder
{
	Frame	   *frames;			/* grows with the depth */
	int			frames_cap;
	int			depth;
	Item		root;
	bool		done;
	bool		stable_keys;	/* keys outlive the build: no copies */
};

/*
 * A Numeric of the value (-1)^neg * digits * 10^exp10, built directly in
 * PostgreSQL's numeric format (what numeric_in would make of the same
 * text, display scale included): base-10000 groups, leading and trailing
 * zero groups dropped, the short header when weight and scale allow.
 */
#define NBASE_DIGITS 4
#define N_POS 0x0000
#define N_NEG 0x4000
#define N_SHORT 0x8000
#define N_SHORT_SIGN 0x2000
#define N_SHORT_DSCALE_SHIFT 7
#define N_SHORT_WEIGHT_SIGN 0x0040
#define N_SHORT_WEIGHT_MASK 0x003F
#define N_DSCALE_MASK 0x3FFF

static inline int
floordiv4(int x)
{
	return x >= 0 ? x / 4 : -((-x + 3) / 4);
}

static Numeric
numeric_of_digits(bool neg, const char *digits, int ndig, int exp10)
{
	int			first = 0;
	int			dscale = exp10 < 0 ? -exp10 : 0;
	int			weight,
				low,
				ngroups;
	int16		groups[64];
	int16	   *g = groups;
	Numeric		n;
	bool		is_short;
	char	   *p;

	while (first < ndig && digits[first] == '0')
		first++;
	if (first == ndig)
	{
		/* zero: no digits, weight 0, positive; numeric_in keeps the scale */
		n = palloc(VARHDRSZ + sizeof(uint16));
		SET_VARSIZE(n, VARHDRSZ + sizeof(uint16));
		if (dscale > 63)
			dscale = 63;
		*(uint16 *) VARDATA(n) = N_SHORT | (dscale << N_SHORT_DSCALE_SHIFT);
		return n;
	}
	digits += first;			/* from the first significant digit */
	ndig -= first;
	first = 0;
	weight = floordiv4(exp10 + ndig - 1);
	low = floordiv4(exp10);
	ngroups = weight - low + 1;
	if (ngroups > (int) lengthof(groups))
		g = palloc(sizeof(int16) * ngroups);
	memset(g, 0, sizeof(int16) * ngroups);
	for (int i = first; i < ndig; i++)
	{
		int			x = exp10 + (ndig - 1 - i);	/* decimal exponent of this digit */
		int			grp = floordiv4(x);
		static const int16 pow10[4] = {1, 10, 100, 1000};

		g[weight - grp] += (int16) ((digits[i] - '0') * pow10[x - 4 * grp]);
	}
	while (ngroups > 0 && g[ngroups - 1] == 0)
		ngroups--;
	is_short = dscale <= 63 && weight >= -64 && weight <= 63;
	{
		Size		len = VARHDRSZ + (is_short ? sizeof(uint16) : 2 * sizeof(uint16)) +
			sizeof(int16) * ngroups;

		n = palloc(len);
		SET_VARSIZE(n, len);
	}
	p = VARDATA(n);
	if (is_short)
	{
		uint16		h = N_SHORT | (neg ? N_SHORT_SIGN : 0) | (dscale << N_SHORT_DSCALE_SHIFT) |
			(weight < 0 ? N_SHORT_WEIGHT_SIGN : 0) | (weight & N_SHORT_WEIGHT_MASK);

		memcpy(p, &h, sizeof(h));
		p += sizeof(h);
	}
	else
	{
		uint16		sd = (neg ? N_NEG : N_POS) | (dscale & N_DSCALE_MASK);
		int16		w = (int16) weight;

		memcpy(p, &sd, sizeof(sd));
		memcpy(p + sizeof(sd), &w, sizeof(w));
		p += sizeof(sd) + sizeof(w);
	}
	memcpy(p, g, sizeof(int16) * ngroups);
	if (g != groups)
		pfree(g);
	return n;
}

/* A JSON number's text (-?digits[.digits][e[+-]digits]). */
static Numeric
numeric_of_text(const char *text, size_t len)
{
	char		digits[64];
	char	   *d = len < sizeof(digits) ? digits : palloc(len + 1);
	int			nd = 0,
				exp10 = 0,
				frac = 0;
	bool		neg = false,
				in_frac = false;
	size_t		i = 0;

	if (i < len && text[i] == '-')
		neg = true, i++;
	for (; i < len; i++)
	{
		char		c = text[i];

		if (c >= '0' && c <= '9')
		{
			d[nd++] = c;
			frac += in_frac;
		}
		else if (c == '.')
			in_frac = true;
		else if (c == 'e' || c == 'E')
		{
			exp10 = atoi(text + i + 1);
			break;
		}
	}
	return numeric_of_digits(neg, d, nd, exp10 - frac);
}

/*
 * An integer in numeric's on-disk form (base-10000 groups straight from
 * the value, short header) into out (16 bytes at most); its length.
 */
static int
numeric_uint_bytes(bool neg, uint64 u, char *out)
{
	int16		rev[5];
	int			n = 0,
				k,
				weight,
				len;
	uint16		h;

	while (u > UINT32_MAX)
	{
		rev[n++] = (int16) (u % 10000);
		u /= 10000;
	}
	{
		uint32		w = (uint32) u;	/* 32-bit division from here */

		while (w > 0)
		{
			rev[n++] = (int16) (w % 10000);
			w /= 10000;
		}
	}
	weight = n - 1;
	k = 0;
	while (k < n && rev[k] == 0)
		k++;					/* trailing zero groups (least significant first) */
	if (k == n)
	{
		neg = false;
		weight = 0;
	}
	len = VARHDRSZ + sizeof(uint16) + sizeof(int16) * (n - k);
	SET_VARSIZE(out, len);
	h = N_SHORT | (neg ? N_SHORT_SIGN : 0) | (weight & N_SHORT_WEIGHT_MASK);
	memcpy(out + VARHDRSZ, &h, sizeof(h));
	for (int i = n - 1, o = 0; i >= k; i--, o++)
		memcpy(out + VARHDRSZ + sizeof(h) + sizeof(int16) * o, &rev[i], sizeof(int16));
	return len;
}

static Numeric
numeric_of_uint(bool neg, uint64 u)
{
	char		buf[16];
	int			len = numeric_uint_bytes(neg, u, buf);
	Numeric		num = palloc(len);

	memcpy(num, buf, len);
	return num;
}

/*
 * Small integers (bytes, bit fields, counters) as shared Numerics, made
 * once per backend: jsonb copies a numeric's bytes, so sharing is safe.
 */
#define SMALL_INTS 1024
static Numeric small_ints[SMALL_INTS];

static void
sink_integer(void *arg, int64_t v)
{
	if (v >= 0 && v < SMALL_INTS)
	{
		if (small_ints[v] == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			small_ints[v] = numeric_of_uint(false, (uint64) v);
			MemoryContextSwitchTo(old);
		}
		put_numeric(arg, small_ints[v]);
		return;
	}
	{
		char		buf[16];
		int			len = numeric_uint_bytes(v < 0, v < 0 ? (uint64) 0 - (uint64) v : (uint64) v, buf);

		add_inline(arg, JENTRY_ISNUMERIC, buf, len);
	}
}

static void
sink_unsigned(void *arg, uint64_t v)
{
	put_numeric(arg, numeric_of_uint(false, v));
}

/*
 * The shortest decimal of a float, without printf: for 6..9 significant
 * digits, the nearest p-digit decimal m * 10^-k (computed in double, where
 * powers of ten up to 10^22 are exact and m < 10^9 is exact) is kept when
 * it reads back as the same float.  Reading back goes through a double
 * (the correctly rounded quotient); when that double falls exactly on the
 * midpoint of two floats the answer could differ from direct rounding, so
 * that case (and scales beyond 10^22) takes the printf path.  False: use
 * the printf path.
 */
/*
 * The shortest decimal of a float, without printf: for 6..9 significant
 * digits, the nearest p-digit decimal m * 10^-k (computed in double, where
 * powers of ten up to 10^22 are exact and m < 10^9 is exact) is kept when
 * it reads back as the same float.  Reading back goes through a double
 * (the correctly rounded quotient); when that double falls exactly on the
 * midpoint of two floats the answer could differ from direct rounding, so
 * that case (and scales beyond 10^22) takes the printf path.  False: use
 * the printf path.
 */
static bool
float_digits(float f, uint64 *mant, int *exp10)
{
	static const double p10[23] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
		1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
	};
	double		d = fabs((double) f);
	int			e;

	if (d == 0 || !isfinite(d) || d < 1e-30 || d > 1e30)
		return false;
	e = (int) floor(log10(d));
	for (int p = 6; p <= 9; p++)
	{
		int			k = p - 1 - e;
		double		prod,
					back;
		uint64		m;
		uint64		bits;

		if (k > 22 || k < -22)
			return false;
		prod = k >= 0 ? d * p10[k] : d / p10[-k];
		m = (uint64) rint(prod);	/* ties to even, as printf */
		back = k >= 0 ? (double) m / p10[k] : (double) m * p10[-k];
		memcpy(&bits, &back, sizeof(bits));
		if ((bits & 0x1FFFFFFF) == 0x10000000)
			return false;		/* on a float midpoint: let printf decide */
		if ((float) back == fabsf(f))
		{
			int			x = -k;

			while (m != 0 && m % 10 == 0)
			{
				m /= 10;
				x++;
			}
			*mant = m;
			*exp10 = x;
			return true;
		}
	}
	return false;
}

static void
add(JsonbBuilder *b, uint32 type, const char *data, int len)
{
	Frame	   *f;
	Item	   *it;

	if (b->depth == 0)
	{
		b->root.type = type;
		b->root.data = data;
		b->root.len = len;
		b->done = true;
		return;
	}
	f = &b->frames[b->depth - 1];
	if (f->n == f->cap)
	{
		f->cap = f->cap ? f->cap * 2 : 16;
		f->items = f->items ? repalloc(f->items, sizeof(Item) * f->cap) : palloc(sizeof(Item) * f->cap);
	}
	it = &f->items[f->n];
	it->key = f->key;
	it->key_len = f->key_len;
	it->order = f->n++;
	it->type = type;
	it->data = data;
	it->len = len;
}

/* A value whose bytes are kept in the item itself (len <= 16). */
static void
add_inline(JsonbBuilder *b, uint32 type, const char *bytes, int len)
{
	if (b->depth == 0)
	{
		char	   *copy = palloc(len);

		memcpy(copy, bytes, len);
		add(b, type, copy, len);
		return;
	}
	add(b, type, NULL, len);
	memcpy(b->frames[b->depth - 1].items[b->frames[b->depth - 1].n - 1].inl, bytes, len);
}

static void
sink_begin(void *arg, bool object)
{
	JsonbBuilder *b = arg;
	Frame	   *f;

	if (b->depth == b->frames_cap)
	{
		b->frames_cap = b->frames_cap ? b->frames_cap * 2 : 8;
		b->frames = b->frames ? repalloc(b->frames, sizeof(Frame) * b->frames_cap)
			: palloc(sizeof(Frame) * b->frames_cap);
	}
	f = &b->frames[b->depth++];
	f->object = object;
	f->n = f->cap = 0;
	f->items = NULL;
	f->key = NULL;
	f->key_len = 0;
}

static inline int
item_cmp(const Item *a, const Item *b)
{
	if (a->key_len != b->key_len)
		return a->key_len < b->key_len ? -1 : 1;
	{
		int			c = memcmp(a->key, b->key, a->key_len);

		if (c != 0)
			return c;
	}
	return a->order < b->order ? -1 : a->order > b->order;
}

static inline bool
same_key(const Item *a, const Item *b)
{
	return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

#define SORT_MEMO_MAX 64
#define SORT_MEMO_SLOTS 16
typedef struct SortMemo
{
	int			n;
	const char *key0;
	int16		perm[SORT_MEMO_MAX];
} SortMemo;

/* Per backend: only a starting order for the next sort (see below). */
static SortMemo sort_memo[SORT_MEMO_SLOTS];

static inline bool
padded(uint32 type)
{
	return type == JENTRY_ISNUMERIC || type == JENTRY_ISCONTAINER;
}

/* Write a closed container; `lead` bytes are left free before it. */
static char *
write_container(Frame *f, int lead, int *out_len)
{
	int			n = f->n;
	int			nentries = f->object ? 2 * n : n;
	Size		size;
	char	   *buf,
			   *p;
	uint32	   *jentries;
	uint32		header;
	int			data_start,
				pos,
				total;

	if (f->object && n > 1)
	{
		int16		idxbuf[SORT_MEMO_MAX];
		int16	   *idx = n <= SORT_MEMO_MAX ? idxbuf : palloc(sizeof(int16) * n);
		SortMemo   *memo = n <= SORT_MEMO_MAX ?
			&sort_memo[((uintptr_t) f->items[0].key >> 4 ^ (uintptr_t) n) % SORT_MEMO_SLOTS] : NULL;
		Item	   *sorted = palloc(sizeof(Item) * n);
		int			k = 0;

		/*
		 * Insertion sort of an index, seeded with the order the last object
		 * of the same size and first key came out in: a decoder writes the
		 * same keys again and again, so the seed is usually sorted already
		 * and the sort is one pass.  (The seed is only a starting order.)
		 */
		if (memo != NULL && memo->n == n && memo->key0 == f->items[0].key)
			memcpy(idx, memo->perm, sizeof(int16) * n);
		else
			for (int i = 0; i < n; i++)
				idx[i] = (int16) i;
		for (int i = 1; i < n; i++)
		{
			int16		x = idx[i];
			int			j = i - 1;

			while (j >= 0 && item_cmp(&f->items[idx[j]], &f->items[x]) > 0)
			{
				idx[j + 1] = idx[j];
				j--;
			}
			idx[j + 1] = x;
		}
		if (memo != NULL)
		{
			memo->n = n;
			memo->key0 = f->items[0].key;
			memcpy(memo->perm, idx, sizeof(int16) * n);
		}
		/* of equal keys (adjacent, in input order) keep the last */
		for (int i = 0; i < n; i++)
			if (i + 1 >= n || !same_key(&f->items[idx[i]], &f->items[idx[i + 1]]))
				sorted[k++] = f->items[idx[i]];
		f->items = sorted;
		n = k;
		nentries = 2 * n;
	}

	/* the size: header, JEntries, keys, values with their padding */
	data_start = (int) sizeof(uint32) * (1 + nentries);
	pos = data_start;
	if (f->object)
		for (int i = 0; i < n; i++)
			pos += f->items[i].key_len;
	for (int i = 0; i < n; i++)
	{
		if (padded(f->items[i].type))
			pos = INTALIGN(pos);
		pos += f->items[i].len;
	}
	size = lead + pos;
	if (pos - data_start > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("decoded JSON too large for jsonb")));
	buf = palloc(size);
	p = buf + lead;
	header = (uint32) n | (f->object ? JB_FOBJECT : JB_FARRAY);
	memcpy(p, &header, sizeof(header));
	jentries = (uint32 *) (p + sizeof(uint32));

	/* keys, then values; an entry holds its length, every 32nd its end */
	pos = data_start;
	total = 0;
	if (f->object)
		for (int i = 0; i < n; i++)
		{
			const Item *it = &f->items[i];
			uint32		meta;

			memcpy(p + pos, it->key, it->key_len);
			pos += it->key_len;
			total += it->key_len;
			meta = JENTRY_ISSTRING | (i % JB_OFFSET_STRIDE == 0 ? (total | JENTRY_HAS_OFF) : it->key_len);
			jentries[i] = meta;
		}
	for (int i = 0; i < n; i++)
	{
		const Item *it = &f->items[i];
		int			e = f->object ? i + n : i;
		int			len = it->len;
		uint32		meta;

		if (padded(it->type))
		{
			int			aligned = INTALIGN(pos);

			memset(p + pos, 0, aligned - pos);
			len += aligned - pos;
			pos = aligned;
		}
		if (it->len > 0)
			memcpy(p + pos, it->data ? it->data : it->inl, it->len);
		pos += it->len;
		total += len;
		meta = it->type | (e % JB_OFFSET_STRIDE == 0 ? (total | JENTRY_HAS_OFF) : len);
		jentries[e] = meta;
	}
	*out_len = pos;
	return buf;
}

static void
sink_end(void *arg)
{
	JsonbBuilder *b = arg;
	Frame	   *f = &b->frames[--b->depth];
	int			len;
	char	   *bytes;

	if (b->depth == 0)
	{
		/* the root: the varlena header goes in front */
		bytes = write_container(f, VARHDRSZ, &len);
		b->root.type = JENTRY_ISCONTAINER;
		b->root.data = bytes;
		b->root.len = len;
		b->done = true;
		return;
	}
	bytes = write_container(f, 0, &len);
	add(b, JENTRY_ISCONTAINER, bytes, len);
}

static void
sink_key(void *arg, const char *key, size_t len)
{
	JsonbBuilder *b = arg;
	Frame	   *f = &b->frames[b->depth - 1];

	f->key = b->stable_keys ? key : pnstrdup(key, len);
	f->key_len = (int) len;
}

static inline void
put_numeric(JsonbBuilder *b, Numeric n)
{
	add(b, JENTRY_ISNUMERIC, (const char *) n, VARSIZE(n));
}

static void
sink_real(void *arg, double v, bool single)
{
	char		buf[32];
	int			n;
	uint64		m;
	int			x;

	if (single && float_digits((float) v, &m, &x))
	{
		char	   *p = buf + sizeof(buf);

		do
		{
			*--p = (char) ('0' + m % 10);
			m /= 10;
		} while (m);
		put_numeric(arg, numeric_of_digits(v < 0, p, buf + sizeof(buf) - p, x));
		return;
	}
	n = single ? json_format_float(buf, (float) v) : json_format_double(buf, v);
	put_numeric(arg, numeric_of_text(buf, n));
}

static void
sink_number_text(void *arg, const char *text, size_t len)
{
	put_numeric(arg, numeric_of_text(text, len));
}

static void
sink_string(void *arg, const char *s, size_t len)
{
	if (len > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("decoded string too large for jsonb")));
	add(arg, JENTRY_ISSTRING, pnstrdup(s, len), (int) len);
}

static void
sink_boolean(void *arg, bool val)
{
	add(arg, val ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE, NULL, 0);
}

static void
sink_null(void *arg)
{
	add(arg, JENTRY_ISNULL, NULL, 0);
}

static const JsonSink jsonb_sink = {
	sink_begin, sink_end, sink_key, sink_integer, sink_unsigned, sink_real, sink_number_text,
	sink_string, sink_boolean, sink_null
};

JsonbBuilder *
jsonb_builder_start(JsonOut *out)
{
	JsonbBuilder *b = palloc(sizeof(JsonbBuilder));

	b->frames = NULL;
	b->frames_cap = 0;
	b->depth = 0;
	b->done = false;
	b->stable_keys = false;
	json_out_init_sink(out, &jsonb_sink, b);
	return b;
}

void
jsonb_builder_stable_keys(JsonbBuilder *b)
{
	b->stable_keys = true;
}

Jsonb *
jsonb_builder_finish(JsonbBuilder *b)
{
	Jsonb	   *j;

	if (!b->done || b->depth != 0)
		elog(ERROR, "pgiot: incomplete JSON from a decoder");
	if (b->root.type == JENTRY_ISCONTAINER)
	{
		j = (Jsonb *) b->root.data;
		SET_VARSIZE(j, VARHDRSZ + b->root.len);
		return j;
	}
	/* a scalar root: jsonb's raw scalar, a one-element array */
	{
		Frame		f;
		int			len;
		char	   *bytes;
		uint32		header;

		f.object = false;
		f.n = f.cap = 1;
		f.items = &b->root;
		bytes = write_container(&f, VARHDRSZ, &len);
		memcpy(&header, bytes + VARHDRSZ, sizeof(header));
		header |= JB_FSCALAR;
		memcpy(bytes + VARHDRSZ, &header, sizeof(header));
		j = (Jsonb *) bytes;
		SET_VARSIZE(j, VARHDRSZ + len);
		return j;
	}
}
