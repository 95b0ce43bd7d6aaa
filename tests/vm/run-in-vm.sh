#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-in-vm.sh SCRIPT [ARGS...]: runs SCRIPT as root inside a guest whose kernel has ESP,
# prints its output and exits with its status.
#
# The host kernel has XFRM but no esp4 (issue 10), and its /dev/kvm cannot boot a stock
# kernel, so the guest is QEMU with TCG emulation: Debian's linux-image-amd64, unpacked (never
# installed) into a cache folder; a busybox initramfs that loads the virtio-9p modules; the
# host's / shared read-only over virtio-9p, with tmpfs over /tmp and /run. Nothing is built.
#
# Environment: IKEMESH_VM_CACHE (default /var/tmp/ikemesh-vm) holds the kernel package and
# the initramfs between runs; IKEMESH_VM_MEMORY (MiB, default 1024); variables named IKEMESH_*
# and IKM_* pass into the guest.
set -euo pipefail

script=${1:?usage: run-in-vm.sh SCRIPT [ARGS...]}
shift
script=$(realpath "$script")
cache=${IKEMESH_VM_CACHE:-/var/tmp/ikemesh-vm}
memory=${IKEMESH_VM_MEMORY:-1024}
mkdir -p "$cache"
# ctest runs VM tests side by side: one of them fetches the kernel and builds the initramfs,
# the others wait for it (a shared lock on the cache until both are in place).
exec 9>"$cache/.prepare.lock"
flock 9

log() { printf '[vm %s] %s\n' "$(date +%T.%3N)" "$*" >&2; }

# The guest's modules: virtio-9p to mount the host, ESP and the XFRM netlink interface, the
# AEAD and hash code ESP uses (generic C: TCG's AES-NI and AVX2 fail the kernel's
# rfc4106 set-up), and what the tests use (veth, bridge).
guest_modules=(9p 9pnet_virtio virtio_pci esp4 esp6 xfrm_user xfrm4_tunnel xfrm6_tunnel tunnel4 tunnel6
  xfrm_interface af_key veth bridge tun gcm ghash_generic cbc sha256_generic sha512_generic
  authenc echainiv seqiv ctr drbg jitterentropy_rng)

# The kernel: the package linux-image-amd64 names (a metapackage), unpacked.
kernel_dir=$cache/kernel
if [[ ! -f $kernel_dir/.unpacked ]]; then
  log "fetching linux-image-amd64 into $cache"
  (cd "$cache" && apt-get download linux-image-amd64 >/dev/null 2>&1) || {
    log "apt-get download linux-image-amd64 failed (run apt-get update?)"
    exit 1
  }
  meta=$(ls -t "$cache"/linux-image-amd64_*.deb | head -1)
  image=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
  [[ -n $image ]] || {
    log "$meta names no linux-image package"
    exit 1
  }
  (cd "$cache" && apt-get download "$image" >/dev/null 2>&1) || {
    log "apt-get download $image failed"
    exit 1
  }
  rm -rf "$kernel_dir"
  mkdir -p "$kernel_dir"
  dpkg-deb -x "$(ls -t "$cache/${image}"_*.deb | head -1)" "$kernel_dir"
  # The package leaves modules.dep to its postinst; depmod -b makes it in the unpacked tree.
  release=$(ls "$kernel_dir"/boot/vmlinuz-* | head -1)
  depmod -b "$kernel_dir" "${release##*/vmlinuz-}"
  touch "$kernel_dir/.unpacked"
