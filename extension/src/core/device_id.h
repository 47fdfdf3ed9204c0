/*
 * device_id.h: Live Objects device identifiers, urn:lo:nsid:{ns}:{id}
 * (no PostgreSQL dependency).
 */
#ifndef PGIOT_DEVICE_ID_H
#define PGIOT_DEVICE_ID_H

#include <stddef.h>

#define DEVICE_ID_PREFIX "urn:lo:nsid:"
#define DEVICE_ID_PART_MAX 128
#define DEVICE_ID_MAX 269

typedef struct DeviceIdCheck
{
	int			error_pos;		/* 0-based offset of the fault, -1 if valid */
	const char *error;			/* static message, NULL when valid */
} DeviceIdCheck;

extern DeviceIdCheck device_id_check(const char *text, size_t len);

/* Characters allowed in a node id (x-connector nodeId, MQTT clientId). */
extern int	node_id_char_ok(char c);

#endif
