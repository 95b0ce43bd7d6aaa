#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages as an administrator gets them: build them from the tree
# (packaging/build-debs.sh), check them with lintian, install them with apt-get into a clean
# Debian 12 root made with debootstrap, verify the systemd unit there, start the installed
# daemon (in a network namespace of this test) as systemd would (Type=notify), and list its
# plugins from their package paths; then remove one plugin package under the running daemon.
# Last, the Ansible role installs the same packages (ansible_role.sh).
source "$IKEMESH_TEST_LIB"
ikm_init debs
debs="$IKM_TMP/debs"

if [[ -n ${IKEMESH_PREBUILT_DEBS:-} ]]; then
  # While working on this test only: packages built before by packaging/build-debs.sh.
  ikm_log "packages from $IKEMESH_PREBUILT_DEBS"
  mkdir -p "$debs" && cp "$IKEMESH_PREBUILT_DEBS"/*.deb "$debs"/
else
  ikm_log "build the packages"
  bash "$IKEMESH_SOURCE/packaging/build-debs.sh" "$debs" >&2 || ikm_fail "packaging/build-debs.sh"
fi
for package in ikemesh ikemesh-plugin-auth-null ikemesh-plugin-auth-x509 ikemesh-plugin-auth-dnssec \
  ikemesh-plugin-kernel-tun ikemesh-plugin-kernel-xfrm ikemesh-dev; do
  compgen -G "$debs/${package}_*.deb" >/dev/null || ikm_fail "no ${package}_*.deb"
done

ikm_log "lintian: no error and no warning"
lintian --fail-on error,warning "$debs"/*.deb >"$IKM_TMP/lintian.log" 2>&1 ||
  { cat "$IKM_TMP/lintian.log" >&2; ikm_fail "lintian"; }

ikm_log "the versions and the virtual ABI package"
version=$(dpkg-deb -f "$debs"/ikemesh_*.deb Version)
abi=$(sed -n 's/^#define IKEMESH_SDK_ABI_MAJOR //p' "$IKEMESH_SOURCE/core/include/ikemesh/abi.hpp")
[[ $(dpkg-deb -f "$debs"/ikemesh_*.deb Provides) == "ikemesh-plugin-abi-$abi" ]] || ikm_fail "ikemesh does not provide ikemesh-plugin-abi-$abi"
for plugin in "$debs"/ikemesh-plugin-*.deb; do
  [[ $(dpkg-deb -f "$plugin" Depends) == *"ikemesh (= $version)"* ]] || ikm_fail "$(basename "$plugin"): not tied to ikemesh $version"
done

ikm_log "a clean Debian 12 root (debootstrap minbase, cached in /var/tmp/ikemesh-root)"
base=/var/tmp/ikemesh-root
if [[ ! -f $base/bookworm.tar ]]; then
  # This machine's Debian mirror: deb822 sources (Debian 12's default) or a sources.list line (what
  # debootstrap writes, as on a fresh root); a file that is not there is no error.
  mirror=$(cat /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null |
    sed -n -e 's/^URIs: *\([^ ]*\).*/\1/p' -e 's/^deb  *\(\[[^]]*\]  *\)\{0,1\}\(http[^ ]*\) .*/\2/p' | head -1 || true)
  mkdir -p "$base"
  debootstrap --variant=minbase bookworm "$base/new" "${mirror:-http://deb.debian.org/debian}" >"$IKM_TMP/debootstrap.log" 2>&1 ||
    { tail -20 "$IKM_TMP/debootstrap.log" >&2; ikm_fail "debootstrap"; }
  tar -C "$base/new" -cf "$base/bookworm.tar.new" . && mv "$base/bookworm.tar.new" "$base/bookworm.tar"
  rm -rf "$base/new"
fi
root="$IKM_TMP/root"
mkdir -p "$root"
tar -C "$root" -xf "$base/bookworm.tar"
unmount_root() { for m in var/cache/apt/archives run dev/pts dev proc; do umount "$root/$m" 2>/dev/null; done; }
trap 'unmount_root; ikm_cleanup' EXIT
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/run"
# Downloaded packages are kept between runs.
mkdir -p "$base/archives/partial"
mount --bind "$base/archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

