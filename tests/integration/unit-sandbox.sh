#!/bin/sh
# Runs an installed galgate the way galgate.service runs it, on a machine
# without systemd as PID 1: as an unprivileged user (nobody) without
# capabilities (CapabilityBoundingSet=), with no_new_privs
# (NoNewPrivileges=yes), under the unit's own SystemCallFilter= lines
# expanded through systemd-analyze (anything else: SIGSYS) and
# MemoryDenyWriteExecute=yes (sandbox-exec), and with every mount
# read-only but the state directory and the cc:Mail import directory
# (ProtectSystem=strict, StateDirectory=, ReadWritePaths=; a mount
# namespace).
#
#   unit-sandbox.sh ROOT DIR PORT SANDBOX_EXEC CCMAIL_EXPORT
#
# ROOT is a "cmake --install" DESTDIR, DIR a scratch directory, PORT a
# free TCP port for a private slapd, CCMAIL_EXPORT a directory of cc:Mail
# export files.  Prints one "STEP: ..." line per step for the test to
# check; the logs stay in DIR/logs.
set -u
root=$1 dir=$2 port=$3 sbx=$4 export=$5
galgate=$root/usr/sbin/galgate
launcher=$root/usr/share/galgate/galgate-slapd
unit=$root/lib/systemd/system/galgate.service
suffix=dc=contoso,dc=example
uri=ldap://127.0.0.1:$port
sb=$dir/sb

say() { echo "$*"; }
trap 'env -u GALGATE_SCHEMA_DIR "$launcher" stop "$dir/slapd" >/dev/null 2>&1' EXIT

# The system calls the unit allows: each SystemCallFilter= line adds its
# sets, or with "~" takes them away; groups are expanded recursively.
sed -n 's/^SystemCallFilter=//p' "$unit" > "$dir/filter.spec"
systemd-analyze syscall-filter --no-pager 2>/dev/null | awk '
function expand(name, out, seen,	n, a, i) {
	if (substr(name, 1, 1) != "@") {
		out[name] = 1
		return
	}
	if (name in seen)
		return
	seen[name] = 1
	n = split(members[name], a, " ")
	for (i = 1; i <= n; i++)
		expand(a[i], out, seen)
}
FNR == NR { spec[++nspec] = $0; next }
/^@/ { group = $1; next }
/^[ \t]*#/ || NF == 0 { next }
{ members[group] = members[group] " " $1 }
END {
	for (k = 1; k <= nspec; k++) {
		line = spec[k]
		deny = substr(line, 1, 1) == "~"
		if (deny)
			line = substr(line, 2)
		n = split(line, item, " ")
		for (i = 1; i <= n; i++) {
			split("", calls)
			split("", seen)
			expand(item[i], calls, seen)
			for (c in calls)
				if (deny)
					delete allowed[c]
				else
					allowed[c] = 1
		}
	}
	for (c in allowed)
		print c
}' "$dir/filter.spec" - > "$dir/allowed"
say "filter: $(wc -l < "$dir/filter.spec") lines, $(wc -l < "$dir/allowed") calls allowed"

# slapd, as root (it is not what the unit runs)
printf 'sandbox-root-secret' > "$dir/rootpw"
chmod 600 "$dir/rootpw"
env -u GALGATE_SCHEMA_DIR "$launcher" start "$dir/slapd" --suffix "$suffix" \
    --port "$port" --rootpw-file "$dir/rootpw" > "$dir/slapd.log" 2>&1 ||
	{ say "slapd: failed"; cat "$dir/slapd.log"; exit 1; }

