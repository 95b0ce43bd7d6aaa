// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/FragmentReassembler.hpp"

namespace ikemesh::ike {

Result<std::optional<FragmentReassembler::Complete>> FragmentReassembler::add(
    std::uint32_t messageId, const EncryptedFragmentPayload& fragment, std::vector<std::uint8_t> plaintext) {
  if (fragment.totalFragments == 0 || fragment.fragmentNumber == 0 ||
      fragment.fragmentNumber > fragment.totalFragments)
    return fail("SKF payload: fragment " + std::to_string(fragment.fragmentNumber) + " of " +
                std::to_string(fragment.totalFragments));
  // RFC 7383 §2.6.1: a different total for the same message means the sender re-fragmented
  // (e.g. with a smaller size); keep the newest set only.
  if (pieces_.empty() || messageId != messageId_ || fragment.totalFragments != total_) {
    pieces_.clear();
    messageId_ = messageId;
    total_ = fragment.totalFragments;
    firstPayload_ = PayloadType::None;
  }
  if (fragment.fragmentNumber == 1) firstPayload_ = fragment.firstInnerPayload;
  pieces_[fragment.fragmentNumber] = std::move(plaintext);  // a duplicate simply replaces itself
  if (pieces_.size() < total_) return std::optional<Complete>{};
  Complete complete{firstPayload_, {}};
  for (auto& [number, piece] : pieces_)
    complete.plaintext.insert(complete.plaintext.end(), piece.begin(), piece.end());
  pieces_.clear();
  total_ = 0;
  return std::optional<Complete>{std::move(complete)};
}

}  // namespace ikemesh::ike
