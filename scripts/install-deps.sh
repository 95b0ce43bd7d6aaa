#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking ikemesh needs.
# Idempotent: when everything is installed already it only asks dpkg and returns.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang clang-format clang-tidy
  libclang-rt-14-dev llvm
  # libraries (DESIGN.md §1)
  libnss3-dev libnss3-tools
  # auth-x509 checks the peer's ECDSA signatures with libcrypto (plugins/auth-x509/PeerPublicKey.hpp)
  libssl-dev
  libldns-dev ldnsutils
  libnl-3-dev libnl-xfrm-3-dev libnl-route-3-dev
  qt6-base-dev
  libboost-dev
  libgtest-dev libgmock-dev googletest
  # tests: namespaces, captures, users
  iproute2 iputils-ping tcpdump util-linux procps jq socat
  # tests/vm: the ESP-capable guest (QEMU TCG, Debian kernel unpacked, busybox initramfs, kmod)
  qemu-system-x86 busybox-static kmod bc
  # tests: packet loss on a link without netem (iptables' statistic match, tests/e2e/faults.sh)
  iptables
  # /etc/protocols: `ip rule ... ipproto udp` (a minimal Debian root lacks it)
  netbase
  # regenerating known-answer vectors computed outside NSS (tests/unit/*/vectors)
  python3 python3-cryptography
  # tests: `script` gives `ikemesh import` a terminal to ask the password on (e2e.nss_cli)
  bsdutils
  # tests: an independent implementation checks our RFC 7427 signatures (auth-x509)
  openssl
  # packaging: Debian packages built and checked (tests/packaging), installed into a debootstrap
  # root, the unit verified with systemd-analyze, the Ansible role run (packaging/ansible)
  dpkg-dev debhelper fakeroot lintian debootstrap systemd ansible
  # benchmarks: bench/tun_throughput.sh compares ikemesh with wireguard-go and with strongSwan's
  # userspace ESP (kernel-libipsec is in libcharon-extra-plugins, AES-GCM through OpenSSL in
  # libstrongswan-standard-plugins). strongswan-charon pulls strongswan-starter, whose service
  # would run charon in the root namespace; iperf3 ships a server service: see below.
  iperf3 wireguard-go wireguard-tools
  strongswan-charon libcharon-extra-plugins libstrongswan-standard-plugins strongswan-swanctl
  # tests: auth-dnssec's e2e serves zones signed with ldns-signzone (ldnsutils, above) from an
  # authoritative nsd that the test starts in a namespace of its own; nsd ships a service
  # that must not run in the root namespace: see below.
  nsd
  # interop tests (tests/interop): Libreswan's pluto runs from the unpacked libreswan .deb (see
  # below); these are the libraries it links that nothing above brings in
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libunbound8 libcurl3-nss libldns3 libcap-ng0 libaudit1
  # bench/run-all.sh draws the plots of bench/results/REPORT.md; bench/ike_load.sh pins the
  # generator and the responder to one CPU each (taskset, util-linux) and converts the
  # responder's PKCS#12 to PEM for charon (openssl).
  gnuplot-nox util-linux openssl
)

# Libreswan conflicts with the strongSwan packages, so it is not installed: its .deb is
# downloaded and unpacked into a private prefix that the interop tests run pluto from
# (tests/interop/libreswan-common.sh). The version is the one Debian 12 ships (4.10).
libreswan_root=/opt/ikemesh-interop/libreswan
fetch_libreswan() {
  [[ -x $libreswan_root/usr/libexec/ipsec/pluto ]] && return 0
  if ((EUID != 0)); then
    echo "install-deps: $libreswan_root is missing (the Libreswan interop tests need it); run as root to fetch it" >&2
    return 0
  fi
  local download
  download=$(mktemp -d)
  # apt-get download runs as _apt where it can: let it write into the folder.
  chmod 777 "$download"
  # A failed download leaves the rest of the suite runnable: only the Libreswan tests fail,
  # saying that pluto is missing.
  if ! (cd "$download" && apt-get download -qq libreswan) &&
    ! { apt-get update -qq && (cd "$download" && apt-get download -qq libreswan); }; then
    echo "install-deps: could not download libreswan; the Libreswan interop tests will fail" >&2
    rm -rf "$download"
    return 0
  fi
  mkdir -p "$libreswan_root"
  dpkg -x "$download"/libreswan_*.deb "$libreswan_root"
  rm -rf "$download"
  echo "install-deps: Libreswan $("$libreswan_root/usr/libexec/ipsec/pluto" --version 2>&1 | head -1) unpacked in $libreswan_root"
}

# Services that packages above install. The benchmark runs its own daemons in namespaces it
# creates; these must never run in the root namespace (charon binds UDP 500/4500 and installs
# routes, iperf3 listens on 5201): they are kept from starting during the installation and
# disabled after it.
services=(strongswan-starter iperf3 nsd)
sysv_scripts=(ipsec iperf3 nsd)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  fetch_libreswan
  exit 0
fi

if ((EUID != 0)); then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d answering 101 keeps invoke-rc.d and deb-systemd-invoke from starting any service
# during this installation (unless the system already has its own policy).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs packages\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for service in "${services[@]}"; do
  [[ -e /lib/systemd/system/$service.service ]] || continue
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$service.service" >/dev/null 2>&1 || true
  else
    systemctl disable "$service.service" >/dev/null 2>&1 || true
  fi
done
for script in "${sysv_scripts[@]}"; do
  [[ -e /etc/init.d/$script ]] || continue
  update-rc.d "$script" disable >/dev/null 2>&1 || true
done
fetch_libreswan
echo "install-deps: done (services ${services[*]} disabled: the benchmark and the tests run their own in namespaces)"
