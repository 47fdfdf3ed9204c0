/*
 * eep_profiles_sql.c: iot.eep_profiles(), the profile tables as rows:
 * every profile with its message variants, their selection and fields
 * (bits, scaling, units, enumerations, conditions).
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "eep.h"
#include "enocean_json.h"
#include "ingest/jsonb_util.h"
#include "signal.h"

static void
push_double(JsonbParseState **st, double d)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), "%.15g", d);
	eno_push_numeric_text(st, buf);
}

static void
push_bits(JsonbParseState **st, const char *key, int offset, int size, int64 value, bool has_value)
{
	jb_key(st, key);
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	jb_key(st, "offset");
	eno_push_int(st, offset);
	jb_key(st, "size");
	eno_push_int(st, size);
	if (has_value)
	{
		jb_key(st, "value");
		eno_push_int(st, value);
	}
}

static void
push_items(JsonbParseState **st, const EepField *f)
{
	jb_key(st, "items");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < f->nitems; i++)
	{
		const EepItem *it = &f->items[i];

		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		if (it->mask)
		{
			jb_key(st, "mask");
			eno_push_int(st, it->mask);
			jb_key(st, "match");
			eno_push_int(st, it->lo);
		}
		else if (it->lo == it->hi)
		{
			jb_key(st, "raw");
			eno_push_int(st, it->lo);
		}
		else
		{
			jb_key(st, "from");
			eno_push_int(st, it->lo);
			jb_key(st, "to");
			eno_push_int(st, it->hi);
		}
		if (it->flags & EEP_ITEM_OMIT)
		{
			jb_key(st, "omitted");
			eno_push_bool(st, true);
		}
		else
		{
			jb_key(st, "value");
			if (f->flags & (EEP_HEX | EEP_DOTTED))
				eno_push_str(st, (f->flags & EEP_HEX) ? "0x<hex>" : "<a.b.c.d>");
			else
				eno_push_str(st, it->value);
			jb_key(st, "meaning");
			if (it->meaning)
				eno_push_str(st, it->meaning);
			else
				eno_push_null(st);
		}
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

static void
push_field(JsonbParseState **st, const EepField *f)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	jb_key(st, "key");
	eno_push_str(st, f->key);
	jb_key(st, "name");
	eno_push_str(st, f->name);
	jb_key(st, "offset");
	eno_push_int(st, f->offset);
	jb_key(st, "size");
	eno_push_int(st, f->size);
	if (f->size2 > 0)
	{
		push_bits(st, "lowPart", f->offset2, f->size2, 0, false);
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	jb_key(st, "kind");
	eno_push_str(st, f->kind == EEP_NUMBER ? "number" : "enum");
	if (f->kind == EEP_NUMBER)
	{
		jb_key(st, "range");
		pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
		push_double(st, f->range_min);
		push_double(st, f->range_max);
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
		jb_key(st, "scale");
		pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
		push_double(st, f->scale_min);
		push_double(st, f->scale_max);
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
		jb_key(st, "decimals");
		eno_push_int(st, (f->flags & EEP_INT) ? 0 : (f->decimals ? f->decimals : 2));
		jb_key(st, "unit");
		if (f->unit_size > 0)
		{
			eno_push_null(st);
			push_bits(st, "unitBy", f->unit_offset, f->unit_size, 0, false);
			jb_key(st, "units");
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (int i = 0; i < (1 << f->unit_size); i++)
				eno_push_str(st, f->units[i]);
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
		}
		else
			eno_push_str(st, f->unit ? f->unit : "");
		if (f->factor_size > 0)
		{
			push_bits(st, "factorBy", f->factor_offset, f->factor_size, 0, false);
			jb_key(st, "factors");
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (int i = 0; i < (1 << f->factor_size); i++)
				push_double(st, f->factors[i]);
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
			pushJsonbValue(st, WJB_END_OBJECT, NULL);
		}
	}
	if (f->cond_size > 0)
	{
		push_bits(st, "when", f->cond_offset, f->cond_size, f->cond_value, true);
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	if (f->flags & EEP_STRICT)
	{
		jb_key(st, "strict");
		eno_push_bool(st, true);
	}
	if (f->nitems > 0)
		push_items(st, f);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static Jsonb *
cases_jsonb(const EepProfile *p)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;

	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int c = 0; c < p->ncases; c++)
	{
		const EepCase *cs = &p->cases[c];

		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		jb_key(&st, "title");
		if (cs->title)
			eno_push_str(&st, cs->title);
		else
			eno_push_null(&st);
		jb_key(&st, "length");
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		eno_push_int(&st, cs->len_min);
		eno_push_int(&st, cs->len_max);
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
		if (cs->t21 >= 0 || cs->nu >= 0)
		{
			jb_key(&st, "status");
			pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
			jb_key(&st, "T21");
			eno_push_int(&st, cs->t21);
			jb_key(&st, "NU");
			eno_push_int(&st, cs->nu);
			pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		}
		if (cs->sel_size > 0)
		{
			push_bits(&st, "selector", cs->sel_offset, cs->sel_size, cs->sel_value, true);
			pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		}
		if (cs->flags & EEP_CASE_OUTBOUND)
		{
			jb_key(&st, "outbound");
			eno_push_bool(&st, true);
		}
		jb_key(&st, "fields");
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		for (int f = 0; f < cs->nfields; f++)
			push_field(&st, &cs->fields[f]);
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
		pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	}
	res = pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(res);
}

static void
put_profile(ReturnSetInfo *rsinfo, const EepProfile *p, const char *name)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	char		rorg[3];

	eno_hex(&p->rorg, 1, rorg);
	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(rorg);
	values[2] = CStringGetTextDatum(p->title);
	if (p->flags & EEP_TEACHIN_4BS)
		values[3] = CStringGetTextDatum("4BS LRN bit (offset 28)");
	else if (p->flags & EEP_TEACHIN_1BS)
		values[3] = CStringGetTextDatum("1BS LRN bit (offset 4)");
	else
		nulls[3] = true;
	values[4] = JsonbPGetDatum(cases_jsonb(p));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

PG_FUNCTION_INFO_V1(pgiot_eep_profiles);
Datum
pgiot_eep_profiles(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < eep_profile_total(); i++)
	{
		const EepProfile *p = eep_profile_at(i);

		put_profile(rsinfo, p, p->eep);
	}
	put_profile(rsinfo, &eno_signal_profile, "signal");
	return (Datum) 0;
}
