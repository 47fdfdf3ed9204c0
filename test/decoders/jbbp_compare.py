#!/usr/bin/env python3
"""Compare iot.jbbp_parse's answers with JBBP's (the differential test).

    jbbp_compare.py CASES JAVA_OUT PG_OUT

Each output has one line per case: JSON, or "ERROR ...".  Two JSON
answers agree when they are equal as JSON values, numbers compared as
numbers (integers exactly; decimals as the same double, or the same
float32 for single-precision fields whose texts differ).  Two errors
agree.  Prints every disagreement and a summary; exit 1 if any.
"""
import json
import struct
import sys


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        fa, fb = float(a), float(b)
        if fa == fb:
            return True
        try:
            return f32(fa) == f32(fb)
        except OverflowError:
            return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def main():
    def lines(path):
        # only \n ends a line (str.splitlines would also split on U+2028, ...)
        text = open(path, encoding="utf-8").read()
        return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")

    cases, java, pg = lines(sys.argv[1]), lines(sys.argv[2]), lines(sys.argv[3])
    if not (len(cases) == len(java) == len(pg)):
        print("line counts differ: cases %d, jbbp %d, iot.jbbp_parse %d" % (len(cases), len(java), len(pg)))
        return 1
    decoded = errors = bad = 0
    for case, j, p in zip(cases, java, pg):
        je, pe = j.startswith("ERROR"), p.startswith("ERROR")
        if je and pe:
            errors += 1
            continue
        if not je and not pe and same(json.loads(j), json.loads(p)):
            decoded += 1
            continue
        bad += 1
        if bad <= 20:
            print("DISAGREE\n  case:          %s\n  JBBP:          %s\n  iot.jbbp_parse: %s" % (case, j, p))
    print("%d cases: %d decoded alike, %d refused by both, %d disagreements"
          % (len(cases), decoded, errors, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
