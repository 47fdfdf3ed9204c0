#!/usr/bin/env python3
"""Payloads for bench/decoders.sh: N realistic payloads of one format.

    decoders_gen.py gps|sensor|structs N SEED     one hex payload per line
"""
import random
import struct
import sys


def gps(r):
    # version/type nibbles, flags, lat/lon in 1e-6 degrees, altitude,
    # fix + satellites + hdop in one byte, 4 satellite SNRs, battery, temperature
    head = (r.randint(0, 15) << 4) | 1
    bits = (1 if r.random() < 0.9 else 0) | (r.randint(0, 7) << 1) | (r.randint(0, 15) << 4)
    return struct.pack(">BBiiHB4BHb", head, r.randint(0, 255), r.randint(-90000000, 90000000),
                       r.randint(-180000000, 180000000), r.randint(0, 9000), bits,
                       *[r.randint(0, 60) for _ in range(4)], r.randint(2800, 4200), r.randint(-40, 85))


def sensor(r):
    return struct.pack("<HIfffhhhhH", r.randint(0, 65535), r.randint(0, 2 ** 32 - 1),
                       r.uniform(-40, 85), r.uniform(0, 100), r.uniform(900, 1100),
                       *[r.randint(-2048, 2047) for _ in range(4)], r.randint(2800, 4200))


def structs(r):
    n = 8
    body = b"".join(struct.pack(">BhB", c, r.randint(-32768, 32767), r.randint(0, 3)) for c in range(n))
    return struct.pack(">BI", n, r.randint(0, 2 ** 32 - 1)) + body


def main():
    kind, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = random.Random(seed)
    make = {"gps": gps, "sensor": sensor, "structs": structs}[kind]
    out = sys.stdout
    for _ in range(n):
        out.write(make(r).hex())
        out.write("\n")


if __name__ == "__main__":
    main()
