/*
 * rsql_dialect.h: the field tables of the RSQL dialects (pure C).
 *
 *   device     device list filterQuery and campaign targets (spec-devices
 *              D4.1, D10.5): tags, properties.KEY, groupId, groupPath,
 *              connector; ==, !=, =lt=, =le=, =gt=, =ge=, =in=, =out=
 *   inventory  the inventory explorer's queryString (spec-data 5.2): its
 *              20 fields; ==, ==prefix*, !=, =in=, and =q= on the nested
 *              lists properties, interfaces, activities
 *
 * A field says how rsql_sql.c renders it over iot.device AS d.
 */
#ifndef PGIOT_RSQL_DIALECT_H
#define PGIOT_RSQL_DIALECT_H

#include "rsql.h"

typedef enum RsqlShape
{
	SHAPE_COLUMN,				/* a scalar: expr (a column of d, or of an element) */
	SHAPE_TEXT_ARRAY,			/* d.tags: matches when an element matches */
	SHAPE_PROPERTY,				/* one property: d.properties ->> KEY */
	SHAPE_GROUP_PATH,			/* the path of d's group */
	SHAPE_ELEMENT,				/* a field of the elements of a nested list */
	SHAPE_NESTED				/* a nested list, with =q= */
} RsqlShape;

typedef enum RsqlValueType
{
	VT_TEXT, VT_BOOL
} RsqlValueType;

struct RsqlField;

/* A list of nested elements of a device (interfaces, properties, ...). */
typedef struct RsqlNested
{
	const char *name;
	const char *exists_open;	/* "EXISTS (SELECT 1 FROM ... WHERE " */
	const struct RsqlField *fields;	/* element fields, for =q= */
	int			nfields;
} RsqlNested;

typedef struct RsqlField
{
	const char *name;
	bool		key_suffix;		/* name is "properties." and a KEY follows */
	unsigned	ops;			/* RSQL_OPBIT() of the operators allowed */
	bool		prefix_ok;		/* == value* allowed */
	RsqlShape	shape;
	const char *expr;			/* SQL of the value (COLUMN, ELEMENT) */
	bool		nullable;		/* expr may be NULL */
	RsqlValueType type;
	const RsqlNested *nested;	/* ELEMENT, NESTED */
} RsqlField;

typedef struct RsqlDialect
{
	const char *name;
	const RsqlField *fields;
	int			nfields;
} RsqlDialect;

/* "device" or "inventory"; NULL when unknown. */
extern const RsqlDialect *rsql_dialect(const char *name);

/* The dialect's field names, for messages ("tags, properties.KEY, ..."). */
extern const char *rsql_dialect_fields(QArena *a, const RsqlDialect *d);

/*
 * Check a parsed query against a dialect (NULL: standard RSQL, which only
 * refuses =q=).  Resolves fields and keys, marks prefixes, parses =q=
 * sub-queries.  Returns false with *err filled (positions in `query`).
 */
extern bool rsql_check(QArena *a, const char *query, RsqlNode *root,
					   const RsqlDialect *dialect, RsqlError *err);

/* parse + check in one call */
extern RsqlNode *rsql_parse_dialect(QArena *a, const char *query, size_t len,
									const RsqlDialect *dialect, RsqlError *err);

#endif
