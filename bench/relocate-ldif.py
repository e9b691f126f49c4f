#!/usr/bin/env python3
"""Reads unwrapped LDIF on stdin and moves every entry below BASE to NEWBASE."""
import base64
import sys

base, newbase = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("dn:: "):
        dn = base64.b64decode(line[5:]).decode("utf-8")
    elif line.startswith("dn: "):
        dn = line[4:]
    else:
        print(line)
        continue
    if dn.endswith("," + base):
        dn = dn[: -len(base)] + newbase
    print("dn:: " + base64.b64encode(dn.encode("utf-8")).decode())
