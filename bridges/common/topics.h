/*
 * topics.h: the MQTT topic space of pgiot, shared by the broker plugin
 * (ACLs, identity stamping) and the bridge (routing).  Pure C, no I/O.
 *
 * Modes are chosen by the CONNECT username: "json+device", "connector",
 * "application" (Live Objects) and the bridge's own service user.
 *
 * What a client publishes reaches the bridge as
 *     pgiot/up/<tenant>/<mode>/<keyId>/<clientId>/<original topic>
 * (the plugin rewrites the topic after authorising it: the identity comes
 * from the connection's credentials, never from the payload).  The bridge
 * sends downlinks as
 *     pgiot/down/<tenant>/<mode>/<clientId or *>/<topic>
 * which the plugin delivers to that one client (or, for "*", to the
 * tenant's connector clients subscribed to <topic>).
 */
#ifndef PGIOT_BRIDGE_TOPICS_H
#define PGIOT_BRIDGE_TOPICS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum
{
	MQTT_MODE_NONE = 0,
	MQTT_MODE_DEVICE,
	MQTT_MODE_CONNECTOR,
	MQTT_MODE_APPLICATION,
	MQTT_MODE_SERVICE
} MqttMode;

typedef enum
{
	TK_NONE = 0,
	/* device mode */
	TK_DEV_DATA,				/* dev/data */
	TK_DEV_BINARY,				/* dev/v1/data/binary[/{encoding}] (arg: encoding) */
	TK_DEV_CMD_RES,				/* dev/cmd/res */
	TK_DEV_CFG,					/* dev/cfg */
	TK_DEV_RSC,					/* dev/rsc */
	TK_DEV_RSC_UPD_RES,			/* dev/rsc/upd/res */
	TK_DEV_RSC_UPD_ERR,			/* dev/rsc/upd/err */
	TK_SHADOW,					/* $aws/things/{clientId}/shadow/[name/{n}/]{update,get,delete} */
	TK_AWS_RULE,				/* $aws/rules/{rule}[/...] (arg: rule) */
	/* connector mode */
	TK_CONN_STATUS,				/* connector/v1/nodes/{nodeId}/status (arg: nodeId) */
	TK_CONN_DATA,				/* connector/v1/nodes/{nodeId}/data (arg: nodeId) */
	TK_CONN_RESPONSE,			/* connector/v1/responses/{command,configuration,resource} */
	TK_CONN_CURRENT,			/* connector/v1/current/{configuration,resource} */
	TK_IOTC_TELEMETRY,			/* sensor/{id}/telemetry (arg: id) */
	/* application mode */
	TK_APP_DATA,				/* application/v1/data */
	/* any mode: a configured extra pattern */
	TK_EXTRA
} TopicKind;

/* Capabilities a device-mode subscription announces. */
#define CAP_COMMAND		0x01
#define CAP_CONFIG		0x02
#define CAP_RESOURCE	0x04
#define CAP_SHADOW		0x08

typedef struct TopicInfo
{
	TopicKind	kind;
	const char *arg;			/* points into the topic; not terminated */
	size_t		arglen;
} TopicInfo;

extern const char *mqtt_mode_name(MqttMode mode);
extern MqttMode mqtt_mode_from_name(const char *name);
/* json+device, connector, application (case-sensitive); else NONE. */
extern MqttMode mqtt_mode_from_username(const char *username);

/* MQTT filter matching (+, #; $-topics are not matched by a leading wildcard). */
extern bool mqtt_filter_match(const char *filter, const char *topic);
/* A client id / node id usable as one topic level: 1..maxlen of [A-Za-z0-9:_.-]. */
extern bool mqtt_id_valid(const char *id, size_t len, size_t maxlen);

/* What a publication on `topic` by a client of `mode` is, TK_NONE = refused. */
extern TopicKind mqtt_classify_publish(MqttMode mode, const char *topic, const char *client_id,
									   TopicInfo *info);

/*
 * May a client of `mode` subscribe to `filter`?  *caps receives the device
 * capabilities it announces; *fifo (and *fifolen) the FIFO name of an
 * application subscription.
 */
extern bool mqtt_subscribe_allowed(MqttMode mode, const char *filter, const char *client_id,
								   int *caps, const char **fifo, size_t *fifolen);

/* pgiot/up/<tenant>/<mode>/<keyId>/<clientId>/<topic> */
typedef struct UpTopic
{
	char		tenant[40];
	MqttMode	mode;
	char		key_id[40];
	char		client_id[272];
	const char *topic;			/* the original topic (points into the input) */
} UpTopic;

extern bool mqtt_up_topic_parse(const char *topic, UpTopic *out);
/* Write the up topic into buf; false when it does not fit. */
extern bool mqtt_up_topic_format(char *buf, size_t buflen, const char *tenant, MqttMode mode,
								 const char *key_id, const char *client_id, const char *topic);

/* pgiot/down/<tenant>/<mode>/<clientId|*>/<topic> */
typedef struct DownTopic
{
	char		tenant[40];
	MqttMode	mode;
	char		client_id[272];	/* "*" = every subscribed client of the tenant */
	const char *topic;
} DownTopic;

extern bool mqtt_down_topic_parse(const char *topic, DownTopic *out);

#endif
