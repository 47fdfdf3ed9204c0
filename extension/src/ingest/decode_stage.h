/*
 * decode_stage.h: decoding on ingest, between attaching the items of a
 * batch to their devices and storing them (see decode_stage.c).
 */
#ifndef PGIOT_DECODE_STAGE_H
#define PGIOT_DECODE_STAGE_H

#include "ingest_lookup.h"

/* Decode the accepted items that name an enabled decoder (1 query). */
extern void ingest_decode(IngestBatch *b);

#endif
