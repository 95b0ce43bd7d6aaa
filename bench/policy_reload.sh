#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Control plane with a large policy: ikemeshd (kernel-tun dataplane) with CIDRS random CIDRs
# (/8 to /32, distinct) spread over the policy groups private, private-or-clear, clear and
# block; the time from start until the control socket answers, and the time of `ikemesh
# reload` (wall clock of the command, and the daemon's CPU time for it), once with the files
# unchanged and once with every CIDR replaced, REPS times, median (min-max). Then
# build/bench/policy_lookup_bench with the same number of CIDRs for the lookup rate.
#
# Run as root from the source tree:   sudo bench/policy_reload.sh [BUILD_DIR]   (default ./build)
# Environment: CIDRS (100000), REPS (3); PERF_DIR (unset): a folder for `perf record -g` of
# ikemeshd during its start and each reload (KIND-REP.perf.data).
#
# No peer runs here: Libreswan's pluto makes one connection instance and one kernel policy per
# CIDR of a group, and this host's kernel has no XFRM (pluto's interop tests see errno 38), so
# it cannot load such groups for a comparison (see bench/README.md).
#
# Topology: one namespace with a veth pair (both ends inside), 10.15.0.1/24 on one end and a
# default route through it (left=%defaultroute needs one); nothing is sent. Namespaces, processes and files are removed
# by the EXIT trap of tests/lib/netns.sh on every exit path.

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IKEMESH_BUILD=$(cd "${1:-$source_dir/build}" && pwd)
export IKEMESH_BUILD
# shellcheck source=SCRIPTDIR/../tests/lib/netns.sh
source "$source_dir/tests/lib/netns.sh"
# shellcheck source=SCRIPTDIR/bench-lib.sh
source "$source_dir/bench/bench-lib.sh"

cidrs=${CIDRS:-100000}
reps=${REPS:-3}
((EUID == 0)) || ikm_fail "run as root (it creates a network namespace)"
for f in "$IKM_BIN/ikemeshd" "$IKM_BIN/ikemesh" "$IKEMESH_BUILD/plugins" "$IKEMESH_BUILD/bench/policy_lookup_bench"; do
  [[ -e $f ]] || ikm_fail "$f is missing: build ikemeshd ikemesh policy_lookup_bench and the plugins first"
done
ikm_init policy-reload
clk_tck=$(getconf CLK_TCK)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

ikm_ns_add n
ns=$(ikm_nsname n)
ip -n "$ns" link add eth0 type veth peer name eth1 # (no dummy module on every kernel)
ip -n "$ns" link set eth1 up
ip -n "$ns" addr add 10.15.0.1/24 dev eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" route add default via 10.15.0.254 dev eth0

etc="$IKM_TMP/etc"
mkdir -p "$etc/policies"
groups=(private private-or-clear clear block)
# write_policies SEED: CIDRS distinct random CIDRs into the four group files.
write_policies() {
  awk -v n="$cidrs" -v seed="$1" -v dir="$etc/policies" 'BEGIN {
    srand(seed); split("private private-or-clear clear block", g, " ")
    for (f in g) printf "# %d random CIDRs, seed %d\n", n, seed > (dir "/" g[f])
    while (count < n) {
      len = 8 + int(rand() * 25)
      a = int(rand() * 4294967296); size = 2 ^ (32 - len); a = a - a % size
      key = a "/" len
      if (key in seen) continue
      seen[key] = 1; count++
      printf "%d.%d.%d.%d/%d\n", int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256, len > (dir "/" g[1 + int(rand() * 4)])
    }
  }'
}
write_policies 1
{
  printf 'config setup\n\tdataplane=tun\n\n'
  for group in "${groups[@]}"; do
    type=transport
    [[ $group == clear ]] && type=passthrough
    [[ $group == block ]] && type=drop
    printf 'conn %s\n\tauto=ondemand\n\ttype=%s\n\tauthby=null\n\tleftid=%%null\n\trightid=%%null\n' "$group" "$type"
    printf '\tleft=%%defaultroute\n\tright=%%group\n\n'
  done
} >"$etc/mesh.conf"
ikm_log "$cidrs CIDRs in $(wc -l "$etc"/policies/* | tail -1 | awk '{print $1}') lines of ${#groups[@]} group files"

