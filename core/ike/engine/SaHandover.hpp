// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <utility>

#include <ikemesh/dataplane.hpp>
#include <ikemesh/result.hpp>

namespace ikemesh::ike {

/// Hands `params` to `dataplane` (Dataplane::addSa), then zeroes the core's copy of the SA's
/// keys (encryptionKey, integrityKey; their sizes stay), whether the dataplane took the SA or
/// not: a dataplane keeps its own copy of what it needs (dataplane.hpp), so after this call
/// the ESP keys exist only there.
Result<void> handOverSa(Dataplane& dataplane, SaParams& params);

/// An SA's parameters kept for a later handOverSa (an outbound SA whose installation waits,
/// see ChildSa::heldOutbound). Its keys are wiped when it goes, handed over or not.
class HeldSa {
 public:
  explicit HeldSa(SaParams params) : params_(std::move(params)) {}
  ~HeldSa();
  HeldSa(const HeldSa&) = delete;
  HeldSa& operator=(const HeldSa&) = delete;
  SaParams& params() { return params_; }

 private:
  SaParams params_;
};

}  // namespace ikemesh::ike
