#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IKE responder load: full handshakes (IKE_SA_INIT + IKE_AUTH with one CHILD SA) per second
# against ONE responder, ikemeshd versus strongSwan's charon (kernel-libipsec), both driven by
# the same generator (build/bench/ike_load_generator, our engine as initiator, one source
# address per IKE SA from 198.18.0.0/15) in the same run, alternating, REPS repetitions; then
# the responder's memory per IKE SA + CHILD SA with MEM_COUNTS tunnels held up.
#
# Run as root from the source tree:   sudo bench/ike_load.sh [BUILD_DIR]   (default ./build)
# Environment:
#   REPS (3)          repetitions of every rate measurement
#   HANDSHAKES (600)  handshakes per rate measurement
#   CONCURRENCY (16)  handshakes in flight
#   LATENCY_N (20)    one-at-a-time handshakes for the latency of one handshake
#   MEM_COUNTS ("1000 10000")  tunnels held for the memory measurement ("" skips it)
#   IDLE_WAIT (15)             seconds the held tunnels stay idle before the second RSS reading
#                              (ikemesh's kernel-tun gives an idle SA's NSS context back after 10 s)
#   AUTHS ("ecdsa peers rsa null")  rsa = RSA-2048 certificates, ecdsa = ECDSA P-256 (the
#                              generator shows one certificate, so both responders validate its
#                              chain once and then find it in their caches), peers = ECDSA P-256
#                              with PEERS certificates, a new one for every handshake (the
#                              responder validates every chain), null = NULL auth (RFC 7619;
#                              ikemesh alone: strongSwan's charon is given none)
#   PEERS (400)                handshakes per "peers" rate measurement, each with a certificate
#                              of its own (bench/make-load-certs.py; LATENCY_N more for the
#                              latency runs)
#   IKE_GROUP (31)             the key exchange: 31 = Curve25519, 19 = ECP-256
#   BENCH_RESULTS (unset)      a folder: ike_load.tsv / ike_memory.tsv are written there too
#   PERF_DIR (unset)           a folder: `perf record -g` of the responder during each rate run
#                              is written there (IMPL-AUTH-REP.perf.data)
#   PERF_ARGS ("-g")           perf record's call-graph options; "--call-graph dwarf" unwinds
#                              through Debian's NSS libraries, which have no frame pointers
#   BENCH_QUIET_WAIT (300), BENCH_QUIET_PERCENT (15): before anything, wait up to that many
#                              seconds for the CPUs to be less than that busy (bench-lib.sh)
#
# CPU: the generator runs on CPU 0 and the responder on CPU 1 (taskset), so that each has one
# core; the machine is shared, so the responder's CPU seconds per handshake (utime + stime of
# all its threads, /proc/PID/stat) are reported beside the rate, and 1 / that is the rate at
# which the responder would saturate its core.
#
# Topology: namespace -g (generator) 192.0.2.1 and -r (responder) 192.0.2.2 on one veth pair;
# the generator's source addresses 198.18.0.0+ are /32s on its veth, and the responder routes
# 198.18.0.0/15 to 192.0.2.1. Everything (namespaces, processes, files) is removed by the
# EXIT trap of tests/lib/netns.sh on every exit path; processes are ended by PID. charon gets
# a private /run (a mount namespace of its own with a temporary folder bound over /run).

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IKEMESH_BUILD=$(cd "${1:-$source_dir/build}" && pwd)
export IKEMESH_BUILD
# shellcheck source=SCRIPTDIR/../tests/lib/netns.sh
source "$source_dir/tests/lib/netns.sh"
# shellcheck source=SCRIPTDIR/bench-lib.sh
source "$source_dir/bench/bench-lib.sh"
# shellcheck source=SCRIPTDIR/../tests/lib/strongswan.sh
source "$source_dir/tests/lib/strongswan.sh"

