// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/SaHandover.hpp"

#include "util/ScopedWipe.hpp"

namespace ikemesh::ike {

Result<void> handOverSa(Dataplane& dataplane, SaParams& params) {
  const ScopedWipe wipeEncryptionKey(params.encryptionKey);
  const ScopedWipe wipeIntegrityKey(params.integrityKey);
  return dataplane.addSa(params);
}

HeldSa::~HeldSa() {
  secureZero(params_.encryptionKey);
  secureZero(params_.integrityKey);
}

}  // namespace ikemesh::ike
