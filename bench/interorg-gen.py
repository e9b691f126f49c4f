#!/usr/bin/env python3
"""LDIF for the InterOrg benchmark: two GALs of N entries each, already
in step (as one full exchange would have left them), for slapadd.

  interorg-gen.py N OUTDIR

writes OUTDIR/hq.ldif and OUTDIR/branch.ldif.  Each GAL holds N/2 native
recipients in its export container and the other side's N/2 as galgate's
InterOrg connector imports them (same attributes, so the first full
exchange compares and writes nothing).
"""
import sys

HQ_SUFFIX = "dc=hq,dc=example"
BR_SUFFIX = "dc=branch,dc=example"


def tree(out, suffix, dc, org, site, containers):
    out.write(f"dn: {suffix}\nobjectClass: top\nobjectClass: domain\n"
              f"dc: {dc}\n\n")
    out.write(f"dn: o={org},{suffix}\nobjectClass: top\n"
              f"objectClass: organization\no: {org}\n\n")
    out.write(f"dn: ou={site},o={org},{suffix}\nobjectClass: top\n"
              f"objectClass: organizationalUnit\nou: {site}\n\n")
    for c in containers:
        out.write(f"dn: cn={c},ou={site},o={org},{suffix}\nobjectClass: top\n"
                  f"objectClass: galgateContainer\ncn: {c}\n\n")


def person(i, prefix, domain):
    """The General-page attributes of native recipient i."""
    return {
        "cn": f"{prefix}{i:06d}",
        "mail": f"{prefix}{i:06d}@{domain}",
        "givenName": f"Given{i}",
        "sn": f"Surname{i:06d}",
        "displayName": f"Surname{i:06d}, Given{i}",
        "title": f"Title {i % 97}",
        "telephoneNumber": f"+1 425 555 {i % 10000:04d}",
        "physicalDeliveryOfficeName": f"{i % 50}/{i % 1000}",
    }


# IOSYNC-1 General-page attributes galgate writes, in LDAP names
GENERAL = ["givenName", "sn", "displayName", "title", "telephoneNumber",
           "physicalDeliveryOfficeName"]


def native(out, p, container):
    out.write(f"dn: cn={p['cn']},{container}\nobjectClass: inetOrgPerson\n"
              f"objectClass: galgateRecipient\ncn: {p['cn']}\n"
              f"mail: {p['mail']}\nmailNickname: {p['cn']}\n")
    for a in GENERAL:
        out.write(f"{a}: {p[a]}\n")
    out.write("\n")


def imported(out, p, src_x500, container, x500, connector):
    key = p["mail"]
    out.write(f"dn: cn={key},{container}\nobjectClass: top\n"
              f"objectClass: inetOrgPerson\nobjectClass: galgateRecipient\n"
              f"cn: {key}\nmail: {key}\ngalgateProxyAddress: SMTP:{key}\n"
              f"galgateProxyAddress: X500:{src_x500}\n"
              f"mailNickname: {p['cn']}\n")
    for a in GENERAL:
        out.write(f"{a}: {p[a]}\n")
    out.write(f"galgateRecipientType: mailbox\ngalgateConnector: {connector}\n"
              f"galgateForeignKey: {key}\n"
              f"legacyExchangeDN: {x500}/cn={key}\n\n")


def main():
    n = int(sys.argv[1])
    outdir = sys.argv[2]
    half = n // 2
    hq_rcpt = f"cn=Recipients,ou=NYC,o=HQ,{HQ_SUFFIX}"
    hq_imp = f"cn=Branch,ou=NYC,o=HQ,{HQ_SUFFIX}"
    br_rcpt = f"cn=Recipients,ou=SEATTLE,o=BRANCH,{BR_SUFFIX}"
    br_imp = f"cn=InterOrg,ou=SEATTLE,o=BRANCH,{BR_SUFFIX}"
    with open(f"{outdir}/hq.ldif", "w") as hq, \
            open(f"{outdir}/branch.ldif", "w") as br:
        tree(hq, HQ_SUFFIX, "hq", "HQ", "NYC", ["Recipients", "Branch"])
        tree(br, BR_SUFFIX, "branch", "BRANCH", "SEATTLE",
             ["Recipients", "InterOrg"])
        for i in range(half):
            h = person(i, "h", "hq.example.com")
            b = person(i, "b", "branch.example.com")
            native(hq, h, hq_rcpt)
            native(br, b, br_rcpt)
            imported(hq, b, f"/o=BRANCH/ou=SEATTLE/cn=Recipients/cn={b['cn']}",
                     hq_imp, "/o=HQ/ou=NYC/cn=Branch", "io-master")
            imported(br, h, f"/o=HQ/ou=NYC/cn=Recipients/cn={h['cn']}",
                     br_imp, "/o=BRANCH/ou=SEATTLE/cn=InterOrg", "io-branch")


if __name__ == "__main__":
    main()
