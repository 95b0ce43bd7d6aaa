// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string.h>  // explicit_bzero (glibc)

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

namespace ikemesh::ike {

/// An allocator that wipes memory before giving it back, so that no copy of a key survives in
/// freed heap memory, including the buffers a vector leaves behind when it grows.
template <typename T>
struct ZeroizingAllocator {
  using value_type = T;
  ZeroizingAllocator() noexcept = default;
  template <typename U>
  ZeroizingAllocator(const ZeroizingAllocator<U>&) noexcept {}
  T* allocate(std::size_t count) { return std::allocator<T>{}.allocate(count); }
  void deallocate(T* pointer, std::size_t count) noexcept {
    // explicit_bzero is not optimised away, unlike a memset before free.
    explicit_bzero(pointer, count * sizeof(T));
    std::allocator<T>{}.deallocate(pointer, count);
  }
  template <typename U>
  bool operator==(const ZeroizingAllocator<U>&) const noexcept {
    return true;
  }
};

/// Bytes of key material (DH secrets, SKEYSEED, SK_*, KEYMAT): zeroed when destroyed or
/// reallocated. Copyable (each copy wipes itself); prefer moving. Not thread-safe.
class SecureBytes {
 public:
  using Storage = std::vector<std::uint8_t, ZeroizingAllocator<std::uint8_t>>;

  SecureBytes() = default;
  explicit SecureBytes(std::size_t size) : bytes_(size, 0) {}
  explicit SecureBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  SecureBytes(std::initializer_list<std::uint8_t> bytes) : bytes_(bytes) {}

  std::uint8_t* data() noexcept { return bytes_.data(); }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  auto begin() noexcept { return bytes_.begin(); }
  auto end() noexcept { return bytes_.end(); }
  auto begin() const noexcept { return bytes_.begin(); }
  auto end() const noexcept { return bytes_.end(); }
  std::uint8_t& operator[](std::size_t index) noexcept { return bytes_[index]; }
  std::uint8_t operator[](std::size_t index) const noexcept { return bytes_[index]; }

  std::span<const std::uint8_t> span() const noexcept { return {bytes_.data(), bytes_.size()}; }
  std::span<std::uint8_t> mutableSpan() noexcept { return {bytes_.data(), bytes_.size()}; }
  operator std::span<const std::uint8_t>() const noexcept { return span(); }

  void append(std::span<const std::uint8_t> bytes) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  }
  void resize(std::size_t size) { bytes_.resize(size, 0); }
  void clear() noexcept { bytes_.clear(); }

  /// The bytes [offset, offset + length) as a new SecureBytes; the range must lie inside.
  SecureBytes slice(std::size_t offset, std::size_t length) const {
    return SecureBytes(span().subspan(offset, length));
  }

  /// Byte-wise equality; NOT constant-time. Use it in tests, never to check an ICV or AUTH.
  friend bool operator==(const SecureBytes& a, const SecureBytes& b) { return a.bytes_ == b.bytes_; }

 private:
  Storage bytes_;
};

}  // namespace ikemesh::ike