reps=${REPS:-3}
handshakes=${HANDSHAKES:-600}
concurrency=${CONCURRENCY:-16}
latency_n=${LATENCY_N:-20}
mem_counts=${MEM_COUNTS-1000 10000}
auths=${AUTHS:-ecdsa peers rsa null}
peers=${PEERS:-400}
generator="$IKEMESH_BUILD/bench/ike_load_generator"
charon_bin=$IKM_CHARON
((EUID == 0)) || ikm_fail "run as root (it creates network namespaces)"
for tool in swanctl unshare taskset certutil pk12util openssl; do
  command -v "$tool" >/dev/null || ikm_fail "$tool is missing: run scripts/install-deps.sh"
done
for f in "$IKM_BIN/ikemeshd" "$IKM_BIN/ikemesh" "$generator" "$IKEMESH_BUILD/plugins" "$charon_bin"; do
  [[ -e $f ]] || ikm_fail "$f is missing: build ikemeshd ikemesh ike_load_generator and the plugins first"
done

artifacts_default=/tmp/ikemesh-bench-artifacts.$(date +%Y%m%d-%H%M%S)
export IKEMESH_ARTIFACTS=${IKEMESH_ARTIFACTS:-$artifacts_default}
ikm_init ike-load
IKM_PREFIX="ikmload$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
ikm_log "namespaces $IKM_PREFIX-g (generator) and $IKM_PREFIX-r (responder)"
clk_tck=$(getconf CLK_TCK)
wait_until_quiet
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
gen_cpu=0
resp_cpu=$(($(nproc) > 1 ? 1 : 0))

# --- namespaces and the veth ---
ikm_ns_add g
ikm_ns_add r
ns_g=$(ikm_nsname g)
ns_r=$(ikm_nsname r)
ip -n "$ns_g" link add eth0 type veth peer name eth0 netns "$ns_r"
ip -n "$ns_g" addr add 192.0.2.1/24 dev eth0
ip -n "$ns_r" addr add 192.0.2.2/24 dev eth0
for ns in "$ns_g" "$ns_r"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set eth0 up
done
# ikemesh's left=%defaultroute needs a default route; it only leads into the veth.
ip -n "$ns_r" route add default via 192.0.2.1
ip -n "$ns_r" route add 198.18.0.0/15 via 192.0.2.1
responder=192.0.2.2

# The generator's source addresses: 198.18.0.0 + 0..max-1, /32 on its veth.
max_sources=$handshakes
for n in $mem_counts; do ((n > max_sources)) && max_sources=$n; done
ip4() { echo "198.$((18 + $1 / 65536)).$(($1 / 256 % 256)).$(($1 % 256))"; }
# (The latency runs use the latency_n addresses after those.)
for ((i = 0; i < max_sources + latency_n; i++)); do echo "address add $(ip4 "$i")/32 dev eth0"; done >"$IKM_TMP/addresses"
ip -n "$ns_g" -batch "$IKM_TMP/addresses"
ikm_log "$((max_sources + latency_n)) source addresses on the generator's veth"

