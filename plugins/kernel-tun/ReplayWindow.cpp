// SPDX-License-Identifier: GPL-2.0-or-later
#include "ReplayWindow.hpp"

#include <algorithm>

namespace ikemesh::tun {

ReplayWindow::ReplayWindow(std::uint32_t size) {
  if (size == 0) return;
  // RFC 6479 §2: one block more than the window, so that the block holding `top_` can be
  // partly ahead of the window while the window's oldest packets stay recorded.
  std::size_t blocks = (static_cast<std::size_t>(size) + kBlockBits - 1) / kBlockBits + 1;
  std::size_t ring = 1;
  while (ring < blocks) ring <<= 1;
  blocks_.assign(ring, 0);
  // The usable window is what the ring holds minus the one spare block.
  size_ = static_cast<std::uint32_t>((ring - 1) * kBlockBits);
}

bool ReplayWindow::bitSet(std::uint64_t sequence) const noexcept {
  const std::uint64_t block = (sequence / kBlockBits) & (blocks_.size() - 1);
  return (blocks_[block] >> (sequence % kBlockBits)) & 1u;
}

bool ReplayWindow::check(std::uint64_t sequence) const noexcept {
  if (sequence == 0) return false;
  if (size_ == 0) return true;
  if (sequence > top_) return true;
  if (top_ - sequence >= size_) return false;  // left of the window: too old
  return !bitSet(sequence);
}

void ReplayWindow::accept(std::uint64_t sequence) noexcept {
  if (size_ == 0) {
    top_ = std::max(top_, sequence);
    return;
  }
  const std::uint64_t mask = blocks_.size() - 1;
  if (sequence > top_) {
    // RFC 6479 §2: clear the blocks between the old top's block and the new one.
    const std::uint64_t oldBlock = top_ / kBlockBits;
    const std::uint64_t newBlock = sequence / kBlockBits;
    const std::uint64_t toClear = std::min<std::uint64_t>(newBlock - oldBlock, blocks_.size());
    for (std::uint64_t i = 1; i <= toClear; ++i) blocks_[(oldBlock + i) & mask] = 0;
    top_ = sequence;
  }
  blocks_[(sequence / kBlockBits) & mask] |= std::uint64_t{1} << (sequence % kBlockBits);
}

}  // namespace ikemesh::tun
