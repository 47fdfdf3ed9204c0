/*
 * enocean_process.c: what happens to one telegram of an onboarded device
 * (enocean.md §10.1): duplicate detection, then by RORG secure
 * processing, chaining, secure teach-in, signal, teach-in or EEP
 * decoding; statistics, events and the connector's document.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/memutils.h"

#include "enocean_json.h"
#include "enocean_pipeline.h"
#include "signal.h"
#include "teachin.h"

/* the telegram a processed packet is shown as (decrypted, reassembled) */
typedef struct Shown
{
	EnoTelegram t;
	int			security_level;
	int			parts;			/* telegrams it was made of */
} Shown;

/*
 * Working memory of one call, reused telegram after telegram (a telegram's
 * processing is finished before the next one starts; nothing here is kept).
 */
typedef struct Scratch
{
	Shown		shown;
	EepResult	result;
	EnoSecureOut secure;
	uint8		chain[ENO_MAX_PAYLOAD];
} Scratch;

static Scratch *
scratch(EnoCall *call)
{
	if (call->scratch == NULL)
		call->scratch = MemoryContextAlloc(call->cxt, sizeof(Scratch));
	return call->scratch;
}

static void decode_plain(EnoCall *call, EnoPacket *pkt, EnoDevice *dev, Shown *s);

uint64
eno_fingerprint(const EnoTelegram *t)
{
	uint64		h = UINT64CONST(0xcbf29ce484222325);
	uint8		head[6];

#define MIX(b) (h = (h ^ (b)) * UINT64CONST(0x100000001b3))
	head[0] = t->rorg;
	head[1] = eno_status_identity(t->status);
	head[2] = (uint8) (t->destination >> 24);
	head[3] = (uint8) (t->destination >> 16);
	head[4] = (uint8) (t->destination >> 8);
	head[5] = (uint8) t->destination;
	for (int i = 0; i < 6; i++)
		MIX(head[i]);
	for (size_t i = 0; i < t->payload_len; i++)
		MIX(t->payload[i]);
#undef MIX
	return h;
}

static void
not_processed(EnoPacket *pkt, EnoDevice *dev, int parts, const char *fmt,...)
	pg_attribute_printf(4, 5);

static void
not_processed(EnoPacket *pkt, EnoDevice *dev, int parts, const char *fmt,...)
{
	va_list		ap;
	char		buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pkt->outcome = ENO_NOT_PROCESSED;
	pkt->detail = pstrdup(buf);
	if (dev != NULL)
	{
		dev->not_processed += parts;
		dev->dirty = true;
	}
}

static void
first_time(EnoCall *call, EnoPacket *pkt, EnoDevice *dev)
{
	dev->processed++;
	if (!dev->has_first_seen)
	{
		dev->has_first_seen = true;
		dev->first_seen = pkt->received;
		eno_event(call, dev, dev->eurid, "health", "FIRST_TIME_SEND",
				  psprintf("First time send of device with id=%s.", dev->eurid));
	}
}

/* A processed telegram: statistics, FIRST_TIME_SEND, the document. */
static void
processed(EnoCall *call, EnoPacket *pkt, EnoDevice *dev, Shown *s, const EepResult *data,
		  const EepResult *signal, bool store)
{
	pkt->outcome = ENO_PROCESSED;
	first_time(call, pkt, dev);
	dev->processed += s->parts - 1;
	dev->dirty = true;
	if (store)
	{
		pkt->doc = eno_doc(call, pkt, &s->t, s->security_level, data, signal);
		pkt->is_signal = signal != NULL;
	}
}

static EnoChainSlot *
chain_slot(EnoDevice *dev, uint8 kind, uint8 seq)
{
	ListCell   *lc;
	EnoChainSlot *slot;

	foreach(lc, dev->chains)
	{
		slot = lfirst(lc);
		if (slot->kind == kind && slot->seq == seq)
			return slot;
	}
	slot = palloc0(sizeof(EnoChainSlot));
	slot->kind = kind;
	slot->seq = seq;
	slot->done = true;			/* empty until a part arrives */
	eno_chain_init(&slot->chain, kind, seq);
	dev->chains = lappend(dev->chains, slot);
	return slot;
}

