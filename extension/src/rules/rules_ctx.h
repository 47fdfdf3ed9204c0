/*
 * rules_ctx.h: the host side of JsonLogic's ctx operator: a tenant's
 * context repository and geozones, looked up through SPI and memoized
 * for the duration of one evaluation pass (so that a context or geozone
 * update is seen by the next message, never a stale copy).
 */
#ifndef PGIOT_RULES_CTX_H
#define PGIOT_RULES_CTX_H

#include "postgres.h"

#include "jsonlogic.h"

typedef struct RulesCtxMemo
{
	char	   *key;
	size_t		len;
	const JlValue *value;		/* NULL: unknown key */
} RulesCtxMemo;

typedef struct RulesCtx
{
	JlHost		host;			/* give &ctx.host to jl_env_init */
	bool		session_tenant; /* look up iot.current_tenant()'s */
	Datum		tenant;			/* else this tenant (uuid) */
	bool		read_only;		/* look up in the caller's snapshot (STABLE callers) */
	JlArena    *arena;			/* where values and the memo live */
	RulesCtxMemo *memo;
	int			nmemo;
	int			capmemo;
} RulesCtx;

/* Contexts of the session's tenant (iot.current_tenant()). */
extern void rules_ctx_init_session(RulesCtx *c, JlArena *a);
/* Contexts of one tenant. */
extern void rules_ctx_init_tenant(RulesCtx *c, JlArena *a, Datum tenant);

#endif
