/*
 * jl_geo.c: the geographic operators of Live Objects (distance, inside,
 * insideindex, closeto, closetoindex).  Pure C.
 *
 * Polygons are GeoJSON Polygon coordinates, [[ [lon, lat], ... ], hole,
 * ...]; a GeoJSON geometry object (Polygon or MultiPolygon) is accepted
 * too.  An argument is one area when it nests like a polygon (or a single
 * ring), else it is a list of areas; list members that are not areas
 * (null for an unknown context key, ...) keep their index but never match.
 *
 * Containment is planar in (lon, lat), boundary included, like PostGIS
 * ST_Covers on geometry(Polygon, 4326).  Distances are great-circle on a
 * sphere of radius 6371 km (haversine; cross-track distance to an edge).
 */
#include "jl_internal.h"

#include <math.h>
#include <string.h>

#define EARTH_RADIUS_M 6371000.0
#define DEG2RAD (M_PI / 180.0)

/* ------------------------------------------------------------------ */
/* spherical geometry													*/
/* ------------------------------------------------------------------ */

static double
haversine_m(double lat1, double lon1, double lat2, double lon2)
{
	double		dlat = (lat2 - lat1) * DEG2RAD;
	double		dlon = (lon2 - lon1) * DEG2RAD;
	double		h = sin(dlat / 2) * sin(dlat / 2) +
		cos(lat1 * DEG2RAD) * cos(lat2 * DEG2RAD) * sin(dlon / 2) * sin(dlon / 2);

	if (h > 1)
		h = 1;
	return 2 * EARTH_RADIUS_M * asin(sqrt(h));
}

typedef struct Vec3
{
	double		x,
				y,
				z;
} Vec3;

static Vec3
unit_vector(double lon, double lat)
{
	Vec3		v = {cos(lat * DEG2RAD) * cos(lon * DEG2RAD),
	cos(lat * DEG2RAD) * sin(lon * DEG2RAD), sin(lat * DEG2RAD)};

	return v;
}

static Vec3
cross(Vec3 a, Vec3 b)
{
	Vec3		c = {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};

	return c;
}

static double
dot(Vec3 a, Vec3 b)
{
	return a.x * b.x + a.y * b.y + a.z * b.z;
}

static double
norm(Vec3 a)
{
	return sqrt(dot(a, a));
}

static double
angle(Vec3 a, Vec3 b)
{
	return atan2(norm(cross(a, b)), dot(a, b));
}

/* Great-circle distance (radians) from p to the arc a-b. */
static double
arc_distance(Vec3 p, Vec3 a, Vec3 b)
{
	Vec3		n = cross(a, b);
	double		nn = norm(n),
				s;
	Vec3		c;

	if (nn < 1e-15)
		return angle(p, a);		/* a degenerate edge is a point */
	n.x /= nn, n.y /= nn, n.z /= nn;
	s = dot(p, n);
	c.x = p.x - s * n.x, c.y = p.y - s * n.y, c.z = p.z - s * n.z;
	if (norm(c) > 1e-15 && dot(cross(a, c), n) >= 0 && dot(cross(c, b), n) >= 0)
		return fabs(atan2(s, norm(c)));
	{
		double		da = angle(p, a),
					db = angle(p, b);

		return da < db ? da : db;
	}
}

/* ------------------------------------------------------------------ */
/* polygons as values													*/
/* ------------------------------------------------------------------ */

static bool
position(const JlValue *v, double *lon, double *lat)
{
	if (v->type != JL_ARRAY || v->u.arr.n < 2 ||
		v->u.arr.items[0]->type != JL_NUMBER || v->u.arr.items[1]->type != JL_NUMBER)
		return false;
	*lon = v->u.arr.items[0]->u.num;
	*lat = v->u.arr.items[1]->u.num;
	return isfinite(*lon) && isfinite(*lat);
}