/* Start over: the parts held so far count as not processed. */
static void
chain_reset(EnoDevice *dev, EnoChainSlot *slot, TimestampTz at)
{
	int			held = slot->done ? 0 : eno_chain_parts(&slot->chain);

	if (held > 0)
	{
		dev->not_processed += held;
		dev->dirty = true;
	}
	eno_chain_init(&slot->chain, slot->kind, slot->seq);
	slot->first_at = slot->last_at = at;
	slot->done = false;
	slot->changed = true;
}

static void
security_event(EnoCall *call, EnoDevice *dev, const char *code, const char *why)
{
	const char *msg;

	if (strcmp(code, "RLC_REPLAY") == 0)
		msg = psprintf("A telegram of device with id=%s repeats an old rolling code (%s).", dev->eurid, why);
	else if (strcmp(code, "DEVICE_SEND_NOW_UNSECURE") == 0)
		msg = psprintf("Device with id=%s, onboarded as secure, sent an unsecure %s.", dev->eurid, why);
	else
		msg = psprintf("A telegram of device with id=%s could not be authenticated (%s).", dev->eurid, why);
	eno_event(call, dev, dev->eurid, "security", code, msg);
}

/* RORG 0x30/0x31 (or a reassembled SEC_CDM as 0x31): authenticate, decrypt. */
static void
open_secure(EnoCall *call, EnoPacket *pkt, EnoDevice *dev, uint8 rorg_s, const uint8 *body,
			size_t len, int parts)
{
	EnoSecureIn in;
	EnoSecureOut *out;
	EnoError	err;
	EnoSecStatus st;
	Shown	   *s;

	if (!dev->has_key)
	{
		security_event(call, dev, "MAC_VALIDATION_ERROR", "no key is onboarded");
		not_processed(pkt, dev, parts, "secure telegram, but no key is onboarded for the device");
		return;
	}
	out = &scratch(call)->secure;
	in.rorg = rorg_s;
	in.payload = body;
	in.len = len;
	in.key = dev->key;
	in.slf = (uint8) dev->slf;
	in.have_rlc = dev->has_rlc;
	in.rlc_next = dev->rlc_next;
	in.window = call->rlc_window;
	in.ptm = dev->is_ptm;
	st = eno_secure_open(&in, out, &err);
	switch (st)
	{
		case ENO_SEC_OK:
			break;
		case ENO_SEC_REPLAY:
			security_event(call, dev, "RLC_REPLAY", err.message);
			not_processed(pkt, dev, parts, "%s", err.message);
			return;
		case ENO_SEC_MAC_FAIL:
			security_event(call, dev, "MAC_VALIDATION_ERROR", err.message);
			not_processed(pkt, dev, parts, "%s", err.message);
			return;
		default:
			security_event(call, dev, "MAC_VALIDATION_ERROR", err.message);
			not_processed(pkt, dev, parts, "%s", err.message);
			return;
	}
	dev->has_rlc = true;
	dev->rlc_next = out->rlc + 1;
	dev->dirty = true;

	s = &scratch(call)->shown;
	s->t = *pkt->t;
	s->t.rorg = out->rorg;
	memcpy(s->t.payload, out->data, out->len);
	s->t.payload_len = out->len;
	s->security_level = out->security_level;
	s->parts = parts;
	if (s->t.rorg == RORG_CDM || s->t.rorg == RORG_SEC_CDM || s->t.rorg == RORG_SEC_TI ||
		s->t.rorg == RORG_SEC || s->t.rorg == RORG_SEC_ENCAPS || s->t.rorg == RORG_ADT)
	{
		not_processed(pkt, dev, parts, "decrypted RORG 0x%02x (%s) inside a secure telegram is not processed",
					  s->t.rorg, eno_rorg_name(s->t.rorg));
		return;
	}
	decode_plain(call, pkt, dev, s);
}

