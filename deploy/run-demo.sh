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

# InterOrg: a master organization (HQ) and a requestor organization
# (BRANCH) on this host, each with its own private slapd under
# run/interorg, exchanging IOSYNC-1 mail through two Maildirs
# (deploy/samples/interorg).  The requestor sends, the master applies and
# replies, the requestor applies the reply.
io="$run/interorg"
mkdir -p "$io/hq" "$io/branch" "$io/secrets"
# the secret both sides share (owner-only, kept from run to run)
[ -s "$io/secrets/branch.secret" ] || (umask 077
	head -c 32 /dev/urandom | base64 > "$io/secrets/branch.secret")
for o in hq branch; do
	sed -e "s|@RUN@|$io|g" "deploy/samples/interorg/$o.conf.in" > "$io/$o.conf"
done
hq_uri=$(./deploy/galgate-slapd start "$io/hq" --conf "$io/hq.conf")
br_uri=$(./deploy/galgate-slapd start "$io/branch" --conf "$io/branch.conf")
hq="$top/build/galgate -c $io/hq.conf"
br="$top/build/galgate -c $io/branch.conf"
$hq init >/dev/null
$br init >/dev/null
# the sample recipients; those already there stay as they are
ldapadd -c -Q -Y EXTERNAL -H "$hq_uri" -f deploy/samples/interorg/hq.ldif \
	>/dev/null 2>&1 || true
ldapadd -c -Q -Y EXTERNAL -H "$br_uri" -f deploy/samples/interorg/branch.ldif \
	>/dev/null 2>&1 || true
echo
echo "== InterOrg: requestor, master, requestor"
$br sync io-branch
$hq sync io-master
$br sync io-branch
echo
echo "== the master's import container for BRANCH ($hq_uri)"
ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$hq_uri" -b "cn=Branch,ou=NYC,o=HQ,dc=hq,dc=example" \
	-s one "(objectClass=inetOrgPerson)" displayName mail title |
	grep -v '^$' | sed 's/^dn:/\ndn:/'
echo
echo "== the branch's import container ($br_uri)"
ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$br_uri" \
	-b "cn=InterOrg,ou=SEATTLE,o=BRANCH,dc=branch,dc=example" \
	-s one "(objectClass=inetOrgPerson)" displayName mail title telephoneNumber |
	grep -v '^$' | sed 's/^dn:/\ndn:/'
echo
echo "InterOrg slapds keep running; stop them with:"
echo "  ./deploy/galgate-slapd stop $io/hq; ./deploy/galgate-slapd stop $io/branch"
