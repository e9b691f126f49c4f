#!/bin/sh
# InterOrg benchmark, two parts, one run:
#
# 1. Propagation: one new user of a requestor organization reaches a
#    second requestor organization through the master, over a real
#    Postfix (SMTP) and Dovecot (IMAP) on this host, the cycles run back
#    to back: requestor A, requestor B, master, requestor B.  Target: under
#    2 seconds.
# 2. Scale: the cycles of a round with 10 changes on each side (requestor,
#    master, requestor; Maildir transport) in GALs of N1 and N2 entries.
#    Target: the N2 round costs at most 1.2 times the N1 round.
#
#   bench/interorg-bench.sh [N1 N2]      (default 10000 100000)
#   INTERORG_BENCH=propagation|scale     only one part
set -eu
n1=${1:-10000}
n2=${2:-100000}
part=${INTERORG_BENCH:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$PATH:/usr/sbin"
cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release \
	-DGALGATE_TESTS=OFF >/dev/null
cmake --build "$top/build-bench" -j "$(nproc)" >/dev/null
gg="$top/build-bench/galgate"
slapd_ctl="$top/deploy/galgate-slapd"

work=$(mktemp -d /tmp/gg-ioXXXXXX)
chmod 755 "$work"
pf_lock=/tmp/galgate-test-postfix.lock
dovecot_pid=""
cleanup() {
	for d in "$work"/*/ "$work"/*/*/; do
		[ -d "$d/slapd" ] && "$slapd_ctl" stop "$d" >/dev/null 2>&1
	done
	if [ -n "$dovecot_pid" ]; then
		kill -TERM "-$dovecot_pid" 2>/dev/null || true
	fi
	if [ -f "$work/pf/queue/pid/master.pid" ]; then
		kill "$(cat "$work/pf/queue/pid/master.pid")" 2>/dev/null || true
	fi
	if [ -d "$work/pf" ]; then
		pf_register remove
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
elapsed() { echo "$1 $2" | awk '{ printf "%.3f\n", $2 - $1 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# wall seconds of one cycle
cycle() {
	c0=$(now)
	"$gg" -c "$1" sync "$2" >"$work/last.out" 2>&1 ||
		{ cat "$work/last.out"; exit 1; }
	elapsed "$c0" "$(now)"
}

# ---- mail servers (notes/test-servers.md, as tests/integration/mailserver.c)

# the first port from $1 on that nobody listens on or holds
free_port() {
	python3 -c "
import socket, sys
p = $1
while True:
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', p))
        break
    except OSError:
        p += 1
    finally:
        s.close()
print(p)"
}

port_open() {
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null
}

pf_register() {
	(
	flock 9
	cur=$(postconf -h alternate_config_directories | tr ',' ' ')
	new=""
	for d in $cur; do
		[ "$d" = "$work/pf" ] && continue
		new="$new $d"
	done
	[ "$1" = add ] && new="$new $work/pf"
	postconf -e "alternate_config_directories = $new"
	# Postfix waits for a main.cf younger than a second
	touch -d '-1 min' /etc/postfix/main.cf
	) 9>"$pf_lock"
}

wait_port() {
	w=0
	until port_open "$1"; do
		w=$((w + 1))
		[ $w -lt 600 ] || { echo "nothing on port $1"; exit 1; }
		sleep 0.05
	done
}

mail_start() {
	base=$((20000 + $$ % 2000 * 8))
	smtp=$(free_port $base)
	imap=$(free_port $((smtp + 1)))
	lmtp=$(free_port $((imap + 1)))
	printf 'bench-%s\n' "$$" > "$work/mail.secret"
	chmod 600 "$work/mail.secret"
	mkdir -p "$work/mail" "$work/dc" "$work/pf/queue" "$work/pf/data"
	chown mail:mail "$work/mail"
	chown postfix "$work/pf/data"
	cat > "$work/dc/dovecot.conf" <<DC
base_dir = $work/dc/run
state_dir = $work/dc/state
log_path = $work/dc/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
first_valid_uid = 8
mail_location = maildir:$work/mail/%n
passdb {
  driver = static
  args = password=bench-$$
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$work/mail/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp
  }
}
DC
	setsid dovecot -F -c "$work/dc/dovecot.conf" >"$work/dc/out.log" 2>&1 &
	dovecot_pid=$!
	cp /etc/postfix/main.cf /etc/postfix/master.cf "$work/pf/"
	pf=$work/pf
	postconf -c "$pf" -e 'inet_interfaces = 127.0.0.1' \
	    'inet_protocols = ipv4' 'mydestination =' \
	    'virtual_mailbox_domains = hq.example.com branch.example.com branch2.example.com' \
	    "virtual_transport = lmtp:inet:127.0.0.1:$lmtp" \
	    "queue_directory = $pf/queue" "data_directory = $pf/data" \
	    'mynetworks = 127.0.0.0/8' \
	    'smtpd_relay_restrictions = permit_mynetworks reject' \
	    'alias_maps =' 'alias_database =' 'maillog_file = /dev/stdout' \
	    'myhostname = localhost'
	postconf -c "$pf" -M# smtp/inet
	postconf -c "$pf" -M "127.0.0.1:$smtp/inet = 127.0.0.1:$smtp inet n - n - - smtpd"
	postconf -c "$pf" -F '*/*/chroot = n'
	touch -d '-1 min' "$pf/main.cf" "$pf/master.cf"
	pf_register add
	postfix -c "$pf" start-fg >"$pf/postfix.log" 2>&1 &
	wait_port "$imap"
	wait_port "$lmtp"
	wait_port "$smtp"
}

# until what Postfix accepted is delivered
settle() {
	q=0
	while [ -n "$(find "$work/pf/queue/maildrop" "$work/pf/queue/incoming" \
	    "$work/pf/queue/active" "$work/pf/queue/deferred" -type f 2>/dev/null)" ]; do
		q=$((q + 1))
		[ $q -lt 3000 ] || { echo "Postfix did not deliver"; exit 1; }
		sleep 0.005
	done
}

# ---- organizations

# org NAME ORG SITE SUFFIX CONNECTOR-TEXT
org() {
	d="$work/$1"
	mkdir -p "$d"
	cat > "$d/galgate.conf" <<CONF
[gal]
suffix = $4
organization = $2
site = $3
state_dir = $d

$5
CONF
	"$slapd_ctl" start "$d" --conf "$d/galgate.conf" >"$d/uri"
}

uri_of() { cat "$work/$1/uri"; }

propagation() {
	mail_start
	umask 077
	printf 'secret-one\n' > "$work/b1.secret"
	printf 'secret-two\n' > "$work/b2.secret"
	umask 022
	imap_keys() {
		printf 'transport = smtp+imap\nmail_tls = none\n'
		printf 'smtp_url = smtp://127.0.0.1:%s\n' "$smtp"
		printf 'imap_url = imap://127.0.0.1:%s/INBOX\n' "$imap"
		printf 'username = %s\nmail_password_file = %s\n' "$1" \
		    "$work/mail.secret"
	}
	org hq HQ NYC dc=example,dc=com "[connector io-master]
type = interorg
role = master
address = master@hq.example.com
export_container = /o=HQ/ou=NYC/cn=Recipients
$(imap_keys master)

[requestor a@branch.example.com]
connector = io-master
secret_file = $work/b1.secret
import_container = /o=HQ/ou=NYC/cn=BranchA

[requestor b@branch2.example.com]
connector = io-master
secret_file = $work/b2.secret
import_container = /o=HQ/ou=NYC/cn=BranchB"
	org a BRANCH SEATTLE dc=example,dc=com "[connector io-a]
type = interorg
role = requestor
address = a@branch.example.com
master_address = master@hq.example.com
secret_file = $work/b1.secret
export_container = /o=BRANCH/ou=SEATTLE/cn=Recipients
import_container = /o=BRANCH/ou=SEATTLE/cn=InterOrg
$(imap_keys a)"
	org b BRANCH2 PARIS dc=example,dc=com "[connector io-b]
type = interorg
role = requestor
address = b@branch2.example.com
master_address = master@hq.example.com
secret_file = $work/b2.secret
export_container = /o=BRANCH2/ou=PARIS/cn=Recipients
import_container = /o=BRANCH2/ou=PARIS/cn=InterOrg
$(imap_keys b)"
	for o in hq a b; do
		"$gg" -c "$work/$o/galgate.conf" init >/dev/null
	done
	# the first (full) exchange, not measured
	for k in 1 2; do
		cycle "$work/a/galgate.conf" io-a >/dev/null
		cycle "$work/b/galgate.conf" io-b >/dev/null
		settle
		cycle "$work/hq/galgate.conf" io-master >/dev/null
		settle
	done
	cycle "$work/a/galgate.conf" io-a >/dev/null
	cycle "$work/b/galgate.conf" io-b >/dev/null
	settle
	cycle "$work/hq/galgate.conf" io-master >/dev/null
	settle
	: > "$work/e2e"
	for i in 1 2 3 4 5; do
		ldapadd -Q -Y EXTERNAL -H "$(uri_of a)" >/dev/null <<LDIF
dn: cn=new$i,cn=Recipients,ou=SEATTLE,o=BRANCH,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: galgateRecipient
cn: new$i
sn: New
displayName: New User $i
mail: new$i@branch.example.com
LDIF
		t0=$(now)
		cycle "$work/a/galgate.conf" io-a >/dev/null
		cycle "$work/b/galgate.conf" io-b >/dev/null
		settle
		cycle "$work/hq/galgate.conf" io-master >/dev/null
		settle
		cycle "$work/b/galgate.conf" io-b >/dev/null
		t1=$(now)
		ldapsearch -Q -LLL -Y EXTERNAL -H "$(uri_of b)" \
		    -b "cn=InterOrg,ou=PARIS,o=BRANCH2,dc=example,dc=com" \
		    "(mail=new$i@branch.example.com)" 1.1 | grep -q '^dn:' ||
			{ echo "new$i did not reach the second requestor"; exit 1; }
		elapsed "$t0" "$t1" >> "$work/e2e"
		# the master's reply to A, and A's next request, out of the way
		settle
		cycle "$work/a/galgate.conf" io-a >/dev/null
		settle
		cycle "$work/hq/galgate.conf" io-master >/dev/null
		settle
		cycle "$work/a/galgate.conf" io-a >/dev/null
		cycle "$work/b/galgate.conf" io-b >/dev/null
		settle
		cycle "$work/hq/galgate.conf" io-master >/dev/null
		settle
	done
	echo "InterOrg propagation, requestor A -> master -> requestor B over Postfix and Dovecot"
	echo "  5 runs: median $(median < "$work/e2e") s, max $(sort -n "$work/e2e" | tail -n 1) s (target < 2 s)"
}

# ---- scale

# wall seconds and peak resident KiB of one cycle
cycle_rss() {
	/usr/bin/time -f "%e %M" -o "$work/time" "$gg" -c "$1" sync "$2" \
	    >"$work/last.out" 2>&1 || { cat "$work/last.out"; exit 1; }
	cat "$work/time"
}

# Two GALs of n entries each (hq, branch), seeded in step, first exchange.
scale_setup() {
	n=$1
	s="$work/scale-$n"
	mkdir -p "$s/secrets"
	python3 "$top/bench/interorg-gen.py" "$n" "$s"
	umask 077
	printf 'scale-secret\n' > "$s/secrets/branch.secret"
	umask 022
	for o in hq branch; do
		# the sample, without what would make exports differ from the seed
		sed -e "s|@RUN@|$s|g" "$top/deploy/samples/interorg/$o.conf.in" |
		    grep -v -e '^append_display_name' -e '^schedule' |
		    sed -e 's|^\(export_container = [^ ]*\) types=.*|\1|' \
		    > "$s/$o.conf"
		d="$s/$o"
		mkdir -p "$d"
		"$slapd_ctl" start "$d" --conf "$s/$o.conf" >/dev/null
		"$slapd_ctl" stop "$d" >/dev/null
		slapadd -q -f "$d/slapd/slapd.conf" -l "$s/$o.ldif" >/dev/null 2>&1
		rm -f "$s/$o.ldif"
		"$slapd_ctl" start "$d" --conf "$s/$o.conf" > "$s/$o.uri"
		t0=$(now)
		"$gg" -c "$s/$o.conf" journal >/dev/null
		echo "  $n: $o's first journal poll $(elapsed "$t0" "$(now)") s"
	done
	set -- $(cycle_rss "$s/branch.conf" io-branch)
	t1=$1 m1=$2
	set -- $(cycle_rss "$s/hq.conf" io-master)
	t2=$1 m2=$2
	grep -q " 0 added, 0 modified, 0 deleted" "$work/last.out" ||
		{ echo "the full exchange wrote to the master:"; cat "$work/last.out"; exit 1; }
	set -- $(cycle_rss "$s/branch.conf" io-branch)
	t3=$1 m3=$2
	grep -q " 0 added, 0 modified, 0 deleted" "$work/last.out" ||
		{ echo "the full exchange wrote to the requestor:"; cat "$work/last.out"; exit 1; }
	echo "  $n: first (full) exchange, $((n / 2)) entries each way:" \
	    "requestor ${t1} s, master ${t2} s, requestor ${t3} s;" \
	    "peak RSS $(( (m1 > m2 ? (m1 > m3 ? m1 : m3) : (m2 > m3 ? m2 : m3)) / 1024 )) MB"
	cycle "$s/branch.conf" io-branch >/dev/null
	cycle "$s/hq.conf" io-master >/dev/null
	cycle "$s/branch.conf" io-branch >/dev/null
	: > "$s/rounds"
}

# One round with 10 changes each way in the GALs of n entries.
scale_round() {
	n=$1
	r=$2
	s="$work/scale-$n"
	{
	for i in 0 1 2 3 4 5 6 7 8 9; do
		printf 'dn: cn=b%06d,cn=Recipients,ou=SEATTLE,o=BRANCH,dc=branch,dc=example\nchangetype: modify\nreplace: title\ntitle: Round %s\n\n' "$(((r - 1) * 10 + i))" "$r"
	done
	} | ldapmodify -Q -Y EXTERNAL -H "$(cat "$s/branch.uri")" >/dev/null
	{
	for i in 0 1 2 3 4 5 6 7 8 9; do
		printf 'dn: cn=h%06d,cn=Recipients,ou=NYC,o=HQ,dc=hq,dc=example\nchangetype: modify\nreplace: title\ntitle: Round %s\n\n' "$(((r - 1) * 10 + i))" "$r"
	done
	} | ldapmodify -Q -Y EXTERNAL -H "$(cat "$s/hq.uri")" >/dev/null
	a=$(cycle "$s/branch.conf" io-branch)
	m=$(cycle "$s/hq.conf" io-master)
	grep -q " 0 added, 10 modified" "$work/last.out" ||
		{ echo "the master did not apply 10 changes:"; cat "$work/last.out"; exit 1; }
	b=$(cycle "$s/branch.conf" io-branch)
	grep -q " 0 added, 10 modified" "$work/last.out" ||
		{ echo "the requestor did not apply 10 changes:"; cat "$work/last.out"; exit 1; }
	echo "$a $m $b" | awk '{ printf "%.3f %.3f %.3f %.3f\n", $1, $2, $3, $1 + $2 + $3 }' >> "$s/rounds"
}

scale_report() {
	s="$work/scale-$1"
	req=$(awk '{ print $1 }' "$s/rounds" | median)
	mas=$(awk '{ print $2 }' "$s/rounds" | median)
	rep=$(awk '{ print $3 }' "$s/rounds" | median)
	tot=$(awk '{ print $4 }' "$s/rounds" | median)
	echo "  $1-entry GALs, 10 changes each way (median of 9 rounds):"
	echo "    requestor sends ${req} s, master applies and replies ${mas} s," \
	    "requestor applies ${rep} s; round ${tot} s"
	echo "$tot" > "$work/round-$1"
	echo "$mas" > "$work/master-$1"
}

scale() {
	echo "InterOrg cycle cost with 10 changes, Maildir transport"
	scale_setup "$n1"
	scale_setup "$n2"
	# rounds alternate, so that the machine's load falls on both sizes
	for r in 1 2 3 4 5 6 7 8 9; do
		scale_round "$n1" "$r"
		scale_round "$n2" "$r"
	done
	scale_report "$n1"
	scale_report "$n2"
	r=$(echo "$(cat "$work/round-$n2") $(cat "$work/round-$n1")" | awk '{ printf "%.2f", $1 / $2 }')
	m=$(echo "$(cat "$work/master-$n2") $(cat "$work/master-$n1")" | awk '{ printf "%.2f", $1 / $2 }')
	echo "  ratio $n2/$n1: round $r, master cycle $m (target <= 1.2)"
}

case $part in
propagation) propagation ;;
scale) scale ;;
*) propagation; scale ;;
esac