/* CDM (0x40) and SEC_CDM (0x33) parts. */
static void
chain_part(EnoCall *call, EnoPacket *pkt, EnoDevice *dev)
{
	const EnoTelegram *t = pkt->t;
	EnoChainPart part;
	EnoError	err;
	EnoChainSlot *slot;
	uint8		rorg;
	uint8	   *msg;
	size_t		len;
	int			parts;

	if (eno_chain_part_parse(t->rorg, t->payload, t->payload_len, &part, &err) != ENO_OK)
	{
		not_processed(pkt, dev, 1, "%s", err.message);
		return;
	}
	slot = chain_slot(dev, t->rorg, part.seq);
	if (slot->done ||
		pkt->received - slot->last_at > call->chain_timeout_us ||
		(part.idx == 0 && (slot->chain.have & 1)))
		chain_reset(dev, slot, pkt->received);
	eno_chain_add(&slot->chain, &part);
	slot->last_at = Max(slot->last_at, pkt->received);
	slot->changed = true;

	msg = scratch(call)->chain;
	if (!eno_chain_complete(&slot->chain, &rorg, msg, ENO_MAX_PAYLOAD, &len))
	{
		pkt->outcome = ENO_PENDING;
		pkt->detail = psprintf("part %d of chained message %d (%d part%s held)", part.idx, part.seq,
							   eno_chain_parts(&slot->chain),
							   eno_chain_parts(&slot->chain) == 1 ? "" : "s");
		return;
	}
	parts = eno_chain_parts(&slot->chain);
	slot->done = true;
	if (t->rorg == RORG_SEC_CDM || rorg == RORG_SEC_ENCAPS)
		open_secure(call, pkt, dev, RORG_SEC_ENCAPS, msg, len, parts);
	else
	{
		Shown	   *s = &scratch(call)->shown;

		s->t = *t;
		s->t.rorg = rorg;
		memcpy(s->t.payload, msg, len);
		s->t.payload_len = len;
		s->security_level = t->security_level;
		s->parts = parts;
		if (dev->has_key)
		{
			security_event(call, dev, "DEVICE_SEND_NOW_UNSECURE", "chained message");
			not_processed(pkt, dev, parts, "device is onboarded as secure, but sent an unsecure chained message");
			return;
		}
		decode_plain(call, pkt, dev, s);
	}
}

