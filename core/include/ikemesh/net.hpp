// SPDX-License-Identifier: GPL-2.0-or-later
// Addresses, prefixes and traffic selectors as the core and plugins exchange them.
// Header-only, so that a plugin needs nothing but these headers and libc.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace ikemesh {

/// An IPv4 or IPv6 address, stored in network byte order. A value type.
class IpAddress {
 public:
  enum class Family : std::uint8_t { V4, V6 };

  IpAddress() = default;

  static IpAddress v4(std::array<std::uint8_t, 4> octets) {
    IpAddress a;
    a.family_ = Family::V4;
    std::memcpy(a.bytes_.data(), octets.data(), 4);
    return a;
  }
  static IpAddress v6(std::array<std::uint8_t, 16> octets) {
    IpAddress a;
    a.family_ = Family::V6;
    a.bytes_ = octets;
    return a;
  }

  /// Parses "192.0.2.1" or "2001:db8::1"; nullopt for anything else.
  static std::optional<IpAddress> parse(std::string_view text) {
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IpAddress a;
    if (::inet_pton(AF_INET, buf, a.bytes_.data()) == 1) {
      a.family_ = Family::V4;
      return a;
    }
    if (::inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) {
      a.family_ = Family::V6;
      return a;
    }
    return std::nullopt;
  }

  Family family() const noexcept { return family_; }
  bool isV4() const noexcept { return family_ == Family::V4; }
  bool isV6() const noexcept { return family_ == Family::V6; }
  /// Address length in bytes: 4 or 16.
  std::size_t size() const noexcept { return isV4() ? 4 : 16; }
  /// Address length in bits: 32 or 128.
  int bits() const noexcept { return isV4() ? 32 : 128; }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::uint8_t* data() noexcept { return bytes_.data(); }

  /// Bit `i` counted from the most significant bit of the first byte.
  bool bit(int i) const noexcept { return (bytes_[i / 8] >> (7 - i % 8)) & 1; }

  std::string toString() const {
    char buf[INET6_ADDRSTRLEN];
    ::inet_ntop(isV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
    return buf;
  }

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::V4;
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 uses the first 4 bytes; the rest stay zero
};

/// An address prefix, "10.15.0.0/16". The host bits are always zero.
class IpPrefix {
 public:
  IpPrefix() = default;
  /// Clears the host bits of `address`; `length` is clamped to the family's width.
  IpPrefix(IpAddress address, int length) : address_(address), length_(length) {
    if (length_ < 0) length_ = 0;
    if (length_ > address_.bits()) length_ = address_.bits();
    for (int i = length_; i < address_.bits(); ++i)
      address_.data()[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
  }
  /// The host prefix (/32 or /128) of an address.
  static IpPrefix host(IpAddress address) { return IpPrefix(address, address.bits()); }

  /// Parses "10.15.0.0/16", "2001:db8::/32" or a bare address (a host prefix). Rejects a
  /// prefix whose host bits are set ("10.15.1.1/16") so that typos do not widen policy.
  static std::optional<IpPrefix> parse(std::string_view text) {
    auto slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    if (slash == std::string_view::npos) return host(*address);
    auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    int length = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      length = length * 10 + (c - '0');
    }
    if (length > address->bits()) return std::nullopt;
    IpPrefix prefix(*address, length);
    if (prefix.address() != *address) return std::nullopt;
    return prefix;
  }

  const IpAddress& address() const noexcept { return address_; }
  int length() const noexcept { return length_; }
  bool isHost() const noexcept { return length_ == address_.bits(); }

  bool contains(const IpAddress& a) const noexcept {
    if (a.family() != address_.family()) return false;
    return IpPrefix(a, length_).address_ == address_;
  }

  std::string toString() const { return address_.toString() + "/" + std::to_string(length_); }

  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpAddress address_;
  int length_ = 0;
};

/// RFC 7296 §3.13.1 traffic selector: an address range, an IP protocol (0 = any) and a port
/// range (0-65535 = any).
struct TrafficSelector {
  IpAddress start;
  IpAddress end;
  std::uint8_t protocol = 0;
  std::uint16_t startPort = 0;
  std::uint16_t endPort = 65535;

  /// The selector covering exactly one host, any protocol and port.
  static TrafficSelector forHost(const IpAddress& a) { return {a, a, 0, 0, 65535}; }

  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

}  // namespace ikemesh
