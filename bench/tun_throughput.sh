#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# iperf3 TCP throughput and UDP packet rates through four paths on ONE veth pair between two
# network namespaces:
#   1. plain veth (the ceiling),
#   2. ikemesh kernel-tun (two ikemeshd, NULL auth, ESP-in-UDP over a TUN device),
#   3. wireguard-go (userspace WireGuard over a TUN device),
#   4. strongSwan charon with kernel-libipsec (userspace ESP over a TUN device; this host's
#      kernel has no ESP, so libipsec is strongSwan's only way here).
# Each path runs alone (the previous one's daemons are stopped first): TCP 10 s with 1 stream
# and 10 s with 4 streams, then UDP 10 s each with 64-octet and 1400-octet packets sent as fast
# as iperf3 can (-b 0); the four paths take turns, REPS times (fresh daemons every time), and
# the table gives each figure's median (min-max) and the ratios of the medians; see
# bench/README.md for what each column means.
#
# Run as root, from the source tree, after building ikemeshd, ikemesh and the auth-null and
# kernel-tun plugins:   sudo bench/tun_throughput.sh [BUILD_DIR]   (default: ./build)
# Environment: BENCH_SECONDS (default 10) is the length of each iperf3 run; REPS (default 3) the
# number of rounds; PERF_DIR (unset), a folder: `perf record -g` of both ikemeshd during their
# runs is written there (a-REP.perf.data for the sender, b-REP.perf.data for the receiver),
# which also slows those runs. BENCH_QUIET_WAIT (300) and BENCH_QUIET_PERCENT (15): first wait up
# to that many seconds for the CPUs to be less than that busy (bench/bench-lib.sh).
# Not a test: it is not registered in ctest, and it runs iperf3 traffic for about 160 s a round.
#
# Everything it creates (namespaces ikmbench<random>-a/-b, processes, files in /tmp) is
# removed by the EXIT trap of tests/lib/netns.sh on every exit path; processes are ended by
# PID. Daemons that insist on a fixed path under /run (charon's pidfile, wireguard-go's UAPI
# socket) get a private /run: they run in a mount namespace of their own with a temporary
# folder bound over /run, so nothing is written to the root namespace's /run.

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IKEMESH_BUILD=$(cd "${1:-$source_dir/build}" && pwd)
export IKEMESH_BUILD
# shellcheck source=SCRIPTDIR/../tests/lib/netns.sh
source "$source_dir/tests/lib/netns.sh"
# shellcheck source=SCRIPTDIR/../tests/lib/strongswan.sh
source "$source_dir/tests/lib/strongswan.sh"
# shellcheck source=SCRIPTDIR/bench-lib.sh
source "$source_dir/bench/bench-lib.sh"

seconds=${BENCH_SECONDS:-10}
reps=${REPS:-3}
[[ $reps =~ ^[1-9][0-9]*$ ]] || ikm_fail "REPS=$reps: a number of rounds (1 or more) was expected"
((EUID == 0)) || ikm_fail "run as root (it creates network namespaces)"
for tool in iperf3 jq wireguard-go wg swanctl unshare; do
  command -v "$tool" >/dev/null || ikm_fail "$tool is missing: run scripts/install-deps.sh"
done
for f in "$IKM_BIN/ikemeshd" "$IKM_BIN/ikemesh" "$IKEMESH_BUILD/plugins"; do
  [[ -e $f ]] || ikm_fail "$f is missing: build ikemeshd ikemesh ikemesh-auth-null ikemesh-kernel-tun first"
done

