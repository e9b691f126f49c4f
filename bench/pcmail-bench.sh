#!/bin/sh
# MS Mail dir-sync benchmark: the cost of one SrvTx for 10 changes in a GAL
# of 10,000 and of 100,000 recipients.  A delta reply walks the journal
# from the requestor's S, so it must cost the same in both (target: the
# 100k/10k ratio at most 1.2), measured twice: whole "galgate sync" runs,
# and SrvTx generation alone in one process (bench/pcmail-srvtx.c).  The
# full reply of an import request, which reads the whole GAL, is shown
# for comparison.
#   bench/pcmail-bench.sh [SMALL LARGE [ROUNDS]]   (default 10000 100000 15)
# Each round times a whole "galgate sync" (process start, LDAP bind, the
# journal polls, reading the ReqTx, the reply, sending it, the commit);
# the median and the fastest round are both shown, as a shared machine
# adds noise of its own.
# GALGATE=path/to/galgate skips the build.
set -eu
small=${1:-10000}
large=${2:-100000}
rounds=${3:-15}
top=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$PATH:/usr/sbin"
if [ -z "${GALGATE:-}" ]; then
	cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release \
		-DGALGATE_TESTS=OFF >/dev/null
	cmake --build "$top/build-bench" -j "$(nproc)" >/dev/null
	GALGATE="$top/build-bench/galgate"
fi
lib=$(dirname "$GALGATE")/libgwcore.a
base="cn=Recipients,ou=HQ,o=Contoso,dc=example,dc=com"
# bench runs in a subshell: the directories it makes are listed in a file
dirs=$(mktemp /tmp/gg-pcmbench-dirs-XXXXXX)
trap 'while read -r d; do "$top/deploy/galgate-slapd" stop "$d" >/dev/null 2>&1; rm -rf "$d"; done < "$dirs"; rm -f "$dirs"' EXIT

now_ms() { date +%s%3N; }

# One ReqTx from CONTOSO/SEAPO1 into the gateway's inbox (no transactions).
reqtx() {	# dir seq S I task
	f="$1/in/new/$(printf '%010d' "$2").M1P1Q1.bench"
	printf 'From: CONTOSO/SEAPO1/$SYSTEM <seapo1@contoso.example>\r\n' > "$f.tmp"
	printf 'To: CONTOSO/GALGATE/$SYSTEM <gw@contoso.example>\r\n' >> "$f.tmp"
	printf 'Subject: ReqTx R=0 (was 0), S=%s, I=%s 0 sent\r\n\r\n' "$3" "$4" >> "$f.tmp"
	printf '[DIRSYNC]\r\nTASK=%s\r\nREQNAME=PCM:CONTOSO/SEAPO1\r\n' "$5" >> "$f.tmp"
	printf 'PASSWORD=bench\r\nREQSEQ=0\r\nSRVSEQ=%s\r\nIMPSEQ=%s\r\n' "$3" "$4" >> "$f.tmp"
	mv "$f.tmp" "$f"
}

