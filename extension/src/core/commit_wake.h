/*
 * commit_wake.h: signals that must fire only when the current transaction
 * commits (a message stored, the extension created).
 */
#ifndef PGIOT_COMMIT_WAKE_H
#define PGIOT_COMMIT_WAKE_H

/* After commit, wake this database's workers (rules, ...). */
extern void pgiot_wake_workers_at_commit(void);

/* After commit, tell the launcher this database has pgiot now. */
extern void pgiot_notify_launcher_at_commit(void);

/* After commit, invalidate every backend's device cache (ingest). */
extern void pgiot_devices_changed_at_commit(void);

/* Whether this transaction changed devices (caches must not be trusted). */
extern bool pgiot_devices_changed_in_transaction(void);

/* Installed once by _PG_init. */
extern void pgiot_commit_wake_install(void);

#endif