# Logs of a failed run (or of a path that did not work) are kept here.
artifacts_default=/tmp/ikemesh-bench-artifacts.$(date +%Y%m%d-%H%M%S)
export IKEMESH_ARTIFACTS=${IKEMESH_ARTIFACTS:-$artifacts_default}
ikm_init bench
# netns.sh derives a prefix from the test name; the benchmark's namespaces say what they are.
IKM_PREFIX="ikmbench$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
ikm_log "namespaces $IKM_PREFIX-a and $IKM_PREFIX-b"
clk_tck=$(getconf CLK_TCK)
wait_until_quiet
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the veth pair: 10.15.1.1 (a) <-> 10.15.1.2 (b), inside ikemesh's private 10.15.0.0/16 ---
addr_a=10.15.1.1
addr_b=10.15.1.2
ikm_ns_add a
ikm_ns_add b
ns_a=$(ikm_nsname a)
ns_b=$(ikm_nsname b)
ip -n "$ns_a" link add eth0 type veth peer name eth0 netns "$ns_b"
ip -n "$ns_a" addr add "$addr_a/24" dev eth0
ip -n "$ns_b" addr add "$addr_b/24" dev eth0
for ns in "$ns_a" "$ns_b"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set eth0 up
  # ikemesh's left=%defaultroute needs a default route; it only leads into the veth.
  ip -n "$ns" route add default dev eth0
done

run_a() { ip netns exec "$ns_a" "$@"; }
run_b() { ip netns exec "$ns_b" "$@"; }

# The iperf3 server in b, for the whole run (one test at a time).
ip netns exec "$ns_b" iperf3 -s >"$IKM_TMP/iperf3-server.log" 2>&1 &
ikm_track $!
iperf_server_pid=$!
ikm_wait_for 10 "the iperf3 server" bash -c "ip netns exec $ns_b ss -ltn | grep -q ':5201 '"

