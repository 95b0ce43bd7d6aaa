# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers the benchmark scripts share (sourced).

# cpu_ticks PID: utime+stime of the process (all its threads), in clock ticks (getconf CLK_TCK).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  read -r -a fields <<<"$stat"
  echo $((fields[11] + fields[12]))
}
# rss_kb PID: its resident set size in KiB.
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
