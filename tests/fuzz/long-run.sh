#!/usr/bin/env bash
# Long fuzzing runs (security.md, issue #13): every libFuzzer harness of a fuzz build for
# SECONDS each, JOBS at a time, each from a fresh copy of its seed corpus; prints a table of
# executions, coverage (libFuzzer's `cov`: instrumented edges of our code; NSS, ldns and Qt
# are not instrumented) and features, CPU time, and any crash, leak or timeout artifact.
#   usage: tests/fuzz/long-run.sh [--build DIR] [--seconds N] [--jobs J] [--out DIR] [NAME...]
# Exit status 1 when any harness found something (its artifact is kept in OUT/NAME/).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-fuzz
seconds=1800
jobs=2
out=${TMPDIR:-/tmp}/ikemesh-fuzz-long
names=()
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "long-run.sh: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
[[ -d $build/tests/fuzz ]] || { echo "long-run.sh: no fuzz build in $build (scripts/test.sh makes one)" >&2; exit 2; }
if ((${#names[@]} == 0)); then
  for binary in "$build"/tests/fuzz/*_fuzz; do names+=("$(basename "${binary%_fuzz}")"); done
fi
mkdir -p "$out"

# One harness: fresh corpus from the seeds, the run's log, its CPU time from /usr/bin/time.
run_one() {
  local name=$1 dir=$out/$1 options=()
  rm -rf "$dir" && mkdir -p "$dir/corpus"
  cp -r "$root/tests/fuzz/corpus/$name/." "$dir/corpus/" 2>/dev/null || true
  [[ -f $root/tests/fuzz/$name.dict ]] && options+=("-dict=$root/tests/fuzz/$name.dict")
  [[ $name == pkcs12_import ]] && export LSAN_OPTIONS=suppressions=$root/tests/fuzz/nss-decoder.supp
  (cd "$dir" && /usr/bin/time -f '%U %S' -o "$dir/cpu" \
    "$build/tests/fuzz/${name}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$dir/" "${options[@]}" "$dir/corpus" >"$dir/log" 2>&1) || true
}

pids=()
for name in "${names[@]}"; do
  [[ -x $build/tests/fuzz/${name}_fuzz ]] || { echo "long-run.sh: no harness $name" >&2; exit 2; }
  run_one "$name" &
  pids+=($!)
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
done
wait

found=0
printf '| harness | seconds | CPU s | executions | exec/s | cov | ft | corpus | found |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for name in "${names[@]}"; do
  dir=$out/$name
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/log" | tail -1 || true)
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$dir/cpu" 2>/dev/null || echo "?")
  corpus=$(find "$dir/corpus" -type f | wc -l)
  artifacts=$(find "$dir" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | wc -l)
  what=none
  if ((artifacts > 0)) || [[ -z $done_line ]]; then
    what="$artifacts artifact(s), see $dir/log"
    found=1
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$seconds" "$cpu" "${executions:-?}" \
    "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$what"
done
exit $found