fi
vmlinuz=$(ls "$kernel_dir"/boot/vmlinuz-* | head -1)
release=${vmlinuz##*/vmlinuz-}
moddir=$(ls -d "$kernel_dir"/lib/modules/"$release" "$kernel_dir"/usr/lib/modules/"$release" 2>/dev/null | head -1 || true)

# The initramfs: busybox, the modules that mount the host (in dependency order), /init.
initrd=$cache/initrd-$release.cpio.gz
init_source=$(dirname "$(realpath "$0")")/guest-init.sh
if [[ ! -f $initrd || $init_source -nt $initrd ]]; then
  busybox=$(command -v busybox || true)
  [[ -n $busybox ]] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || busybox=/bin/busybox
  file -L "$busybox" | grep -q 'statically linked' || {
    log "a static busybox is needed (apt-get install busybox-static)"
    exit 1
  }
  log "building $initrd"
  root=$(mktemp -d)
  mkdir -p "$root"/{bin,dev,proc,sys,host,modules}
  cp "$busybox" "$root/bin/busybox"
  cp "$init_source" "$root/init"
  chmod 755 "$root/init"
  # Dependencies first: modules.dep lists a module's dependencies after it.
  order=()
  add_module() {
    local name=$1 line path dep
    line=$(grep -E "(^|/)${name}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -1) || return 0
    path=${line%%:*}
    for dep in ${line#*:}; do
      dep=${dep##*/}
      add_module "${dep%%.ko*}"
    done
    [[ " ${order[*]} " == *" $path "* ]] || order+=("$path")
  }
  for m in 9p 9pnet_virtio virtio_pci; do add_module "$m"; done
  : >"$root/modules/order"
  for path in "${order[@]}"; do
    name=${path##*/}
    base=${name%%.ko*}.ko
    case $name in
    *.xz) xz -dc "$moddir/$path" >"$root/modules/$base" ;;
    *.zst) zstd -qdc "$moddir/$path" >"$root/modules/$base" ;;
    *) cp "$moddir/$path" "$root/modules/$base" ;;
    esac
    echo "$base" >>"$root/modules/order"
  done
  (cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  rm -rf "$root"
fi
flock -u 9
exec 9>&-

# The job: what the guest runs, where its modules are, the environment to keep.
job=$(mktemp -d "$cache/job.XXXXXX")
trap 'rm -rf "$job"' EXIT
printf '%s\n%s\n' "$kernel_dir" "${guest_modules[*]}" >"$job/modules"
# What must stay visible in the guest under the folders it puts a tmpfs over (guest-init.sh).
printf '%s\n' "$PWD" "$(cd "$(dirname "$script")" && pwd)" ${IKEMESH_SOURCE:+"$IKEMESH_SOURCE"} \
  ${IKEMESH_BUILD:+"$IKEMESH_BUILD"} | sort -u >"$job/keep"
{
  while IFS= read -r name; do
    echo "export $name=$(printf '%q' "${!name}")"
  done < <(compgen -e | grep -E '^(IKEMESH_|IKM_)' | grep -v '^IKEMESH_ARTIFACTS$')
  echo "export IKEMESH_IN_VM=1"
  echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  echo "cd $(printf '%q' "$PWD")"
  printf 'exec bash %q' "$script"
  printf ' %q' "$@"
  echo
} >"$job/run.sh"

log "booting $release (TCG) for $(basename "$script")"
start=$(date +%s.%N)
output=$job/console
set +e
qemu-system-x86_64 -accel tcg -cpu qemu64 -smp 1 -m "$memory" -nographic -no-reboot \
  -kernel "$vmlinuz" -initrd "$initrd" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 ikemesh.job=$job" \
  -fsdev local,id=hostroot,path=/,security_model=passthrough,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -nic none </dev/null 2>&1 | tee "$output" | sed -u '/IKEMESH-VM-/d'
set -e
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
rc=$(sed -n 's/.*IKEMESH-VM-EXIT=\([0-9]*\).*/\1/p' "$output" | tail -1)
booted=$(sed -n 's/.*IKEMESH-VM-BOOTED=\([0-9.]*\).*/\1/p' "$output" | tail -1)
if [[ -z $rc ]]; then
  log "the guest ended without an exit status (kernel panic or timeout) after ${elapsed}s"
  exit 1
fi
log "guest exit status $rc after ${elapsed}s (user space after ${booted:-?}s of guest uptime)"
exit "$rc"
