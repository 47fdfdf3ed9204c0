/*
 * teachin.h: teach-in telegrams (enocean.md §9): 4BS variations, 1BS,
 * UTE.  They are recognised so that they are never decoded as
 * measurements, and reported as key/value/meaning records.
 */
#ifndef PGIOT_ENO_TEACHIN_H
#define PGIOT_ENO_TEACHIN_H

#include "eep.h"

/* A 4BS teach-in (LRN bit 0): variation, EEP and manufacturer when told. */
extern void eno_teachin_4bs(const uint8_t *data, EepResult *r);

/* A 1BS teach-in (LRN bit 0): no EEP information. */
extern void eno_teachin_1bs(EepResult *r);

/* A UTE telegram (RORG 0xD4, 7 bytes). */
extern EnoErrorKind eno_teachin_ute(const uint8_t *data, size_t len, EepResult *r, EnoError *err);

/* The EEP a 4BS teach-in announces ("a5-02-05"); false for variation 1. */
extern bool eno_teachin_4bs_eep(const uint8_t *data, char out[9]);

#endif
