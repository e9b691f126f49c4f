#!/bin/sh
# Mail-client benchmark: the searches Thunderbird, Outlook, Evolution,
# Roundcube and Apple Contacts send, as anonymous clients with a size limit
# of 100, against an N-recipient GAL (default 100,000) on the slapd that
# deploy/galgate-slapd configures, and on the same data in a slapd whose
# configuration lacks galgate's client indexes (the cn, sn, givenName,
# displayName, mail eq,sub indexes and the substring settings), in one run.
#
#   bench/clients-bench.sh [N] [SECONDS] [CONNECTIONS]
#
# SECONDS per filter and server (default 10), CONNECTIONS concurrent
# clients (default 4).  Both servers hold identical databases (slapadd of
# one LDIF) and apply the same access rules (hidden recipients stay out).
# The load generator (bench/clients-load.c) runs on this machine, so it
# is built to cost little: one thread drives every connection and counts
# the entries without decoding them; a third run of each filter goes
# through libldap, decoding every entry as a mail client does.
# Target: at least 1,000 searches per second for each client's filter.
set -eu
n=${1:-100000}
secs=${2:-10}
conns=${3:-4}
top=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$PATH:/usr/sbin"
for t in slapd slapadd ldapsearch python3 cc; do
	command -v "$t" >/dev/null 2>&1 || { echo "clients-bench: $t not found" >&2; exit 1; }
done
launcher="$top/deploy/galgate-slapd"

dir=$(mktemp -d /tmp/gg-cbench-XXXXXX)
cleanup() {
	"$launcher" stop "$dir/indexed" >/dev/null 2>&1 || :
	if [ -f "$dir/plain/slapd.pid" ]; then
		pid=$(cat "$dir/plain/slapd.pid")
		kill -INT "$pid" 2>/dev/null || :
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cc -O2 -Wall -o "$dir/clients-load" "$top/bench/clients-load.c" -lldap -llber -lpthread
echo "generating $n recipients ..."
python3 "$top/bench/clients-gen.py" "$n" "$dir"

# galgate's configuration: start once (creates the config), stop, load.
suffix="dc=example,dc=com"
port1=$(free_port)
"$launcher" start "$dir/indexed" --suffix "$suffix" --port "$port1" >/dev/null
"$launcher" stop "$dir/indexed"
t0=$(date +%s)
slapadd -q -f "$dir/indexed/slapd/slapd.conf" -l "$dir/gal.ldif"
t1=$(date +%s)
"$launcher" start "$dir/indexed" --suffix "$suffix" --port "$port1" >/dev/null

# the same without the client indexes
port2=$(free_port)
mkdir -p "$dir/plain/db"
sed -e "s|$dir/indexed/slapd|$dir/plain|g" \
	-e '/^index cn,sn,givenName,displayName,mail eq,sub$/d' \
	-e '/^index_substr_/d' \
	"$dir/indexed/slapd/slapd.conf" > "$dir/plain/slapd.conf"
if grep -q -e '^index cn' -e '^index_substr' "$dir/plain/slapd.conf" ||
    ! grep -q "^directory $dir/plain/db" "$dir/plain/slapd.conf"; then
	echo "clients-bench: could not derive the unindexed configuration" >&2
	exit 1
fi
slapadd -q -f "$dir/plain/slapd.conf" -l "$dir/gal.ldif"
slapd -f "$dir/plain/slapd.conf" -h "ldap://127.0.0.1:$port2" 2>"$dir/plain/slapd.log"
i=0
until ldapsearch -x -H "ldap://127.0.0.1:$port2" -s base -b "" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "unindexed slapd did not start" >&2; exit 1; }
	sleep 0.1
done

indexed="ldap://127.0.0.1:$port1"
plain="ldap://127.0.0.1:$port2"
count=$(ldapsearch -Q -LLL -Y EXTERNAL -H "$("$launcher" uri "$dir/indexed")" \
	-b "$suffix" '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')
