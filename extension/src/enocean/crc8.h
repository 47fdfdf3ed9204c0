/*
 * crc8.h: the CRC8 of ESP3 (polynomial x^8 + x^2 + x + 1, init 0, no
 * reflection), also used by ERP2 telegrams and the secure-teach-in PSK check.
 */
#ifndef PGIOT_ENO_CRC8_H
#define PGIOT_ENO_CRC8_H

#include <stddef.h>
#include <stdint.h>

extern uint8_t eno_crc8(const uint8_t *p, size_t n);

#endif