/* Arrays between v and its first number: 1 position, 2 ring, 3 polygon, 4 list. */
static int
nesting(const JlValue *v)
{
	int			depth = 0;

	while (v->type == JL_ARRAY && v->u.arr.n > 0 && depth < 6)
	{
		depth++;
		v = v->u.arr.items[0];
	}
	return v->type == JL_NUMBER ? depth : -1;
}

static const JlValue *
geojson_coordinates(const JlValue *v, bool *multi)
{
	const JlValue *type = jl_member(v, "type", 4);
	const JlValue *coords = jl_member(v, "coordinates", 11);

	if (type == NULL || type->type != JL_STRING || coords == NULL || coords->type != JL_ARRAY)
		return NULL;
	if (type->u.str.len == 7 && memcmp(type->u.str.ptr, "Polygon", 7) == 0)
		*multi = false;
	else if (type->u.str.len == 12 && memcmp(type->u.str.ptr, "MultiPolygon", 12) == 0)
		*multi = true;
	else
		return NULL;
	return coords;
}

/* Is the point on the segment a-b (planar)? */
static bool
on_segment(double px, double py, double ax, double ay, double bx, double by)
{
	double		crossp = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
	double		scale = fabs(bx - ax) + fabs(by - ay);

	if (fabs(crossp) > 1e-12 * (scale > 1 ? scale : 1))
		return false;
	return px >= fmin(ax, bx) - 1e-12 && px <= fmax(ax, bx) + 1e-12 &&
		py >= fmin(ay, by) - 1e-12 && py <= fmax(ay, by) + 1e-12;
}

/* 1 inside, 0 outside, 2 on the boundary (even-odd rule). */
static int
ring_locate(const JlValue *ring, double lon, double lat)
{
	bool		inside = false;
	size_t		n = ring->type == JL_ARRAY ? ring->u.arr.n : 0;
	double		px,
				py,
				qx,
				qy;

	if (n < 3)
		return 0;
	for (size_t i = 0, j = n - 1; i < n; j = i++)
	{
		if (!position(ring->u.arr.items[i], &px, &py) || !position(ring->u.arr.items[j], &qx, &qy))
			return 0;
		if (on_segment(lon, lat, px, py, qx, qy))
			return 2;
		if ((py > lat) != (qy > lat) && lon < (qx - px) * (lat - py) / (qy - py) + px)
			inside = !inside;
	}
	return inside ? 1 : 0;
}

static bool
polygon_covers(const JlValue *poly, double lon, double lat)
{
	int			where;

	if (nesting(poly) == 2)
		return ring_locate(poly, lon, lat) != 0;	/* a bare ring */
	if (poly->type != JL_ARRAY || poly->u.arr.n == 0)
		return false;
	where = ring_locate(poly->u.arr.items[0], lon, lat);
	if (where != 1)
		return where == 2;
	for (size_t h = 1; h < poly->u.arr.n; h++)
		if (ring_locate(poly->u.arr.items[h], lon, lat) == 1)
			return false;		/* inside a hole */
	return true;
}

/* Smallest great-circle distance (m) from the point to the edges of a ring. */
static double
ring_distance(const JlValue *ring, Vec3 p)
{
	double		best = INFINITY,
				lon,
				lat;
	size_t		n = ring->type == JL_ARRAY ? ring->u.arr.n : 0;
	Vec3		prev = {0, 0, 0};
	bool		have_prev = false;

	for (size_t i = 0; i < n; i++)
	{
		Vec3		cur;
		double		d;

		if (!position(ring->u.arr.items[i], &lon, &lat))
			continue;
		cur = unit_vector(lon, lat);
		d = have_prev ? arc_distance(p, prev, cur) : angle(p, cur);
		if (d < best)
			best = d;
		prev = cur;
		have_prev = true;
	}
	/* an open ring is closed by its last edge */
	if (n >= 3 && position(ring->u.arr.items[0], &lon, &lat))
	{
		Vec3		first = unit_vector(lon, lat);
		double		d = arc_distance(p, prev, first);

		if (d < best)
			best = d;
	}
	return best * EARTH_RADIUS_M;
}