size_of() { mdb_stat -e "$1" 2>/dev/null | awk '/Page size/ { p = $3 } /Number of pages used/ { u = $5 } END { printf "%d", p * u / 1048576 }'; }
echo "GAL: $count recipients (slapadd ${n} in $((t1 - t0))s), database $(size_of "$dir/indexed/slapd/db") MB with galgate's indexes, $(size_of "$dir/plain/db") MB without"
echo "indexed/s, unindexed/s: searches per second; p99 ms: latency, indexed; entries: per search;"
echo "slapd ms, client ms: the indexed slapd's and the load generator's CPU time (user + system)"
echo "per search; libldap/s: indexed, the load generator decoding every entry through libldap"
echo "$conns connections, ${secs}s per run, size limit 100, anonymous over ldap://127.0.0.1, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"
echo

# client|base|terms|filter
cat > "$dir/clients" <<EOF
Thunderbird|$suffix|prefix|(|(cn=%s*)(mail=%s*)(sn=%s*))
Outlook|$suffix|prefix|(&(mail=*)(|(mail=%s*)(|(cn=%s*)(|(sn=%s*)(givenName=%s*)))))
Evolution|$suffix|prefix|(|(cn=%s*)(sn=%s*))
Roundcube|$suffix|contains|(|(mail=*%s*)(cn=*%s*))
Apple Contacts||prefix|(|(givenName=%s*)(sn=%s*)(cn=%s*)(mail=%s*))
EOF

field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

tck=$(getconf CLK_TCK)
pid1=$(cat "$dir/indexed/slapd/slapd.pid")
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
printf '%-15s %9s %11s %7s %7s %7s %8s %9s %9s  %s\n' client "indexed/s" \
	"unindexed/s" speedup "p99 ms" entries "slapd ms" "client ms" \
	"libldap/s" "target >= 1000/s"
fail=0
: > "$dir/details"
while IFS='|' read -r name base terms filter; do
	# both servers must give the same answers (the first 50 terms: the
	# unindexed server takes long)
	head -n 50 "$dir/$terms.txt" > "$dir/check.txt"
	c1=$("$dir/clients-load" --check "$indexed" "$base" 100 "$filter" "$dir/check.txt")
	c2=$("$dir/clients-load" --check "$plain" "$base" 100 "$filter" "$dir/check.txt")
	if [ "$c1" != "$c2" ]; then
		echo "clients-bench: $name: the servers answer differently: $c1 / $c2" >&2
		exit 1
	fi
	u0=$(cpu "$pid1")
	r1=$("$dir/clients-load" "$indexed" "$base" 100 "$secs" "$conns" "$filter" "$dir/$terms.txt")
	u1=$(cpu "$pid1")
	r2=$("$dir/clients-load" "$plain" "$base" 100 "$secs" "$conns" "$filter" "$dir/$terms.txt")
	r3=$("$dir/clients-load" --libldap "$indexed" "$base" 100 "$secs" "$conns" "$filter" "$dir/$terms.txt")
	# slapd's own CPU time per search (user + system, in ms): what one
	# search costs the server, whatever else runs on this machine
	ms=$(echo "$u0 $u1 $tck $(field "$r1" searches)" |
		awk '{ printf "%.2f", ($2 - $1) * 1000 / $3 / $4 }')
	rate1=$(field "$r1" rate)
	rate2=$(field "$r2" rate)
	verdict=ok
	[ "$rate1" -ge 1000 ] || { verdict=MISSED; fail=1; }
	printf '%-15s %9s %11s %6sx %7s %7s %8s %9s %9s  %s\n' "$name" "$rate1" "$rate2" \
		"$(echo "$rate1 $rate2" | awk '{ printf "%.0f", ($2 > 0 ? $1 / $2 : 0) }')" \
		"$(field "$r1" p99_ms)" "$(field "$r1" entries_per_search)" "$ms" \
		"$(field "$r1" client_ms)" "$(field "$r3" rate)" "$verdict"
	{
		echo "$name: $filter, base '$base', terms $terms.txt ($c1)"
		echo "  indexed:   $r1"
		echo "  unindexed: $r2"
		echo "  indexed, through libldap: $r3"
	} >> "$dir/details"
done < "$dir/clients"
echo
cat "$dir/details"
[ "$fail" -eq 0 ]
