#!/usr/bin/env python3
"""Writes a cc:Mail directory export (CCDIR-1, CP850, CRLF) of N users."""
import os
import sys

n = int(sys.argv[1])
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
first = ["Jimmy", "Ann", "Jürgen", "Amélie", "Pat", "Sally", "Jeff", "Siobhán"]
last = ["Smith", "Jones", "Müller", "Lefèvre", "Grewal", "Brady", "O'Brien"]
with open(os.path.join(out, "Ccmdir.exp"), "wb") as f:
    f.write(b"CCDIR: 1\r\nKind: directory\r\nPostOffice: HQPO\r\n"
            b"Codepage: CP850\r\n\r\nName: EXSITE1\r\nLocn: P\r\n")
    for i in range(n):
        name = "%s%06d, %s" % (last[i % len(last)], i, first[i % len(first)])
        rec = "\r\nName: %s\r\nLocn: %s\r\n" % (name, "l" if i % 3 else "L")
        if i % 3:
            rec += "PO: HUBPO%d\r\n" % (i % 7)
        rec += "Comments: %s;43/%04d;(425) 555-%04d\r\n" % (
            name.split(",")[0], i % 9999, i % 9999)
        f.write(rec.encode("cp850"))
for name, kind in (("Ccmlist.exp", "lists"), ("Ccmbb.exp", "bboards")):
    with open(os.path.join(out, name), "wb") as f:
        f.write(("CCDIR: 1\r\nKind: %s\r\nPostOffice: HQPO\r\n"
                 "Codepage: CP850\r\n" % kind).encode())
