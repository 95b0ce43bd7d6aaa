#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Opportunistic mesh timings with real ikemeshd (kernel-tun, NULL auth, the config of
# tests/data/tun-mesh) in network namespaces on one bridge:
#   1. first packet: `ping -c 1` to a peer with no SA yet; ping's round trip is the time from
#      its first (held) packet to the reply through the new tunnel. 15 nodes give 105 fresh
#      pairs; BENCH_FRESH_PEERS (default 100) of them are measured one after the other. In the
#      same run: a second ping through each of those tunnels, and pings in the clear to a host
#      in the `clear` group, as baselines.
#   2. mesh bring-up: N nodes (32, 64 and 128, BENCH_MESH_SIZES), all started; then every node
#      pings every other node at once (one icmp_fanout.py per node, N - 1 targets, no retries);
#      the time until every ping is answered and every node shows N - 1 tunnels.
# It prints one table; bench/README.md says what each row means.
#
# Run as root, from the source tree, after building ikemeshd, ikemesh and the auth-null and
# kernel-tun plugins:   sudo bench/mesh_bench.sh [BUILD_DIR]   (default: ./build)
# BENCH_KEEP=DIR keeps the logs. Not a test: it is not registered in ctest. Everything it creates (namespaces
# ikmbench<random>-*, processes, files in /tmp) is removed by the EXIT trap of
# tests/lib/netns.sh on every exit path; processes are ended by PID.

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IKEMESH_BUILD=$(cd "${1:-$source_dir/build}" && pwd)
export IKEMESH_BUILD
# shellcheck source=SCRIPTDIR/../tests/lib/netns.sh
source "$source_dir/tests/lib/netns.sh"

fresh_peers=${BENCH_FRESH_PEERS:-100}
read -ra mesh_sizes <<<"${BENCH_MESH_SIZES:-32 64 128}"
((EUID == 0)) || ikm_fail "run as root (it creates network namespaces)"
for tool in python3 jq; do
  command -v "$tool" >/dev/null || ikm_fail "$tool is missing: run scripts/install-deps.sh"
done
for f in "$IKM_BIN/ikemeshd" "$IKM_BIN/ikemesh" "$IKEMESH_BUILD/plugins"; do
  [[ -e $f ]] || ikm_fail "$f is missing: build ikemeshd ikemesh ikemesh-auth-null ikemesh-kernel-tun first"
done
artifacts_default=/tmp/ikemesh-bench-artifacts.$(date +%Y%m%d-%H%M%S)
export IKEMESH_ARTIFACTS=${IKEMESH_ARTIFACTS:-$artifacts_default}
ikm_init mesh-bench
IKM_PREFIX="ikmbench$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
etc="$source_dir/tests/data/tun-mesh"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A pid ctl

# start_mesh N: N nodes 10.15.1.1..N with a daemon each (started in parallel), and the
# `clear` gateway 10.15.0.1 without one. The previous mesh, if any, is gone first.
start_mesh() {
  local n=$1 i
  stop_mesh
  ikm_lan
  ikm_node gw 10.15.0.1/16
  local -a names=(gw)
  for ((i = 1; i <= n; i++)); do
    ikm_node "n$i" "10.15.1.$i/16"
    names+=("n$i")
  done
  ikm_static_neighbours "${names[@]}"
  for ((i = 1; i <= n; i++)); do
    ikm_spawn_daemon "mesh$n-n$i" "$(ikm_nsname "n$i")" -- --config "$etc/mesh.conf" \
      --plugindir "$IKEMESH_BUILD/plugins"
    pid[$i]=$IKM_PID
    ctl[$i]=$IKM_CTL
  done
  for ((i = 1; i <= n; i++)); do ikm_wait_daemon "mesh$n-n$i" "${pid[$i]}" "${ctl[$i]}" 120; done
  mesh_nodes=$n
}
stop_mesh() {
  local i ns
  for ((i = 1; i <= ${mesh_nodes:-0}; i++)); do ikm_stop_daemon "${pid[$i]}"; done
  for ns in "${IKM_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  IKM_NAMESPACES=()
  mesh_nodes=0
}
run() { ip netns exec "$(ikm_nsname "$1")" "${@:2}"; }
rtt_of() { sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p'; }
# stats: "median p95 min max" of the numbers on stdin (one a line), 2 decimals.
stats() {
  sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) { print "- - - -"; exit }
    p95 = int(NR * 0.95 + 0.999); if (p95 > NR) p95 = NR
    printf "%.2f %.2f %.2f %.2f\n", (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2), v[p95], v[1], v[NR] }'
}
millis_of() { date -d "$1" +%s%3N; }

