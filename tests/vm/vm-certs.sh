# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced on the host by VM tests that need certificates: RSA key generation and NSS's database
# set-up take over a minute under TCG, so they are made before the boot, in a folder that the
# guest sees through the host's / (IKEMESH_VM_CERTS passes into it, run-in-vm.sh).

# ikm_vm_run_with_certs MAKE SCRIPT [ARGS...]: runs `MAKE FOLDER` (a function of the caller,
# with set -e) into a fresh IKEMESH_VM_CERTS folder, its output kept in FOLDER/setup.log and
# printed when it fails; then SCRIPT in the guest; removes the folder and exits with the
# guest's status.
ikm_vm_run_with_certs() {
  local make=$1 script=$2 status=0
  shift 2
  IKEMESH_VM_CERTS=$(mktemp -d /var/tmp/ikemesh-vm-certs.XXXXXX)
  export IKEMESH_VM_CERTS
  # Not in a condition: there, bash would ignore set -e inside MAKE.
  (
    set -e
    "$make" "$IKEMESH_VM_CERTS"
  ) >"$IKEMESH_VM_CERTS/setup.log" 2>&1
  status=$?
  if ((status != 0)); then
    cat "$IKEMESH_VM_CERTS/setup.log" >&2
    rm -rf "$IKEMESH_VM_CERTS"
    exit 1
  fi
  bash "$IKEMESH_SOURCE/tests/vm/run-in-vm.sh" "$script" "$@" || status=$?
  rm -rf "$IKEMESH_VM_CERTS"
  exit "$status"
}
