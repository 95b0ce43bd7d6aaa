# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# strongSwan charon with kernel-libipsec (userspace ESP over a TUN device) in a network
# namespace, for the interop tests (tests/interop) and the throughput benchmark
# (bench/tun_throughput.sh). Source it after tests/lib/netns.sh and ikm_init.
#
# Facts this recipe relies on (strongSwan 5.9.8, Debian 12):
# - kernel-libipsec must be loaded before kernel-netlink: the first IPsec backend registered
#   provides the SAs (this host's kernel has no XFRM ESP), kernel-netlink still does routes.
# - libipsec always encapsulates ESP in UDP: charon fakes a NAT (a NAT_DETECTION hash that
#   matches no address), so the peer floats to port 4500.
# - charon writes its pid file under /run (compiled in): each instance runs in a mount
#   namespace of its own with a private folder bound over /run. Its vici socket and
#   STRONGSWAN_CONF are its own too, so instances never share state.
# - libipsec sends no acquire for trap policies: strongSwan initiates with swanctl --initiate.

IKM_CHARON=/usr/lib/ipsec/charon

# ikm_strongswan_missing: prints why charon with kernel-libipsec cannot run here (empty when it
# can).
ikm_strongswan_missing() {
  if [[ ! -x $IKM_CHARON ]]; then
    echo "$IKM_CHARON is missing (strongswan-charon not installed)"
  elif [[ ! -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ]]; then
    echo "the kernel-libipsec plugin is missing (libcharon-extra-plugins not installed)"
  elif ! command -v swanctl >/dev/null; then
    echo "swanctl is missing (strongswan-swanctl not installed)"
  fi
}

# ikm_private_run NS DIR: sets IKM_PRIVATE_RUN to the command prefix that runs a command (exec'd,
# so that when it is started with & directly, $! is its PID) in namespace NS with DIR bound
# over /run in a mount namespace of its own. (A function started with & would be a subshell
# whose PID is not the daemon's.)
ikm_private_run() {
  # shellcheck disable=SC2016 # "$0" and "$@" are the inner sh's
  IKM_PRIVATE_RUN=(ip netns exec "$1" unshare --mount --propagation private
    sh -c 'mount --bind "$0" /run && exec "$@"' "$2")
}

# ikm_strongswan_start NAME NS [LOAD]: writes $IKM_TMP/NAME/strongswan.conf and starts charon in
# NS; returns once its vici socket answers. LOAD replaces the default plugin list. Sets
# IKM_SS_PID (charon's PID) and IKM_SS_DIR ($IKM_TMP/NAME: charon.log, charon.vici,
# swanctl.err, and the swanctl folder). Extra settings for the charon section can be put in $IKM_SS_DIR/extra.conf
# before the call. IKM_SS_LOG_DEFAULT (1) and IKM_SS_LOG_IKE (2) set the log levels (a benchmark
# wants 0: logging costs charon CPU).
ikm_strongswan_start() {
  local name=$1 ns=$2
  local load=${3:-random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey kdf hmac sha2 gcm aes gmp socket-default kernel-libipsec kernel-netlink updown vici}
  local dir="$IKM_TMP/$name"
  mkdir -p "$dir/run" "$dir/swanctl/x509" "$dir/swanctl/x509ca" "$dir/swanctl/private"
  [[ -e $dir/extra.conf ]] || : >"$dir/extra.conf"
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load = $load
  filelog {
    test {
      path = $dir/charon.log
      time_format = %T
      default = ${IKM_SS_LOG_DEFAULT:-1}
      ike = ${IKM_SS_LOG_IKE:-2}
      flush_line = yes
    }
  }
  syslog {
  }
  plugins {
    # kernel-libipsec routes the peer into its TUN device (table 220); IKE and ESP-in-UDP
    # packets carry mark 0x42 and the routing rule skips them, so they leave on the link.
    kernel-netlink {
      fwmark = !0x42
    }
    socket-default {
      fwmark = 0x42
    }
    kernel-libipsec {
      allow_peer_ts = yes
    }
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  include $dir/extra.conf
}
EOF
  ikm_private_run "$ns" "$dir/run"
  STRONGSWAN_CONF="$dir/strongswan.conf" "${IKM_PRIVATE_RUN[@]}" "$IKM_CHARON" >"$dir/stdout.log" 2>&1 &
  IKM_SS_PID=$!
  ikm_track "$IKM_SS_PID"
  IKM_SS_DIR=$dir
  local deadline=$((SECONDS + 20))
  until ikm_swanctl "$dir" "$ns" --stats >/dev/null 2>&1; do
    kill -0 "$IKM_SS_PID" 2>/dev/null || ikm_fail "charon $name exited while starting: $(tail -5 "$dir/stdout.log" "$dir/charon.log" 2>&1)"
    ((SECONDS < deadline)) || ikm_fail "charon $name did not open its vici socket"
    sleep 0.05
  done
}

# ikm_swanctl DIR NS --COMMAND [OPTIONS]: swanctl against the charon of DIR (swanctl takes its
# options after the command), with DIR/swanctl as its folder (swanctl.conf, x509, x509ca,
# private: what --load-all loads). Its stderr (the plugins of the system's strongswan.conf that it
# could not load, and errors) goes to DIR/swanctl.err.
ikm_swanctl() {
  local dir=$1 ns=$2
  SWANCTL_DIR="$dir/swanctl" ip netns exec "$ns" swanctl "$3" --uri "unix://$dir/charon.vici" "${@:4}" 2>>"$dir/swanctl.err"
}

# ikm_strongswan_certs DIR [MAKE-MESH-CERTS ENVIRONMENT...]: a CA and the certificates of `ike`
# and `swan` from it (tests/lib/make-mesh-certs.sh): DIR/ike.p12 and DIR/swan.p12 (password in
# DIR/p12-password) for NSS, and strongSwan's files DIR/swan-cert.pem, DIR/swan-key.pem,
# DIR/ca.pem.
ikm_strongswan_certs() {
  local dir=$1
  shift
  env "$@" bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$dir" ike swan
  certutil -L -d "sql:$dir/ca-db" -n mesh-ca -a >"$dir/ca.pem"
  certutil -L -d "sql:$dir/ca-db" -n swan -a >"$dir/swan-cert.pem"
  openssl pkcs12 -in "$dir/swan.p12" -passin "file:$dir/p12-password" -nocerts -nodes 2>/dev/null |
    openssl pkey -out "$dir/swan-key.pem"
}