static double
polygon_distance(const JlValue *poly, double lon, double lat)
{
	Vec3		p = unit_vector(lon, lat);
	double		best = INFINITY;

	if (nesting(poly) == 2)
		return ring_distance(poly, p);
	if (poly->type != JL_ARRAY)
		return INFINITY;
	for (size_t r = 0; r < poly->u.arr.n; r++)
	{
		double		d = ring_distance(poly->u.arr.items[r], p);

		if (d < best)
			best = d;
	}
	return best;
}

/* Does the area (polygon, ring or GeoJSON geometry) match the test? */
static bool
area_matches(const JlValue *area, double lon, double lat, double radius)
{
	bool		multi;
	const JlValue *coords;

	if (area->type == JL_OBJECT && (coords = geojson_coordinates(area, &multi)) != NULL)
	{
		if (!multi)
			return area_matches(coords, lon, lat, radius);
		for (size_t i = 0; i < coords->u.arr.n; i++)
			if (area_matches(coords->u.arr.items[i], lon, lat, radius))
				return true;
		return false;
	}
	if (nesting(area) != 2 && nesting(area) != 3)
		return false;
	if (polygon_covers(area, lon, lat))
		return true;
	return radius >= 0 && polygon_distance(area, lon, lat) <= radius;
}

/*
 * Index of the first area of `areas` that the point (or the circle of
 * `radius` metres around it, when radius >= 0) meets; -1 if none.
 */
static long
first_match(const JlValue *areas, double lon, double lat, double radius)
{
	int			depth = nesting(areas);

	if (!isfinite(lon) || !isfinite(lat) || isnan(radius))
		return -1;
	if (areas->type == JL_OBJECT || depth == 2 || depth == 3)
		return area_matches(areas, lon, lat, radius) ? 0 : -1;
	if (areas->type != JL_ARRAY)
		return -1;
	for (size_t i = 0; i < areas->u.arr.n; i++)
		if (area_matches(areas->u.arr.items[i], lon, lat, radius))
			return (long) i;
	return -1;
}

static double
num_arg(const JlNode *n, uint32_t i, const JlValue *data, JlEnv *env)
{
	const JlValue *v = jl_arg(n, i, data, env);

	return v == NULL ? NAN : jl_to_number(v);
}

const JlValue *
jl_op_geo(const JlNode *n, const JlValue *data, JlEnv *env)
{
	switch (n->op)
	{
		case JOP_DISTANCE:
			{
				/* decision 13: latitude first; whole metres */
				double		lat1 = num_arg(n, 0, data, env),
							lon1 = num_arg(n, 1, data, env),
							lat2 = num_arg(n, 2, data, env),
							lon2 = num_arg(n, 3, data, env);

				return jl_number(env->arena, round(haversine_m(lat1, lon1, lat2, lon2)));
			}
		case JOP_INSIDE:
		case JOP_INSIDEINDEX:
			{
				double		lon = num_arg(n, 0, data, env),
							lat = num_arg(n, 1, data, env);
				long		i = first_match(jl_arg_or_null(n, 2, data, env), lon, lat, -1);

				if (n->op == JOP_INSIDE)
					return jl_bool(i >= 0);
				return jl_number(env->arena, (double) i);
			}
		case JOP_CLOSETO:
		case JOP_CLOSETOINDEX:
			{
				double		lon = num_arg(n, 0, data, env),
							lat = num_arg(n, 1, data, env),
							radius = num_arg(n, 2, data, env);
				long		i;

				if (radius < 0)
					radius = 0;
				i = first_match(jl_arg_or_null(n, 3, data, env), lon, lat, radius);
				if (n->op == JOP_CLOSETO)
					return jl_bool(i >= 0);
				return jl_number(env->arena, (double) i);
			}
		default:
			return &jl_null_value;
	}
}
