#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-mesh-certs.sh OUTDIR NODE...: what an administrator brings to the mesh guide's
# procedure: a CA and, per node, NODE.p12 holding the node's certificate (subject
# "C=US, ST=NC, O=Example Organization, CN=NODE", nickname NODE), its key and the CA
# certificate. The password of every .p12 is in OUTDIR/p12-password. Made with NSS's own tools.
set -euo pipefail
out=$1
shift
mkdir -p "$out" "$out/ca-db"
db="sql:$out/ca-db"
empty="$out/empty-password"
: >"$empty"
printf 'mesh-demo-secret\n' >"$out/p12-password"
head -c 2048 /dev/urandom >"$out/noise"
certutil -N -d "$db" -f "$empty"
# certutil asks about basic constraints on stdin (-2): is CA, path length, critical.
certutil -S -d "$db" -f "$empty" -z "$out/noise" -n mesh-ca -s "CN=Mesh CA,O=Example Organization,ST=NC,C=US" \
  -x -t "CT,C,C" -k rsa -g 2048 -Z SHA256 -m 1 -v 120 -2 --keyUsage certSigning,crlSigning <<<$'y\n\ny\n' >/dev/null
serial=100
for node in "$@"; do
  serial=$((serial + 1))
  certutil -S -d "$db" -f "$empty" -z "$out/noise" -c mesh-ca -n "$node" \
    -s "CN=$node,O=Example Organization,ST=NC,C=US" -t ",," -k ec -q nistp256 -Z SHA256 -m "$serial" -v 60 \
    -2 --keyUsage digitalSignature --extKeyUsage serverAuth,clientAuth <<<$'n\n\ny\n' >/dev/null
  pk12util -o "$out/$node.p12" -d "$db" -n "$node" -k "$empty" -w "$out/p12-password" >/dev/null
done
