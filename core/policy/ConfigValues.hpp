// SPDX-License-Identifier: GPL-2.0-or-later
// Parsers for the value syntaxes of ipsec.conf (Libreswan's): yes/no, durations, percentages,
// addresses, IDs, CIDR lists, raw keys and IKE/ESP proposal strings. Each returns the parsed
// value or a reason fit to follow "bad value 'X' for KEY: ".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

namespace ikemesh::policy {

/// "yes"/"no" (Libreswan also writes "true"/"false" nowhere; we accept only yes/no).
std::optional<bool> parseYesNo(std::string_view text);

/// A decimal integer in [0, max]; no sign, no spaces.
std::optional<std::int64_t> parseUnsigned(std::string_view text, std::int64_t max);

/// The unit a duration without a suffix is counted in: seconds for lifetimes, milliseconds
/// for retransmit-interval (as Libreswan does).
enum class PlainDurationUnit : std::uint8_t { Seconds, Milliseconds };

/// "3600", "30s", "500ms", "9m", "8h", "1d". At most ten years.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text, PlainDurationUnit plain);

/// "100%" or "100": a percentage in [0, 1000].
std::optional<int> parsePercent(std::string_view text);

/// A DNS name: dot-separated labels of letters, digits and '-', not all-numeric.
bool isHostname(std::string_view text);

/// Splits on `separator` and trims spaces around each piece; keeps empty pieces so the caller
/// can reject "a,,b".
std::vector<std::string_view> splitList(std::string_view text, char separator);

/// A CIDR ("10.15.0.0/16", "2001:db8::/32") or a bare address (a host prefix). The error says
/// what is wrong, e.g. that host bits are set, and suggests the network address.
Result<IpPrefix> parsePrefix(std::string_view text);

/// One IKE or ESP proposal: its transforms by kind, names lowercased as written.
struct Proposal {
  std::vector<std::string> encryption;
  std::vector<std::string> integrity;  ///< integrity and PRF algorithms (sha2_256, ...)
  std::vector<std::string> dhGroups;

  friend bool operator==(const Proposal&, const Proposal&) = default;
};

/// Libreswan proposal syntax: comma-separated proposals, each `ENCR[-INTEG][-DH]` or
/// `ENCR[-INTEG];DH`, alternatives joined by '+' ("aes_gcm256-sha2_512;dh19",
/// "aes256-sha2_256-modp2048"). `key` ("ike" or "esp") is used in the error text.
Result<std::vector<Proposal>> parseProposals(std::string_view text, std::string_view key);

}  // namespace ikemesh::policy