/* RORG 0x35: security information, in one part or two. */
static void
secure_teach_in(EnoCall *call, EnoPacket *pkt, EnoDevice *dev)
{
	const EnoTelegram *t = pkt->t;
	EnoSecTeachIn ti;
	EnoError	err;
	uint8	   *body;
	size_t		n;
	uint8		info;
	int			parts = 1;

	if (t->payload_len < 1)
	{
		not_processed(pkt, dev, 1, "secure teach-in lacks its teach-in info byte");
		return;
	}
	if (!dev->secure_teach_in)
	{
		not_processed(pkt, dev, 1, "secure teach-in is not enabled for the device (securityProfile.secureTeachIn)");
		return;
	}
	eno_sec_teachin_info(t->payload[0], &ti);
	if (ti.idx == 0 && ti.cnt >= 2)
	{
		EnoChainSlot *slot = chain_slot(dev, RORG_SEC_TI, 0);
		EnoChainPart part = {0, 0, -1, -1, t->payload, t->payload_len};

		/* a newer first part replaces the older one */
		chain_reset(dev, slot, pkt->received);
		if (part.len > ENO_CHAIN_PART_MAX)
		{
			not_processed(pkt, dev, 1, "secure teach-in part of %zu bytes is too long", part.len);
			slot->done = true;
			return;
		}
		eno_chain_add(&slot->chain, &part);
		pkt->outcome = ENO_PENDING;
		pkt->detail = pstrdup("first part of a secure teach-in");
		return;
	}
	if (ti.idx == 0)
	{
		info = t->payload[0];
		body = (uint8 *) t->payload + 1;
		n = t->payload_len - 1;
	}
	else
	{
		EnoChainSlot *slot = chain_slot(dev, RORG_SEC_TI, 0);

		if (slot->done || !(slot->chain.have & 1))
		{
			not_processed(pkt, dev, 1, "second part of a secure teach-in without its first part");
			return;
		}
		info = slot->chain.part[0][0];
		n = slot->chain.part_len[0] - 1 + t->payload_len - 1;
		body = palloc(n + 1);
		memcpy(body, slot->chain.part[0] + 1, slot->chain.part_len[0] - 1);
		memcpy(body + slot->chain.part_len[0] - 1, t->payload + 1, t->payload_len - 1);
		slot->done = true;
		slot->changed = true;
		parts = 2;
	}
	if (eno_sec_teachin_parse(info, body, n, dev->has_psk ? dev->psk : NULL, &ti, &err) != ENO_OK)
	{
		security_event(call, dev, "MAC_VALIDATION_ERROR", err.message);
		not_processed(pkt, dev, parts, "%s", err.message);
		return;
	}
	memcpy(dev->key, ti.key, ENO_KEY_LEN);
	dev->has_key = true;
	dev->slf = ti.slf;
	dev->has_rlc = true;
	dev->rlc_next = ti.rlc;
	dev->security_changed = true;
	eno_event(call, dev, dev->eurid, "security", "SECURE_TEACH_IN",
			  psprintf("Security information of device with id=%s taught in (SLF 0x%02x%s).",
					   dev->eurid, ti.slf, ti.psk ? ", pre-shared key" : ""));
	{
		Shown		s;

		s.parts = parts;
		processed(call, pkt, dev, &s, NULL, NULL, false);	/* no message: it would hold the key */
	}
	pkt->detail = pstrdup("security information taught in");
}

static bool
management_rorg(uint8 rorg)
{
	switch (rorg)
	{
		case RORG_SYS_EX:
		case RORG_SM_LRN_REQ:
		case RORG_SM_LRN_ANS:
		case RORG_SM_REC:
		case RORG_GP_TI:
		case RORG_GP_TR:
		case RORG_GP_CD:
		case RORG_GP_SD:
		case RORG_SEC_MAN:
			return true;
	}
	return false;
}

