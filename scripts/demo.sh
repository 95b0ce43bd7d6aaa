#!/usr/bin/env bash
# The main job: a mesh of several ikemesh nodes in network namespaces, configured with the
# Libreswan mesh guide's files, where `ping` opens tunnels and `ikemesh trafficstatus` shows
# them. It needs the IKE engine, the TUN dataplane and the opportunistic mesh, which are not
# built yet; until they are, this says what it will do and fails rather than fake a mesh.
set -euo pipefail
cat >&2 <<'TEXT'
ikemesh demo: not available yet.

When complete, this command will:
  1. install the Debian packages ikemesh needs and build it (scripts/install-deps.sh, cmake);
  2. create a bridge and at least 4 nodes in network namespaces on 10.15.0.0/16, each with
     the guide's mesh.conf and policies/{private,private-or-clear,clear}: one node listed in
     `clear`, one `private-or-clear` node without a daemon (it falls back to cleartext);
  3. start ikemeshd on each node, ping across the mesh so that the first packets open
     tunnels, and print `ikemesh trafficstatus` from every node;
  4. show what a tcpdump capture on the bridge saw in the clear, then remove everything.

Missing pieces: the IKEv2 engine, the kernel-tun dataplane and the mesh wiring (issues 4-6).
TEXT
exit 1
