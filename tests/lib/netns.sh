# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for ikemesh's script tests (e2e, interop, vm). Source it, then call
# `ikm_init NAME`. Everything a test creates (namespaces, processes, files) is recorded and
# removed by an EXIT trap, on every exit path. Processes are ended by PID, never by name.
#
# Environment (set by ctest): IKEMESH_BUILD (build tree), IKEMESH_ARTIFACTS (where logs and
# captures of a failed run are kept).

set -euo pipefail

IKM_BIN="${IKEMESH_BUILD:?IKEMESH_BUILD is not set}/bin"
IKM_PIDS=()
IKM_NAMESPACES=()
IKM_PREFIX=""
IKM_TMP=""
IKM_FAILED=1

ikm_log() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*" >&2; }
ikm_fail() {
  ikm_log "FAIL: $*"
  exit 1
}

# ikm_init NAME: a per-test prefix for namespaces (short: interface names are limited to 15
# characters), a private temporary folder, and the cleanup trap.
ikm_init() {
  local name=$1
  IKM_PREFIX="ikm$(printf '%s' "$name$$" | md5sum | cut -c1-5)"
  IKM_TMP=$(mktemp -d "/tmp/ikemesh-$name.XXXXXX")
  chmod 755 "$IKM_TMP"
  mkdir -p "${IKEMESH_ARTIFACTS:=$IKM_TMP/artifacts}"
  trap ikm_cleanup EXIT
  trap 'exit 130' INT TERM
  ikm_log "test $name: prefix $IKM_PREFIX, files in $IKM_TMP"
}

ikm_pass() {
  IKM_FAILED=0
  ikm_log "PASS"
}

ikm_cleanup() {
  local rc=$?
  set +e
  local pid
  for pid in "${IKM_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${IKM_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  local ns
  for ns in "${IKM_NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null
  done
  if ((rc != 0 || IKM_FAILED)); then
    cp -r "$IKM_TMP"/. "$IKEMESH_ARTIFACTS"/ 2>/dev/null
    ikm_log "logs and captures kept in $IKEMESH_ARTIFACTS"
    ((rc == 0)) && rc=1
  fi
  rm -rf "$IKM_TMP"
  exit $rc
}

# ikm_track PID: end this process at cleanup.
ikm_track() { IKM_PIDS+=("$1"); }

# ikm_wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 50 ms until it succeeds.
ikm_wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || ikm_fail "timed out after ${seconds}s waiting for $what"
    sleep 0.05
  done
}

# ikm_spawn_daemon NAME [NETNS] -- ARGS...: starts ikemeshd in the foreground (in NETNS when
# given) with its own run folder, without waiting for it; sets IKM_CTL to its control socket,
# IKM_PID to its PID. ikm_wait_daemon waits until it answers.
ikm_spawn_daemon() {
  local name=$1 ns=""
  shift
  if [[ ${1:-} != "--" ]]; then
    ns=$1
    shift
  fi
  [[ ${1:-} == "--" ]] && shift
  local dir="$IKM_TMP/$name"
  mkdir -p "$dir/run"
  chmod 755 "$dir" "$dir/run"
  local -a cmd=("$IKM_BIN/ikemeshd" --nofork --rundir "$dir/run" "$@")
  [[ -n $ns ]] && cmd=(ip netns exec "$ns" "${cmd[@]}")
  "${cmd[@]}" >"$dir/daemon.log" 2>&1 &
  IKM_PID=$!
  ikm_track "$IKM_PID"
  IKM_CTL="$dir/run/ikemesh.ctl"
}

# ikm_wait_daemon NAME PID CTL [SECONDS]: waits until the daemon NAME (PID) answers `status` on
# CTL; fails the test (with its log) when it exits first or takes longer than SECONDS (20).
ikm_wait_daemon() {
  local name=$1 pid=$2 ctl=$3 deadline=$((SECONDS + ${4:-20}))
  until [[ -S $ctl ]] && "$IKM_BIN/ikemesh" --ctl "$ctl" status >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$IKM_TMP/$name/daemon.log" >&2
      ikm_fail "ikemeshd $name exited while starting"
    fi
    ((SECONDS < deadline)) || ikm_fail "ikemeshd $name did not open $ctl"
    sleep 0.05
  done
}

# ikm_start_daemon NAME [NETNS] -- ARGS...: ikm_spawn_daemon, then ikm_wait_daemon.
ikm_start_daemon() {
  ikm_spawn_daemon "$@"
  ikm_wait_daemon "$1" "$IKM_PID" "$IKM_CTL"
}

# ikm_stop_daemon PID: SIGTERM, wait, and fail the test unless it exits 0. (Not in a
# subshell: only this shell can wait for its children.)
ikm_stop_daemon() {
  local pid=$1 status=0
  kill -TERM "$pid"
  wait "$pid" || status=$?
  ((status == 0)) || ikm_fail "ikemeshd (pid $pid) exited $status on SIGTERM"
}

# ikm_nsname NAME: the namespace name of node NAME in this test.
ikm_nsname() { echo "$IKM_PREFIX-$1"; }

# ikm_ns_add NAME: creates network namespace `ikm_nsname NAME` with loopback up. (Not in a
# subshell: the namespace must be recorded for cleanup.)
ikm_ns_add() {
  local ns="$IKM_PREFIX-$1"
  ip netns add "$ns"
  IKM_NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
}