/* A plain telegram (possibly decrypted or reassembled). */
static void
decode_plain(EnoCall *call, EnoPacket *pkt, EnoDevice *dev, Shown *s)
{
	EepResult  *r = &scratch(call)->result;
	EnoError	err;
	const EepProfile *profile = dev->profile;
	uint8		rorg = s->t.rorg;

	if (rorg == RORG_SIGNAL)
	{
		if (eno_signal_decode(s->t.payload, s->t.payload_len, r, &err) != ENO_OK)
		{
			eno_event(call, dev, dev->eurid, "transcoding", "EEP_DECODE_ERROR",
					  psprintf("Signal telegram of device with id=%s could not be decoded: %s",
							   dev->eurid, err.message));
			not_processed(pkt, dev, s->parts, "%s", err.message);
			return;
		}
		processed(call, pkt, dev, s, NULL, r, true);
		return;
	}
	if (rorg == RORG_UTE)
	{
		if (eno_teachin_ute(s->t.payload, s->t.payload_len, r, &err) != ENO_OK)
		{
			eno_event(call, dev, dev->eurid, "transcoding", "EEP_DECODE_ERROR",
					  psprintf("UTE teach-in of device with id=%s could not be decoded: %s",
							   dev->eurid, err.message));
			not_processed(pkt, dev, s->parts, "%s", err.message);
			return;
		}
		processed(call, pkt, dev, s, r, NULL, true);
		pkt->detail = pstrdup("teach-in");
		return;
	}
	if (management_rorg(rorg))
	{
		not_processed(pkt, dev, s->parts, "RORG 0x%02x (%s) is not processed", rorg, eno_rorg_name(rorg));
		return;
	}
	if (rorg == RORG_SEC_D)
	{
		/* a decrypted 0x30: PTM switches use the secure rocker profile,
		 * others the RORG of their EEP */
		if (dev->is_ptm)
			profile = eep_find("D2-03-00");
		else if (profile != NULL)
			rorg = profile->rorg;
	}
	if (profile == NULL)
	{
		eno_event(call, dev, dev->eurid, "transcoding", "EEP_NOT_FOUND_ERROR",
				  psprintf("EEP %s of device with id=%s is not supported.", dev->eep, dev->eurid));
		not_processed(pkt, dev, s->parts, "EEP %s is not supported", dev->eep);
		return;
	}
	if (profile->rorg != rorg && !(s->t.rorg == RORG_SEC_D && dev->is_ptm))
	{
		eno_event(call, dev, dev->eurid, "transcoding", "EEP_DECODE_ERROR",
				  psprintf("Telegram of device with id=%s with RORG 0x%02x does not fit EEP %s.",
						   dev->eurid, s->t.rorg, dev->eep));
		not_processed(pkt, dev, s->parts, "RORG 0x%02x (%s) does not fit EEP %s", s->t.rorg,
					  eno_rorg_name(s->t.rorg), dev->eep);
		return;
	}
	if (eep_decode(profile, s->t.payload, s->t.payload_len, s->t.status, r, &err) != ENO_OK)
	{
		eno_event(call, dev, dev->eurid, "transcoding", "EEP_DECODE_ERROR",
				  psprintf("Telegram of device with id=%s could not be decoded with EEP %s: %s",
						   dev->eurid, dev->eep, err.message));
		not_processed(pkt, dev, s->parts, "%s", err.message);
		return;
	}
	processed(call, pkt, dev, s, r, NULL, true);
	if (r->teach_in)
		pkt->detail = pstrdup("teach-in");
}

/* Is this a copy of a telegram of the window?  Records it if so. */
static bool
duplicate(EnoCall *call, EnoPacket *pkt, EnoDevice *dev, int index)
{
	uint64		fp = eno_fingerprint(pkt->t);
	ListCell   *lc;
	EnoRecent  *r;

	foreach(lc, dev->recent)
	{
		r = lfirst(lc);
		/*
		 * Telegrams are processed in reception order: one older than the
		 * window can match no later telegram of this call (the state keeps
		 * only the window anyway).
		 */
		if (pkt->received - r->at > call->window_us)
		{
			dev->recent = foreach_delete_current(dev->recent, lc);
			continue;
		}
		if (r->fp == fp && Abs(pkt->received - r->at) <= call->window_us)
		{
			EnoDup	   *d = palloc(sizeof(EnoDup));

			d->gateway = pkt->gateway >= 0 ? call->gateways[pkt->gateway].mac : NULL;
			d->rssi = pkt->rssi != INT_MIN ? pkt->rssi : (pkt->t->dbm >= 0 ? -pkt->t->dbm : INT_MIN);
			d->received = pkt->received;
			if (r->pkt >= 0)
				call->packets[r->pkt].dups = lappend(call->packets[r->pkt].dups, d);
			else if (r->id > 0)
			{
				EnoNote    *note = NULL;
				ListCell   *nc;

				foreach(nc, call->notes)
					if (((EnoNote *) lfirst(nc))->id == r->id)
						note = lfirst(nc);
				if (note == NULL)
				{
					note = palloc0(sizeof(EnoNote));
					note->id = r->id;
					note->created = r->created;
					call->notes = lappend(call->notes, note);
				}
				note->dups = lappend(note->dups, d);
			}
			pkt->outcome = ENO_DUPLICATE;
			pkt->detail = r->pkt >= 0 ? psprintf("copy of frame %d packet %d", call->packets[r->pkt].ord,
												 call->packets[r->pkt].packet)
				: pstrdup("copy of a telegram received earlier");
			dev->duplicates++;
			dev->dirty = true;
			return true;
		}
	}
	r = palloc0(sizeof(EnoRecent));
	r->fp = fp;
	r->at = pkt->received;
	r->pkt = index;
	dev->recent = lappend(dev->recent, r);
	dev->dirty = true;
	return false;
}

