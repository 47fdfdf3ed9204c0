/*
 * worker_kinds.h: the kinds of per-database background workers.  The
 * launcher runs one worker of every kind in each database that has pgiot;
 * a worker sleeps on its latch and wakes for its tick or for an ingest
 * commit.  Adding a kind = one entry in worker_kinds.c.
 */
#ifndef PGIOT_WORKER_KINDS_H
#define PGIOT_WORKER_KINDS_H

typedef struct PgiotWorkerKind
{
	const char *name;
	/* Periodic work; runs inside a transaction with SPI connected. */
	void		(*on_tick) (void);
	/* After one or more ingest commits; same context.  May be NULL. */
	void		(*on_ingest) (void);
	/* Milliseconds between ticks (read at each loop, so GUCs apply). */
	long		(*tick_interval_ms) (void);
} PgiotWorkerKind;

extern const PgiotWorkerKind pgiot_worker_kinds[];
extern const int pgiot_worker_kind_count;

/* maintenance.c */
extern void pgiot_maintenance_tick(void);
extern long pgiot_maintenance_interval_ms(void);

#endif
