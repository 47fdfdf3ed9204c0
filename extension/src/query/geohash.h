/*
 * geohash.h: geohash cells (pure C).  Base32 alphabet
 * 0123456789bcdefghjkmnpqrstuvwxyz, bits interleaved starting with the
 * longitude, a bit is 1 when the value is >= the middle of its interval
 * (as PostGIS ST_GeoHash).
 */
#ifndef PGIOT_GEOHASH_H
#define PGIOT_GEOHASH_H

#include <stdbool.h>
#include <stddef.h>

#define GEOHASH_MAX_PRECISION 20	/* 50 bits per axis: cells stay wider than a double's step */

typedef struct GeohashBox
{
	double		min_lat,
				max_lat,
				min_lon,
				max_lon;
} GeohashBox;

/* Encode into out[precision + 1]; lat in [-90, 90], lon in [-180, 180],
 * 1 <= precision <= GEOHASH_MAX_PRECISION (the caller checks). */
extern void geohash_encode(double lat, double lon, int precision, char *out);

/* Decode; false with *bad_pos (0-based) at the first invalid character.
 * Upper-case letters are accepted. */
extern bool geohash_decode(const char *hash, size_t len, GeohashBox *box, size_t *bad_pos);

/*
 * The 8 neighbours of a valid hash, in the order N, NE, E, SE, S, SW, W,
 * NW, each written to out[i] (len + 1 bytes); has[i] is false where the
 * cell would cross a pole.  Longitudes wrap at the antimeridian.
 */
extern void geohash_neighbors(const char *hash, size_t len, char out[8][GEOHASH_MAX_PRECISION + 1],
							  bool has[8]);

#endif
