/*
 * geohash.c: libFuzzer target for the geohash decoder and encoder.
 *
 * FUZZ_SOURCES: extension/src/query/geohash.c
 * FUZZ_LIBS: -lm
 *
 * Any bytes go to geohash_decode(); for a valid hash it checks that the
 * cell is well-formed, that its centre encodes back to the same hash
 * (lower-cased), and that every neighbour is a hash of the same length
 * whose cell touches this one.  The first 16 bytes, read as two doubles,
 * are also encoded: the point must lie in the cell of its hash.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/geohash.h"

static void
fail(const char *why)
{
	fprintf(stderr, "PROPERTY VIOLATED: %s\n", why);
	abort();
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GeohashBox	box;
	size_t		bad = 0;

	if (size >= 1 && size <= GEOHASH_MAX_PRECISION &&
		geohash_decode((const char *) data, size, &box, &bad))
	{
		char		again[GEOHASH_MAX_PRECISION + 1];
		char		lower[GEOHASH_MAX_PRECISION + 1];
		char		nb[8][GEOHASH_MAX_PRECISION + 1];
		bool		has[8];

		if (!(box.min_lat < box.max_lat && box.min_lon < box.max_lon &&
			  box.min_lat >= -90 && box.max_lat <= 90 && box.min_lon >= -180 && box.max_lon <= 180))
			fail("malformed cell");
		for (size_t i = 0; i < size; i++)
			lower[i] = (data[i] >= 'A' && data[i] <= 'Z') ? (char) (data[i] - 'A' + 'a') : (char) data[i];
		lower[size] = '\0';
		geohash_encode((box.min_lat + box.max_lat) / 2, (box.min_lon + box.max_lon) / 2, (int) size, again);
		if (strcmp(again, lower) != 0)
			fail("the centre of a cell does not encode to its hash");
		geohash_neighbors((const char *) data, size, nb, has);
		for (int i = 0; i < 8; i++)
		{
			GeohashBox	n;
			size_t		b;

			if (!has[i])
				continue;
			if (strlen(nb[i]) != size || !geohash_decode(nb[i], size, &n, &b))
				fail("a neighbour is not a hash of the same length");
			if (fabs(n.max_lat - n.min_lat - (box.max_lat - box.min_lat)) > 1e-9 ||
				(n.max_lat < box.min_lat - 1e-9) || (n.min_lat > box.max_lat + 1e-9))
				fail("a neighbour does not touch the cell");
		}
	}
	else if (size >= 1 && size <= GEOHASH_MAX_PRECISION && bad >= size)
		fail("invalid hash reported at a position outside it");

	if (size >= 16)
	{
		double		lat,
					lon;
		char		h[13];

		memcpy(&lat, data, 8);
		memcpy(&lon, data + 8, 8);
		if (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)
		{
			geohash_encode(lat, lon, 12, h);
			if (!geohash_decode(h, 12, &box, &bad) ||
				lat < box.min_lat || lat > box.max_lat || lon < box.min_lon || lon > box.max_lon)
				fail("a point is outside the cell of its hash");
		}
	}
	return 0;
}
