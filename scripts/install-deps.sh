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
  # regenerating known-answer vectors computed outside NSS (tests/unit/*/vectors)
  python3 python3-cryptography
  # tests: `script` gives `ikemesh import` a terminal to ask the password on (e2e.nss_cli)
  bsdutils
  # tests: an independent implementation checks our RFC 7427 signatures (auth-x509)
  openssl
)

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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