ikm_log "apt-get install ./ikemesh*.deb"
mkdir -p "$root/debs"
cp "$debs"/*.deb "$root/debs/"
in_root apt-get update -qq >"$IKM_TMP/apt.log" 2>&1 || { cat "$IKM_TMP/apt.log" >&2; ikm_fail "apt-get update"; }
# systemd only for `systemd-analyze verify --root`, which reads the targets from the root.
in_root bash -c 'apt-get install -y -qq /debs/ikemesh_*.deb /debs/ikemesh-plugin-*.deb /debs/ikemesh-dev_*.deb systemd' \
  >>"$IKM_TMP/apt.log" 2>&1 || { tail -30 "$IKM_TMP/apt.log" >&2; ikm_fail "apt-get install"; }

ikm_log "files where the packages promise them"
libdir=$(in_root dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for f in usr/sbin/ikemeshd usr/sbin/ikemesh etc/ikemesh/ipsec.conf etc/ikemesh/policies/private \
  usr/share/man/man8/ikemeshd.8.gz usr/share/man/man8/ikemesh.8.gz usr/share/man/man5/ikemesh.conf.5.gz \
  lib/systemd/system/ikemesh.service usr/lib/tmpfiles.d/ikemesh.conf usr/include/ikemesh/plugin.hpp \
  "usr/lib/$libdir/cmake/ikemesh/ikemeshConfig.cmake" "usr/lib/$libdir/pkgconfig/ikemesh.pc"; do
  [[ -e $root/$f ]] || ikm_fail "not installed: /$f"
done
conffiles=$(in_root dpkg-query -W -f='${Conffiles}' ikemesh)
ikm_expect_contains "$conffiles" "/etc/ikemesh/ipsec.conf" "ikemesh's conffiles"
ikm_expect_contains "$conffiles" "/etc/ikemesh/policies/private-or-clear" "ikemesh's conffiles"
zcat "$root/usr/share/man/man5/ikemesh.conf.5.gz" | grep -q '^\.BR rsasigscheme = ' ||
  ikm_fail "ikemesh.conf(5) lacks the auth-x509 plugin's keys"

ikm_log "systemd-analyze verify on the installed unit (its man pages are checked above: verify looks in the host's)"
systemd-analyze verify --man=no --root="$root" /lib/systemd/system/ikemesh.service >"$IKM_TMP/verify.log" 2>&1 ||
  { cat "$IKM_TMP/verify.log" >&2; ikm_fail "systemd-analyze verify"; }
[[ ! -s $IKM_TMP/verify.log ]] || { cat "$IKM_TMP/verify.log" >&2; ikm_fail "systemd-analyze verify has remarks"; }

ikm_log "start the installed daemon in a namespace, with the unit's command line and NOTIFY_SOCKET"
in_root ikemesh initnss >&2 || ikm_fail "ikemesh initnss"
ikm_ns_add node
ns=$(ikm_nsname node)
notify="$root/run/notify.sock"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(30)
print(s.recv(4096).decode(), flush=True)' "$notify" >"$IKM_TMP/notify.txt" &
notify_pid=$!
ikm_track "$notify_pid"
ikm_wait_for 5 "the notify socket" test -S "$notify"
exec_start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/ikemesh.service")
ip netns exec "$ns" chroot "$root" env NOTIFY_SOCKET=/run/notify.sock $exec_start >"$IKM_TMP/daemon.log" 2>&1 &
daemon_pid=$!
ikm_track "$daemon_pid"
wait "$notify_pid" || ikm_fail "no READY=1 from the daemon: $(cat "$IKM_TMP/daemon.log")"
ikm_expect_contains "$(cat "$IKM_TMP/notify.txt")" "READY=1" "the service manager's notification"

plugins=$(in_root ikemesh plugins --json)
dir="/usr/lib/$libdir/ikemesh/plugins"
for name in auth-null auth-x509 auth-dnssec kernel-tun kernel-xfrm; do
  [[ $(jq -r --arg n "$name" '.plugins[] | select(.name == $n) | .verdict + " " + .file' <<<"$plugins") == "loaded $dir/ikemesh-$name.so" ]] ||
    ikm_fail "$name is not loaded from $dir: $plugins"
done
in_root ikemesh plugins >&2

ikm_log "apt-get remove ikemesh-plugin-auth-null under the running daemon"
in_root apt-get remove -y -qq ikemesh-plugin-auth-null >>"$IKM_TMP/apt.log" 2>&1 || ikm_fail "apt-get remove"
kill -0 "$daemon_pid" || ikm_fail "the daemon died when its plugin package was removed"
plugins=$(in_root ikemesh plugins)
echo "$plugins" >&2
ikm_expect_contains "$plugins" "removed  auth-null" "ikemesh plugins after the removal"
ikm_expect_contains "$plugins" "loaded   kernel-tun" "ikemesh plugins after the removal"
in_root ikemesh status >/dev/null || ikm_fail "the daemon stopped answering"

ikm_log "stop"
in_root ikemesh stop >&2
wait "$daemon_pid" || ikm_fail "ikemeshd exited with an error"

ikm_log "the Ansible role with these packages (tests/packaging/ansible_role.sh)"
bash "$IKEMESH_SOURCE/tests/packaging/ansible_role.sh" "$debs" || ikm_fail "the Ansible role"
ikm_pass
