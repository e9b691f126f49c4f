#!/usr/bin/env python3
"""clients-gen.py N DIR: a GAL of N recipients as galgate makes them, and
what mail-client users type when they search it.

DIR/gal.ldif     the suffix dc=example,dc=com, o=Contoso, ou=HQ,
                 cn=Recipients and N inetOrgPerson + galgateRecipient
                 entries ("Surname, Given"; 1% hidden, 2% without mail)
DIR/prefix.txt   2,000 typed beginnings (3 to 6 characters) of surnames,
                 given names and addresses, for the prefix searches
DIR/contains.txt 2,000 typed pieces (3 to 5 characters) from inside
                 surnames and addresses, for Roundcube's "contains" search

Deterministic (fixed seed): every run builds the same data.
"""
import os
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
rnd = random.Random(20261121)

ONSET = ["Al", "Ber", "Cal", "Dor", "Ed", "Fal", "Gar", "Hal", "Is", "Jor",
         "Kel", "Lor", "Mar", "Nor", "Ol", "Per", "Quin", "Ros", "Sal", "Tor",
         "Ul", "Val", "Wen", "Xan", "Yor", "Zel", "Bran", "Cor", "Dun", "Fen",
         "Gil", "Har", "Kin", "Lin", "Mor", "Pen", "Rad", "Ston", "Thal", "Wil"]
MIDDLE = ["a", "e", "i", "o", "u", "ar", "er", "in", "on", "an", "el", "is",
          "or", "ul", "ad"]
CODA = ["son", "berg", "ton", "ley", "man", "ford", "wood", "field", "ham",
        "stein", "ski", "ez", "ini", "sen", "ard", "ick", "worth", "by",
        "ell", "ow"]
GIVEN = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael",
         "Linda", "William", "Elizabeth", "David", "Barbara", "Richard",
         "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
         "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty",
         "Anthony", "Margaret", "Mark", "Sandra", "Donald", "Ashley",
         "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua",
         "Michelle", "Kenneth", "Dorothy", "Kevin", "Carol", "Brian",
         "Amanda", "George", "Melissa", "Edward", "Deborah", "Ronald",
         "Stephanie", "Timothy", "Rebecca", "Jason", "Sharon", "Jeffrey",
         "Laura", "Ryan", "Cynthia", "Jacob", "Kathleen", "Gary", "Amy",
         "Nicholas", "Shirley", "Eric", "Angela", "Jonathan", "Helen",
         "Stephen", "Anna", "Larry", "Brenda", "Justin", "Pamela", "Scott",
         "Nicole", "Brandon", "Emma", "Benjamin", "Samantha", "Samuel",
         "Katherine", "Gregory", "Christine", "Frank", "Debra", "Alexander",
         "Rachel", "Raymond", "Catherine", "Patrick", "Carolyn", "Jack",
         "Janet", "Dennis", "Ruth", "Jerry", "Maria", "Jürgen", "Amélie",
         "Siobhán", "Søren", "Zoë", "François", "Małgorzata", "Łukasz"]
ASCII = str.maketrans("üéáøëçłŁ", "ueaoeclL")

base = "cn=Recipients,ou=HQ,o=Contoso,dc=example,dc=com"
seen = {}
people = []
with open(os.path.join(out, "gal.ldif"), "w", encoding="utf-8") as f:
    f.write("dn: dc=example,dc=com\nobjectClass: top\nobjectClass: domain\n"
            "dc: example\n\n"
            "dn: o=Contoso,dc=example,dc=com\nobjectClass: top\n"
            "objectClass: organization\no: Contoso\n\n"
            "dn: ou=HQ,o=Contoso,dc=example,dc=com\nobjectClass: top\n"
            "objectClass: organizationalUnit\nou: HQ\n\n"
            "dn: %s\nobjectClass: top\nobjectClass: galgateContainer\n"
            "cn: Recipients\n\n" % base)
    for i in range(n):
        sn = (rnd.choice(ONSET) + rnd.choice(MIDDLE) + rnd.choice(CODA))
        given = rnd.choice(GIVEN)
        name = "%s, %s" % (sn, given)
        k = seen.get(name, 0) + 1
        seen[name] = k
        if k > 1:
            name = "%s, %s (%d)" % (sn, given, k)
        local = ("%s.%s" % (given, sn)).lower().translate(ASCII)
        if k > 1:
            local += str(k)
        mail = local + "@contoso.example" if rnd.random() >= 0.02 else None
        alias = ("%s%s%d" % (sn, given[0], i)).translate(ASCII)
        hidden = rnd.random() < 0.01
        f.write("dn: cn=%s,%s\n" % (name.replace(",", "\\2C"), base))
        f.write("objectClass: top\nobjectClass: inetOrgPerson\n"
                "objectClass: galgateRecipient\n")
        f.write("cn: %s\nsn: %s\ngivenName: %s\ndisplayName: %s\n"
                % (name, sn, given, name))
        f.write("mailNickname: %s\n" % alias)
        f.write("legacyExchangeDN: /o=Contoso/ou=HQ/cn=Recipients/cn=%s\n"
                % alias)
        f.write("galgateRecipientType: mailbox\n")
        f.write("telephoneNumber: +1 425 555 %04d\n" % (i % 10000))
        f.write("title: %s\n" % rnd.choice(
            ["Engineer", "Manager", "Analyst", "Director", "Assistant"]))
        f.write("ou: %s\n" % rnd.choice(
            ["Sales", "Finance", "Research", "Support", "Legal", "IT"]))
        if mail:
            f.write("mail: %s\ngalgateProxyAddress: SMTP:%s\n" % (mail, mail))
        if hidden:
            f.write("galgateHidden: TRUE\n")
        f.write("\n")
        people.append((sn, given, mail))

# what users type: the beginning of a surname, a given name or an address
prefix = []
for _ in range(2000):
    sn, given, mail = rnd.choice(people)
    kind = rnd.random()
    if kind < 0.6:
        word = sn
    elif kind < 0.8 or not mail:
        word = given
    else:
        word = mail
    prefix.append(word[:rnd.randint(3, min(6, len(word)))].lower())
with open(os.path.join(out, "prefix.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(prefix) + "\n")

# and a piece from inside a surname or an address (Roundcube)
contains = []
for _ in range(2000):
    sn, given, mail = rnd.choice(people)
    word = (mail.split("@")[0] if mail and rnd.random() < 0.3 else sn).lower()
    ln = rnd.randint(3, min(5, len(word)))
    at = rnd.randint(0, len(word) - ln)
    contains.append(word[at:at + ln])
with open(os.path.join(out, "contains.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(contains) + "\n")
