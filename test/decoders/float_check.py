#!/usr/bin/env python3
"""Check iot.jbbp_parse's float output: every line "HEX VALUE" (a float32
and the decoded text) must read back as the same float and be the text
printf's shortest %.Ng gives (what JBBP's Float.toString rounds to).

    float_check.py FILE
"""
import struct
import sys
from decimal import Decimal

bad = n = 0
for line in open(sys.argv[1]):
    h, v = line.split()
    f = struct.unpack(">f", bytes.fromhex(h))[0]
    if f != f or f in (float("inf"), float("-inf")):
        continue
    n += 1
    for p in range(6, 10):
        t = "%.*g" % (p, f)
        if struct.unpack("f", struct.pack("f", float(t)))[0] == f:
            break
    if struct.unpack("f", struct.pack("f", float(v)))[0] != f or Decimal(v) != Decimal(t):
        bad += 1
        if bad <= 10:
            print("FLOAT %s: iot.jbbp_parse gave %s, shortest is %s" % (h, v, t))
print("%d floats: %d wrong" % (n, bad))
sys.exit(1 if bad else 0)