# what the galgate user owns: its state, its password, its configuration
mkdir -p "$sb/state" "$sb/ccmail/import" "$sb/ccmail/export" "$dir/logs"
cp "$export"/*.exp "$sb/ccmail/export/"
cp "$dir/rootpw" "$sb/bindpw"
cat > "$sb/galgate.conf" <<EOF
[gal]
uri = $uri
bind_dn = cn=admin,$suffix
bind_password_file = $sb/bindpw
suffix = $suffix
organization = Contoso
site = HQ
state_dir = $sb/state

[connector ccmail]
type = ccmail
export_dir = $sb/ccmail/export
import_dir = $sb/ccmail/import
post_office = EXSITE1
import_container = /o=Contoso/ou=HQ/cn=ccMail
export_container = /o=Contoso/ou=HQ/cn=Recipients
schedule = every 1s
EOF
chmod 700 "$sb/state"
chmod 711 "$dir"
if [ "$(id -u)" -eq 0 ]; then
	chown -R 65534:65534 "$sb"
	privs="--reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
	say "user: nobody, no capabilities"
else
	privs="--inh-caps=-all"
	say "user: the test's own (not root, so it cannot become another)"
fi

if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	ns="unshare -m --propagation private"
else
	ns=""
	say "mounts: not emulated (no mount namespace here): the file system" \
	    "stays writable, the rest of the sandbox applies"
fi

# the part that runs in the namespace, as root until setpriv
cat > "$dir/inside.sh" <<'EOF'
set -u
dir=$1 sb=$2 galgate=$3 sbx=$4 uri=$5 suffix=$6 ns=$7 privs=$8
if [ -n "$ns" ]; then
	mount --bind "$sb/state" "$sb/state" || exit 1
	mount --bind "$sb/ccmail/import" "$sb/ccmail/import" || exit 1
	mount --bind "$dir/logs" "$dir/logs" || exit 1	# (the test's own)
	awk '{ print $2 }' /proc/self/mounts | sort -u | while read -r m; do
		case $m in
		"$sb/state"|"$sb/ccmail/import"|"$dir/logs"|/proc|/proc/*|/sys|/sys/*|/dev|/dev/*)
			continue ;;
		esac
		mount -o remount,bind,ro "$m" 2>/dev/null ||
			echo "mount: $m stays writable"
	done
	if touch "$dir/probe" 2>/dev/null; then
		echo "mounts: not emulated (this system refused to remount" \
		    "$dir read-only)"
	else
		echo "mounts: read-only but the state and import directories"
		echo "probe: $dir read-only"
	fi
fi
# (a sanitizer build: LeakSanitizer stops the process with ptrace, which
# the unit's filter forbids; the other tests look for leaks)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS
as_unit() {	# (exec: in the background, $! is galgate itself)
	# shellcheck disable=SC2086
	exec setpriv $privs --no-new-privs \
	    "$sbx" "$dir/allowed" -- "$galgate" -c "$sb/galgate.conf" "$@"
}
(as_unit init) > "$dir/logs/init.log" 2>&1; echo "init: exit $?"
(as_unit sync ccmail) > "$dir/logs/sync.log" 2>&1; echo "sync: exit $?"
(as_unit status) > "$dir/logs/status.log" 2>&1; echo "status: exit $?"

# the daemon applies a GAL change on its schedule, then stops on SIGTERM
as_unit run > "$dir/logs/daemon.log" 2>&1 &
pid=$!
ldapadd -x -H "$uri" -D "cn=admin,$suffix" -y "$dir/rootpw" \
    > "$dir/logs/ldapadd.log" 2>&1 <<LDIF
dn: cn=SandboxS,cn=Recipients,ou=HQ,o=Contoso,$suffix
objectClass: inetOrgPerson
objectClass: galgateRecipient
cn: SandboxS
sn: Sandbox
givenName: Sally
displayName: Sandbox, Sally
mailNickname: SandboxS
LDIF
echo "ldapadd: exit $?"
i=0
until grep -q 'Sandbox, Sally' "$sb/ccmail/import/Ccmdir.imp" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] && kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
if grep -q 'Sandbox, Sally' "$sb/ccmail/import/Ccmdir.imp" 2>/dev/null; then
	echo "daemon: exported the new recipient"
else
	echo "daemon: did not export the new recipient"
fi
kill -TERM $pid 2>/dev/null
wait $pid
echo "daemon: exit $?"
EOF
$ns sh "$dir/inside.sh" "$dir" "$sb" "$galgate" "$sbx" "$uri" "$suffix" "$ns" \
    "$privs"
say "namespace: exit $?"
say "users: $(ldapsearch -x -LLL -H "$uri" -D "cn=admin,$suffix" \
    -y "$dir/rootpw" -b "cn=ccMail,ou=HQ,o=Contoso,$suffix" \
    '(objectClass=inetOrgPerson)' 1.1 2>/dev/null | grep -c '^dn:')"