# The S of the reply just sent (its subject).
reply_s() {
	sed -n 's/^Subject: SrvTx R=[0-9]* S=\([0-9]*\) .*/\1/p' "$1"/out/new/* |
		sort -n | tail -n 1
}

# setup N: a GAL of N recipients and a requestor that imported it all;
# prints the directory, its ldapi URI, the requestor's S and the time of
# the full reply, on one line.
setup() {
	n=$1
	dir=$(mktemp -d /tmp/gg-pcmbench-XXXXXX)
	echo "$dir" >> "$dirs"
	mkdir -p "$dir/in/new" "$dir/in/cur" "$dir/in/tmp"
	(umask 077; echo bench > "$dir/seapo1.secret")
	cat > "$dir/galgate.conf" <<CONF
[gal]
suffix = dc=example,dc=com
organization = Contoso
site = HQ
state_dir = $dir

[connector dirsync]
type = pcmail
network = CONTOSO
postoffice = GALGATE
export_container = /o=Contoso/ou=HQ/cn=Recipients
transport = maildir
inbox = $dir/in
outbox = $dir/out
address = gw@contoso.example
delete_threshold = 100%

[requestor CONTOSO/SEAPO1]
connector = dirsync
password_file = $dir/seapo1.secret
types = PCM
templates = yes
import_container = /o=Contoso/ou=HQ/cn=SEAPO1
address = seapo1@contoso.example
CONF
	g="$GALGATE -c $dir/galgate.conf"
	"$top/deploy/galgate-slapd" start "$dir" --conf "$dir/galgate.conf" \
		>/dev/null
	$g init >/dev/null
	# the recipients, loaded offline as an administrator would restore them
	python3 "$top/bench/pcmail-gen.py" "$n" "$base" > "$dir/entries.ldif"
	"$top/deploy/galgate-slapd" stop "$dir" >/dev/null
	slapadd -q -w -f "$dir/slapd/slapd.conf" -l "$dir/entries.ldif"
	uri=$("$top/deploy/galgate-slapd" start "$dir" \
		--conf "$dir/galgate.conf")
	$g journal >/dev/null
	# the requestor's import request: a full reply (the whole GAL)
	reqtx "$dir" 1 0 1 IMPORTREQ
	t0=$(now_ms)
	$g sync dirsync > "$dir/out.txt" 2>&1 || { cat "$dir/out.txt" >&2; exit 1; }
	full=$(( $(now_ms) - t0 ))
	echo "$dir $uri $(reply_s "$dir") $full"
}

# round DIR URI N R S: 10 changes, then the timed cycle; prints "ms S".
round() {
	dir=$1 uri=$2 n=$3 r=$4 s=$5
	g="$GALGATE -c $dir/galgate.conf"
	k=0
	: > "$dir/mod.ldif"
	while [ $k -lt 10 ]; do
		i=$(( (r * 7919 + k * 104729) % n ))
		printf 'dn: cn=u%06d,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: +1 206 555 %04d\n\n' \
			"$i" "$base" "$(( (r * 10 + k) % 10000 ))" >> "$dir/mod.ldif"
		k=$((k + 1))
	done
	ldapmodify -Q -Y EXTERNAL -H "$uri" -f "$dir/mod.ldif" >/dev/null
	# journaled before the timed cycle, as an earlier command would
	$g journal --since "$s" >/dev/null
	rm -f "$dir"/out/new/*
	reqtx "$dir" $((r + 1)) "$s" 1 UPDATE
	t0=$(now_ms)
	$g sync dirsync > "$dir/out.txt" 2>&1 || { cat "$dir/out.txt" >&2; exit 1; }
	ms=$(( $(now_ms) - t0 ))
	sent=$(sed -n 's/^Subject: SrvTx .* \([0-9]*\) sent.*/\1/p' "$dir"/out/new/*)
	[ "$sent" = 10 ] || { echo "expected 10 sent, got '$sent'" >&2; exit 1; }
	echo "$ms $(reply_s "$dir")"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

set -- $(setup "$small")
sdir=$1 suri=$2 ss=$3 sfull=$4
set -- $(setup "$large")
ldir=$1 luri=$2 ls=$3 lfull=$4
# the rounds alternate between the two GALs, so load drifting on the
# machine weighs on both alike
: > "$sdir/times"
: > "$ldir/times"
r=1
while [ $r -le "$rounds" ]; do
	set -- $(round "$sdir" "$suri" "$small" $r "$ss")
	echo "$1" >> "$sdir/times"
	ss=$2
	set -- $(round "$ldir" "$luri" "$large" $r "$ls")
	echo "$1" >> "$ldir/times"
	ls=$2
	r=$((r + 1))
done
# SrvTx generation alone, in one process: 10 more changes journaled (not
# sent), then the reply to the requestor's S planned and written 200 times
cc -O2 -D_GNU_SOURCE $(for d in "$top"/gateway/*/; do printf ' -I%s' "$d"; done) \
	-I"$top/connectors/pcmail" \
	-o "$sdir/pcmail-srvtx" "$top/bench/pcmail-srvtx.c" "$lib" \
	$(pkg-config --libs ldap lber lmdb libcurl libcrypto)
inproc() {	# dir uri n s
	: > "$1/mod.ldif"
	k=0
	while [ $k -lt 10 ]; do
		printf 'dn: cn=u%06d,%s\nchangetype: modify\nreplace: title\ntitle: Architect %d\n\n' \
			"$(( (k * 104729 + 17) % $3 ))" "$base" "$k" >> "$1/mod.ldif"
		k=$((k + 1))
	done
	ldapmodify -Q -Y EXTERNAL -H "$2" -f "$1/mod.ldif" >/dev/null
	"$GALGATE" -c "$1/galgate.conf" journal --since "$4" >/dev/null
	"$sdir/pcmail-srvtx" "$1/galgate.conf" dirsync CONTOSO/SEAPO1 "$4" 200
}
set -- $(inproc "$sdir" "$suri" "$small" "$ss")
sgn=$1 sgmed=$2 sgmin=$3
set -- $(inproc "$ldir" "$luri" "$large" "$ls")
lgn=$1 lgmed=$2 lgmin=$3
[ "$sgn" = 10 ] && [ "$lgn" = 10 ] ||
	{ echo "expected 10 transactions, got $sgn and $lgn" >&2; exit 1; }

smed=$(median < "$sdir/times")
lmed=$(median < "$ldir/times")
smin=$(sort -n "$sdir/times" | head -n 1)
lmin=$(sort -n "$ldir/times" | head -n 1)
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
echo "MS Mail dir-sync benchmark (galgate sync of one requestor's ReqTx)"
echo "  GAL $small: SrvTx for 10 changes: median ${smed} ms, fastest ${smin} ms (rounds: $(tr '\n' ' ' < "$sdir/times"))"
echo "  GAL $large: SrvTx for 10 changes: median ${lmed} ms, fastest ${lmin} ms (rounds: $(tr '\n' ' ' < "$ldir/times"))"
echo "  ratio ${large}/${small}: median $(ratio "$lmed" "$smed"), fastest $(ratio "$lmin" "$smin") (target <= 1.2)"
echo "  SrvTx generation alone (plan + text, in-process, 200 times):"
echo "    GAL $small: median ${sgmed} us, fastest ${sgmin} us"
echo "    GAL $large: median ${lgmed} us, fastest ${lgmin} us"
echo "    ratio ${large}/${small}: median $(ratio "$lgmed" "$sgmed"), fastest $(ratio "$lgmin" "$sgmin") (target <= 1.2)"
echo "  full reply (import request, reads the whole GAL): ${sfull} ms for $small, ${lfull} ms for $large"
