/*
 * rules_ctx.c: ctx lookups for the JsonLogic engine.  A context key wins
 * over a geozone of the same id; a geozone's value is its polygon
 * coordinates.  Plans are prepared once per backend.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/clock.h"
#include "jl_jsonb.h"
#include "rules_eval.h"
#include "rules_ctx.h"

#define LOOKUP_SQL(tenant) \
	"SELECT v FROM (SELECT 1, c.data FROM iot.rule_context c " \
	"                WHERE c.tenant_id = " tenant " AND c.key = $1 " \
	"               UNION ALL " \
	"               SELECT 2, g.coordinates FROM iot.geozone g " \
	"                WHERE g.tenant_id = " tenant " AND g.id = $1) x(p, v) " \
	" ORDER BY p LIMIT 1"

static SPIPlanPtr session_plan = NULL;
static SPIPlanPtr tenant_plan = NULL;

static SPIPlanPtr
plan_for(bool session)
{
	SPIPlanPtr *slot = session ? &session_plan : &tenant_plan;

	if (*slot == NULL)
	{
		Oid			types[2] = {TEXTOID, UUIDOID};
		SPIPlanPtr	plan = session ?
			SPI_prepare(LOOKUP_SQL("iot.current_tenant()"), 1, types) :
			SPI_prepare(LOOKUP_SQL("$2"), 2, types);

		if (plan == NULL)
			elog(ERROR, "could not prepare the ctx lookup: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		*slot = plan;
	}
	return *slot;
}

static const JlValue *
fetch(RulesCtx *c, const char *key, size_t len)
{
	Datum		args[2];
	const JlValue *value = NULL;
	int			rc;

	SPI_connect();
	args[0] = PointerGetDatum(cstring_to_text_with_len(key, (int) len));
	args[1] = c->tenant;
	rc = SPI_execute_plan(plan_for(c->session_tenant), args, NULL, c->read_only, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "ctx lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			value = jl_from_jsonb(c->arena, DatumGetJsonbP(d), true);
	}
	SPI_finish();
	return value;
}

static const JlValue *
lookup(void *arg, const char *key, size_t len, JlArena *a)
{
	RulesCtx   *c = arg;
	RulesCtxMemo *m;

	for (int i = 0; i < c->nmemo; i++)
		if (c->memo[i].len == len && memcmp(c->memo[i].key, key, len) == 0)
			return c->memo[i].value;
	if (!c->session_tenant && c->tenant == (Datum) 0)
		return NULL;
	if (c->nmemo == c->capmemo)
	{
		int			cap = c->capmemo < 8 ? 8 : c->capmemo * 2;
		RulesCtxMemo *more = jl_alloc(c->arena, sizeof(RulesCtxMemo) * cap);

		if (c->nmemo > 0)
			memcpy(more, c->memo, sizeof(RulesCtxMemo) * c->nmemo);
		c->memo = more;
		c->capmemo = cap;
	}
	m = &c->memo[c->nmemo];
	m->key = jl_alloc(c->arena, len + 1);
	memcpy(m->key, key, len);
	m->key[len] = '\0';
	m->len = len;
	m->value = fetch(c, key, len);
	c->nmemo++;
	return m->value;
}

/* The platform clock, read when a rule first asks for it (now_utc). */
static int64_t
clock_ms(void *arg)
{
	return rules_ms_of(pgiot_clock_now());
}

static void
init(RulesCtx *c, JlArena *a)
{
	memset(c, 0, sizeof(*c));
	c->host.arg = c;
	c->host.ctx_lookup = lookup;
	c->host.now_ms = clock_ms;
	c->arena = a;
}

void
rules_ctx_init_session(RulesCtx *c, JlArena *a)
{
	init(c, a);
	c->session_tenant = true;
	c->read_only = true;
}

void
rules_ctx_init_tenant(RulesCtx *c, JlArena *a, Datum tenant)
{
	init(c, a);
	c->tenant = tenant;
}
