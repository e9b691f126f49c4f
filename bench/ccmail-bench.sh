#!/bin/sh
# cc:Mail benchmark: an N-user Ccmdir.exp synced into an empty GAL, then
# synced again unchanged, against OpenLDAP's own ldapadd of the same
# entries and ldapsearch of the container, on the same slapd in one run.
#   bench/ccmail-bench.sh [N]     (default 100000)
set -eu
n=${1:-100000}
top=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$PATH:/usr/sbin"
cmake -S "$top" -B "$top/build-bench" -DCMAKE_BUILD_TYPE=Release \
	-DGALGATE_TESTS=OFF >/dev/null
cmake --build "$top/build-bench" -j "$(nproc)" >/dev/null
galgate="$top/build-bench/galgate"

dir=$(mktemp -d /tmp/galgate-bench-XXXXXX)
trap '"$top/deploy/galgate-slapd" stop "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
mkdir -p "$dir/export" "$dir/import"
cat > "$dir/galgate.conf" <<CONF
[gal]
suffix = dc=example,dc=com
organization = Contoso
site = HQ
state_dir = $dir

[connector cc]
type = ccmail
export_dir = $dir/export
import_dir = $dir/import
post_office = EXSITE1
import_container = /o=Contoso/ou=HQ/cn=ccMail
export_container = /o=Contoso/ou=HQ/cn=Recipients
smtp_template = %g.%s@ccmail.example.com
CONF
uri=$("$top/deploy/galgate-slapd" start "$dir" --conf "$dir/galgate.conf")
"$galgate" -c "$dir/galgate.conf" init >/dev/null
python3 "$top/bench/gen-ccmdir.py" "$n" "$dir/export"

# wall seconds and peak resident KiB of a command
measure() {
	/usr/bin/time -f "%e %M" -o "$dir/time" "$@" >"$dir/out" 2>&1 ||
		{ cat "$dir/out"; exit 1; }
	cat "$dir/time"
}

set -- $(measure "$galgate" -c "$dir/galgate.conf" sync cc)
sync1=$1 rss1=$2
set -- $(measure "$galgate" -c "$dir/galgate.conf" sync cc)
sync2=$1 rss2=$2
grep -q " 0 added, 0 modified, 0 deleted" "$dir/out" ||
	{ echo "the unchanged re-sync wrote to LDAP:"; cat "$dir/out"; exit 1; }

base="cn=ccMail,ou=HQ,o=Contoso,dc=example,dc=com"
set -- $(measure ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$uri" \
	-b "$base" "(objectClass=inetOrgPerson)")
search=$1
# the same entries, added by ldapadd below a second container
python3 "$top/bench/relocate-ldif.py" "$base" "cn=ldapadd,$base" \
	< "$dir/out" > "$dir/copy.ldif"
printf 'dn: cn=ldapadd,%s\nobjectClass: galgateContainer\ncn: ldapadd\n\n' \
	"$base" | ldapadd -Q -Y EXTERNAL -H "$uri" >/dev/null
set -- $(measure ldapadd -Q -Y EXTERNAL -H "$uri" -f "$dir/copy.ldif")
add=$1

ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
echo "cc:Mail benchmark, $n users"
echo "  initial sync   ${sync1}s  peak RSS $((rss1 / 1024)) MB"
echo "  ldapadd        ${add}s   ratio sync/ldapadd $(ratio "$sync1" "$add") (target <= 0.8)"
echo "  re-sync        ${sync2}s  peak RSS $((rss2 / 1024)) MB, 0 LDAP writes"
echo "  ldapsearch     ${search}s   ratio re-sync/ldapsearch $(ratio "$sync2" "$search") (target <= 1.5)"
