/*
 * jsonb_build.c: a JsonSink (decode/json_out.h) that builds jsonb directly
 * from the decoders' events: an in-memory JsonbValue tree, objects sorted
 * and de-duplicated the way jsonb wants them (shorter keys first, then by
 * bytes; the last of equal keys wins), serialized by JsonbValueToJsonb.
 * It skips printing the JSON and parsing it again, which is most of the
 * cost of a decoded payload.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "decode/jsonb_build.h"


typedef struct Frame
{
	bool		object;
	int			n;
	int			cap;
	JsonbValue *elems;			/* arrays */
	JsonbPair  *pairs;			/* objects */
	char	   *key;			/* objects: the key waiting for its value */
	int			key_len;
} Frame;

struct JsonbBuilder
{
	Frame	   *frames;			/* grows with the depth */
	int			frames_cap;
	int			depth;
	JsonbValue	result;
	bool		done;
	bool		stable_keys;	/* keys outlive the build: no copies */
};

static JsonbValue *
slot(JsonbBuilder *b)
{
	Frame	   *f;

	if (b->depth == 0)
	{
		b->done = true;
		return &b->result;
	}
	f = &b->frames[b->depth - 1];
	if (f->n == f->cap)
	{
		f->cap = f->cap ? f->cap * 2 : 16;
		if (f->object)
			f->pairs = f->pairs ? repalloc(f->pairs, sizeof(JsonbPair) * f->cap)
				: palloc(sizeof(JsonbPair) * f->cap);
		else
			f->elems = f->elems ? repalloc(f->elems, sizeof(JsonbValue) * f->cap)
				: palloc(sizeof(JsonbValue) * f->cap);
	}
	if (f->object)
	{
		JsonbPair  *p = &f->pairs[f->n];

		p->key.type = jbvString;
		p->key.val.string.val = f->key;
		p->key.val.string.len = f->key_len;
		p->order = f->n++;
		return &p->value;
	}
	return &f->elems[f->n++];
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
	memset(f, 0, sizeof(*f));
	f->object = object;
}

static inline int
pair_cmp(const void *a, const void *b)
{
	const JsonbPair *pa = a,
			   *pb = b;

	if (pa->key.val.string.len != pb->key.val.string.len)
		return pa->key.val.string.len < pb->key.val.string.len ? -1 : 1;
	{
		int			c = memcmp(pa->key.val.string.val, pb->key.val.string.val, pa->key.val.string.len);

		if (c != 0)
			return c;
	}
	return pa->order < pb->order ? -1 : pa->order > pb->order;
}

static void
sink_end(void *arg)
{
	JsonbBuilder *b = arg;
	Frame		f = b->frames[--b->depth];
	JsonbValue *v = slot(b);

	if (f.object)
	{
		int			n = 0;

		if (f.n > 1)
		{
			/* insertion sort: objects are small, and often nearly in order */
			for (int i = 1; i < f.n; i++)
			{
				JsonbPair	x = f.pairs[i];
				int			j = i - 1;

				while (j >= 0 && pair_cmp(&f.pairs[j], &x) > 0)
				{
					f.pairs[j + 1] = f.pairs[j];
					j--;
				}
				f.pairs[j + 1] = x;
			}
			/* of equal keys (adjacent, in input order) keep the last */
			for (int i = 0; i < f.n; i++)
			{
				if (i + 1 < f.n && pair_cmp(&f.pairs[i], &f.pairs[i + 1]) != 0 &&
					f.pairs[i].key.val.string.len == f.pairs[i + 1].key.val.string.len &&
					memcmp(f.pairs[i].key.val.string.val, f.pairs[i + 1].key.val.string.val,
						   f.pairs[i].key.val.string.len) == 0)
					continue;
				f.pairs[n++] = f.pairs[i];
			}
		}
		else
			n = f.n;
		v->type = jbvObject;
		v->val.object.nPairs = n;
		v->val.object.pairs = f.pairs;
	}
	else
	{
		v->type = jbvArray;
		v->val.array.nElems = f.n;
		v->val.array.elems = f.elems;
		v->val.array.rawScalar = false;
	}
}

static void
sink_key(void *arg, const char *key, size_t len)
{
	JsonbBuilder *b = arg;
	Frame	   *f = &b->frames[b->depth - 1];

	f->key = b->stable_keys ? (char *) key : pnstrdup(key, len);
	f->key_len = (int) len;
}

static void
put_numeric(JsonbBuilder *b, Numeric n)
{
	JsonbValue *v = slot(b);

	v->type = jbvNumeric;
	v->val.numeric = n;
}

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

/* An integer as a Numeric: base-10000 groups straight from the value. */
static Numeric
numeric_of_uint(bool neg, uint64 u)
{
	int16		g[5];			/* most significant first */
	int			n = 0,
				weight;
	int16		rev[5];
	Numeric		num;
	uint16		h;
	Size		len;

	while (u > 0)
	{
		rev[n++] = (int16) (u % 10000);
		u /= 10000;
	}
	weight = n - 1;
	for (int i = 0; i < n; i++)
		g[i] = rev[n - 1 - i];
	while (n > 0 && g[n - 1] == 0)
		n--;					/* trailing zero groups */
	if (n == 0)
	{
		neg = false;
		weight = 0;
	}
	len = VARHDRSZ + sizeof(uint16) + sizeof(int16) * n;
	num = palloc(len);
	SET_VARSIZE(num, len);
	h = N_SHORT | (neg ? N_SHORT_SIGN : 0) | (weight & N_SHORT_WEIGHT_MASK);
	memcpy(VARDATA(num), &h, sizeof(h));
	memcpy(VARDATA(num) + sizeof(h), g, sizeof(int16) * n);
	return num;
}

static void
sink_integer(void *arg, int64_t v)
{
	put_numeric(arg, numeric_of_uint(v < 0, v < 0 ? (uint64) 0 - (uint64) v : (uint64) v));
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
	JsonbValue *v = slot(arg);

	v->type = jbvString;
	v->val.string.val = pnstrdup(s, len);
	v->val.string.len = (int) len;
}

static void
sink_boolean(void *arg, bool val)
{
	JsonbValue *v = slot(arg);

	v->type = jbvBool;
	v->val.boolean = val;
}

static void
sink_null(void *arg)
{
	JsonbValue *v = slot(arg);

	v->type = jbvNull;
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
	if (!b->done || b->depth != 0)
		elog(ERROR, "pgiot: incomplete JSON from a decoder");
	if (b->result.type != jbvObject && b->result.type != jbvArray)
	{
		/* a scalar root: wrap it as jsonb's raw scalar array */
		JsonbValue	arr;

		arr.type = jbvArray;
		arr.val.array.nElems = 1;
		arr.val.array.elems = &b->result;
		arr.val.array.rawScalar = true;
		return JsonbValueToJsonb(&arr);
	}
	return JsonbValueToJsonb(&b->result);
}
