/*
 * enocean_pipeline.h: the EnOcean ingest pipeline (iot.enocean_ingest):
 * what one call holds in memory between its set-based statements.
 *
 *   enocean_ingest.c   entry points, input, orchestration, result rows
 *   enocean_process.c  per-telegram work: duplicates, ADT, chaining,
 *                      security, signal/teach-in/EEP decoding, statistics
 *   enocean_load.c     the reads: devices with state (locked), chains
 *   enocean_store.c    the writes: state, gateways, unknown senders, chains,
 *                      events, duplicate notes
 *   enocean_doc.c      the connector's documents (message value, events)
 */
#ifndef PGIOT_ENOCEAN_PIPELINE_H
#define PGIOT_ENOCEAN_PIPELINE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"

#include "chain.h"
#include "eep.h"
#include "erp.h"
#include "ingest/ingest_item.h"
#include "secure.h"

typedef enum EnoOutcome
{
	ENO_NOT_PROCESSED = 0,
	ENO_PROCESSED,
	ENO_DUPLICATE,
	ENO_PENDING
} EnoOutcome;

/* One telegram of the duplicate window. */
typedef struct EnoRecent
{
	uint64		fp;
	TimestampTz at;
	int64		id;				/* the kept message, 0 when none (yet) */
	TimestampTz created;
	int			pkt;			/* index of the kept packet in this call, -1: earlier call */
} EnoRecent;

/* A chained message or two-part secure teach-in in progress. */
typedef struct EnoChainSlot
{
	uint8		kind;			/* RORG_CDM, RORG_SEC_CDM, RORG_SEC_TI */
	uint8		seq;
	EnoChain	chain;
	TimestampTz first_at;
	TimestampTz last_at;
	bool		in_db;			/* a row exists */
	bool		changed;		/* write it back */
	bool		done;			/* completed or expired: delete the row */
} EnoChainSlot;

typedef struct EnoDevice
{
	char		eurid[9];
	uint32		sender;
	char	   *device_id;
	char	   *eep;
	char	   *friendly_id;
	char	   *location;
	char	   *custom_tag;
	uint32		destination;
	bool		has_key;
	uint8		key[ENO_KEY_LEN];
	int			slf;
	bool		has_psk;
	uint8		psk[ENO_KEY_LEN];
	bool		secure_teach_in;
	bool		is_ptm;
	bool		active;			/* onboarding flag and the interface enabled */
	const EepProfile *profile;
	/* state, current values */
	int64		total;
	int64		processed;
	int64		not_processed;
	int64		duplicates;
	bool		has_first_seen;
	TimestampTz first_seen;
	bool		has_last_seen;
	TimestampTz last_seen;
	bool		has_rlc;
	uint64		rlc_next;
	List	   *recent;			/* EnoRecent * */
	int			last_telemetry_pkt; /* packets of this call, -1 none */
	int			last_signal_pkt;
	bool		security_changed;	/* a secure teach-in replaced key/SLF */
	bool		dirty;
	List	   *chains;			/* EnoChainSlot * */
} EnoDevice;

/* A copy of a telegram received within the window. */
typedef struct EnoDup
{
	char	   *gateway;
	int			rssi;			/* INT_MIN unknown */
	TimestampTz received;
} EnoDup;

typedef struct EnoGateway
{
	char	   *mac;
	int64		total;
	int64		processed;
	int64		not_processed;
	int64		duplicates;
	TimestampTz last_seen;
} EnoGateway;

typedef struct EnoPacket
{
	int			ord;			/* 1-based input frame */
	int			packet;			/* 1-based packet in the frame; 0: none found */
	int			gateway;		/* index into the call's gateways, -1 none */
	TimestampTz received;
	int			rssi;			/* dBm, INT_MIN: from the ESP3 data */
	bytea	   *frame;			/* the ESP3 packet as received */
	EnoTelegram *t;				/* NULL when no telegram could be read */
	EnoDevice  *dev;
	EnoOutcome	outcome;
	char	   *detail;
	/* a processed telegram */
	Jsonb	   *doc;			/* the connector's document; NULL: nothing to store */
	bool		is_signal;
	List	   *dups;			/* EnoDup * received later within the window */
	int64		message_id;
	TimestampTz message_created;
} EnoPacket;

typedef struct EnoEvent
{
	char	   *type;			/* enocean.FIRST_TIME_SEND, ... */
	char	   *device_id;		/* NULL for unknown senders */
	Jsonb	   *payload;
} EnoEvent;

/* A duplicate of a message stored by an earlier call. */
typedef struct EnoNote
{
	int64		id;
	TimestampTz created;
	List	   *dups;			/* EnoDup * */
} EnoNote;

typedef struct EnoUnknown
{
	char		eurid[9];
	TimestampTz first;
	TimestampTz last;
	int64		count;
	char	   *gateway;
	char	   *data;
} EnoUnknown;

typedef struct EnoCall
{
	MemoryContext cxt;
	Datum		tenant;			/* uuid */
	TimestampTz now;			/* the platform clock */
	int64		window_us;		/* duplicate window */
	int64		chain_timeout_us;
	int			rlc_window;
	int			npackets;
	EnoPacket  *packets;
	int			ngateways;
	EnoGateway *gateways;
	HTAB	   *devices;		/* eurid -> EnoDevice * */
	HTAB	   *unknown;		/* eurid -> EnoUnknown */
	List	   *events;			/* EnoEvent * */
	List	   *notes;			/* EnoNote * */
	void	   *scratch;		/* enocean_process.c's working memory */
	MemoryContext build_cxt;	/* enocean_doc.c's, reset after each document */
} EnoCall;

/* the devices of a call (EnoCall.devices) by EURID */
typedef struct EnoDevEntry
{
	char		eurid[9];
	EnoDevice  *dev;
} EnoDevEntry;

/* enocean_load.c */
extern void eno_spi(EnoCall *call, const char *sql, int nargs, Oid *types, Datum *args, int expect);
extern void eno_load_devices(EnoCall *call);
extern EnoDevice *eno_device(EnoCall *call, uint32 sender);
extern void eno_load_chains(EnoCall *call);

/* enocean_store.c */
extern void eno_store_results(EnoCall *call);

/* enocean_process.c */
extern void eno_process_packet(EnoCall *call, int index);
extern uint64 eno_fingerprint(const EnoTelegram *t);

/* enocean_doc.c */
extern Jsonb *eno_doc(EnoCall *call, EnoPacket *pkt, const EnoTelegram *shown, int security_level,
					  const EepResult *data, const EepResult *signal);
extern Jsonb *eno_network(EnoCall *call, EnoPacket *pkt);
extern void eno_event(EnoCall *call, EnoDevice *dev, const char *eurid, const char *category,
					  const char *code, const char *message);
extern Jsonb *eno_dups_jsonb(List *dups);
extern char *eno_iso_time(TimestampTz t);

#endif