now_ms() { date +%s%3N; }
perf_pid=""
# perf_start KIND / perf_stop: with PERF_DIR, a profile of the daemon ($IKM_PID) meanwhile.
perf_start() {
  [[ -n ${PERF_DIR:-} ]] || return 0
  mkdir -p "$PERF_DIR"
  perf record -q -g -p "$IKM_PID" -o "$PERF_DIR/$1-$rep.perf.data" >/dev/null 2>&1 &
  perf_pid=$!
  ikm_track "$perf_pid"
  sleep 0.3
}
perf_stop() {
  [[ -n $perf_pid ]] || return 0
  kill -INT "$perf_pid"
  wait "$perf_pid" 2>/dev/null || true
  perf_pid=""
}

results="$IKM_TMP/results.tsv"
: >"$results"
for ((rep = 1; rep <= reps; rep++)); do
  write_policies 1
  start=$(now_ms)
  ikm_spawn_daemon "ikemesh-$rep" "$ns" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  perf_start start
  ikm_wait_daemon "ikemesh-$rep" "$IKM_PID" "$IKM_CTL" 600
  started=$(now_ms)
  perf_stop
  pid=$IKM_PID
  ctl=$IKM_CTL
  printf 'start\t%s\t%s\n' "$((started - start))" "$(cpu_ticks "$pid")" >>"$results"
  rss=$(rss_kb "$pid")
  printf 'rss\t%s\t0\n' "$rss" >>"$results"
  for kind in unchanged replaced; do
    [[ $kind == replaced ]] && write_policies $((rep + 1))
    perf_start "$kind"
    before=$(cpu_ticks "$pid")
    t0=$(now_ms)
    out=$("$IKM_BIN/ikemesh" --ctl "$ctl" reload 2>&1) || ikm_fail "ikemesh reload ($kind): $out"
    t1=$(now_ms)
    after=$(cpu_ticks "$pid")
    perf_stop
    printf '%s\t%s\t%s\n' "$kind" "$((t1 - t0))" "$((after - before))" >>"$results"
    ikm_log "rep $rep, reload with the files $kind: $((t1 - t0)) ms, daemon CPU $(((after - before) * 1000 / clk_tck)) ms: ${out%%$'\n'*}"
  done
  ikm_stop_daemon "$pid"
done

# stats KIND COLUMN: "median min max" (column 2: wall ms; 3: CPU ticks, printed in ms).
stats() {
  awk -F'\t' -v k="$1" -v c="$2" -v hz="$clk_tck" '$1 == k { v = $c; if (c == 3) v = v * 1000 / hz; print v }' "$results" |
    sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.0f (%.0f-%.0f)\n", m, v[1], v[NR] }'
}
{
  echo
  echo "ikemeshd with $cidrs random CIDRs (/8../32) in 4 policy groups, kernel-tun dataplane, $(nproc) CPUs,"
  echo "kernel $(uname -r), $(date -u '+%F %H:%M UTC'); load average before the run: $load_before"
  echo "(shared machine). $reps runs, median (min-max); CPU: utime+stime of ikemeshd over the step."
  printf '| %-46s | %-17s | %-17s |\n' step "wall ms" "daemon CPU ms"
  printf '|%s|%s|%s|\n' ------------------------------------------------ ------------------- -------------------
  printf '| %-46s | %-17s | %-17s |\n' "start until the control socket answers" "$(stats start 2)" "$(stats start 3)"
  printf '| %-46s | %-17s | %-17s |\n' "ikemesh reload, files unchanged" "$(stats unchanged 2)" "$(stats unchanged 3)"
  printf '| %-46s | %-17s | %-17s |\n' "ikemesh reload, every CIDR replaced" "$(stats replaced 2)" "$(stats replaced 3)"
  echo "RSS after start: $(stats rss 2) KiB"
  echo
  "$IKEMESH_BUILD/bench/policy_lookup_bench" "$cidrs"
} | tee "$IKM_TMP/table.txt"
ikm_pass
