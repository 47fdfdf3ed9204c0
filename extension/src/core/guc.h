/*
 * guc.h: the pgiot.* settings.  These variables are the only module-level
 * state of the extension besides shared memory; PostgreSQL's GUC machinery
 * owns their values.
 */
#ifndef PGIOT_GUC_H
#define PGIOT_GUC_H

#include <stdbool.h>

extern int	pgiot_max_databases;		/* slots in shared memory */
extern bool pgiot_workers_enabled;		/* launcher starts workers */
extern int	pgiot_launcher_naptime;		/* seconds between database rescans */
extern int	pgiot_maintenance_interval; /* seconds between maintenance passes */
extern char *pgiot_partition_interval;	/* width of one iot.message partition */
extern int	pgiot_partitions_ahead;		/* partitions kept ahead of now */
extern int	pgiot_retention_days;		/* drop message partitions older than this */
extern int	pgiot_audit_retention_days; /* purge audit entries older than this */
extern char *pgiot_clock;				/* pgiot.now: fixed platform clock, or "" */
extern int	pgiot_last_seen_resolution; /* ms: last_seen/last_contact rewritten at most this often */
extern int	pgiot_enocean_duplicate_window; /* ms within which copies of a telegram are duplicates */
extern int	pgiot_enocean_chain_timeout;	/* ms a chained message waits for its next part */
extern int	pgiot_enocean_rlc_window;	/* implicit rolling codes tried after the expected one */
extern int	pgiot_enocean_json_format;	/* PGIOT_ENOCEAN_JSON_* */

#define PGIOT_ENOCEAN_JSON_CLASSIC 0
#define PGIOT_ENOCEAN_JSON_CURRENT 1
extern int	pgiot_rules_interval;		/* seconds between rules worker ticks */
extern int	pgiot_rules_batch_size;		/* messages per tenant and rules pass */
extern int	pgiot_activity_min_duration;	/* floor of activity durations, seconds */
extern int	pgiot_heap_retain_kb;		/* freed heap a batch backend keeps (kB), 0 = glibc's */

extern void pgiot_define_gucs(void);

#endif
