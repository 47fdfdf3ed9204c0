/*
 * chain.h: chained messages (CDM 0x40 and SEC_CDM 0x33, enocean.md §6):
 * part headers, reassembly in memory, and a compact serialised form so a
 * pending chain can wait in a table for its next part.
 */
#ifndef PGIOT_ENO_CHAIN_H
#define PGIOT_ENO_CHAIN_H

#include "eno_common.h"

#define ENO_CHAIN_MAX_PARTS 64
#define ENO_CHAIN_PART_MAX 64

typedef struct EnoChainPart
{
	uint8_t		seq;			/* 1..3 */
	uint8_t		idx;			/* 0..63 */
	int			total_len;		/* LEN of the first part, else -1 */
	int			inner_rorg;		/* CDM first part: the chained RORG, else -1 */
	const uint8_t *data;
	size_t		len;
} EnoChainPart;

typedef struct EnoChain
{
	uint8_t		kind;			/* RORG 0x40 or 0x33 */
	uint8_t		seq;
	int			total_len;		/* -1 until the first part arrived */
	int			inner_rorg;
	uint64_t	have;			/* bit i: part i stored */
	uint8_t		part_len[ENO_CHAIN_MAX_PARTS];
	uint8_t		part[ENO_CHAIN_MAX_PARTS][ENO_CHAIN_PART_MAX];
} EnoChain;

/* The header of one part (payload = the bytes after RORG 0x40/0x33). */
extern EnoErrorKind eno_chain_part_parse(uint8_t rorg, const uint8_t *payload, size_t len,
										 EnoChainPart *out, EnoError *err);

extern void eno_chain_init(EnoChain *c, uint8_t kind, uint8_t seq);

/* Store a part; a repeated index replaces the earlier copy. */
extern void eno_chain_add(EnoChain *c, const EnoChainPart *p);

/* Number of parts stored. */
extern int	eno_chain_parts(const EnoChain *c);

/*
 * When every part up to LEN bytes is there: the message (RORG and data,
 * truncated to LEN) and true.  SEC_CDM yields RORG 0x31 and the secure body.
 */
extern bool eno_chain_complete(const EnoChain *c, uint8_t *rorg, uint8_t *out, size_t outcap,
							   size_t *out_len);

/* Serialised form: kind, seq, total_len (2, 0xFFFF = unknown), inner RORG
 * (0xFFFF = none, 2 bytes), then (idx, len, bytes) per part. */
extern size_t eno_chain_serialize(const EnoChain *c, uint8_t *out, size_t cap);
extern bool eno_chain_deserialize(const uint8_t *in, size_t n, EnoChain *c);

#endif
