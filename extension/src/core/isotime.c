/*
 * isotime.c: strict ISO-8601 timestamp parser.  Pure C so that the fuzz
 * target links it without the server.
 */
#include "isotime.h"

#include <stdbool.h>

typedef struct Cursor
{
	const char *text;
	size_t		len;
	size_t		pos;
} Cursor;

static IsoTimeResult
fail(const Cursor *c, const char *why)
{
	IsoTimeResult r = {0, (int) c->pos, why};

	return r;
}

/* Read exactly n decimal digits; false when they are not there. */
static bool
read_digits(Cursor *c, int n, int *out)
{
	int			v = 0;

	if (c->pos + (size_t) n > c->len)
		return false;
	for (int i = 0; i < n; i++)
	{
		char		ch = c->text[c->pos + i];

		if (ch < '0' || ch > '9')
		{
			c->pos += i;
			return false;
		}
		v = v * 10 + (ch - '0');
	}
	c->pos += n;
	*out = v;
	return true;
}

static bool
accept(Cursor *c, char ch)
{
	if (c->pos < c->len && c->text[c->pos] == ch)
	{
		c->pos++;
		return true;
	}
	return false;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		yy = y - (m <= 2);
	int64_t		era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t		yoe = yy - era * 400;
	int64_t		doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

IsoTimeResult
iso8601_parse(const char *text, size_t len)
{
	Cursor		c = {text, len, 0};
	int			year,
				month,
				day,
				hour,
				minute,
				second = 0;
	int64_t		micros = 0;
	int			offset_minutes = 0;
	IsoTimeResult ok = {0, -1, NULL};

	if (!read_digits(&c, 4, &year))
		return fail(&c, "expected a 4-digit year");
	if (year < 1)
		return fail(&c, "year out of range");
	if (!accept(&c, '-'))
		return fail(&c, "expected '-' after the year");
	if (!read_digits(&c, 2, &month))
		return fail(&c, "expected a 2-digit month");
	if (month < 1 || month > 12)
	{
		c.pos -= 2;
		return fail(&c, "month out of range");
	}
	if (!accept(&c, '-'))
		return fail(&c, "expected '-' after the month");
	if (!read_digits(&c, 2, &day))
		return fail(&c, "expected a 2-digit day");
	if (day < 1 || day > days_in_month(year, month))
	{
		c.pos -= 2;
		return fail(&c, "day out of range");
	}
	if (!accept(&c, 'T') && !accept(&c, 't') && !accept(&c, ' '))
		return fail(&c, "expected 'T' between date and time");
	if (!read_digits(&c, 2, &hour))
		return fail(&c, "expected a 2-digit hour");
	if (hour > 23)
	{
		c.pos -= 2;
		return fail(&c, "hour out of range");
	}
	if (!accept(&c, ':'))
		return fail(&c, "expected ':' after the hour");
	if (!read_digits(&c, 2, &minute))
		return fail(&c, "expected 2-digit minutes");
	if (minute > 59)
	{
		c.pos -= 2;
		return fail(&c, "minutes out of range");
	}
	if (accept(&c, ':'))
	{
		if (!read_digits(&c, 2, &second))
			return fail(&c, "expected 2-digit seconds");
		if (second > 59)
		{
			c.pos -= 2;
			return fail(&c, "seconds out of range");
		}
		if (accept(&c, '.') || accept(&c, ','))
		{
			int			ndigits = 0;
			int64_t		scale = 100000;

			while (c.pos < c.len && c.text[c.pos] >= '0' && c.text[c.pos] <= '9')
			{
				if (ndigits < 6)
				{
					micros += (c.text[c.pos] - '0') * scale;
					scale /= 10;
				}
				ndigits++;
				c.pos++;
				if (ndigits > 9)
					return fail(&c, "too many fractional digits");
			}
			if (ndigits == 0)
				return fail(&c, "expected digits after the decimal mark");
		}
	}
	if (c.pos < c.len)
	{
		char		sign = c.text[c.pos];

		if (sign == 'Z' || sign == 'z')
			c.pos++;
		else if (sign == '+' || sign == '-')
		{
			int			oh,
						om = 0;

			c.pos++;
			if (!read_digits(&c, 2, &oh))
				return fail(&c, "expected a 2-digit zone hour");
			if (oh > 18)
			{
				c.pos -= 2;
				return fail(&c, "zone offset out of range");
			}
			if (accept(&c, ':'))
			{
				if (!read_digits(&c, 2, &om))
					return fail(&c, "expected 2-digit zone minutes");
			}
			else if (c.pos < c.len && !read_digits(&c, 2, &om))
				return fail(&c, "expected zone minutes");
			if (om > 59 || oh * 60 + om > 18 * 60)
			{
				c.pos -= 2;
				return fail(&c, om > 59 ? "zone minutes out of range" : "zone offset out of range");
			}
			offset_minutes = (oh * 60 + om) * (sign == '-' ? -1 : 1);
		}
		else
			return fail(&c, "unexpected character");
	}
	if (c.pos != c.len)
		return fail(&c, "trailing characters");

	ok.unix_micros = ((days_from_civil(year, month, day) * 86400 +
					   hour * 3600 + minute * 60 + second -
					   (int64_t) offset_minutes * 60) * 1000000) + micros;
	return ok;
}
