#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes the X.509 test fixtures with NSS's own tools, at test time (nothing generated is kept
# in the repository). Usage: make-fixtures.sh OUTDIR
#
# OUTDIR/db          NSS database (sql:, empty password) holding:
#   ca          "C=US, O=Example Organization, CN=Example CA"    RSA-2048, trusted CT,C,C
#   east        "C=US, ST=NC, O=Example Organization, CN=east"   RSA-2048 with key, SAN east.example.com
#   west        "C=US, ST=NC, O=Example Organization, CN=west"   RSA-3072 with key, SAN west.example.com
#   north       "C=US, ST=NC, O=Example Organization, CN=north"  ECDSA P-256 with key
#   south       "C=US, ST=NC, O=Example Organization, CN=south"  ECDSA P-384 with key
#   expired     CN=expired, valid from 24 to 12 months ago                        with key
#   revoked     CN=revoked, serial 1007, listed in the CA's CRL (imported)          with key
#   nosign      CN=nosign, key usage keyEncipherment and extended key usage emailProtection only
#   intermediate  "CN=Example Intermediate CA", RSA-4096, signed by ca
#   far         CN=far, RSA-4096 signed by intermediate (CERT + intermediate > 1280 octets)
#   mallory     CN=mallory, signed by "Rogue CA" whose certificate is not in the database
# OUTDIR/rogue-db    the unrelated CA's own database.
# OUTDIR/east.p12    east's key and certificate (with the CA), password in OUTDIR/p12-password
# OUTDIR/west.p12    same for west
# OUTDIR/north.p12   same for north (ECDSA P-256)
# OUTDIR/ca.crl      the CA's CRL (DER)
set -euo pipefail
out=${1:?usage: make-fixtures.sh OUTDIR}
rm -rf "$out"
mkdir -p "$out/db" "$out/rogue-db"
# The tools chat on stderr ("Generating key..."); keep it in a log, shown when a step fails.
exec 3>&2 2>"$out/tools.log"
trap 'rc=$?; if ((rc != 0)); then cat "$out/tools.log" >&3; echo "make-fixtures: failed ($rc)" >&3; fi' EXIT
db="sql:$out/db"
rogue="sql:$out/rogue-db"
empty="$out/empty-password"
: >"$empty"
printf 'fixture-secret\n' >"$out/p12-password"
head -c 2048 /dev/urandom >"$out/noise"

certutil -N -d "$db" -f "$empty"
certutil -N -d "$rogue" -f "$empty"

# certutil asks about basic constraints on stdin (-2): is CA, path length, critical.
ca_answers=$'y\n\ny\n'
leaf_answers=$'n\n\ny\n'
node_usage=(--keyUsage digitalSignature --extKeyUsage serverAuth,clientAuth)
ca_usage=(--keyUsage certSigning,crlSigning)
node_subject() { echo "CN=$1,O=Example Organization,ST=NC,C=US"; }

selfsigned() {  # DB NICK SUBJECT SERIAL
  certutil -S -d "$1" -f "$empty" -z "$out/noise" -n "$2" -s "$3" -x -t "CT,C,C" -k rsa -g 2048 \
    -Z SHA256 -m "$4" -v 120 -2 "${ca_usage[@]}" <<<"$ca_answers" >/dev/null
}
issue() {  # DB ISSUER NICK SUBJECT SERIAL KEYARGS... (-- EXTRA certutil args)
  local d=$1 issuer=$2 nick=$3 subject=$4 serial=$5
  shift 5
  certutil -S -d "$d" -f "$empty" -z "$out/noise" -c "$issuer" -n "$nick" -s "$subject" -t ",," \
    -Z SHA256 -m "$serial" -2 "$@" >/dev/null
}

selfsigned "$db" ca "CN=Example CA,O=Example Organization,C=US" 1
issue "$db" ca east "$(node_subject east)" 1001 -k rsa -g 2048 -v 60 "${node_usage[@]}" \
  --extSAN dns:east.example.com <<<"$leaf_answers"
issue "$db" ca west "$(node_subject west)" 1002 -k rsa -g 3072 -v 60 "${node_usage[@]}" \
  --extSAN dns:west.example.com <<<"$leaf_answers"
issue "$db" ca north "$(node_subject north)" 1003 -k ec -q secp256r1 -v 60 "${node_usage[@]}" \
  <<<"$leaf_answers"
issue "$db" ca south "$(node_subject south)" 1004 -k ec -q secp384r1 -v 60 "${node_usage[@]}" \
  <<<"$leaf_answers"
issue "$db" ca expired "$(node_subject expired)" 1006 -k rsa -g 2048 -w -24 -v 12 "${node_usage[@]}" \
  <<<"$leaf_answers"
issue "$db" ca revoked "$(node_subject revoked)" 1007 -k rsa -g 2048 -v 60 "${node_usage[@]}" \
  <<<"$leaf_answers"
issue "$db" ca nosign "$(node_subject nosign)" 1010 -k rsa -g 2048 -v 60 --keyUsage keyEncipherment \
  --extKeyUsage emailProtection <<<"$leaf_answers"
certutil -S -d "$db" -f "$empty" -z "$out/noise" -c ca -n intermediate \
  -s "CN=Example Intermediate CA,O=Example Organization,C=US" -t ",," -k rsa -g 4096 -Z SHA256 \
  -m 1008 -v 100 -2 "${ca_usage[@]}" <<<"$ca_answers" >/dev/null
issue "$db" intermediate far "$(node_subject far)" 1009 -k rsa -g 4096 -v 60 "${node_usage[@]}" \
  <<<"$leaf_answers"

# The unrelated CA: mallory's certificate and key travel to our database, its CA does not.
selfsigned "$rogue" rogue-ca "CN=Rogue CA,O=Elsewhere,C=US" 1
issue "$rogue" rogue-ca mallory "$(node_subject mallory)" 2001 -k rsa -g 2048 -v 60 "${node_usage[@]}" \
  <<<"$leaf_answers"
pk12util -o "$out/mallory.p12" -d "$rogue" -n mallory -k "$empty" -w "$out/p12-password" >/dev/null
pk12util -i "$out/mallory.p12" -d "$db" -k "$empty" -w "$out/p12-password" >/dev/null
certutil -D -d "$db" -n rogue-ca 2>/dev/null || true  # pk12util brings the chain along

# The CA revokes serial 1007 (RFC 5280 CRL), imported into the database.
cat >"$out/crl-script" <<CRL
update=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
nextupdate=$(date -u -d '+365 days' +%Y%m%d%H%M%SZ)
addcert 1007 $(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
CRL
crlutil -G -d "$db" -f "$empty" -n ca -c "$out/crl-script" -o "$out/ca.crl" >/dev/null
crlutil -I -d "$db" -f "$empty" -i "$out/ca.crl" -t 1 >/dev/null
crlutil -L -d "$db" -f "$empty" | grep -q '^ca ' || { echo "make-fixtures: the CRL is not in the database" >&2; exit 1; }

pk12util -o "$out/east.p12" -d "$db" -n east -k "$empty" -w "$out/p12-password" >/dev/null
pk12util -o "$out/west.p12" -d "$db" -n west -k "$empty" -w "$out/p12-password" >/dev/null
pk12util -o "$out/north.p12" -d "$db" -n north -k "$empty" -w "$out/p12-password" >/dev/null