# --- 1. the first packet through a new tunnel ---------------------------------------------
first_nodes=2
while ((first_nodes * (first_nodes - 1) / 2 < fresh_peers)); do ((++first_nodes)); done
ikm_log "first packet: $first_nodes nodes, $fresh_peers fresh pairs"
start_mesh "$first_nodes"
: >"$IKM_TMP/first.txt"
: >"$IKM_TMP/second.txt"
: >"$IKM_TMP/ike.txt"
measured=0
for ((i = 1; i <= first_nodes && measured < fresh_peers; i++)); do
  for ((j = i + 1; j <= first_nodes && measured < fresh_peers; j++)); do
    out=$(run "n$i" ping -n -c 1 -W 5 "10.15.1.$j") || ikm_fail "n$i -> n$j: no reply to the first ping: $out"
    rtt_of <<<"$out" >>"$IKM_TMP/first.txt"
    run "n$i" ping -n -c 1 -W 5 "10.15.1.$j" | rtt_of >>"$IKM_TMP/second.txt"
    # Where the time goes: the initiator's log from the acquire's IKE_SA_INIT to the IKE SA.
    log="$IKM_TMP/mesh$first_nodes-n$i/daemon.log"
    started=$(grep "initiating private to 10.15.1.$j:500" "$log" | tail -1 | cut -c1-23)
    done_at=$(grep "established with 10.15.1.$j:" "$log" | tail -1 | cut -c1-23)
    [[ -n $started && -n $done_at ]] && echo $(($(millis_of "$done_at") - $(millis_of "$started"))) >>"$IKM_TMP/ike.txt"
    ((++measured))
  done
done
for ((k = 0; k < fresh_peers; k++)); do run n1 ping -n -c 1 -W 2 10.15.0.1 | rtt_of; done >"$IKM_TMP/clear.txt"
read -r first_med first_p95 first_min first_max < <(stats <"$IKM_TMP/first.txt")
read -r second_med second_p95 second_min second_max < <(stats <"$IKM_TMP/second.txt")
read -r clear_med clear_p95 clear_min clear_max < <(stats <"$IKM_TMP/clear.txt")
read -r ike_med ike_p95 ike_min ike_max < <(stats <"$IKM_TMP/ike.txt")
rss_first=$(for ((i = 1; i <= first_nodes; i++)); do awk '/^VmRSS:/ {print $2}' "/proc/${pid[$i]}/status"; done | stats)

# --- 2. mesh bring-up ---------------------------------------------------------------------
declare -A up_ms answered_ms tunnels_of rss_of start_ms
for n in "${mesh_sizes[@]}"; do
  ikm_log "mesh bring-up: $n nodes, every node pings every other"
  t0=$(date +%s%3N)
  start_mesh "$n"
  start_ms[$n]=$(($(date +%s%3N) - t0))
  # The pingers start first and wait for the go file: starting 64 processes in namespaces
  # takes seconds on a busy machine, and that is not the mesh's time.
  go="$IKM_TMP/go-$n"
  fanout_pids=()
  for ((i = 1; i <= n; i++)); do
    targets=()
    for ((j = 1; j <= n; j++)); do ((j == i)) || targets+=("10.15.1.$j"); done
    run "n$i" "$source_dir/bench/icmp_fanout.py" --go "$go" 30 "${targets[@]}" \
      >"$IKM_TMP/fanout-$n-$i.txt" 2>"$IKM_TMP/fanout-$n-$i.err" &
    fanout_pids+=($!)
  done
  all_ready() { (($(cat "$IKM_TMP"/fanout-"$n"-*.err | grep -c '^ready$') == n)); }
  ikm_wait_for 120 "$n pingers to be ready" all_ready
  t0=$(date +%s%3N)
  touch "$go"
  failed=0
  for p in "${fanout_pids[@]}"; do wait "$p" || ((++failed)); done
  answered_ms[$n]=$(($(date +%s%3N) - t0))
  ((failed == 0)) || ikm_fail "mesh of $n: $failed node(s) had unanswered pings (see fanout-$n-*.txt and .err)"
  all_tunnels() {
    local i count
    for ((i = 1; i <= n; i++)); do
      count=$("$IKM_BIN/ikemesh" --ctl "${ctl[$i]}" trafficstatus | grep -c "type=ESP" || true)
      ((count == n - 1)) || return 1
    done
  }
  ikm_wait_for 60 "every node of $n to show $((n - 1)) tunnels" all_tunnels
  up_ms[$n]=$(($(date +%s%3N) - t0))
  tunnels_of[$n]=$((n * (n - 1) / 2))
  rss_of[$n]=$(for ((i = 1; i <= n; i++)); do awk '/^VmRSS:/ {print $2}' "/proc/${pid[$i]}/status"; done | stats)
