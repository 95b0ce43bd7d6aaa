#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/ansible's role against the local machine, in a throwaway copy of it: a private
# mount namespace with an overlay over / (the writes land in a tmpfs of this test, nothing
# reaches the machine), chroot into it, ansible-playbook with connection=local. A check-mode
# run changes nothing; the real run installs the packages given as .deb files, imports the
# node's .p12 with the password from a vault-encrypted variable, writes mesh.conf and the
# policy files, and enables the unit; a second run changes nothing.
# Usage (from tests/packaging/debs.sh, which has built the packages): ansible_role.sh DEBS_DIR
source "$IKEMESH_TEST_LIB"
ikm_init ansible
debs=${1:?usage: ansible_role.sh DEBS_DIR}

ikm_log "the node's credential, as the guide has it: node1.p12"
bash "$IKEMESH_SOURCE/tests/lib/make-mesh-certs.sh" "$IKM_TMP/certs" node1 >"$IKM_TMP/certs.log" 2>&1 ||
  { cat "$IKM_TMP/certs.log" >&2; ikm_fail "make-mesh-certs.sh"; }

ikm_log "inventory, variables and a vault-encrypted password"
play="$IKM_TMP/play"
mkdir -p "$play/group_vars" "$play/debs"
cp -r "$IKEMESH_SOURCE/packaging/ansible/." "$play/"
cp "$debs"/ikemesh_*.deb "$debs"/ikemesh-plugin-auth-x509_*.deb "$debs"/ikemesh-plugin-kernel-tun_*.deb "$play/debs/"
cp "$IKM_TMP/certs/node1.p12" "$play/node1.p12"
printf 'vault-secret-of-this-test\n' >"$play/vault-pass"
cat >"$play/inventory" <<INV
[mesh]
node1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3
INV
password=$(cat "$IKM_TMP/certs/p12-password")
ansible-vault encrypt_string --vault-password-file "$play/vault-pass" "$password" --name ikemesh_p12_password \
  >"$play/group_vars/vault.yml" 2>/dev/null || ikm_fail "ansible-vault encrypt_string"
cat >"$play/group_vars/mesh.yml" <<VARS
ikemesh_deb_files: [$(cd "$play/debs" && printf '/play/debs/%s\n' ikemesh_*.deb ikemesh-plugin-*.deb | paste -sd, -)]
ikemesh_p12_file: /play/node1.p12
ikemesh_cert_nickname: node1
ikemesh_service_running: false  # no service manager in this throwaway root
ikemesh_policies:
  private: [10.15.0.0/16]
  private-or-clear: []
  clear-or-private: []
  clear: [10.15.0.1/32, 10.15.255.254/32]
  block: []
VARS
mv "$play/group_vars/vault.yml" "$play/group_vars/mesh_vault.yml"
mkdir -p "$play/group_vars/mesh" && mv "$play/group_vars/mesh.yml" "$play/group_vars/mesh_vault.yml" "$play/group_vars/mesh/"

ikm_log "three runs in a throwaway copy of this machine"
cat >"$IKM_TMP/runs.sh" <<'RUNS'
set -euo pipefail
tmp=$1
ov="$tmp/overlay"
mkdir -p "$ov"
mount -t tmpfs tmpfs "$ov"
mkdir -p "$ov/upper" "$ov/work" "$ov/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$ov/upper,workdir=$ov/work" "$ov/root"
r="$ov/root"
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
mkdir -p "$r/play"
mount --bind "$tmp/play" "$r/play"
playbook() {
  chroot "$r" env ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=/tmp/ansible ANSIBLE_ROLES_PATH=/play/roles \
    ansible-playbook -i /play/inventory --vault-password-file /play/vault-pass /play/site.yml "$@"
}
playbook --check >"$tmp/check.log" 2>&1 || { echo "check mode:"; cat "$tmp/check.log"; exit 11; }
[[ ! -e $r/etc/ikemesh/ipsec.d/mesh.conf && ! -e $r/usr/sbin/ikemeshd ]] || { echo "check mode changed the root"; exit 12; }
playbook >"$tmp/first.log" 2>&1 || { echo "first run:"; cat "$tmp/first.log"; exit 13; }
playbook >"$tmp/second.log" 2>&1 || { echo "second run:"; cat "$tmp/second.log"; exit 14; }
# What the role made, for the test to inspect after this namespace is gone.
mkdir -p "$tmp/result"
cp -a "$r/etc/ikemesh" "$tmp/result/etc-ikemesh"
ls -l "$r/etc/systemd/system/multi-user.target.wants/" >"$tmp/result/wants.txt"
chroot "$r" ikemesh listcerts >"$tmp/result/listcerts.txt"
ls -a "$r/var/lib/ikemesh/nss" >"$tmp/result/nss-files.txt"
chroot "$r" dpkg-query -W -f='${Package} ${Status}\n' ikemesh ikemesh-plugin-auth-x509 ikemesh-plugin-kernel-tun \
  >"$tmp/result/packages.txt"
RUNS
unshare --mount --propagation private bash "$IKM_TMP/runs.sh" "$IKM_TMP" >"$IKM_TMP/runs.log" 2>&1 ||
  { cat "$IKM_TMP/runs.log" >&2; ikm_fail "the playbook runs (exit $?)"; }

ikm_log "check mode: would change, changed nothing"
grep -E '^node1 +: ' "$IKM_TMP/check.log" >&2
ikm_log "first run"
recap=$(grep -E '^node1 +: ' "$IKM_TMP/first.log")
echo "$recap" >&2
[[ $recap =~ changed=([0-9]+) ]] && ((BASH_REMATCH[1] > 0)) || ikm_fail "the first run changed nothing"
[[ $recap == *"failed=0"* ]] || ikm_fail "the first run failed"
ikm_log "second run: idempotent"
recap=$(grep -E '^node1 +: ' "$IKM_TMP/second.log")
echo "$recap" >&2
[[ $recap == *"changed=0"* && $recap == *"failed=0"* ]] || { cat "$IKM_TMP/second.log" >&2; ikm_fail "the second run changed something"; }

ikm_log "the node the role made"
result="$IKM_TMP/result"
grep -c "install ok installed" "$result/packages.txt" | grep -qx 3 || ikm_fail "packages: $(cat "$result/packages.txt")"
grep -q "leftcert=node1" "$result/etc-ikemesh/ipsec.d/mesh.conf" || ikm_fail "mesh.conf without leftcert=node1"
grep -qx "10.15.0.0/16" "$result/etc-ikemesh/policies/private" || ikm_fail "policies/private"
grep -qx "10.15.255.254/32" "$result/etc-ikemesh/policies/clear" || ikm_fail "policies/clear"
grep -q "^node1 " "$result/listcerts.txt" || ikm_fail "node1 not in the NSS database: $(cat "$result/listcerts.txt")"
! grep -q "p12-password" "$result/nss-files.txt" || ikm_fail "the .p12 password was left on disk"
grep -q "ikemesh.service" "$result/wants.txt" || ikm_fail "the unit is not enabled"
ikm_pass
