/*
 * jl_time.c: the time operators of Live Objects, with JavaScript Date
 * semantics in UTC: now_utc, get_utc_hours, get_utc_minutes, get_utc_day
 * (0 = Sunday), get_utc_date (day of the month), get_time (epoch ms).
 * Pure C.
 *
 * A date is an ISO-8601 string (a date alone is midnight UTC; no zone
 * means UTC) or a number of milliseconds since the epoch.  Anything else,
 * null included, is an invalid date, and the operators then yield null
 * (JavaScript's NaN, which JSON writes as null).
 */
#include "jl_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/isotime.h"

#define MS_PER_DAY 86400000LL

static bool
date_ms(const JlValue *v, double *ms)
{
	if (v->type == JL_NUMBER)
	{
		/* new Date(number): TimeClip */
		if (!isfinite(v->u.num) || fabs(v->u.num) > 8.64e15)
			return false;
		*ms = trunc(v->u.num);
		return true;
	}
	if (v->type == JL_STRING)
	{
		const char *s = v->u.str.ptr;
		size_t		len = v->u.str.len;
		char		buf[64];
		IsoTimeResult r;

		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		while (len > 0 && (s[0] == ' ' || s[0] == '\t'))
			s++, len--;
		if (len == 10 && s[4] == '-' && s[7] == '-')
		{
			/* a date alone: midnight UTC */
			memcpy(buf, s, 10);
			memcpy(buf + 10, "T00:00:00Z", 10);
			s = buf;
			len = 20;
		}
		r = iso8601_parse(s, len);
		if (r.error != NULL)
			return false;
		*ms = floor((double) r.unix_micros / 1000.0);
		return true;
	}
	return false;
}

/* Civil date of a day number (days since 1970-01-01), proleptic Gregorian. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

typedef struct Parts
{
	int64_t		year;
	int			month,
				day,
				hour,
				minute,
				second,
				ms,
				weekday;
} Parts;

static Parts
split(double ms)
{
	Parts		p;
	int64_t		t = (int64_t) ms;
	int64_t		days = t / MS_PER_DAY;
	int64_t		rest = t % MS_PER_DAY;

	if (rest < 0)
	{
		rest += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &p.year, &p.month, &p.day);
	p.hour = (int) (rest / 3600000);
	p.minute = (int) (rest / 60000 % 60);
	p.second = (int) (rest / 1000 % 60);
	p.ms = (int) (rest % 1000);
	p.weekday = (int) (((days % 7) + 11) % 7);	/* 1970-01-01 was a Thursday (4) */
	return p;
}

static const JlValue *
now_utc(JlEnv *env)
{
	Parts		p;
	char		buf[40];
	int			n;

	if (env->now_ms == JL_NOW_UNKNOWN)
		env->now_ms = env->host != NULL && env->host->now_ms != NULL ?
			env->host->now_ms(env->host->arg) : 0;
	p = split((double) env->now_ms);
	n = snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
				 (long long) p.year, p.month, p.day, p.hour, p.minute, p.second, p.ms);

	return jl_string(env->arena, buf, (size_t) n, true);
}

const JlValue *
jl_op_time(const JlNode *n, const JlValue *data, JlEnv *env)
{
	double		ms;
	Parts		p;

	if (n->op == JOP_NOW_UTC)
		return now_utc(env);
	if (!date_ms(jl_arg_or_null(n, 0, data, env), &ms))
		return &jl_null_value;
	if (n->op == JOP_GET_TIME)
		return jl_number(env->arena, ms);
	p = split(ms);
	switch (n->op)
	{
		case JOP_GET_UTC_HOURS:
			return jl_number(env->arena, p.hour);
		case JOP_GET_UTC_MINUTES:
			return jl_number(env->arena, p.minute);
		case JOP_GET_UTC_DAY:
			return jl_number(env->arena, p.weekday);
		case JOP_GET_UTC_DATE:
			return jl_number(env->arena, p.day);
		default:
			return &jl_null_value;
	}
}
