/*
 * outbox.h: a consumer of the transactional outbox (iot.outbox).  The
 * connection LISTENs on pgiot_outbox_<channel>; a notification (or a
 * periodic poll) drains the channel: rows are claimed with
 * iot.outbox_claim(channel, n) in a transaction, handed to the handler,
 * and acknowledged with iot.outbox_done() before the commit.
 */
#ifndef PGIOT_BRIDGE_OUTBOX_H
#define PGIOT_BRIDGE_OUTBOX_H

#include <stdbool.h>

#include "pg.h"

typedef struct OutboxRow
{
	const char *id;
	const char *tenant_id;
	const char *topic;
	const char *device_id;		/* NULL when none */
	const char *payload;		/* JSON text */
	int			attempts;
} OutboxRow;

/* Deliver one row; return NULL on success, else a static error text. */
typedef const char *(*OutboxHandler) (void *arg, const OutboxRow *row);

/* The SQL to run on every (re)connection so notifications arrive. */
extern void outbox_listen_sql(const char *channel, char *buf, int buflen);
/* Consume pending notifications; true when the channel was notified. */
extern bool outbox_notified(PgLink *link, const char *channel);
/* Claim and deliver until the channel is empty; rows delivered, or -1. */
extern int	outbox_drain(PgLink *link, const char *channel, int batch, OutboxHandler handler,
						 void *arg);

#endif
