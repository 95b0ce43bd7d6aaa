#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the test guest (run-in-vm.sh): mounts the host's / read-only over virtio-9p, puts
# tmpfs over the folders tests write to, loads ESP, runs the job as root in a chroot, prints
# IKEMESH-VM-EXIT=<status> and powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for module in $(cat /modules/order); do insmod /modules/$module 2>/dev/null; done
job=$(sed -n 's/.*ikemesh\.job=\([^ ]*\).*/\1/p' /proc/cmdline)
finish() {
  echo "IKEMESH-VM-EXIT=$1"
  sync
  poweroff -f
}
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host; then
  echo "guest: cannot mount the host's / over virtio-9p"
  finish 125
fi
# A second view of the host's /, without the tmpfs below: kept paths come from there.
mkdir -p /hostview
mount -o bind /host /hostview
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm 2>/dev/null
# What udev would make: bash's process substitution needs /dev/fd.
ln -s /proc/self/fd /host/dev/fd
ln -s /proc/self/fd/0 /host/dev/stdin
ln -s /proc/self/fd/1 /host/dev/stdout
ln -s /proc/self/fd/2 /host/dev/stderr
mount -t devpts devpts /host/dev/pts
mount -t tmpfs shm /host/dev/shm
for dir in /tmp /run /var/log /root; do mount -t tmpfs -o mode=1777 tmp /host$dir; done
mount -t tmpfs -o mode=755 run /host/run
# The source and build trees stay visible where a tmpfs went over them (a checkout in /root,
# root's home, as on a fresh machine): run-in-vm.sh lists them in the job's "keep" file.
if [ -f "/hostview$job/keep" ]; then
  while read -r keep; do
    for dir in /tmp /run /var/log /root; do
      case $keep in
        "$dir"/*) mkdir -p "/host$keep" && mount -o bind "/hostview$keep" "/host$keep" ;;
      esac
    done
  done <"/hostview$job/keep"
fi
mkdir -p /host/run/netns
mount -t cgroup2 cgroup /host/sys/fs/cgroup 2>/dev/null
echo "IKEMESH-VM-BOOTED=$(cut -d' ' -f1 /proc/uptime)"
if [ ! -f "/host$job/run.sh" ]; then
  echo "guest: no job at $job"
  finish 125
fi
# The job's modules come from the unpacked kernel package (modprobe -d: its root), also those
# the kernel asks for itself (crypto templates, the DRBG behind seqiv): kernel.modprobe runs
# in this initramfs, so its wrapper lives here.
printf '#!/bin/sh\nexec chroot /host /usr/sbin/modprobe -d %s "$@"\n' "$(sed -n 1p "/host$job/modules")" >/bin/ikemesh-modprobe
chmod 755 /bin/ikemesh-modprobe
echo /bin/ikemesh-modprobe >/proc/sys/kernel/modprobe
chroot /host /usr/bin/env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c '
  modules=$(sed -n 1p "$0/modules")
  for m in $(sed -n 2p "$0/modules"); do modprobe -d "$modules" "$m" || echo "guest: modprobe $m failed"; done
  ip link set lo up
  exec bash "$0/run.sh"
' "$job" </dev/console >/dev/console 2>&1
finish $?