static void
unknown_sender(EnoCall *call, EnoPacket *pkt)
{
	char		eurid[9];
	EnoUnknown *u;
	bool		found;

	snprintf(eurid, sizeof(eurid), "%08x", pkt->t->sender);
	u = hash_search(call->unknown, eurid, HASH_ENTER, &found);
	if (!found)
	{
		u->first = u->last = pkt->received;
		u->count = 0;
	}
	u->count++;
	u->first = Min(u->first, pkt->received);
	if (pkt->received >= u->last)
	{
		u->last = pkt->received;
		u->gateway = pkt->gateway >= 0 ? call->gateways[pkt->gateway].mac : NULL;
		u->data = palloc(2 * (pkt->t->payload_len + 1) + 1);
		eno_hex(&pkt->t->rorg, 1, u->data);
		eno_hex(pkt->t->payload, pkt->t->payload_len, u->data + 2);
	}
	pkt->outcome = ENO_NOT_PROCESSED;
	pkt->detail = psprintf("device %s is not onboarded", eurid);
}

void
eno_process_packet(EnoCall *call, int index)
{
	EnoPacket  *pkt = &call->packets[index];
	EnoDevice  *dev;
	const EnoTelegram *t = pkt->t;

	if (t == NULL)
		return;					/* outcome and detail set when parsing */
	dev = eno_device(call, t->sender);
	if (dev == NULL)
	{
		unknown_sender(call, pkt);
		return;
	}
	pkt->dev = dev;
	if (duplicate(call, pkt, dev, index))
		return;
	dev->total++;
	dev->dirty = true;
	if (!dev->active)
	{
		not_processed(pkt, dev, 1, "device is not active");
		return;
	}
	if (dev->destination != ENO_BROADCAST && t->destination != ENO_BROADCAST &&
		t->destination != dev->destination)
	{
		not_processed(pkt, dev, 1, "telegram addressed to %08x, the device is onboarded for %08x",
					  t->destination, dev->destination);
		return;
	}
	switch (t->rorg)
	{
		case RORG_SEC:
		case RORG_SEC_ENCAPS:
			open_secure(call, pkt, dev, t->rorg, t->payload, t->payload_len, 1);
			break;
		case RORG_SEC_CDM:
			chain_part(call, pkt, dev);
			break;
		case RORG_SEC_TI:
			secure_teach_in(call, pkt, dev);
			break;
		default:
			if (dev->has_key)
			{
				security_event(call, dev, "DEVICE_SEND_NOW_UNSECURE",
							   psprintf("telegram (RORG 0x%02x)", t->rorg));
				not_processed(pkt, dev, 1, "device is onboarded as secure, but sent an unsecure telegram (RORG 0x%02x)",
							  t->rorg);
				break;
			}
			if (t->rorg == RORG_CDM)
				chain_part(call, pkt, dev);
			else
			{
				Shown	   *s = &scratch(call)->shown;

				s->t = *t;
				s->security_level = t->security_level;
				s->parts = 1;
				decode_plain(call, pkt, dev, s);
			}
	}
	if (pkt->outcome == ENO_PROCESSED || pkt->outcome == ENO_PENDING)
	{
		if (!dev->has_last_seen || pkt->received > dev->last_seen)
			dev->last_seen = pkt->received;
		dev->has_last_seen = true;
	}
}
