/*
 * geohash.c: geohash encoding, decoding and neighbours (pure C).
 */
#include "geohash.h"

static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";

void
geohash_encode(double lat, double lon, int precision, char *out)
{
	double		lat_lo = -90.0,
				lat_hi = 90.0,
				lon_lo = -180.0,
				lon_hi = 180.0;
	bool		even = true;	/* longitude bit */

	for (int i = 0; i < precision; i++)
	{
		int			ch = 0;

		for (int bit = 4; bit >= 0; bit--)
		{
			double		mid;

			if (even)
			{
				mid = (lon_lo + lon_hi) / 2;
				if (lon >= mid)
				{
					ch |= 1 << bit;
					lon_lo = mid;
				}
				else
					lon_hi = mid;
			}
			else
			{
				mid = (lat_lo + lat_hi) / 2;
				if (lat >= mid)
				{
					ch |= 1 << bit;
					lat_lo = mid;
				}
				else
					lat_hi = mid;
			}
			even = !even;
		}
		out[i] = alphabet[ch];
	}
	out[precision] = '\0';
}

static int
char_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (char) (c - 'A' + 'a');
	for (int i = 0; i < 32; i++)
		if (alphabet[i] == c)
			return i;
	return -1;
}

bool
geohash_decode(const char *hash, size_t len, GeohashBox *box, size_t *bad_pos)
{
	bool		even = true;

	box->min_lat = -90.0;
	box->max_lat = 90.0;
	box->min_lon = -180.0;
	box->max_lon = 180.0;
	for (size_t i = 0; i < len; i++)
	{
		int			v = char_value(hash[i]);

		if (v < 0)
		{
			*bad_pos = i;
			return false;
		}
		for (int bit = 4; bit >= 0; bit--)
		{
			bool		one = (v >> bit) & 1;

			if (even)
			{
				double		mid = (box->min_lon + box->max_lon) / 2;

				if (one)
					box->min_lon = mid;
				else
					box->max_lon = mid;
			}
			else
			{
				double		mid = (box->min_lat + box->max_lat) / 2;

				if (one)
					box->min_lat = mid;
				else
					box->max_lat = mid;
			}
			even = !even;
		}
	}
	return true;
}

void
geohash_neighbors(const char *hash, size_t len, char out[8][GEOHASH_MAX_PRECISION + 1], bool has[8])
{
	static const int dlat[8] = {1, 1, 0, -1, -1, -1, 0, 1};
	static const int dlon[8] = {0, 1, 1, 1, 0, -1, -1, -1};
	GeohashBox	box;
	size_t		bad;
	double		h,
				w,
				clat,
				clon;

	if (len > GEOHASH_MAX_PRECISION || !geohash_decode(hash, len, &box, &bad))
	{
		for (int i = 0; i < 8; i++)
			has[i] = false;
		return;
	}
	h = box.max_lat - box.min_lat;
	w = box.max_lon - box.min_lon;
	clat = (box.min_lat + box.max_lat) / 2;
	clon = (box.min_lon + box.max_lon) / 2;
	for (int i = 0; i < 8; i++)
	{
		double		lat = clat + dlat[i] * h;
		double		lon = clon + dlon[i] * w;

		has[i] = lat > -90.0 && lat < 90.0;
		if (!has[i])
			continue;
		if (lon >= 180.0)
			lon -= 360.0;
		else if (lon < -180.0)
			lon += 360.0;
		geohash_encode(lat, lon, (int) len, out[i]);
	}
}