# --- certificates: one CA per key type, a "generator" and a "responder" certificate ---
declare -A nss_gen nss_resp
for auth in $auths; do
  [[ $auth == null ]] && continue
  key=ec
  [[ $auth == rsa ]] && key=rsa:2048
  dir="$IKM_TMP/certs-$auth"
  if [[ $auth == peers ]]; then
    python3 "$source_dir/bench/make-load-certs.py" "$dir" "$((peers + latency_n))" ||
      ikm_fail "make-load-certs.py failed"
  else
    MESH_KEY=$key MESH_CA_NAME="Load $auth CA" bash "$source_dir/tests/lib/make-mesh-certs.sh" "$dir" generator responder >/dev/null 2>&1 ||
      ikm_fail "make-mesh-certs.sh $key failed"
  fi
  for who in generator responder; do
    db="sql:$dir/$who-nss"
    "$IKM_BIN/ikemesh" initnss --nssdir "$db" >/dev/null
    "$IKM_BIN/ikemesh" import "$dir/$who.p12" --password-file "$dir/p12-password" --nssdir "$db" >/dev/null
  done
  nss_gen[$auth]="sql:$dir/generator-nss"
  nss_resp[$auth]="sql:$dir/responder-nss"
  [[ $auth == peers ]] && continue # make-load-certs.py wrote the swanctl folder
  # charon's swanctl folder: the responder's certificate, key and the CA, in PEM.
  sw="$dir/swanctl"
  mkdir -p "$sw/x509" "$sw/x509ca" "$sw/private"
  # (openssl 3 needs -legacy for an NSS PKCS#12 on some systems; x509/pkey drop the bag attributes.)
  p12() {
    openssl pkcs12 -in "$dir/responder.p12" -passin "file:$dir/p12-password" "$@" 2>/dev/null ||
      openssl pkcs12 -legacy -in "$dir/responder.p12" -passin "file:$dir/p12-password" "$@"
  }
  p12 -nokeys -clcerts | openssl x509 -out "$sw/x509/responder.pem"
  p12 -nokeys -cacerts | openssl x509 -out "$sw/x509ca/ca.pem"
  p12 -nocerts -nodes | openssl pkey -out "$sw/private/responder.pem"
done

# IKE_GROUP: 31 (Curve25519, ikemesh's first default group) or 19 (ECP-256; NSS's P-256 is
# about 17 times slower than its Curve25519 here, see ike_crypto_bench).
ike_group=${IKE_GROUP:-31}
case $ike_group in
  31) charon_group=x25519 ;;
  19) charon_group=ecp256 ;;
  *) ikm_fail "IKE_GROUP must be 31 or 19" ;;
esac
ike_proposal="aes_gcm128-sha2_256;dh$ike_group"
esp_proposal="aes_gcm128"


stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# start_ikemesh AUTH: ikemeshd responder in -r (kernel-tun dataplane), pinned; sets RESP_PID.
run_seq=0
start_ikemesh() {
  local auth=$1 etc
  run_seq=$((run_seq + 1))
  etc="$IKM_TMP/ikemesh-$run_seq"
  mkdir -p "$etc/policies"
  printf '# The load generator'"'"'s source addresses.\n198.18.0.0/15\n' >"$etc/policies/private"
  : >"$etc/policies/clear"
  : >"$etc/policies/private-or-clear"
  {
    printf 'config setup\n\tdataplane=tun\n\nconn private\n\tauto=ondemand\n\ttype=transport\n'
    if [[ $auth == null ]]; then
      printf '\tauthby=null\n\tleftid=%%null\n\trightid=%%null\n'
    else
      printf '\tauthby=rsasig\n\tleftcert=responder\n\tleftid=%%fromcert\n\trightid=%%fromcert\n'
    fi
    printf '\tfailureshunt=drop\n\tnegotiationshunt=drop\n\tikev2=insist\n\tleft=%%defaultroute\n'
    printf '\tright=%%opportunisticgroup\n\tike=%s\n\tesp=%s\n' "$ike_proposal" "$esp_proposal"
  } >"$etc/mesh.conf"
  local nss=()
  [[ $auth != null ]] && nss=(--nssdir "${nss_resp[$auth]}")
  ikm_start_daemon "ikemesh-$run_seq" "$ns_r" -- --config "$etc/mesh.conf" "${nss[@]}" \
    --plugindir "$IKEMESH_BUILD/plugins"
  RESP_PID=$IKM_PID
  taskset -a -p -c "$resp_cpu" "$RESP_PID" >/dev/null
}

