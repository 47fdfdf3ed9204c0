/*
 * rules_worker.h: the "rules" worker kind: evaluates queued messages on
 * every ingest commit, and sweeps activity rules on its tick.
 */
#ifndef PGIOT_RULES_WORKER_H
#define PGIOT_RULES_WORKER_H

extern void pgiot_rules_on_ingest(void);
extern void pgiot_rules_tick(void);
extern long pgiot_rules_interval_ms(void);

#endif
