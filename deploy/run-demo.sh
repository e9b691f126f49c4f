#!/bin/sh
# galgate's main job on the embedded default: installs what is missing,
# builds galgate, starts a private slapd under ./run, initializes the GAL,
# syncs the sample data of every connector into it and shows the GAL.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGALGATE_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
export PATH="$PATH:/usr/sbin"

run="$top/run"
mkdir -p "$run"
conf="$run/galgate.conf"
# the samples' paths are made absolute for this checkout
sed -e "s|@RUN@|$run|g" -e "s|@SAMPLES@|$top/deploy/samples|g" \
	deploy/samples/galgate.conf.in > "$conf"
mkdir -p "$run/ccmail-import"
# MS Mail dir-sync: the requestors' passwords (owner-only, as galgate
# demands) and their sample T1 mail waiting in the gateway's inbox
mkdir -p "$run/dirsync/in/new" "$run/dirsync/in/cur" "$run/dirsync/in/tmp"
(umask 077
printf 'seapo1-dirsync\n' > "$run/dirsync/seapo1.secret"
printf 'seapo2-dirsync\n' > "$run/dirsync/seapo2.secret")
cp deploy/samples/pcmail/*.eml "$run/dirsync/in/new/"
uri=$(./deploy/galgate-slapd start "$run" --conf "$conf")
galgate="$top/build/galgate -c $conf"

$galgate check
$galgate init
for c in $(awk '/^\[connector / { sub(/\]/, "", $2); print $2 }' "$conf"); do
	$galgate sync "$c"
done
$galgate journal >/dev/null
echo
echo "== dir-sync replies in $run/dirsync/out/new"
grep -h '^Subject: SrvTx' "$run/dirsync/out/new/"* 2>/dev/null || true
echo
echo "== the GAL ($uri)"
suffix=$(sed -n 's/^suffix[ \t]*=[ \t]*//p' "$conf" | head -n 1)
ldapsearch -Q -LLL -Y EXTERNAL -H "$uri" -b "$suffix" \
	"(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))" \
	displayName mail mailNickname galgateProxyAddress galgateRecipientType member |
	grep -v '^$' | sed 's/^dn:/\ndn:/'
echo
$galgate status
echo
echo "slapd keeps running on $uri"
echo "stop it with: ./deploy/galgate-slapd stop $run"
