#!/usr/bin/env python3
"""pcmail benchmark data: N GAL recipients below BASE as LDIF for slapadd.

    pcmail-gen.py N BASE > entries.ldif
"""
import sys

n, base = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
for i in range(n):
    alias = "u%06d" % i
    out.write("dn: cn=%s,%s\n" % (alias, base))
    out.write("objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n")
    out.write("cn: %s\nsn: Surname%06d\ngivenName: Given%d\n" % (alias, i, i % 97))
    out.write("displayName: Surname%06d, Given%d\n" % (i, i % 97))
    out.write("mailNickname: %s\n" % alias)
    out.write("mail: %s@contoso.example\n" % alias)
    out.write("telephoneNumber: +1 425 555 %04d\n" % (i % 10000))
    out.write("title: Engineer\nou: Department %d\n\n" % (i % 40))
