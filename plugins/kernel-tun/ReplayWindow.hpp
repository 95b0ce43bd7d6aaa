// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace ikemesh::tun {

/// The receiver's anti-replay window of one inbound SA (RFC 4303 §3.4.3), kept as a ring of
/// 64-bit blocks as RFC 6479 describes: advancing the window clears whole blocks instead of
/// shifting a bitmap, so the cost per packet does not grow with the window size.
///
/// Sequence numbers are full 64-bit values (with ESN, the inferred high half is already
/// joined, RFC 4303 Appendix A2). Checking and updating are separate steps because the window
/// may only move after the ICV was verified (RFC 4303 §3.4.3). Not thread-safe: one inbound
/// SA is processed by one thread. Allocates only in its constructor.
class ReplayWindow {
 public:
  /// A window of at least `size` packets (rounded up to whole blocks); 0 disables the check.
  explicit ReplayWindow(std::uint32_t size);

  /// Whether `sequence` may be accepted: ahead of the window, or inside it and not seen yet.
  /// Sequence number 0 is never valid (RFC 4303 §3.3.3: the first packet carries 1).
  bool check(std::uint64_t sequence) const noexcept;
  /// Records `sequence` as received (after its ICV verified) and advances the window.
  void accept(std::uint64_t sequence) noexcept;

  /// The highest sequence number accepted so far (0 before the first).
  std::uint64_t top() const noexcept { return top_; }
  /// The window size in packets actually enforced (0 when disabled).
  std::uint32_t size() const noexcept { return size_; }

 private:
  static constexpr unsigned kBlockBits = 64;
  bool bitSet(std::uint64_t sequence) const noexcept;

  std::uint32_t size_ = 0;
  std::uint64_t top_ = 0;
  std::vector<std::uint64_t> blocks_;  // a power of two in count, one more than the window needs
};

}  // namespace ikemesh::tun
