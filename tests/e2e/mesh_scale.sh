#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scale (issue 6): 32 nodes, one ikemeshd each (kernel-tun, NULL auth, the same files on every
# node), on one bridge. Every node pings 8 others chosen at random, all at the same moment;
# every ping must be answered (through a new tunnel: the first packet waits for IKE), and in
# the end every node shows exactly one tunnel per peer it talked to, whichever side initiated
# (pairs that chose each other initiate at the same moment). Prints the time for the whole
# mesh to come up, the first-ping round trips, and the RSS per daemon (VmRSS: min/median/max).
# IKEMESH_SCALE_NODES and IKEMESH_SCALE_PEERS change the size; IKEMESH_SCALE_SEED the draw.
source "$IKEMESH_TEST_LIB"
ikm_init mesh-scale
nodes=${IKEMESH_SCALE_NODES:-32}
peers=${IKEMESH_SCALE_PEERS:-8}
seed=${IKEMESH_SCALE_SEED:-$$}
((nodes <= 250 && peers < nodes)) || ikm_fail "IKEMESH_SCALE_NODES=$nodes, IKEMESH_SCALE_PEERS=$peers"
etc="$IKEMESH_SOURCE/tests/data/tun-mesh"
ikm_log "$nodes nodes, $peers random peers each, seed $seed"

ikm_lan
names=()
for ((i = 1; i <= nodes; i++)); do
  ikm_node "n$i" "10.15.1.$i/16"
  names+=("n$i")
done
ikm_static_neighbours "${names[@]}"
started_ms=$(date +%s%3N)
declare -A pid ctl
for ((i = 1; i <= nodes; i++)); do
  ikm_spawn_daemon "n$i" "$(ikm_nsname "n$i")" -- --config "$etc/mesh.conf" --plugindir "$IKEMESH_BUILD/plugins"
  pid[$i]=$IKM_PID
  ctl[$i]=$IKM_CTL
done
for ((i = 1; i <= nodes; i++)); do ikm_wait_daemon "n$i" "${pid[$i]}" "${ctl[$i]}" 60; done
ikm_log "$nodes daemons up in $(($(date +%s%3N) - started_ms)) ms"

# The draw: `peers` distinct others per node. talks[i] lists every peer node i has a tunnel
# with in the end (the ones it pinged and the ones that pinged it).
RANDOM=$seed
declare -A chosen talks
for ((i = 1; i <= nodes; i++)); do
  picked=" "
  while (($(wc -w <<<"$picked") < peers)); do
    j=$((RANDOM % nodes + 1))
    ((j == i)) || [[ $picked == *" $j "* ]] || picked+="$j "
  done
  chosen[$i]=$picked
  for j in $picked; do
    [[ ${talks[$i]:-} == *" $j "* ]] || talks[$i]+=" $j "
    [[ ${talks[$j]:-} == *" $i "* ]] || talks[$j]+=" $i "
  done
done

ikm_log "$((nodes * peers)) first pings at once"
mkdir -p "$IKM_TMP/pings"
started_ms=$(date +%s%3N)
ping_pids=()
for ((i = 1; i <= nodes; i++)); do
  for j in ${chosen[$i]}; do
    ip netns exec "$(ikm_nsname "n$i")" ping -n -c 1 -W 20 "10.15.1.$j" >"$IKM_TMP/pings/$i-$j.txt" 2>&1 &
    ping_pids+=($!)
  done
done
unanswered=0
for p in "${ping_pids[@]}"; do wait "$p" || ((++unanswered)); done
mesh_ms=$(($(date +%s%3N) - started_ms))
if ((unanswered)); then
  grep -L "1 received" "$IKM_TMP"/pings/*.txt | head -5 >&2
  ikm_fail "$unanswered of $((nodes * peers)) pings unanswered"
fi

ikm_log "every node shows one tunnel per peer it talked to"
tunnels_match() {
  local i=$1 expected got
  expected=$(for j in ${talks[$i]}; do echo "10.15.1.$j"; done | sort)
  got=$("$IKM_BIN/ikemesh" --ctl "${ctl[$i]}" trafficstatus | sed -n 's/.*\.\.\.\([0-9.]*\), type=ESP.*/\1/p' | sort)
  [[ $got == "$expected" ]]
}
pairs=0
for ((i = 1; i <= nodes; i++)); do
  ikm_wait_for 10 "node $i's tunnels to match the peers it talked to ( ${talks[$i]})" tunnels_match "$i"
  pairs=$((pairs + $(wc -w <<<"${talks[$i]}")))
done
pairs=$((pairs / 2))

ikm_log "every first ping again, now through the tunnels"
ping_pids=()
for ((i = 1; i <= nodes; i++)); do
  for j in ${chosen[$i]}; do
    ip netns exec "$(ikm_nsname "n$i")" ping -n -c 1 -W 5 "10.15.1.$j" >/dev/null 2>&1 &
    ping_pids+=($!)
  done
done
for p in "${ping_pids[@]}"; do wait "$p" || ikm_fail "a second ping through an existing tunnel was not answered"; done

summary() {  # min/median/max of numbers on stdin, one a line
  sort -n | awk '{v[NR]=$1} END {printf "min %s, median %s, max %s", v[1], v[int((NR+1)/2)], v[NR]}'
}
rtts=$(sed -n 's/.*time=\([0-9.]*\) ms/\1/p' "$IKM_TMP"/pings/*.txt | summary)
rss=$(for ((i = 1; i <= nodes; i++)); do awk '/^VmRSS:/ {print $2}' "/proc/${pid[$i]}/status"; done | summary)
ikm_log "RESULT mesh of $nodes nodes, $((nodes * peers)) pings, $pairs tunnels: up in $mesh_ms ms"
ikm_log "RESULT first-ping round trip (ms): $rtts"
ikm_log "RESULT ikemeshd RSS (kB): $rss"

for ((i = 1; i <= nodes; i++)); do ikm_stop_daemon "${pid[$i]}"; done
ikm_pass