done
stop_mesh

# --- the table ------------------------------------------------------------------------------
{
  echo "ikemesh opportunistic mesh, kernel-tun, NULL auth, $(nproc) CPUs, kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo "load average before the run: $load_before (the machine is shared: other work slows every row)"
  echo
  printf '| %-52s | %8s | %8s | %8s | %8s |\n' "round trip of one ping (ms), $fresh_peers samples" median p95 min max
  printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" "----------" "----------" "----------" "----------"
  printf '| %-52s | %8s | %8s | %8s | %8s |\n' "first packet through a new tunnel (IKE + ESP)" "$first_med" "$first_p95" "$first_min" "$first_max"
  printf '| %-52s | %8s | %8s | %8s | %8s |\n' "  of which IKE_SA_INIT..IKE_AUTH done (daemon log)" "$ike_med" "$ike_p95" "$ike_min" "$ike_max"
  printf '| %-52s | %8s | %8s | %8s | %8s |\n' "second packet through the same tunnel (ESP)" "$second_med" "$second_p95" "$second_min" "$second_max"
  printf '| %-52s | %8s | %8s | %8s | %8s |\n' "in the clear (the clear group's gateway)" "$clear_med" "$clear_p95" "$clear_min" "$clear_max"
  echo
  printf '| %-6s | %-7s | %-20s | %-20s | %-22s | %-27s |\n' nodes tunnels "daemons started (ms)" "all pings answered (ms)" "fully meshed after (ms)" "RSS per daemon kB (med/max)"
  printf '|%s|%s|%s|%s|%s|%s|\n' "--------" "---------" "----------------------" "-------------------------" "------------------------" "-----------------------------"
  for n in "${mesh_sizes[@]}"; do
    read -r rmed _ _ rmax <<<"${rss_of[$n]}"
    printf '| %-6s | %-7s | %-20s | %-23s | %-22s | %-27s |\n' "$n" "${tunnels_of[$n]}" "${start_ms[$n]}" "${answered_ms[$n]}" "${up_ms[$n]}" "${rmed%.00} / ${rmax%.00}"
  done
  echo
  echo "Goals (issue 6): first-packet median < 5 ms; 64 nodes fully meshed < 20 s."
  echo "RSS after the first-packet run ($first_nodes daemons, up to $((first_nodes - 1)) tunnels each): median $(cut -d'.' -f1 <<<"$rss_first") kB"
} | tee "$IKM_TMP/table.txt"
# BENCH_KEEP=DIR keeps the daemon logs and ping outputs (where the time went) in DIR.
if [[ -n ${BENCH_KEEP:-} ]]; then
  mkdir -p "$BENCH_KEEP"
  cp -r "$IKM_TMP"/. "$BENCH_KEEP"/
fi
# A run that passed keeps no logs: the folder for them goes too (it is empty).
if [[ $IKEMESH_ARTIFACTS == "$artifacts_default" ]]; then rmdir "$IKEMESH_ARTIFACTS" 2>/dev/null || true; fi
ikm_pass
