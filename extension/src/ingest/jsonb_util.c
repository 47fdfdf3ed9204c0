/*
 * jsonb_util.c: helpers for reading and building jsonb in C.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "jsonb_util.h"

JsonbValue *
jb_get(JsonbContainer *obj, const char *key, JsonbValue *out)
{
	JsonbValue *v;

	if (obj == NULL || !JsonContainerIsObject(obj))
		return NULL;
	v = getKeyJsonValueFromContainer(obj, key, strlen(key), out);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	return v;
}

char *
jb_strdup(const JsonbValue *v)
{
	Assert(v->type == jbvString);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

bool
jb_double(const JsonbValue *v, double *out)
{
	if (v == NULL || v->type != jbvNumeric)
		return false;
	*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
	return true;
}

void
jb_key(JsonbParseState **st, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
}

void
jb_string(JsonbParseState **st, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(st, WJB_VALUE, &v);
}

void
jb_float8(JsonbParseState **st, double d)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(d)));
	pushJsonbValue(st, WJB_VALUE, &v);
}

void
jb_null(JsonbParseState **st)
{
	JsonbValue	v;

	v.type = jbvNull;
	pushJsonbValue(st, WJB_VALUE, &v);
}

void
jb_value(JsonbParseState **st, JsonbValue *v)
{
	pushJsonbValue(st, WJB_VALUE, v);
}

void
jb_members_except(JsonbParseState **st, JsonbContainer *obj,
				  const char *const *skip, int nskip)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		skipping = false;

	if (obj == NULL || !JsonContainerIsObject(obj))
		return;
	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			skipping = false;
			for (int i = 0; i < nskip; i++)
				if (v.val.string.len == (int) strlen(skip[i]) &&
					memcmp(v.val.string.val, skip[i], v.val.string.len) == 0)
					skipping = true;
			if (!skipping)
				pushJsonbValue(st, WJB_KEY, &v);
		}
		else if (tok == WJB_VALUE && !skipping)
			pushJsonbValue(st, WJB_VALUE, &v);
	}
}

JsonbValue
jb_binary_of(Jsonb *j)
{
	JsonbValue	v;

	v.type = jbvBinary;
	v.val.binary.data = &j->root;
	v.val.binary.len = VARSIZE(j) - VARHDRSZ;
	return v;
}

Jsonb *
jb_to_jsonb(JsonbValue *v)
{
	return JsonbValueToJsonb(v);
}
