/*
 * guc.c: definition of the pgiot.* settings.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "guc.h"

int			pgiot_max_databases = 32;
bool		pgiot_workers_enabled = true;
int			pgiot_launcher_naptime = 30;
int			pgiot_maintenance_interval = 60;
char	   *pgiot_partition_interval = NULL;
int			pgiot_partitions_ahead = 3;
int			pgiot_retention_days = 365;
int			pgiot_audit_retention_days = 30;
char	   *pgiot_clock = NULL;
int			pgiot_last_seen_resolution = 1000;
int			pgiot_heap_retain_kb = 64 * 1024;
int			pgiot_enocean_duplicate_window = 500;
int			pgiot_enocean_chain_timeout = 1000;
int			pgiot_enocean_rlc_window = 128;
int			pgiot_enocean_json_format = PGIOT_ENOCEAN_JSON_CLASSIC;

static const struct config_enum_entry enocean_json_formats[] = {
	{"classic", PGIOT_ENOCEAN_JSON_CLASSIC, false},
	{"current", PGIOT_ENOCEAN_JSON_CURRENT, false},
	{NULL, 0, false}
};
int			pgiot_rules_interval = 10;
int			pgiot_rules_batch_size = 5000;
int			pgiot_activity_min_duration = 600;

static bool
check_partition_interval(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;

	/* date_bin() takes days, hours and minutes, not months */
	if (v == NULL || *v == '\0' || strstr(v, "mon") != NULL || strstr(v, "year") != NULL)
	{
		GUC_check_errdetail("Use days, weeks or hours (e.g. '1 day'), not months or years.");
		return false;
	}
	return true;
}

void
pgiot_define_gucs(void)
{
	DefineCustomIntVariable("pgiot.max_databases",
							"Databases the pgiot launcher can serve.",
							NULL, &pgiot_max_databases, 32, 1, 1024,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("pgiot.workers_enabled",
							 "Run pgiot's background workers.",
							 NULL, &pgiot_workers_enabled, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.launcher_naptime",
							"Seconds between the launcher's database rescans.",
							NULL, &pgiot_launcher_naptime, 30, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.maintenance_interval",
							"Seconds between maintenance passes (partitions, retention, audit purge).",
							NULL, &pgiot_maintenance_interval, 60, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("pgiot.partition_interval",
							   "Time span of one iot.message partition.",
							   NULL, &pgiot_partition_interval, "1 day",
							   PGC_SUSET, 0, check_partition_interval, NULL, NULL);
	DefineCustomIntVariable("pgiot.partitions_ahead",
							"Partitions of iot.message kept created ahead of now.",
							NULL, &pgiot_partitions_ahead, 3, 0, 366,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.retention_days",
							"Message partitions older than this are dropped (0 keeps them).",
							NULL, &pgiot_retention_days, 365, 0, 36500,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.audit_retention_days",
							"Audit-log entries older than this are purged (0 keeps them).",
							NULL, &pgiot_audit_retention_days, 30, 0, 36500,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pgiot.now",
							   "Fixed platform clock for tests and replays (empty: the transaction time).",
							   NULL, &pgiot_clock, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.last_seen_resolution",
							"A device's last_seen and an interface's last_contact are rewritten "
							"only when older than this.",
							"Coalesces the row updates of chatty devices; 0 writes on every message.",
							&pgiot_last_seen_resolution, 1000, 0, 3600 * 1000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.heap_retain",
							"Freed memory a backend running ingest or rule batches keeps for the next batch.",
							"0 keeps glibc's adaptive thresholds, which return memory after each batch "
							"and page it in again.",
							&pgiot_heap_retain_kb, 64 * 1024, 0, PG_INT32_MAX / 1024,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.enocean_duplicate_window",
							"Copies of an EnOcean telegram received within this time are duplicates.",
							NULL, &pgiot_enocean_duplicate_window, 500, 0, 60000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.enocean_chain_timeout",
							"A chained EnOcean message is dropped when its next part is later than this.",
							NULL, &pgiot_enocean_chain_timeout, 1000, 1, 600000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.enocean_rlc_window",
							"Rolling codes tried for an EnOcean secure telegram with an implicit RLC.",
							NULL, &pgiot_enocean_rlc_window, 128, 1, 65536,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("pgiot.enocean_json_format",
							 "Shape of the EnOcean connector JSON: classic (2021 examples) or current.",
							 NULL, &pgiot_enocean_json_format, PGIOT_ENOCEAN_JSON_CLASSIC,
							 enocean_json_formats, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.rules_interval",
							"Seconds between ticks of the rules worker (activity sweep, queue check).",
							NULL, &pgiot_rules_interval, 10, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.rules_batch_size",
							"Messages of one tenant the rules engine evaluates per transaction.",
							NULL, &pgiot_rules_batch_size, 5000, 1, 100000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgiot.activity_min_duration",
							"Activity rule durations and repeat intervals below this are raised to it (tests lower it).",
							NULL, &pgiot_activity_min_duration, 600, 0, 86400,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pgiot");
}
