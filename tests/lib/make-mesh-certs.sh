#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-mesh-certs.sh OUTDIR NODE...: what an administrator brings to the mesh guide's
# procedure: a CA and, per node, NODE.p12 holding the node's certificate (subject
# "C=US, ST=NC, O=Example Organization, CN=NODE", nickname NODE), its key and the CA chain.
# The password of every .p12 is in OUTDIR/p12-password. Made with NSS's own tools.
#
# Environment: MESH_CA_NAME (default "Mesh CA"); MESH_KEY ("ec" for ECDSA P-256, the default,
# or "rsa:BITS"); MESH_INTERMEDIATE=1 issues the node certificates from an intermediate CA;
# MESH_REVOKE="NODE..." also writes OUTDIR/mesh-ca.crl, the CA's CRL revoking those nodes.
set -euo pipefail
out=$1
shift
ca_name=${MESH_CA_NAME:-Mesh CA}
key=${MESH_KEY:-ec}
mkdir -p "$out" "$out/ca-db"
db="sql:$out/ca-db"
empty="$out/empty-password"
: >"$empty"
printf 'mesh-demo-secret\n' >"$out/p12-password"
head -c 2048 /dev/urandom >"$out/noise"
certutil -N -d "$db" -f "$empty"
# certutil asks about basic constraints on stdin (-2): is CA, path length, critical.
certutil -S -d "$db" -f "$empty" -z "$out/noise" -n mesh-ca -s "CN=$ca_name,O=Example Organization,ST=NC,C=US" \
  -x -t "CT,C,C" -k rsa -g 2048 -Z SHA256 -m 1 -v 120 -2 --keyUsage certSigning,crlSigning <<<$'y\n\ny\n' >/dev/null
issuer=mesh-ca
if [[ ${MESH_INTERMEDIATE:-0} == 1 ]]; then
  certutil -S -d "$db" -f "$empty" -z "$out/noise" -c mesh-ca -n mesh-intermediate \
    -s "CN=$ca_name Intermediate,O=Example Organization,ST=NC,C=US" -t ",," -k rsa -g 4096 -Z SHA256 -m 2 -v 100 \
    -2 --keyUsage certSigning,crlSigning <<<$'y\n\ny\n' >/dev/null
  issuer=mesh-intermediate
fi
case $key in
  ec) key_args=(-k ec -q nistp256) ;;
  rsa:*) key_args=(-k rsa -g "${key#rsa:}") ;;
  *) echo "make-mesh-certs: MESH_KEY must be ec or rsa:BITS" >&2; exit 2 ;;
esac
serial=100
for node in "$@"; do
  serial=$((serial + 1))
  certutil -S -d "$db" -f "$empty" -z "$out/noise" -c "$issuer" -n "$node" \
    -s "CN=$node,O=Example Organization,ST=NC,C=US" -t ",," "${key_args[@]}" -Z SHA256 -m "$serial" -v 60 \
    -2 --keyUsage digitalSignature --extKeyUsage serverAuth,clientAuth <<<$'n\n\ny\n' >/dev/null
  pk12util -o "$out/$node.p12" -d "$db" -n "$node" -k "$empty" -w "$out/p12-password" >/dev/null
done
if [[ -n ${MESH_REVOKE:-} ]]; then
  {
    echo "update=$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)"
    echo "nextupdate=$(date -u -d '+30 days' +%Y%m%d%H%M%SZ)"
    serial=100
    for node in "$@"; do
      serial=$((serial + 1))
      [[ " $MESH_REVOKE " == *" $node "* ]] && echo "addcert $serial $(date -u -d '-1 minute' +%Y%m%d%H%M%SZ)"
    done
  } >"$out/crl-script"
  [[ ${MESH_INTERMEDIATE:-0} == 1 ]] && { echo "make-mesh-certs: MESH_REVOKE needs the root as issuer" >&2; exit 2; }
  crlutil -G -d "$db" -f "$empty" -n mesh-ca -c "$out/crl-script" -o "$out/mesh-ca.crl" >/dev/null
fi
