#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The NSS database verbs of `ikemesh`, without a daemon and without a network: initnss (and
# its refusal to overwrite), import of a .p12 with the password from a file or the terminal, a
# wrong password that leaves the database as it was, listcerts, checknss, and `certutil -L` on
# the database we made. The .p12 files are made now by NSS's tools (make-fixtures.sh).
source "$IKEMESH_TEST_LIB"
ikm_init nss-cli
ikemesh() { "$IKM_BIN/ikemesh" "$@"; }

fixtures="$IKM_TMP/fixtures"
ikm_log "making certificates and .p12 files with certutil/pk12util"
bash "$IKEMESH_SOURCE/tests/unit/auth-x509/make-fixtures.sh" "$fixtures"
db="$IKM_TMP/nss"
wrong="$IKM_TMP/wrong-password"
echo "not-the-password" >"$wrong"

run() {  # EXPECTED-STATUS WHAT COMMAND...: runs COMMAND, output in $out, status checked
  local expected=$1 what=$2 rc
  shift 2
  set +e
  out=$("$@" 2>&1)
  rc=$?
  set -e
  [[ $rc == "$expected" ]] || ikm_fail "$what: exit status $rc, expected $expected; output: $out"
}
fingerprint() { cat "$db/cert9.db" "$db/key4.db" | sha256sum; }

ikm_log "initnss makes an empty, password-less sql: database"
run 0 "initnss" ikemesh initnss --nssdir "sql:$db"
[[ -f $db/cert9.db && -f $db/key4.db ]] || ikm_fail "initnss: no cert9.db/key4.db in $db"
run 0 "certutil -L on a new database" certutil -L -d "sql:$db"

ikm_log "initnss refuses to overwrite without --force"
run 1 "initnss over an existing database" ikemesh initnss --nssdir "$db"
ikm_expect_contains "$out" "use --force" "initnss refusal"

ikm_log "checknss names what a new database lacks"
run 1 "checknss on an empty database" ikemesh checknss --nssdir "$db"
ikm_expect_contains "$out" "no certificate with a private key" "checknss on an empty database"
ikm_expect_contains "$out" "no trusted CA" "checknss on an empty database"

ikm_log "a wrong password is a clear error and leaves the database as it was"
before=$(fingerprint)
run 1 "import with a wrong password" ikemesh import "$fixtures/east.p12" --nssdir "$db" --password-file "$wrong"
ikm_expect_contains "$out" "wrong password for $fixtures/east.p12 (the database is unchanged)" "wrong password"
[[ $(fingerprint) == "$before" ]] || ikm_fail "a failed import changed the database files"
run 0 "listcerts after the failed import" ikemesh listcerts --nssdir "$db"
[[ $out != *east* ]] || ikm_fail "the failed import left east in the database: $out"

ikm_log "import with --password-file brings the node certificate, its key and the CA"
run 0 "import east.p12" ikemesh import "$fixtures/east.p12" --nssdir "$db" --password-file "$fixtures/p12-password"
ikm_expect_contains "$out" "east (certificate and private key)" "import output"
ikm_expect_contains "$out" "ca: trusted as CA for peer certificates (CT,,)" "import output"

ikm_log "listcerts shows nicknames and trust like certutil -L, and certutil -L reads our database"
run 0 "listcerts" ikemesh listcerts --nssdir "$db"
listing=$out
[[ $listing =~ east[[:space:]]+u,u,u ]] || ikm_fail "listcerts: no 'east u,u,u' in: $listing"
[[ $listing =~ ca[[:space:]]+CT,, ]] || ikm_fail "listcerts: no 'ca CT,,' in: $listing"
run 0 "certutil -L" certutil -L -d "sql:$db"
[[ $out == "$listing" ]] || ikm_fail "listcerts and certutil -L differ: $listing / $out"
run 0 "certutil -L -n east" certutil -L -d "sql:$db" -n east
ikm_expect_contains "$out" 'Subject: "CN=east,O=Example Organization,ST=NC,C=US"' "the node certificate"
run 0 "certutil -K" certutil -K -d "sql:$db" -f "$fixtures/empty-password"
ikm_expect_contains "$out" "east" "the node's private key"

ikm_log "checknss is content now"
run 0 "checknss" ikemesh checknss --nssdir "$db"
ikm_expect_contains "$out" "with a private key:   east" "checknss"
ikm_expect_contains "$out" "trusted CAs:          ca" "checknss"

ikm_log "the password can come from the terminal"
run 0 "import west.p12 on a terminal" \
  script -qec "$IKM_BIN/ikemesh import $fixtures/west.p12 --nssdir $db" /dev/null <"$fixtures/p12-password"
ikm_expect_contains "$out" "Enter the password of $fixtures/west.p12" "terminal prompt"
ikm_expect_contains "$out" "west (certificate and private key)" "terminal import"
run 1 "import without a terminal or password file" ikemesh import "$fixtures/east.p12" --nssdir "$db" </dev/null
ikm_expect_contains "$out" "no terminal" "import without a terminal"

ikm_log "initnss --force replaces the database"
run 0 "initnss --force" ikemesh initnss --nssdir "$db" --force
run 0 "listcerts after --force" ikemesh listcerts --nssdir "$db"
[[ $out != *east* ]] || ikm_fail "initnss --force kept the old certificates: $out"

ikm_pass
