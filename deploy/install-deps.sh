#!/bin/sh
# Installs what galgate needs from Debian's packages, if anything is missing.
#   install-deps.sh          build and run galgate (the embedded default)
#   install-deps.sh --test   also what the test suite needs
set -eu

pkgs="build-essential cmake pkg-config libldap-dev liblmdb-dev
	libcurl4-openssl-dev libssl-dev slapd ldap-utils lmdb-utils"
if [ "${1:-}" = "--test" ]; then
	# systemd: systemd-analyze verify and systemd-sysusers for the unit
	# tests (no running systemd needed); libseccomp-dev: the unit's system
	# call filter for the sandboxed run; groff-base: man page checks;
	# clang and its runtime (libFuzzer, sanitizers): the fuzz targets;
	# lbdb and libnet-ldap-perl: mutt_ldap_query, a real address-book
	# client of the GAL
	pkgs="$pkgs libcriterion-dev postfix dovecot-imapd dovecot-lmtpd systemd groff-base
		libseccomp-dev clang libclang-rt-14-dev lbdb libnet-ldap-perl"
fi

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing"
# slapd must not create a database of its own, postfix must stay local
echo 'slapd slapd/no_configuration boolean true' | $SUDO debconf-set-selections
echo 'postfix postfix/main_mailer_type select Local only' | $SUDO debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
