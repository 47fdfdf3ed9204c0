-- Geohash cells: the manual's 9.3.8 examples, agreement with PostGIS
-- (ST_GeoHash, ST_Box2dFromGeoHash, ST_PointFromGeoHash), neighbours.
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- spec-data 5.5 geolocation examples (precision 1, 3, 5, 12)
SELECT p, iot.geohash_encode(48.85418222285807, 2.346379179507494, p) AS paris,
          iot.geohash_encode(44.840204967185855, -0.560115147382021, p) AS bordeaux
  FROM unnest(ARRAY[1, 3, 5, 12]) p;
SELECT iot.geohash_encode(48.85418222285807, 2.346379179507494) AS default_precision_12;

-- Agreement with ST_GeoHash on 20,000 points spread over the globe, at
-- every precision 1..12 and at 20, plus the awkward places: poles,
-- antimeridian, equator, prime meridian, exact cell boundaries.
SELECT setseed(0.42);
CREATE TEMP TABLE pts AS
SELECT (random() * 180 - 90)::float8 AS lat, (random() * 360 - 180)::float8 AS lon
  FROM generate_series(1, 20000);
INSERT INTO pts VALUES (0, 0), (90, 180), (-90, -180), (90, -180), (-90, 180), (0, 180), (0, -180),
    (45, 90), (-45, -90), (22.5, 45), (89.999999, 179.999999), (-89.999999, -179.999999),
    (48.85418222285807, 2.346379179507494), (44.840204967185855, -0.560115147382021),
    (1e-300, -1e-300), (-0.0, 0.0), (11.25, 22.5), (5.625, 11.25), (2.8125, 5.625);
SELECT count(*) AS compared,
       count(*) FILTER (WHERE iot.geohash_encode(lat, lon, p) <> ST_GeoHash(ST_SetSRID(ST_MakePoint(lon, lat), 4326), p)) AS differ
  FROM pts, (SELECT generate_series(1, 12) UNION ALL SELECT 20) s(p);
-- the cell of a hash: bounds as ST_Box2dFromGeoHash, centre as ST_PointFromGeoHash
CREATE TEMP TABLE hashes AS
SELECT iot.geohash_encode(lat, lon, p) AS h FROM pts, generate_series(1, 12) p WHERE lat < 89 AND lat > -89 LIMIT 50000;
SELECT count(*) AS compared,
       count(*) FILTER (WHERE g.min_lat <> ST_YMin(b) OR g.max_lat <> ST_YMax(b)
                           OR g.min_lon <> ST_XMin(b) OR g.max_lon <> ST_XMax(b)) AS bounds_differ,
       count(*) FILTER (WHERE abs(g.lat - ST_Y(c)) > 1e-12 OR abs(g.lon - ST_X(c)) > 1e-12) AS centres_differ
  FROM hashes, iot.geohash_decode(h) g, ST_Box2dFromGeoHash(h) b, ST_PointFromGeoHash(h) c;
-- a point lies in the cell of its own hash
SELECT count(*) AS checked,
       count(*) FILTER (WHERE NOT (pts.lat BETWEEN g.min_lat AND g.max_lat AND pts.lon BETWEEN g.min_lon AND g.max_lon)) AS outside
  FROM pts, generate_series(1, 12) p, iot.geohash_decode(iot.geohash_encode(lat, lon, p)) g;
SELECT * FROM iot.geohash_decode('u09tv');
SELECT * FROM iot.geohash_decode('EZZX5') AS upper_case_accepted;

-- neighbours: the classic example, then the poles and the antimeridian
SELECT * FROM iot.geohash_neighbors('ezs42');
SELECT * FROM iot.geohash_neighbors('u09tv');
SELECT * FROM iot.geohash_neighbors('b');
SELECT * FROM iot.geohash_neighbors('0');
SELECT * FROM iot.geohash_neighbors('9');
-- every neighbour shares an edge or a corner with the cell
SELECT count(*) AS checked,
       count(*) FILTER (WHERE NOT (abs(n.lat - c.lat) - (c.max_lat - c.min_lat) BETWEEN -1e-9 AND 1e-9
                                    OR abs(n.lat - c.lat) < 1e-9)
                         OR NOT (least(abs(n.lon - c.lon), 360 - abs(n.lon - c.lon)) - (c.max_lon - c.min_lon) BETWEEN -1e-9 AND 1e-9
                                    OR abs(n.lon - c.lon) < 1e-9)) AS not_adjacent
  FROM (SELECT DISTINCT h FROM hashes) x, iot.geohash_decode(h) c, iot.geohash_neighbors(h) nb,
       iot.geohash_decode(nb.hash) n
 WHERE nb.hash IS NOT NULL;

-- errors
SELECT test.try($$SELECT iot.geohash_encode(91, 0)$$);
SELECT test.try($$SELECT iot.geohash_encode(0, -180.5)$$);
SELECT test.try($$SELECT iot.geohash_encode('NaN', 0)$$);
SELECT test.try($$SELECT iot.geohash_encode(0, 0, 0)$$);
SELECT test.try($$SELECT iot.geohash_encode(0, 0, 21)$$);
SELECT test.try($$SELECT iot.geohash_decode('u09ta')$$);
SELECT test.try($$SELECT iot.geohash_decode('')$$);
SELECT test.try($$SELECT iot.geohash_decode(repeat('u', 21))$$);
SELECT test.try($$SELECT * FROM iot.geohash_neighbors('u0i')$$);
SELECT iot.geohash_encode(NULL, 0) IS NULL AS strict;