# start_charon AUTH: charon (kernel-libipsec) responder in -r, started by the recipe the interop
# tests use (tests/lib/strongswan.sh), logging nothing; sets RESP_PID.
start_charon() {
  local auth=$1 dir
  run_seq=$((run_seq + 1))
  dir="$IKM_TMP/charon-$run_seq"
  mkdir -p "$dir"
  cp -r "$IKM_TMP/certs-$auth/swanctl" "$dir/swanctl"
  # As ikemeshd: demand cookies only far above the generator's concurrency.
  echo "cookie_threshold = 1000" >"$dir/extra.conf"
  cat >"$dir/swanctl/swanctl.conf" <<EOF
connections {
  load {
    version = 2
    local_addrs = $responder
    proposals = aes128gcm16-prfsha256-$charon_group
    # Every generator SA shows the same certificate: keep them all (INITIAL_CONTACT would
    # otherwise replace the previous one).
    unique = never
    local {
      auth = pubkey
      certs = responder.pem
    }
    remote {
      auth = pubkey
    }
    children {
      load {
        mode = tunnel
        esp_proposals = aes128gcm16
        local_ts = dynamic
        remote_ts = dynamic
      }
    }
  }
}
EOF
  # What a certificate responder with userspace ESP needs (no updown, gcm, gmp, revocation).
  IKM_SS_LOG_DEFAULT=0 IKM_SS_LOG_IKE=0 ikm_strongswan_start "charon-$run_seq" "$ns_r" \
    "random nonce openssl pem pkcs1 pkcs8 x509 constraints pubkey kdf hmac sha2 socket-default kernel-libipsec kernel-netlink vici"
  RESP_PID=$IKM_SS_PID
  ikm_swanctl "$dir" "$ns_r" --load-all --file "$dir/swanctl/swanctl.conf" >"$dir/load.log" 2>&1 ||
    ikm_fail "swanctl --load-all: $(cat "$dir/load.log")"
  taskset -a -p -c "$resp_cpu" "$RESP_PID" >/dev/null
}

