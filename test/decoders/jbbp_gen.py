#!/usr/bin/env python3
"""Generate JBBP formats and payloads for the differential test.

    jbbp_gen.py SEED COUNT      prints COUNT lines "FORMAT<TAB>HEX"

Formats use every construct iot.jbbp_parse and JBBP share: all types with
both byte orders, bit fields of fixed and computed width, fixed, computed
and until-the-end arrays, structures and structure arrays (nested),
expressions over earlier fields with every operator, $$, val, skip, align
and reset$$.  Counts are kept small (masked) so that most payloads decode;
payload lengths vary around what the format needs, so short payloads (EOF
errors) are exercised too.  Names use mixed case (keys come out lower-case).
"""
import random
import sys

NUMERIC = ["bit", "bool", "byte", "ubyte", "short", "ushort", "int", "uint", "long"]
MULTI = {"short", "ushort", "int", "uint", "long", "float", "double"}
SIZE = {"bit": 1, "bool": 1, "byte": 1, "ubyte": 1, "short": 2, "ushort": 2, "int": 4,
        "uint": 4, "long": 8, "float": 4, "double": 8, "utf8": 1, "asciichar": 1}


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.maybe_empty = 0      # inside a structure array whose count may be 0
        self.n = 0
        self.items = 0
        self.rest_used = False

    def name(self):
        self.n += 1
        base = "f%d" % self.n
        return "".join(c.upper() if self.r.random() < 0.3 else c for c in base)

    def operand(self, scope):
        r = self.r
        if scope and r.random() < 0.7:
            return r.choice(scope)
        if r.random() < 0.1:
            return "$$"
        return str(r.randint(0, 20))

    def expr(self, scope, depth=0):
        r = self.r
        if depth > 2 or r.random() < 0.35:
            return self.operand(scope)
        op = r.choice(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"])
        left = self.expr(scope, depth + 1)
        if op in ("/", "%"):
            right = str(r.randint(1, 9))
        elif op in ("<<", ">>", ">>>"):
            right = str(r.randint(0, 31))
        else:
            right = self.expr(scope, depth + 1)
        e = "%s%s%s" % (left, op, right)
        if r.random() < 0.3:
            e = "-" + "(" + e + ")" if r.random() < 0.5 else "~(" + e + ")"
        return "(" + e + ")" if depth > 0 else e

    def count(self, scope, spaces):
        r = self.r
        k = r.random()
        if k < 0.4:
            return str(r.randint(1, 4))
        e = "(%s)&3" % self.expr(scope) if r.random() < 0.85 else "(%s)%%3" % self.expr(scope)
        if spaces and r.random() < 0.3:
            e = " " + e.replace("&", " & ") + " "
        return e

    def field(self, scope, depth, last_allowed):
        """One item; returns (text, numeric name or None, approx bytes)."""
        r = self.r
        self.items += 1
        k = r.random()
        if k < 0.07 and depth < 3:
            return self.struct(scope, depth, last_allowed)
        if k < 0.12:
            return ("val:(%s) %s;" % (self.expr(scope), nm := self.name()), nm, 0)
        if k < 0.15:
            w = str(r.randint(0, 3)) if r.random() < 0.5 else "(%s&3)" % self.operand(scope)
            return ("skip:%s;" % w, None, 1)
        if k < 0.18:
            w = str(r.randint(1, 4)) if r.random() < 0.5 else "((%s&3)+1)" % self.operand(scope)
            return ("align:%s;" % w if r.random() < 0.8 else "align;", None, 2)
        if k < 0.20:
            return ("reset$$;", None, 0)
        # JBBP 2.0.3 mis-skips custom-type fields (float, double, utf8,
        # asciichar, uint) in a structure array of 0 elements: not generated there
        t = r.choice(NUMERIC * 3 + ["float", "double", "utf8", "asciichar"])
        while self.maybe_empty and t in ("float", "double", "utf8", "asciichar", "uint"):
            t = r.choice(NUMERIC)
        order = ("<" if r.random() < 0.5 else ">" if r.random() < 0.2 else "") if t in MULTI or \
            (t in ("byte", "ubyte") and r.random() < 0.3) else ""
        typ = order + t
        if t == "bit":
            if r.random() < 0.2 and scope:
                typ += ":((%s&7)+1)" % r.choice(scope)
            elif r.random() < 0.8:
                typ += ":%d" % r.randint(1, 8)
        elif t == "byte" and r.random() < 0.1:
            typ += ":1"
        arr = ""
        if t in ("utf8", "asciichar") or r.random() < 0.25:
            if last_allowed and not self.rest_used and r.random() < 0.15:
                arr = "[_]"
                self.rest_used = True
            else:
                arr = "[%s]" % self.count(scope, True)
        named = r.random() < 0.9
        nm = self.name() if named else None
        text = "%s %s %s;" % (typ, arr, nm or "")
        text = text.replace("  ", " ").replace(" ;", ";") if r.random() < 0.5 else text
        numeric = nm if (named and not arr and t not in ("utf8", "asciichar", "bool")) else None
        return (text, numeric, SIZE[t] * (2 if arr else 1))

    def struct(self, scope, depth, last_allowed):
        r = self.r
        nm = self.name() if r.random() < 0.85 else None
        arr = ""
        if r.random() < 0.6:
            if last_allowed and not self.rest_used and r.random() < 0.15:
                arr = "[_]"
                self.rest_used = True
            else:
                arr = "[%s]" % self.count(scope, False)
        inner_scope = list(scope)
        empty = arr not in ("", "[_]") and not arr[1:-1].isdigit()
        self.maybe_empty += empty
        body, size, inner_names = self.fields(inner_scope, depth + 1, arr == "[_]")
        self.maybe_empty -= empty
        if arr == "[_]":
            # JBBP loops forever on a [_] structure whose element reads nothing
            first = self.name()
            body = "ubyte %s; %s" % (first, body)
            size += 1
        text = "%s%s{%s}" % (nm + " " if nm else "", arr + " " if arr else "", body)
        # after the structure: a named non-array structure's fields by path
        if not arr:
            for n in inner_names:
                scope.append(("%s.%s" % (nm, n)) if nm else n)
        return (text, None, size * (2 if arr else 1))

    def fields(self, scope, depth, rest_ok):
        r = self.r
        count = r.randint(1, 5 if depth else 7)
        parts = []
        size = 0
        names = []
        for i in range(count):
            if self.rest_used:
                break
            last = rest_ok and i == count - 1
            text, numeric, sz = self.field(scope, depth, last)
            parts.append(text)
            size += sz
            if numeric:
                scope.append(numeric)
                names.append(numeric)
        return (" ".join(parts), size, names)

    def case(self):
        self.n = 0
        self.rest_used = False
        fmt, size, _ = self.fields([], 0, True)
        r = self.r
        if r.random() < 0.1:
            fmt = "// generated\n" + fmt.replace("; ", ";\n", 2)
        length = max(0, int(size * r.uniform(0.6, 2.5)) + r.randint(-2, 6))
        if r.random() < 0.5:
            payload = bytes(r.randrange(256) for _ in range(length))
        else:
            payload = bytes(r.choice(b"\x00\x01\x02\x03abcXYZ019 \xc3\xa9\x7f\xff") for _ in range(length))
        return fmt, payload.hex().upper()


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    g = Gen(random.Random(seed))
    for _ in range(count):
        fmt, payload = g.case()
        print("%s\t%s" % (fmt.replace("\n", "\\n"), payload))


if __name__ == "__main__":
    main()
