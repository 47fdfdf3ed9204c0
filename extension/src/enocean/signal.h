/*
 * signal.h: signal telegrams (RORG 0xD0, enocean.md §8), decoded for every
 * device whatever its EEP into the connector's telemetry.signal records.
 */
#ifndef PGIOT_ENO_SIGNAL_H
#define PGIOT_ENO_SIGNAL_H

#include "eep.h"

/* The MID table as a profile (listed by iot.eep_profiles()). */
extern const EepProfile eno_signal_profile;

/* payload = MID | MID data (the bytes after RORG 0xD0). */
extern EnoErrorKind eno_signal_decode(const uint8_t *payload, size_t len, EepResult *r,
									  EnoError *err);

#endif
