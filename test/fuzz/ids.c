/*
 * Fuzz target: the device id validator and the ISO-8601 timestamp parser,
 * the two parsers every ingested message goes through.
 *
 * FUZZ_SOURCES: extension/src/core/device_id.c extension/src/core/isotime.c
 *
 * Checks beyond "does not crash": a reported fault lies inside the input;
 * a valid id is well-formed by construction; a parsed timestamp re-parses
 * identically and lies within years 0001..9999 (±18 h of zone offset).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_id.h"
#include "core/isotime.h"

#define MIN_MICROS (-62135596800LL * 1000000 - 18LL * 3600 * 1000000)
#define MAX_MICROS (253402300800LL * 1000000 + 18LL * 3600 * 1000000)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	DeviceIdCheck id = device_id_check(text, size);
	IsoTimeResult ts = iso8601_parse(text, size);

	if (id.error != NULL && (id.error_pos < 0 || (size_t) id.error_pos > size))
		abort();
	if (id.error == NULL)
	{
		if (size < strlen(DEVICE_ID_PREFIX) + 3 || memcmp(text, DEVICE_ID_PREFIX, strlen(DEVICE_ID_PREFIX)) != 0)
			abort();
		for (size_t i = strlen(DEVICE_ID_PREFIX); i < size; i++)
			if (!node_id_char_ok(text[i]))
				abort();
	}

	if (ts.error != NULL && (ts.error_pos < 0 || (size_t) ts.error_pos > size))
		abort();
	if (ts.error == NULL)
	{
		IsoTimeResult again = iso8601_parse(text, size);

		if (again.error != NULL || again.unix_micros != ts.unix_micros)
			abort();
		if (ts.unix_micros < MIN_MICROS || ts.unix_micros > MAX_MICROS)
			abort();
	}
	return 0;
}