# ikm_expect_contains TEXT NEEDLE WHAT: fails unless TEXT contains NEEDLE.
ikm_expect_contains() {
  [[ $1 == *"$2"* ]] || ikm_fail "$3: expected to find '$2' in: $1"
}

# ikm_lan: a bridge in a namespace of its own (`ikm_nsname lan`) that the nodes attach to.
# Nothing links it to the root namespace.
ikm_lan() {
  ikm_ns_add lan
  ip -n "$(ikm_nsname lan)" link add br0 type bridge
  ip -n "$(ikm_nsname lan)" link set br0 up
}

# ikm_node NAME ADDRESS/LEN [MTU]: a namespace with eth0 on the LAN bridge, that address, and
# a default route into the bridge (for left=%defaultroute; nothing leads out of it).
ikm_node() {
  local name=$1 cidr=$2 mtu=${3:-1500}
  local ns="$IKM_PREFIX-$name" lan="$IKM_PREFIX-lan"
  ikm_ns_add "$name"
  ip -n "$lan" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$lan" link set "v-$name" master br0 mtu "$mtu" up
  ip -n "$ns" link set eth0 mtu "$mtu" up
  ip -n "$ns" addr add "$cidr" dev eth0
  ip -n "$ns" route add default dev eth0
}

# ikm_static_neighbours NAME...: permanent ARP entries between the eth0 of these nodes (each
# knows every other's MAC address). The kernel's ARP table is shared by all namespaces and holds
# 1024 learned entries (gc_thresh3) in all; a mesh of 64 nodes would need 4032, and
# "neighbor table overflow" drops packets, other tests' too. Permanent entries do not count.
ikm_static_neighbours() {
  local name address mac
  local -a entries=()
  for name in "$@"; do
    address=$(ip -n "$IKM_PREFIX-$name" -4 -o addr show dev eth0 | awk '{split($4, a, "/"); print a[1]; exit}')
    mac=$(ip -n "$IKM_PREFIX-$name" -o link show dev eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
    entries+=("$name $address $mac")
  done
  local entry other
  for entry in "${entries[@]}"; do
    read -r name _ _ <<<"$entry"
    for other in "${entries[@]}"; do
      read -r _ address mac <<<"$other"
      [[ $other == "$entry" ]] || echo "neigh replace $address lladdr $mac dev eth0 nud permanent"
    done | ip -n "$IKM_PREFIX-$name" -batch -
  done
}

# ikm_capture NAME NS IFACE FILTER...: tcpdump in NS on IFACE into $IKM_TMP/NAME.pcap, started
# and ready (it says "listening") before this returns. Sets IKM_CAPTURE_PID.
ikm_capture() {
  local name=$1 ns=$2 iface=$3
  shift 3
  # --immediate-mode: each packet reaches the file as it arrives, not when the kernel hands
  # tcpdump a full block, so that a test can read the capture right after the traffic.
  ip netns exec "$ns" tcpdump -i "$iface" -n -U --immediate-mode -w "$IKM_TMP/$name.pcap" "$@" 2>"$IKM_TMP/$name.tcpdump.log" &
  IKM_CAPTURE_PID=$!
  ikm_track "$IKM_CAPTURE_PID"
  ikm_wait_for 10 "tcpdump on $ns/$iface" grep -q "listening on" "$IKM_TMP/$name.tcpdump.log"
}

# ikm_capture_stop PID: ends a capture so that its file is complete.
ikm_capture_stop() {
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# ikm_capture_count NAME: packets in $IKM_TMP/NAME.pcap so far.
ikm_capture_count() { tcpdump -n -r "$IKM_TMP/$1.pcap" 2>/dev/null | wc -l; }

# ikm_capture_wait NAME COUNT: waits until the capture file holds COUNT packets (tcpdump
# may still hold received packets in its buffer when a test wants to read the file).
ikm_capture_wait() {
  local name=$1 count=$2
  ikm_wait_for 10 "$count packets in the $name capture" bash -c "(( \$(tcpdump -n -r '$IKM_TMP/$name.pcap' 2>/dev/null | wc -l) >= $count ))"
}

# ikm_site GW GW_CIDR INNER_CIDR HOST HOST_CIDR: a gateway node GW on the LAN (ikm_node GW
# GW_CIDR) that forwards, with address INNER_CIDR on a veth of its own ("inner") to a namespace
# HOST (address HOST_CIDR, default route through the gateway): a subnet behind a gateway, for
# site-to-site tunnels. Decrypted packets arrive on the gateway's TUN device from the far
# subnet, which reverse-path filtering would drop: it is off.
ikm_site() {
  local gw=$1 gw_cidr=$2 inner_cidr=$3 host=$4 host_cidr=$5
  ikm_node "$gw" "$gw_cidr"
  ikm_ns_add "$host"
  local gw_ns="$IKM_PREFIX-$gw" host_ns="$IKM_PREFIX-$host"
  ip -n "$gw_ns" link add inner type veth peer name eth0 netns "$host_ns"
  ip -n "$gw_ns" addr add "$inner_cidr" dev inner
  ip -n "$gw_ns" link set inner up
  ip -n "$host_ns" addr add "$host_cidr" dev eth0
  ip -n "$host_ns" link set eth0 up
  ip -n "$host_ns" route add default via "${inner_cidr%/*}"
  ip netns exec "$gw_ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0
}