# generate AUTH MODE COUNT CONCURRENCY FIRST_INDEX [--hold]: runs the generator in -g on its CPU;
# sets GEN_RESULT to its "result ..." line (and GEN_PID with --hold, which leaves it running).
# With AUTH peers, the latency runs (FIRST_INDEX > 0) take the certificates after the PEERS that
# the rate run takes.
generate() {
  local auth=$1 mode=$2 count=$3 conc=$4 first=$5 hold=${6:-} out
  local args=(--responder "$responder" --first-source "$(ip4 "$first")" --count "$count" --concurrency "$conc"
    --mode "$mode" --ike "$ike_proposal" --esp "$esp_proposal" --timeout 300)
  [[ $auth != null ]] && args+=(--auth cert --cert generator)
  [[ $auth == peers ]] && args+=(--cert-count "$((peers + latency_n))" --cert-first "$(((first > 0) * peers))")
  out="$IKM_TMP/generator-$run_seq-$first.out"
  local env=()
  [[ $auth != null ]] && env=(IKEMESH_NSSDIR="${nss_gen[$auth]}")
  if [[ -n $hold ]]; then
    env "${env[@]}" ip netns exec "$ns_g" taskset -c "$gen_cpu" "$generator" "${args[@]}" --hold \
      >"$out" 2>"$out.err" &
    GEN_PID=$!
    ikm_track "$GEN_PID"
    ikm_wait_for 600 "the generator's $count handshakes" grep -q '^result' "$out"
  else
    env "${env[@]}" ip netns exec "$ns_g" taskset -c "$gen_cpu" "$generator" "${args[@]}" >"$out" 2>"$out.err" ||
      ikm_fail "generator failed: $(tail -3 "$out.err")"
  fi
  GEN_RESULT=$(grep '^result' "$out")
  [[ -n $GEN_RESULT ]] || ikm_fail "generator printed no result: $(tail -3 "$out.err")"
  ikm_log "$GEN_RESULT"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$GEN_RESULT"; }

# measure IMPL AUTH REP: one fresh responder; LATENCY_N sequential handshakes, then HANDSHAKES
# with CONCURRENCY in flight; appends one row to rates.tsv.
rates="$IKM_TMP/rates.tsv"
printf 'impl\tauth\trep\trate\tlatency_ms\tcpu_ms_per_handshake\tresponder_busy_percent\tgenerator_busy_percent\tfailed\n' >"$rates"
measure() {
  local impl=$1 auth=$2 rep=$3 mode=transport before after latency
  if [[ $impl == charon ]]; then
    start_charon "$auth"
    mode=tunnel # libipsec does tunnel mode only ("IPsec SA: unsupported mode" otherwise)
  else
    start_ikemesh "$auth"
  fi
  generate "$auth" "$mode" "$latency_n" 1 "$max_sources" # sources beyond the rate run's
  latency=$(field latency_ms_median)
  sleep 0.5
  local perf_pid=""
  if [[ -n ${PERF_DIR:-} ]]; then
    mkdir -p "$PERF_DIR"
    # shellcheck disable=SC2086 # PERF_ARGS is a list of options
    perf record -q ${PERF_ARGS:--g} -p "$RESP_PID" -o "$PERF_DIR/$impl-$auth-$rep.perf.data" >/dev/null 2>&1 &
    perf_pid=$!
    ikm_track "$perf_pid"
    sleep 0.5
  fi
  before=$(cpu_ticks "$RESP_PID")
  local count=$handshakes
  [[ $auth == peers ]] && count=$peers
  generate "$auth" "$mode" "$count" "$concurrency" 0
  after=$(cpu_ticks "$RESP_PID")
  if [[ -n $perf_pid ]]; then
    kill -INT "$perf_pid"
    wait "$perf_pid" 2>/dev/null || true
  fi
  local established failed rate cpu_ms busy
  established=$(field established)
  failed=$(field failed)
  rate=$(field rate)
  cpu_ms=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$established" \
    'BEGIN { printf "%.3f", (n > 0 ? 1000 * t / hz / n : 0) }')
  busy=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v s="$(field seconds)" \
    'BEGIN { printf "%.0f", (s > 0 ? 100 * t / hz / s : 0) }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$impl" "$auth" "$rep" "$rate" "$latency" "$cpu_ms" "$busy" \
    "$(field generator_cpu_percent)" "$failed" >>"$rates"
  ikm_log "$impl $auth rep $rep: $rate handshakes/s, latency $latency ms, responder $cpu_ms ms CPU per handshake" \
    "(busy $busy %, generator $(field generator_cpu_percent) %), $failed failed"
  stop_pid "$RESP_PID"
}

# --- rates: alternating ikemesh and charon, REPS times ---
for ((rep = 1; rep <= reps; rep++)); do
  for auth in $auths; do
    measure ikemesh "$auth" "$rep"
    # strongSwan has no NULL authentication to compare with.
    [[ $auth != null ]] && measure charon "$auth" "$rep"
  done
done

# --- memory: RSS of the responder per IKE SA + CHILD SA, tunnels held up by the generator ---
memory="$IKM_TMP/memory.tsv"
printf 'impl\ttunnels\trss_before_kb\trss_after_kb\tbytes_per_tunnel\trequested\trss_idle_kb\tbytes_per_tunnel_idle\n' >"$memory"
idle_wait=${IDLE_WAIT:-15}
mem_auth=ecdsa
[[ " $auths " == *" ecdsa "* ]] || mem_auth=${auths%% *}
for n in $mem_counts; do
  for impl in ikemesh charon; do
    [[ $impl == charon && $mem_auth == null ]] && continue
    mode=transport
    if [[ $impl == charon ]]; then
      start_charon "$mem_auth"
      mode=tunnel
    else
      start_ikemesh "$mem_auth"
    fi
    sleep 1
    before=$(rss_kb "$RESP_PID")
    generate "$mem_auth" "$mode" "$n" "$concurrency" 0 --hold
    sleep 2
    after=$(rss_kb "$RESP_PID")
    sleep "$idle_wait"
    idle=$(rss_kb "$RESP_PID")
    established=$(field established)
    per=$(awk -v a="$after" -v b="$before" -v n="$established" 'BEGIN { printf "%.0f", (n > 0 ? (a - b) * 1024 / n : 0) }')
    per_idle=$(awk -v a="$idle" -v b="$before" -v n="$established" 'BEGIN { printf "%.0f", (n > 0 ? (a - b) * 1024 / n : 0) }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$impl" "$established" "$before" "$after" "$per" "$n" "$idle" "$per_idle" >>"$memory"
    ikm_log "$impl: $established tunnels, RSS $before -> $after KiB ($idle KiB after $idle_wait s idle)," \
      "$per ($per_idle idle) bytes per IKE SA + CHILD SA"
    stop_pid "$GEN_PID"
    stop_pid "$RESP_PID"
  done
done

# --- the tables ---
# stats IMPL AUTH COLUMN: "median min max" of one column of rates.tsv.
stats() {
  awk -F'\t' -v i="$1" -v a="$2" -v c="$3" '$1 == i && $2 == a { print $c }' "$rates" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - -"; exit }
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}
label() {
  case $1 in
    ecdsa) echo "ECDSA P-256 certificates" ;;
    peers) echo "ECDSA P-256, $peers peers" ;;
    rsa) echo "RSA-2048 certificates" ;;
    null) echo "NULL auth (RFC 7619)" ;;
  esac
}
{
  echo
  echo "IKEv2 full handshakes (IKE_SA_INIT + IKE_AUTH + CHILD SA) against one responder, $(nproc) CPUs,"
  echo "kernel $(uname -r), $(date -u '+%F %H:%M UTC'); load average before the run: $load_before,"
  echo "$QUIET_NOTE (shared machine). $handshakes handshakes per run ($peers with \"peers\"), $concurrency in flight, one source address each;"
  echo "IKE $ike_proposal (charon: aes128gcm16-prfsha256-$charon_group), ESP $esp_proposal; $reps runs each, alternating;"
  echo "generator on CPU $gen_cpu, responder on CPU $resp_cpu. Median (min-max)."
  printf '| %-9s | %-24s | %-20s | %-18s | %-19s | %-13s | %-14s | %-14s |\n' responder auth "handshakes/s" \
    "latency of one ms" "responder CPU ms/hs" "CPU-bound rate" "responder busy" "generator busy"
  printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ----------- -------------------------- ---------------------- \
    -------------------- --------------------- --------------- ---------------- ----------------
  for auth in $auths; do
    for impl in ikemesh charon; do
      [[ $impl == charon && $auth == null ]] && continue
      read -r rm rlo rhi <<<"$(stats "$impl" "$auth" 4)"
      read -r lm llo lhi <<<"$(stats "$impl" "$auth" 5)"
      read -r cm clo chi <<<"$(stats "$impl" "$auth" 6)"
      read -r bm _ <<<"$(stats "$impl" "$auth" 7)"
      read -r gm _ <<<"$(stats "$impl" "$auth" 8)"
      sat=$(awk -v c="$cm" 'BEGIN { printf "%.0f/s", (c > 0 ? 1000 / c : 0) }')
      printf '| %-9s | %-24s | %-20s | %-18s | %-19s | %-13s | %-14s | %-14s |\n' "$impl" "$(label "$auth")" \
        "$rm ($rlo-$rhi)" "$lm ($llo-$lhi)" "$cm ($clo-$chi)" "$sat" "$bm %" "$gm %"
    done
  done
  echo "CPU-bound rate: 1000 / (responder CPU ms per handshake), the rate at which the responder"
  echo "would fill its one core. Busy: CPU time over the run's wall time, in % of one core (the"
  echo "responder is pinned to one core, the generator to another: near 100 % is saturated)."
  echo "The ratios below are of the medians; the pairs' ratios beside them cancel load that changed"
  echo "between runs, since each pair ran back to back."
  echo
  for auth in $auths; do
    [[ $auth == null ]] && continue
    read -r ir _ <<<"$(stats ikemesh "$auth" 4)"
    read -r cr _ <<<"$(stats charon "$auth" 4)"
    read -r ic _ <<<"$(stats ikemesh "$auth" 6)"
    read -r cc _ <<<"$(stats charon "$auth" 6)"
    awk -v l="$(label "$auth")" -v ir="$ir" -v cr="$cr" -v ic="$ic" -v cc="$cc" 'BEGIN {
      printf "ikemesh / charon, %s: %.2f x handshakes/s, %.2f x CPU-bound rate\n", l,
        (cr > 0 ? ir / cr : 0), (ic > 0 ? cc / ic : 0) }'
    # Each ikemesh run and the charon run right after it saw the same machine: their ratio.
    awk -F'\t' -v a="$auth" -v l="$(label "$auth")" '
      $2 == a && $1 == "ikemesh" { i[$3] = $6 } $2 == a && $1 == "charon" { c[$3] = $6 }
      END { n = 0; for (r in i) if (r in c && i[r] > 0) v[++n] = c[r] / i[r]
        if (n < 2) exit
        for (x = 2; x <= n; x++) for (y = x; y > 1 && v[y] < v[y - 1]; y--) { t = v[y]; v[y] = v[y - 1]; v[y - 1] = t }
        m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        printf "  per pair of runs (ikemesh, then charon), %s: CPU-bound rate %.2f x median (%.2f-%.2f), %d pairs\n",
          l, m, v[1], v[n], n }' "$rates"
  done
  if [[ -n $mem_counts ]]; then
    echo
    echo "Responder memory per IKE SA + CHILD SA ($(label "$mem_auth"), VmRSS with the tunnels up minus before:"
    echo "2 s after the last one came up, and again after $idle_wait s without traffic)"
    printf '| %-9s | %-8s | %-14s | %-13s | %-16s | %-12s | %-21s |\n' responder tunnels "RSS before KiB" "RSS after KiB" \
      "bytes per tunnel" "RSS idle KiB" "bytes per tunnel idle"
    printf '|%s|%s|%s|%s|%s|%s|%s|\n' ----------- ---------- ---------------- --------------- ------------------ \
      -------------- -----------------------
    tail -n +2 "$memory" | while IFS=$'\t' read -r impl n b a per _ idle per_idle; do
      printf '| %-9s | %-8s | %-14s | %-13s | %-16s | %-12s | %-21s |\n' "$impl" "$n" "$b" "$a" "$per" "$idle" "$per_idle"
    done
    for n in $mem_counts; do
      awk -F'\t' -v n="$n" '$6 == n && $1 == "ikemesh" { i = $5; ii = $8; ie = $2 } $6 == n && $1 == "charon" { c = $5; ci = $8; ce = $2 }
        END { if (i != "" && c > 0 && ci > 0)
          printf "ikemesh / charon memory per tunnel, %d asked (%d and %d up): %.2f x just up, %.2f x idle\n", n, ie, ce, i / c, ii / ci }' "$memory"
    done
  fi
} | tee "$IKM_TMP/table.txt"
if [[ -n ${BENCH_RESULTS:-} ]]; then
  mkdir -p "$BENCH_RESULTS"
  cp "$rates" "$BENCH_RESULTS/ike_load.tsv"
  [[ -n $mem_counts ]] && cp "$memory" "$BENCH_RESULTS/ike_memory.tsv"
  cp "$IKM_TMP/table.txt" "$BENCH_RESULTS/ike_load.txt"
fi
if grep -qP '\t[1-9][0-9]*$' "$rates"; then
  cp -r "$IKM_TMP"/. "$IKEMESH_ARTIFACTS"/
  ikm_log "some handshakes failed: the logs are kept in $IKEMESH_ARTIFACTS"
elif [[ $IKEMESH_ARTIFACTS == "$artifacts_default" ]]; then
  rmdir "$IKEMESH_ARTIFACTS" 2>/dev/null || true
fi
ikm_pass
