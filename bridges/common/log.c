/*
 * log.c: one line per event.  Newlines inside a message are replaced so
 * that every event stays on one line for grep and journald.
 */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

/* Set once at start-up by log_init(), read-only afterwards. */
static struct
{
	char		component[64];
	LogLevel	min_level;
	LogSink		sink;
} log_conf = {"pgiot", LOG_INFO, NULL};

void
log_init(const char *component, LogLevel min_level, LogSink sink)
{
	snprintf(log_conf.component, sizeof(log_conf.component), "%s", component);
	log_conf.min_level = min_level;
	log_conf.sink = sink;
}

LogLevel
log_level_parse(const char *name, int *ok)
{
	*ok = 1;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (LogLevel) i;
	*ok = 0;
	return LOG_INFO;
}

void
log_event(LogLevel level, const char *fmt,...)
{
	char		msg[2048];
	char		line[2200];
	va_list		ap;

	if (level < log_conf.min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_conf.sink != NULL)
	{
		snprintf(line, sizeof(line), "%s: %s", log_conf.component, msg);
		log_conf.sink(level, line);
		return;
	}
	{
		struct timeval tv;
		struct tm	tm;
		char		ts[32];

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03dZ %s %s: %s\n", ts, (int) (tv.tv_usec / 1000),
				level_names[level], log_conf.component, msg);
	}
}
