/*
 * log.h: one line per event on stderr (or a sink the host supplies, such
 * as mosquitto's log), "2026-01-01T00:00:00.000Z LEVEL component: text".
 */
#ifndef PGIOT_BRIDGE_LOG_H
#define PGIOT_BRIDGE_LOG_H

#include <stdarg.h>

typedef enum
{
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARNING,
	LOG_ERROR
} LogLevel;

typedef void (*LogSink) (LogLevel level, const char *line);

/* Component name printed on every line; sink NULL = stderr. */
extern void log_init(const char *component, LogLevel min_level, LogSink sink);
extern void log_event(LogLevel level, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern LogLevel log_level_parse(const char *name, int *ok);

#endif
