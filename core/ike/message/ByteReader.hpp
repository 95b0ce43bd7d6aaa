// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ikemesh::ike {

/// A big-endian cursor over a byte span for the decoder. Callers check remaining() before
/// reading; a read past the end still never touches memory outside the span (it yields zeros
/// and an empty span), so a missed check is a wrong value, not a crash.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const noexcept { return bytes_.size() - offset_; }
  bool empty() const noexcept { return remaining() == 0; }
  std::size_t offset() const noexcept { return offset_; }

  std::uint8_t u8() { return static_cast<std::uint8_t>(readNumber(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(readNumber(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(readNumber(4)); }
  std::uint64_t u64() { return readNumber(8); }

  /// The next `count` bytes (fewer if the span ends first), and moves past them.
  std::span<const std::uint8_t> take(std::size_t count) {
    if (count > remaining()) count = remaining();
    auto part = bytes_.subspan(offset_, count);
    offset_ += count;
    return part;
  }
  std::vector<std::uint8_t> takeVector(std::size_t count) {
    auto part = take(count);
    return {part.begin(), part.end()};
  }
  void skip(std::size_t count) { take(count); }

 private:
  std::uint64_t readNumber(std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value <<= 8;
      if (offset_ < bytes_.size()) value |= bytes_[offset_++];
    }
    return value;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

}  // namespace ikemesh::ike
