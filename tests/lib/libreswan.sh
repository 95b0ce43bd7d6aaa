# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Libreswan 4.10's pluto in a network namespace, for the interop tests (tests/interop) and the
# VM tests (tests/vm). Source it after tests/lib/netns.sh and ikm_init.
#
# Libreswan conflicts with the strongSwan packages: scripts/install-deps.sh unpacks its .deb in
# $IKEMESH_LIBRESWAN_ROOT (default /opt/ikemesh-interop/libreswan). Each pluto runs with a
# folder of its own (DIR below): DIR/ipsec.conf, DIR/run (control socket), DIR/nss (NSS
# database), DIR/ipsec.d (where it reads policies/), DIR/ipsec.secrets; in a mount namespace of
# its own where the unpacked /usr/libexec (its helpers, /usr/libexec/ipsec/_updown...) is bound
# over the host's, and with the unpacked /usr/sbin first in PATH: pluto runs its updown script as
# `ipsec _updown`, and the host's `ipsec` is strongSwan's.

IKM_LIBRESWAN_ROOT=${IKEMESH_LIBRESWAN_ROOT:-/opt/ikemesh-interop/libreswan}
IKM_LIBRESWAN_BIN=$IKM_LIBRESWAN_ROOT/usr/libexec/ipsec

# ikm_libreswan_missing: prints why pluto cannot run here (empty when it can).
ikm_libreswan_missing() {
  [[ -x $IKM_LIBRESWAN_BIN/pluto ]] || echo "no pluto in $IKM_LIBRESWAN_ROOT: run scripts/install-deps.sh as root"
}

# ikm_libreswan_config_setup DIR: the `config setup` section of DIR/ipsec.conf for the tests:
# the log in DIR/pluto.log with times, no debug, no DNSSEC (no resolver in the namespaces).
ikm_libreswan_config_setup() {
  printf 'config setup\n\tlogfile=%s/pluto.log\n\tlogtime=yes\n\tplutodebug=none\n\tdnssec-enable=no\n\n' "$1"
}

# ikm_libreswan_start NS DIR: pluto in NS with DIR's files (an empty NSS database and secrets
# file are made when missing), listening once this returns. Sets IKM_LIBRESWAN_PID.
ikm_libreswan_start() {
  local ns=$1 dir=$2
  mkdir -p "$dir/run" "$dir/nss" "$dir/ipsec.d"
  [[ -e $dir/ipsec.secrets ]] || : >"$dir/ipsec.secrets"
  [[ -e $dir/nss/cert9.db ]] || certutil -N -d "sql:$dir/nss" --empty-password
  # shellcheck disable=SC2016 # "$0" and "$@" are the inner sh's
  PATH="$IKM_LIBRESWAN_ROOT/usr/sbin:$PATH" ip netns exec "$ns" unshare --mount --propagation private \
    sh -c 'mount --bind "$0/usr/libexec" /usr/libexec && exec "$@"' "$IKM_LIBRESWAN_ROOT" \
    "$IKM_LIBRESWAN_BIN/pluto" --nofork --config "$dir/ipsec.conf" \
    --rundir "$dir/run" --nssdir "$dir/nss" --ipsecdir "$dir/ipsec.d" \
    --secretsfile "$dir/ipsec.secrets" --no-dnssec >"$dir/stdout.log" 2>&1 &
  IKM_LIBRESWAN_PID=$!
  ikm_track "$IKM_LIBRESWAN_PID"
  ikm_wait_for 30 "pluto's control socket in $dir/run" test -S "$dir/run/pluto.ctl"
  ikm_libreswan_whack "$ns" "$dir" --listen >/dev/null
}

# ikm_libreswan_whack NS DIR ARG...: Libreswan's whack (`ipsec whack`) on DIR's pluto.
ikm_libreswan_whack() {
  ip netns exec "$1" "$IKM_LIBRESWAN_BIN/whack" --ctlsocket "$2/run/pluto.ctl" "${@:3}"
}

# ikm_libreswan_addconn NS DIR ARG...: Libreswan's addconn (`ipsec auto --add`, `--autoall`)
# with DIR/ipsec.conf on DIR's pluto; its output goes to DIR/addconn.log, a failure fails the
# test.
ikm_libreswan_addconn() {
  ip netns exec "$1" "$IKM_LIBRESWAN_BIN/addconn" --ctlsocket "$2/run/pluto.ctl" \
    --config "$2/ipsec.conf" "${@:3}" >>"$2/addconn.log" 2>&1 ||
    ikm_fail "addconn ${*:3}: $(cat "$2/addconn.log")"
}

# ikm_libreswan_stop NS DIR PID: whack --shutdown (SIGTERM when it does not answer), then
# waits for PID.
ikm_libreswan_stop() {
  ikm_libreswan_whack "$1" "$2" --shutdown >/dev/null 2>&1 || kill -TERM "$3"
  wait "$3" || true
}
