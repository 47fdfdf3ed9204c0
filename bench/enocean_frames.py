#!/usr/bin/env python3
"""Synthetic EnOcean traffic for bench/enocean.sh: ESP3 frames (valid CRCs)
of a fleet of devices, as COPY text rows

    batch  seq  gateway  frame(bytea hex)  received(ISO)  rssi

usage: enocean_frames.py TELEGRAMS DEVICES BATCH_SIZE > frames.tsv
       enocean_frames.py --devices DEVICES > devices.json

Devices d = 0..DEVICES-1 have EURID 0x0a000000 + d and, by d % 4, the EEPs
D2-14-41, A5-09-09, F6-02-01, A5-04-01.  Each device sends once per
second (no duplicates: the benchmark stores every telegram); every 20th
telegram of a D2-14-41 device is a signal telegram (MID 6, energy).
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

EEPS = ["D2-14-41", "A5-09-09", "F6-02-01", "A5-04-01"]


def crc8(data):
    c = 0
    for x in data:
        c ^= x
        for _ in range(8):
            c = ((c << 1) ^ 7) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return c


def frame(data, opt):
    h = bytes([len(data) >> 8, len(data) & 255, len(opt), 1])
    return b"\x55" + h + bytes([crc8(h)]) + data + opt + bytes([crc8(data + opt)])


def telegram(rnd, d, n):
    sender = (0x0A000000 + d).to_bytes(4, "big")
    kind = d % 4
    if kind == 0:
        if n % 20 == 19:
            body, status = bytes([0xD0, 0x06, rnd.randrange(101)]), 0x80
        else:
            bits = (rnd.randrange(1001) << 62) | (rnd.randrange(201) << 54) | (rnd.randrange(100001) << 37) \
                | (rnd.randrange(3) << 35) | (rnd.randrange(1001) << 25) | (rnd.randrange(1001) << 15) \
                | (rnd.randrange(1001) << 5) | (rnd.randrange(2) << 4)
            body, status = bytes([0xD2]) + bits.to_bytes(9, "big"), 0x80
    elif kind == 1:
        body, status = bytes([0xA5, 0, 0, rnd.randrange(256), 0x08 | (rnd.randrange(2) << 2)]), 0x00
    elif kind == 2:
        if n % 2 == 0:
            body, status = bytes([0xF6, (rnd.randrange(4) << 5) | 0x10]), 0x30
        else:
            body, status = bytes([0xF6, 0x00]), 0x20
    else:
        body, status = bytes([0xA5, 0, rnd.randrange(251), rnd.randrange(251), 0x0A]), 0x00
    opt = bytes([1, 0xFF, 0xFF, 0xFF, 0xFF, 40 + rnd.randrange(50), 0])
    return frame(body + sender + bytes([status]), opt)


def main():
    if sys.argv[1] == "--devices":
        devices = int(sys.argv[2])
        json.dump([{"sourceEurid": "%08x" % (0x0A000000 + d), "eep": EEPS[d % 4],
                    "friendlyID": "bench %d" % d, "location": "floor %d" % (d % 10)}
                   for d in range(devices)], sys.stdout)
        return
    total, devices, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(42)
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    out = sys.stdout
    for i in range(total):
        d, n = i % devices, i // devices
        at = base + timedelta(seconds=n, microseconds=(d * 997) % 1000000)
        out.write("%d\t%d\tap-%d\t\\\\x%s\t%s\t%d\n" % (
            i // batch, i, d % 3, telegram(rnd, d, n).hex(), at.isoformat(), -60 - (d % 30)))


if __name__ == "__main__":
    main()
