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
  libldns-dev ldnsutils
  libnl-3-dev libnl-xfrm-3-dev libnl-route-3-dev
  qt6-base-dev
  libboost-dev
  libgtest-dev libgmock-dev googletest
  # tests: namespaces, captures, users
  iproute2 iputils-ping tcpdump util-linux procps jq socat
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
  # bench/run-all.sh draws the plots of bench/results/REPORT.md; bench/ike_load.sh pins the
  # generator and the responder to one CPU each (taskset, util-linux) and converts the
  # responder's PKCS#12 to PEM for charon (openssl).
  gnuplot-nox util-linux openssl
)

# Services that packages above install. The benchmark runs its own daemons in namespaces it
# creates; these must never run in the root namespace (charon binds UDP 500/4500 and installs
# routes, iperf3 listens on 5201): they are kept from starting during the installation and
# disabled after it.
services=(strongswan-starter iperf3)
sysv_scripts=(ipsec iperf3)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
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
echo "install-deps: done (services ${services[*]} disabled: the benchmark runs its own in namespaces)"
