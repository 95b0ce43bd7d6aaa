#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every benchmark in bench/ and writes bench/results/REPORT.md with their tables and PNG
# plots (gnuplot). Each comparison benchmark measures ikemesh and its peer in the same run:
#   ike_load.sh        IKE handshakes/s, latency, responder CPU and memory: ikemeshd vs charon
#   tun_throughput.sh  iperf3 through ikemesh, wireguard-go, strongSwan kernel-libipsec, veth
#   mesh_*.sh          any mesh bring-up / first-packet benchmarks present in bench/
#   policy_reload.sh   start and `ikemesh reload` with 100,000 CIDRs, and policy_lookup_bench
# and the one-process microbenchmarks (ike_crypto_bench, ike_handshake_bench, tun_esp_bench),
# which have no peer to run beside.
#
# Run as root from the source tree:   sudo bash bench/run-all.sh [BUILD_DIR]   (default ./build)
# It builds the targets it needs in BUILD_DIR first (a configured tree; Release recommended).
# Environment: passed through to the scripts (REPS, HANDSHAKES, MEM_COUNTS, BENCH_SECONDS, ...).
# Raw outputs go to bench/results/raw/; a failing benchmark is reported in REPORT.md and the
# run goes on. The scripts clean up their own namespaces on every exit path.
set -uo pipefail
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$source_dir/build}" && pwd) || exit 1
results="$source_dir/bench/results"
raw="$results/raw"
((EUID == 0)) || { echo "run-all.sh: run as root (the scripts create network namespaces)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "run-all.sh: gnuplot is missing: run scripts/install-deps.sh" >&2; exit 1; }
# The code measured: the commit, "-dirty" if tracked files other than bench/results (which this
# run rewrites) differ from it. Read before anything is written.
version=$(git -C "$source_dir" describe --always 2>/dev/null || echo unknown)
if [[ -n $(git -C "$source_dir" status --porcelain --untracked-files=no -- . ':!bench/results' 2>/dev/null) ]]; then
  version+="-dirty"
fi
rm -rf "$raw"
mkdir -p "$raw"
log() { printf '[%s] run-all: %s\n' "$(date +%T)" "$*" >&2; }

log "building the benchmarks and the daemons in $build"
cmake --build "$build" -j2 --target ikemeshd ikemesh ikemesh-auth-null ikemesh-auth-x509 ikemesh-kernel-tun \
  ike_crypto_bench ike_handshake_bench policy_lookup_bench tun_esp_bench ike_load_generator >"$raw/build.log" 2>&1 ||
  { echo "run-all.sh: the build failed, see $raw/build.log" >&2; exit 1; }

# What else runs on the machine: the load average and the compilers at the start of each step.
machine_load() {
  echo "load $(cut -d' ' -f1-3 /proc/loadavg), $(ps -eo comm= | grep -cE '^(cc1plus|cc1|clang|clang\+\+|ld)$') compiler processes"
}
declare -a steps=()
declare -A step_status step_seconds step_load
# step NAME COMMAND...: runs one benchmark, stdout to raw/NAME.txt, stderr to raw/NAME.log.
step() {
  local name=$1 start status
  shift
  steps+=("$name")
  step_load[$name]=$(machine_load)
  log "$name (${step_load[$name]})"
  start=$SECONDS
  "$@" >"$raw/$name.txt" 2>"$raw/$name.log"
  status=$?
  step_status[$name]=$status
  step_seconds[$name]=$((SECONDS - start))
  ((status == 0)) || log "$name failed (exit $status), see $raw/$name.log"
}

load_start=$(machine_load)
started=$(date -u '+%F %H:%M UTC')
step ike_crypto_bench "$build/bench/ike_crypto_bench"
step ike_handshake_bench "$build/bench/ike_handshake_bench" 2000
step tun_esp_bench "$build/bench/tun_esp_bench"
step ike_load env BENCH_RESULTS="$raw" bash "$source_dir/bench/ike_load.sh" "$build"
step tun_throughput bash "$source_dir/bench/tun_throughput.sh" "$build"
step policy_reload bash "$source_dir/bench/policy_reload.sh" "$build"
for mesh in "$source_dir"/bench/mesh_*.sh; do
  [[ -e $mesh ]] || continue
  name=$(basename "$mesh" .sh)
  step "$name" bash "$mesh" "$build"
done

# --- plots ---
plots=()
# bar_chart PNG TITLE SETTINGS DAT COLUMNS: a clustered bar chart of $raw/DAT into $results/PNG.
# SETTINGS are the chart's own gnuplot lines (axes, key), COLUMNS what its plot command takes
# after the file name.
bar_chart() {
  gnuplot <<EOF
set terminal pngcairo size 800,450
set bmargin 5
set output "$results/$1"
set title "$2"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
$3
plot "$raw/$4" $5
EOF
  plots+=("$1")
}
# IKE handshakes/s: median per responder and auth, from ike_load.tsv.
if [[ -s $raw/ike_load.tsv ]]; then
  awk -F'\t' 'NR > 1 { v[$2 FS $1] = v[$2 FS $1] " " $4; seen[$2] = 1 }
    function median(s,   a, n, i, j, t) { n = split(s, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END { for (auth in seen) printf "%s\t%s\t%s\n", auth, median(v[auth FS "ikemesh"]),
      (auth FS "charon") in v ? median(v[auth FS "charon"]) : 0 }' "$raw/ike_load.tsv" | sort >"$raw/ike_load.dat"
  bar_chart ike_handshakes.png "IKEv2 full handshakes per second against one responder (median)" \
    $'set ylabel "handshakes/s"\nset yrange [0:*]\nset key top right' \
    ike_load.dat 'using 2:xtic(1) title "ikemeshd", "" using 3 title "strongSwan charon"'
fi
if [[ -s $raw/ike_memory.tsv ]]; then
  # Grouped by the tunnels asked for (column 6); older TSVs have only the tunnels up (column 2).
  awk -F'\t' 'NR > 1 { k = $6 != "" ? $6 : $2; v[k FS $1] = $5; n[k] = 1 }
    END { for (k in n) printf "%s\t%s\t%s\n", k, v[k FS "ikemesh"] / 1024, v[k FS "charon"] / 1024 }' \
    "$raw/ike_memory.tsv" | sort -n >"$raw/ike_memory.dat"
  bar_chart ike_memory.png "Responder memory per IKE SA + CHILD SA (VmRSS growth / tunnels)" \
    $'set ylabel "KiB per tunnel"\nset xlabel "tunnels asked for (see the table for how many came up)"\nset key top left\nset yrange [0:*]' \
    ike_memory.dat 'using 2:xtic(1) title "ikemeshd", "" using 3 title "strongSwan charon"'
fi
# Throughput: the rows of tun_throughput.sh's table.
if grep -q '^| ikemesh kernel-tun' "$raw/tun_throughput.txt" 2>/dev/null; then
  awk -F'|' '/^\| (plain veth|ikemesh|wireguard|strongSwan)/ {
      name = $2; gsub(/^ +| +$/, "", name); gsub(/ /, "\\n", name)
      one = $3 + 0; four = $4 + 0; udp64 = $7 + 0; udp1400 = $8 + 0
      printf "\"%s\"\t%s\t%s\t%s\t%s\n", name, one, four, udp64, udp1400 }' \
    "$raw/tun_throughput.txt" >"$raw/tun_throughput.dat"
  bar_chart tun_throughput.png "iperf3 TCP through each tunnel on one veth pair" \
    $'set ylabel "Gbit/s"\nset logscale y\nset yrange [0.01:*]' \
    tun_throughput.dat 'using 2:xtic(1) title "1 stream", "" using 3 title "4 streams"'
  bar_chart tun_udp.png "iperf3 UDP packets that arrived through each tunnel (one sender, -b 0)" \
    $'set ylabel "thousand packets/s"\nset logscale y\nset yrange [1:*]' \
    tun_throughput.dat 'using 4:xtic(1) title "64 octets", "" using 5 title "1400 octets"'
fi

# --- REPORT.md ---
section() { # section NAME TITLE: the step's status, duration, machine load and its output.
  local name=$1 title=$2
  echo "## $title"
  echo
  if [[ -z ${step_status[$name]:-} ]]; then
    echo "(not run)"
    echo
    return
  fi
  echo "\`$name\`: exit ${step_status[$name]}, ${step_seconds[$name]} s; at its start: ${step_load[$name]}."
  echo
  echo '```'
  if ((step_status[$name] == 0)); then
    grep -v '^\[[0-9:.]*\]' "$raw/$name.txt"
  else
    tail -20 "$raw/$name.txt"
    echo "--- last lines of its log ---"
    tail -20 "$raw/$name.log"
  fi
  echo '```'
  echo
}
{
  echo "# ikemesh benchmarks"
  echo
  echo "Written by \`bench/run-all.sh\` ($started to $(date -u '+%H:%M UTC')) on $(nproc) CPUs"
  echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), kernel $(uname -r),"
  echo "ikemesh $version"
  echo "($(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2) build), strongSwan $("/usr/lib/ipsec/charon" --version 2>/dev/null | head -1 || dpkg-query -W -f '${Version}' strongswan-charon 2>/dev/null),"
  echo "wireguard-go $(dpkg-query -W -f '${Version}' wireguard-go 2>/dev/null)."
  echo
  echo "**Machine load:** the host is shared with other developers' builds on the same cores."
  echo "At the start: $load_start; at the end: $(machine_load). Each section gives the load"
  echo "when it started. Every comparison runs ikemesh and its peer in the same run, alternating"
  echo "where it repeats, so the load hits both; absolute figures move with it, ratios less."
  echo
  for plot in "${plots[@]}"; do echo "![$plot]($plot)"; done
  echo
  section ike_load "IKE handshakes, latency, responder CPU and memory: ikemeshd vs strongSwan charon (bench/ike_load.sh)"
  section tun_throughput "Dataplane throughput: ikemesh vs wireguard-go vs strongSwan kernel-libipsec (bench/tun_throughput.sh)"
  for name in "${steps[@]}"; do
    [[ $name == mesh_* ]] && section "$name" "Mesh: $name (bench/$name.sh)"
  done
  section policy_reload "Control plane: start, reload and policy lookups with 100,000 CIDRs (bench/policy_reload.sh; ikemesh alone, see bench/README.md)"
  echo "## One-process microbenchmarks (ikemesh alone: no peer runs the same code)"
  echo
  section ike_crypto_bench "IKE crypto (ike_crypto_bench)"
  section ike_handshake_bench "Two engines in one process (ike_handshake_bench)"
  section tun_esp_bench "kernel-tun ESP fast path, one core (tun_esp_bench)"
} >"$results/REPORT.md"
log "wrote $results/REPORT.md"
failed=0
for name in "${steps[@]}"; do ((step_status[$name] == 0)) || failed=1; done
exit $failed
