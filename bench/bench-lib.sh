# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers the benchmark scripts share (sourced).

# cpu_ticks PID...: utime+stime of these processes (all their threads), in clock ticks
# (getconf CLK_TCK).
cpu_ticks() {
  local pid total=0 stat fields
  for pid in "$@"; do
    stat=$(<"/proc/$pid/stat")
    stat=${stat##*) } # fields after "(comm) "; field 14 (utime) is the 12th of these
    read -r -a fields <<<"$stat"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}
# rss_kb PID: its resident set size in KiB.
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

# cpu_busy_percent SECONDS: how busy all CPUs were over the next SECONDS, in percent: user,
# system and interrupt time, and steal (time the hypervisor gave to other guests), from /proc/stat.
cpu_busy_percent() {
  local before after
  before=$(head -1 /proc/stat)
  sleep "$1"
  after=$(head -1 /proc/stat)
  awk -v b="$before" -v a="$after" 'BEGIN {
    split(b, x); split(a, y); total = 0; idle = 0
    for (i = 2; i <= 9; i++) total += y[i] - x[i]   # user nice system idle iowait irq softirq steal
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%.0f", (total > 0 ? 100 * (total - idle) / total : 0) }'
}

# wait_until_quiet: before a comparison starts, waits until other work leaves the CPUs alone:
# less than BENCH_QUIET_PERCENT (15) % busy over 3 s, for at most BENCH_QUIET_WAIT (300) s
# (0: no wait). Sets QUIET_NOTE to what it found, for the table's header.
wait_until_quiet() {
  local limit=${BENCH_QUIET_PERCENT:-15} budget=${BENCH_QUIET_WAIT:-300} start=$SECONDS busy waited=0
  busy=$(cpu_busy_percent 3)
  while ((busy >= limit && SECONDS - start < budget)); do
    waited=1
    echo "[$(date +%T)] the CPUs are $busy % busy with other work: waiting for under $limit %" >&2
    sleep 10
    busy=$(cpu_busy_percent 3)
  done
  if ((busy < limit || budget == 0)); then
    QUIET_NOTE="CPUs $busy % busy in the 3 s before the first run"
  else
    QUIET_NOTE="CPUs still $busy % busy after $budget s of waiting for under $limit %: other work ran beside"
  fi
  ((waited)) && QUIET_NOTE+=" (waited $((SECONDS - start)) s)"
  return 0
}
