/*
 * ingest_item.h: one message on its way through ingest: the envelope and
 * message as received, the device it resolves to, and the outcome.
 */
#ifndef PGIOT_INGEST_ITEM_H
#define PGIOT_INGEST_ITEM_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

typedef struct LocationFix
{
	bool		present;
	double		lat;
	double		lon;
	bool		has_alt;
	double		alt;
	bool		has_accuracy;
	double		accuracy;
	char	   *provider;		/* NULL when not given */
} LocationFix;

typedef struct DeviceInfo
{
	char	   *id;
	char	   *default_stream_id;
	Datum		tags;			/* text[] */
	Jsonb	   *properties;
	char	   *group_id;
	char	   *group_path;
	LocationFix static_location;
	bool		has_last_seen;
	TimestampTz last_seen;
	TimestampTz touched_at;		/* created of the batch that queued an update */
	MemoryContext cxt;			/* where this lives (the cache or a batch) */
	/* enrichment parts shared by this device's messages (see ingest_cache.h) */
	int			ntag_elems;
	Datum	   *tag_elems;		/* deconstructed tags, NULL until needed */
	char	   *metadata_key;	/* connector \x1f node id of metadata_cache */
	Jsonb	   *metadata_cache; /* metadata of a message that brings none */
} DeviceInfo;

typedef struct InterfaceInfo
{
	char	   *connector;
	char	   *node_id;
	char	   *device_id;
	bool		enabled;
	char	   *encoding;		/* definition.encoding, or NULL */
	char	   *status;
	bool		has_last_contact;
	TimestampTz last_contact;
	TimestampTz touched_at;		/* created of the batch that queued an update */
} InterfaceInfo;

typedef struct IngestItem
{
	int			ord;			/* 1-based */
	/* envelope */
	char	   *device_id;		/* explicit, else metadata.source */
	char	   *connector;		/* never NULL after parsing ("http" default) */
	char	   *node_id;
	bytea	   *raw;
	bool		has_received;
	TimestampTz received;
	bool		has_network;
	JsonbValue	network;		/* envelope network (binary object) */
	/* message */
	JsonbValue	message;		/* binary object */
	char	   *stream_id;
	bool		has_ts;
	TimestampTz ts;
	char	   *model;
	bool		has_value;
	JsonbValue	value;			/* binary object */
	int			ntags;
	char	  **tags;
	bool		has_extra;
	JsonbValue	extra;			/* binary object */
	bool		has_metadata;
	JsonbValue	metadata;		/* binary object */
	LocationFix published;		/* message.location */
	LocationFix external;		/* metadata.transformation.external.location */
	LocationFix decoded;		/* metadata.transformation.decoder.location */
	/* resolution */
	DeviceInfo *device;
	InterfaceInfo *iface;
	bool		needs_device;	/* to be auto-provisioned */
	bool		needs_interface;
	/* outcome */
	int			sqlerrcode;		/* 0 when accepted */
	char	   *error;
	int64		id;
} IngestItem;

/* item_parse.c: fill the envelope and message fields of `item` from the
 * envelope object; on bad input set sqlerrcode/error and return false. */
extern bool ingest_item_parse(IngestItem *item, JsonbValue *envelope);

/* item_parse.c: the same, for iot.ingest()'s separate arguments. */
extern bool ingest_item_parse_message(IngestItem *item, JsonbValue *message);

/* The connector names ingest accepts (http when none is given). */
extern bool ingest_connector_known(const char *connector);

/* Mark an item rejected (message formatted like errmsg). */
extern void ingest_item_reject(IngestItem *item, int sqlerrcode, const char *fmt,...)
			pg_attribute_printf(3, 4);

/* enrich.c: the stored columns of an accepted, resolved item. */
typedef struct EnrichedRow
{
	char	   *stream_id;
	TimestampTz ts;
	Datum		tags;			/* text[] */
	Jsonb	   *value;
	Jsonb	   *extra;			/* NULL for none */
	Jsonb	   *metadata;
	LocationFix location;		/* root location (present = false: none) */
	const char *location_provider;
} EnrichedRow;

extern void ingest_enrich(IngestItem *item, TimestampTz created, EnrichedRow *row);

/* The device id an auto-provisioned device gets for (connector, nodeId). */
extern char *ingest_provisioned_device_id(const char *connector, const char *node_id);

#endif
