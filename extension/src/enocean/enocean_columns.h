/*
 * enocean_columns.h: arrays of one column, built element by element, for
 * the EnOcean pipeline's set-based statements (unnest of parallel arrays).
 */
#ifndef PGIOT_ENOCEAN_COLUMNS_H
#define PGIOT_ENOCEAN_COLUMNS_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/lsyscache.h"

/* Arrays of one column, built element by element. */
typedef struct Column
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *values;
	bool	   *nulls;
	int			n;
	int			cap;
} Column;

static inline void
col_init(Column *c, Oid type, int capacity)
{
	c->type = type;
	get_typlenbyvalalign(type, &c->typlen, &c->typbyval, &c->typalign);
	c->cap = Max(capacity, 1);
	c->values = palloc(sizeof(Datum) * c->cap);
	c->nulls = palloc(sizeof(bool) * c->cap);
	c->n = 0;
}

static inline void
col_add(Column *c, Datum v, bool isnull)
{
	if (c->n == c->cap)
	{
		c->cap *= 2;
		c->values = repalloc(c->values, sizeof(Datum) * c->cap);
		c->nulls = repalloc(c->nulls, sizeof(bool) * c->cap);
	}
	c->values[c->n] = v;
	c->nulls[c->n] = isnull;
	c->n++;
}

static inline Datum
col_array(Column *c)
{
	int			dims[1] = {c->n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(c->values, c->nulls, 1, dims, lbs, c->type,
											  c->typlen, c->typbyval, c->typalign));
}

static inline Oid
array_of(Oid type)
{
	return get_array_type(type);
}

#endif