# result[PATH,STREAMS] and result[PATH,cpuSTREAMS]: the figures of every round, space-separated;
# unavailable[PATH]: why a path did not run in some round.
declare -A result=() unavailable=()
# measure PATH TARGET PID...: iperf3 from a to TARGET with 1 and 4 TCP streams, records Gbit/s
# and the CPU seconds per Gbit of the given daemon processes (none for the plain veth); then UDP
# packets of 64 and 1400 octets (IP header included, so that every tunnel's MTU takes them
# whole), records the packets per second that arrived.
measure() {
  local path=$1 target=$2
  shift 2
  local streams before after json bps gbit cpu
  for streams in 1 4; do
    before=$( (($# > 0)) && cpu_ticks "$@" || echo 0)
    json="$IKM_TMP/iperf3-$path-$rep-$streams.json"
    # (Not through run_a: a redirected function call would keep the redirection while the
    # EXIT trap runs on Ctrl-C, and swallow its messages.)
    if ! ip netns exec "$ns_a" iperf3 -c "$target" -t "$seconds" -P "$streams" -J >"$json" 2>"$json.err"; then
      ikm_log "$path, $streams stream(s): iperf3 failed: $(jq -r '.error // empty' "$json" 2>/dev/null) $(cat "$json.err")"
      unavailable[$path]="iperf3 failed"
      continue
    fi
    after=$( (($# > 0)) && cpu_ticks "$@" || echo 0)
    bps=$(jq -r '.end.sum_received.bits_per_second' "$json")
    gbit=$(awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }')
    result[$path,$streams]+=" $gbit"
    cpu="-"
    if (($# > 0)); then
      # CPU seconds of the daemons (both ends) per Gbit received.
      cpu=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v b="$bps" -v s="$seconds" \
        'BEGIN { printf "%.2f", (t / hz) / (b * s / 1e9) }')
      result[$path,cpu$streams]+=" $cpu"
    fi
    ikm_log "round $rep, $path, $streams stream(s): $gbit Gbit/s, daemon CPU $cpu s/Gbit"
  done
  local size kpps
  for size in 64 1400; do
    json="$IKM_TMP/iperf3-$path-$rep-udp$size.json"
    # -l is the UDP payload: the packet less 20 octets of IPv4 and 8 of UDP header.
    if ! ip netns exec "$ns_a" iperf3 -c "$target" -u -b 0 -l $((size - 28)) -t "$seconds" -J \
      >"$json" 2>"$json.err"; then
      ikm_log "$path, UDP $size: iperf3 failed: $(jq -r '.error // empty' "$json" 2>/dev/null) $(cat "$json.err")"
      unavailable[$path]="iperf3 failed"
      continue
    fi
    kpps=$(jq -r '.end.sum_received | (.packets - .lost_packets) / .seconds / 1000' "$json")
    kpps=$(awk -v k="$kpps" 'BEGIN { printf "%.1f", k }')
    result[$path,udp$size]+=" $kpps"
    ikm_log "round $rep, $path, UDP $size-octet packets: $kpps thousand per second arrived"
  done
}

# expect_carried PATH BYTES: the tunnel's own counter (BYTES sent by a) covers what iperf3
# received through PATH in this round, so the traffic cannot have gone around the tunnel in the
# clear. (Received, not sent: UDP sent flat out is partly dropped before any tunnel sees it.)
expect_carried() {
  local path=$1 bytes=$2 received
  received=$(cat "$IKM_TMP/iperf3-$path-$rep-"*.json | jq -s 'map(.end.sum_received.bytes // 0) | add')
  ((bytes >= received)) ||
    ikm_fail "$path: the tunnel counted $bytes bytes out, iperf3 received $received: not through the tunnel"
  ikm_log "$path: the tunnel counted $bytes bytes out for iperf3's $received received"
}

# not_available PATH REASON: the path did not run in this round; the row says why if it never did.
not_available() {
  unavailable[$1]=$2
  ikm_log "round $rep, $1: n/a: $2"
}

# stop_tracked PID...: SIGTERM, wait; the daemon must be gone before the next path starts.
stop_tracked() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# The next path must find the veth as the plain path did: only eth0's routes, no extra links.
expect_clean() {
  local ns links
  for ns in "$ns_a" "$ns_b"; do
    links=$(ip -n "$ns" -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' ')
    [[ $links == "eth0 lo " ]] || ikm_log "warning: $1 left links in $ns: $links"
  done
}

# --- 1. plain veth ---
run_veth() {
  ikm_log "round $rep/$reps, 1/4 plain veth"
  measure veth "$addr_b"
}

# --- 2. ikemesh kernel-tun ---
etc="$IKM_TMP/ikemesh-etc"
cp -r "$source_dir/tests/data/tun-mesh" "$etc"
printf '# The benchmark veth.\n10.15.1.0/24\n' >"$etc/policies/private"
# The same ESP cipher as the strongSwan row (the default would be AES-GCM-256).
sed -i 's/^conn private$/&\n\tesp=aes_gcm128/' "$etc/mesh.conf"
run_ikemesh() {
  ikm_log "round $rep/$reps, 2/4 ikemesh kernel-tun"
  local ikemesh_a ikemesh_b traffic out_bytes perf_pids=()
  ikm_start_daemon "ikemesh-a-$rep" "$ns_a" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  ikemesh_a=$IKM_PID
  ikm_start_daemon "ikemesh-b-$rep" "$ns_b" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  ikemesh_b=$IKM_PID
  if run_a ping -c 1 -W 10 "$addr_b" >/dev/null; then
    if [[ -n ${PERF_DIR:-} ]]; then
      mkdir -p "$PERF_DIR"
      perf record -q -g -p "$ikemesh_a" -o "$PERF_DIR/a-$rep.perf.data" >/dev/null 2>&1 &
      perf_pids+=($!)
      perf record -q -g -p "$ikemesh_b" -o "$PERF_DIR/b-$rep.perf.data" >/dev/null 2>&1 &
      perf_pids+=($!)
    fi
    measure ikemesh "$addr_b" "$ikemesh_a" "$ikemesh_b"
    if ((${#perf_pids[@]} > 0)); then
      kill -INT "${perf_pids[@]}" 2>/dev/null || true
      wait "${perf_pids[@]}" 2>/dev/null || true
    fi
    traffic=$("$IKM_BIN/ikemesh" --ctl "$IKM_TMP/ikemesh-a-$rep/run/ikemesh.ctl" trafficstatus)
    echo "$traffic" >"$IKM_TMP/ikemesh-trafficstatus-$rep.txt"
    out_bytes=$(grep -o 'outBytes=[0-9]*' <<<"$traffic" | head -1 | cut -d= -f2)
    expect_carried ikemesh "${out_bytes:-0}"
    ikm_log "ikemesh: $(grep -m1 'CHILD SA up' "$IKM_TMP/ikemesh-a-$rep/daemon.log" | sed 's/.*ike: //')"
  else
    not_available ikemesh "the first ping got no reply"
  fi
  stop_tracked "$ikemesh_a" "$ikemesh_b"
  expect_clean ikemesh
}

# --- 3. wireguard-go ---
# This kernel may have WireGuard built in; wireguard-go refuses to start then unless told.
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1
run_wireguard() {
  ikm_log "round $rep/$reps, 3/4 wireguard-go"
  local wg_dir="$IKM_TMP/wireguard-$rep" key_a key_b wg_a wg_b wg_pid_a wg_pid_b out_bytes
  mkdir -p "$wg_dir/run-a" "$wg_dir/run-b"
  key_a=$(wg genkey)
  key_b=$(wg genkey)
  ikm_private_run "$ns_a" "$wg_dir/run-a"
  wg_a=("${IKM_PRIVATE_RUN[@]}")
  ikm_private_run "$ns_b" "$wg_dir/run-b"
  wg_b=("${IKM_PRIVATE_RUN[@]}")
  "${wg_a[@]}" wireguard-go -f wg0 >"$wg_dir/a.log" 2>&1 &
  wg_pid_a=$!
  ikm_track "$wg_pid_a"
  "${wg_b[@]}" wireguard-go -f wg0 >"$wg_dir/b.log" 2>&1 &
  wg_pid_b=$!
  ikm_track "$wg_pid_b"
  ikm_wait_for 10 "wireguard-go's socket in a" test -S "$wg_dir/run-a/wireguard/wg0.sock"
  ikm_wait_for 10 "wireguard-go's socket in b" test -S "$wg_dir/run-b/wireguard/wg0.sock"
  "${wg_a[@]}" wg set wg0 listen-port 51820 private-key <(echo "$key_a") \
    peer "$(wg pubkey <<<"$key_b")" endpoint "$addr_b:51820" allowed-ips 198.51.100.2/32
  "${wg_b[@]}" wg set wg0 listen-port 51820 private-key <(echo "$key_b") \
    peer "$(wg pubkey <<<"$key_a")" endpoint "$addr_a:51820" allowed-ips 198.51.100.1/32
  ip -n "$ns_a" addr add 198.51.100.1/24 dev wg0
  ip -n "$ns_b" addr add 198.51.100.2/24 dev wg0
  ip -n "$ns_a" link set wg0 up
  ip -n "$ns_b" link set wg0 up
  if run_a ping -c 1 -W 5 198.51.100.2 >/dev/null; then
    measure wireguard-go 198.51.100.2 "$wg_pid_a" "$wg_pid_b"
    out_bytes=$("${wg_a[@]}" wg show wg0 transfer | awk '{ print $3 }')
    expect_carried wireguard-go "${out_bytes:-0}"
  else
    not_available wireguard-go "no reply to a ping through wg0"
  fi
  stop_tracked "$wg_pid_a" "$wg_pid_b"
  expect_clean wireguard-go
}

# --- 4. strongSwan charon + kernel-libipsec ---
# write_swanctl DIR LOCAL REMOTE: swanctl.conf for one end, in DIR.
write_swanctl() {
  local dir=$1 local=$2 remote=$3
  cat >"$dir/swanctl.conf" <<EOF
connections {
  bench {
    version = 2
    local_addrs = $local
    remote_addrs = $remote
    proposals = aes128gcm16-prfsha256-ecp256
    local {
      auth = psk
      id = $local
    }
    remote {
      auth = psk
      id = $remote
    }
    children {
      bench {
        mode = tunnel
        esp_proposals = aes128gcm16
        local_ts = dynamic
        remote_ts = dynamic
      }
    }
  }
}
secrets {
  ike-bench {
    id-a = $addr_a
    id-b = $addr_b
    secret = "$psk"
  }
}
EOF
}
strongswan_missing=$(ikm_strongswan_missing)
psk=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
run_strongswan() {
  ikm_log "round $rep/$reps, 4/4 strongSwan kernel-libipsec"
  if [[ -n $strongswan_missing ]]; then
    not_available strongswan "$strongswan_missing"
    return
  fi
  local charon_a charon_b ss_a ss_b out_bytes
  ikm_strongswan_start "strongswan-a-$rep" "$ns_a"
  charon_a=$IKM_SS_PID
  ss_a=$IKM_SS_DIR
  ikm_strongswan_start "strongswan-b-$rep" "$ns_b"
  charon_b=$IKM_SS_PID
  ss_b=$IKM_SS_DIR
  write_swanctl "$ss_a" "$addr_a" "$addr_b"
  write_swanctl "$ss_b" "$addr_b" "$addr_a"
  if ! ikm_swanctl "$ss_a" "$ns_a" --load-all --file "$ss_a/swanctl.conf" >"$ss_a/load.log" 2>&1; then
    ikm_fail "swanctl --load-all in a: $(cat "$ss_a/load.log")"
  fi
  if ! ikm_swanctl "$ss_b" "$ns_b" --load-all --file "$ss_b/swanctl.conf" >"$ss_b/load.log" 2>&1; then
    ikm_fail "swanctl --load-all in b: $(cat "$ss_b/load.log")"
  fi
  if ! ikm_swanctl "$ss_a" "$ns_a" --initiate --child bench --timeout 20 >"$ss_a/initiate.log" 2>&1; then
    not_available strongswan "swanctl --initiate failed: $(tail -1 "$ss_a/initiate.log")"
  elif ! run_a ping -c 1 -W 5 "$addr_b" >/dev/null; then
    not_available strongswan "no reply to a ping through the tunnel"
  else
    measure strongswan "$addr_b" "$charon_a" "$charon_b"
    ikm_swanctl "$ss_a" "$ns_a" --list-sas >"$ss_a/sas.txt"
    ikm_log "strongSwan CHILD_SA: $(grep -m1 'INSTALLED' "$ss_a/sas.txt" | tr -s ' ')"
    out_bytes=$(awk '$1 == "out" { gsub(",", ""); print $3; exit }' "$ss_a/sas.txt")
    expect_carried strongswan "${out_bytes:-0}"
  fi
  stop_tracked "$charon_a" "$charon_b"
}

# --- the rounds: the four paths in turn, REPS times ---
for ((rep = 1; rep <= reps; rep++)); do
  run_veth
  run_ikemesh
  run_wireguard
  run_strongswan
done

# --- the table ---
# median LIST: the median of space-separated numbers (the mean of the middle two for an even count).
median() {
  tr ' ' '\n' <<<"$1" | grep -E '^[0-9.]+$' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
# cell PATH KEY: "median (min-max)" of the rounds' figures, the one figure of a single round,
# "n/a: why" if the path never ran, or "-" for no figure (the veth's CPU).
cell() {
  local values=${result[$1,$2]:-} low high
  if [[ -z ${values// /} ]]; then
    if [[ -n ${unavailable[$1]:-} && $2 != cpu* ]]; then echo "n/a: ${unavailable[$1]}"; else echo "-"; fi
    return
  fi
  read -r low high < <(tr ' ' '\n' <<<"$values" | grep -E '^[0-9.]+$' | sort -g | awk 'NR == 1 { l = $1 } { h = $1 } END { print l, h }')
  if [[ $low == "$high" && $(wc -w <<<"$values") -eq 1 ]]; then
    echo "$low"
  else
    echo "$(median "$values") ($low-$high)"
  fi
}
ratio() { # ratio PATH_A PATH_B STREAMS: of the medians
  local a b
  a=$(median "${result[$1,$3]:-}")
  b=$(median "${result[$2,$3]:-}")
  if [[ -n $a && -n $b ]] && awk -v b="$b" 'BEGIN { exit !(b > 0) }'; then
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f x", a / b }'
  else
    echo "n/a"
  fi
}
short_label() {
  case $1 in
    veth) echo "plain veth" ;;
    strongswan) echo "strongSwan" ;;
    *) echo "$1" ;;
  esac
}
label() {
  case $1 in
    veth) echo "plain veth (ceiling)" ;;
    ikemesh) echo "ikemesh kernel-tun" ;;
    wireguard-go) echo "wireguard-go" ;;
    strongswan) echo "strongSwan kernel-libipsec" ;;
  esac
}
{
  echo
  echo "iperf3 TCP and UDP, ${seconds} s per run, $(nproc) CPUs, kernel $(uname -r), $(date -u '+%F %H:%M UTC'),"
  echo "load average before the run: $load_before, $QUIET_NOTE (the machine is shared: other work lowers every row)"
  echo "$reps round(s), the four paths in turn in each; median (min-max) of the rounds."
  printf '| %-28s | %-19s | %-19s | %-17s | %-17s | %-21s | %-21s |\n' "path" "Gbit/s 1 stream" \
    "Gbit/s 4 streams" "CPU s/Gbit (1)" "CPU s/Gbit (4)" "UDP 64 B kpackets/s" "UDP 1400 B kpackets/s"
  printf '|%s|%s|%s|%s|%s|%s|%s|\n' "------------------------------" "---------------------" \
    "---------------------" "-------------------" "-------------------" "-----------------------" \
    "-----------------------"
  for path in veth ikemesh wireguard-go strongswan; do
    printf '| %-28s | %-19s | %-19s | %-17s | %-17s | %-21s | %-21s |\n' "$(label $path)" "$(cell $path 1)" \
      "$(cell $path 4)" "$(cell $path cpu1)" "$(cell $path cpu4)" "$(cell $path udp64)" "$(cell $path udp1400)"
  done
  echo
  for peer in wireguard-go strongswan veth; do
    printf '%-23s %s (1 stream), %s (4 streams); UDP %s (64 B), %s (1400 B)\n' \
      "ikemesh / $(short_label $peer):" "$(ratio ikemesh $peer 1)" "$(ratio ikemesh $peer 4)" \
      "$(ratio ikemesh $peer udp64)" "$(ratio ikemesh $peer udp1400)"
  done
  echo "Ratios are of the medians. CPU s/Gbit: utime+stime (/proc/PID/stat) of the two daemons of"
  echo "that path, both ends summed, per Gbit received by iperf3; the kernel's own work (TCP, veth,"
  echo "softirqs not run in those processes) and iperf3 are not in it. UDP: packets (IP header"
  echo "included) sent by one iperf3 as fast as it can, thousands per second that arrived."
} | tee "$IKM_TMP/table.txt"
stop_tracked "$iperf_server_pid"
if ((${#unavailable[@]} > 0)); then
  cp -r "$IKM_TMP"/. "$IKEMESH_ARTIFACTS"/
  ikm_log "a path did not work: its logs are kept in $IKEMESH_ARTIFACTS"
elif [[ $IKEMESH_ARTIFACTS == "$artifacts_default" ]]; then
  rmdir "$IKEMESH_ARTIFACTS"
fi
ikm_pass
