// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/ConfigValues.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ikemesh::policy {

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The algorithms the IKEv2 engine implements (DESIGN.md §6), under the names Libreswan accepts.
bool isEncryptionAlgorithm(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kBases = {"aes", "aes_cbc", "aes_gcm", "aes_gcm_16",
                                                             "aes_gcm16"};
  static constexpr std::array<std::string_view, 7> kKeyLengths = {"",     "128", "_128", "192",
                                                                  "_192", "256", "_256"};
  for (auto base : kBases) {
    if (name.substr(0, base.size()) != base) continue;
    auto rest = name.substr(base.size());
    if (std::find(kKeyLengths.begin(), kKeyLengths.end(), rest) != kKeyLengths.end()) return true;
  }
  return false;
}

bool isIntegrityAlgorithm(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kNames = {"sha2",   "sha2_256",    "sha256", "sha2_384",
                                                              "sha384", "sha2_512",    "sha512", "null",
                                                              "none",   "sha2_256_128"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

bool isDhGroup(std::string_view name) {
  static constexpr std::array<std::string_view, 11> kNames = {"modp2048", "dh14",       "dh19",    "dh20",
                                                              "dh31",     "ecp256",     "ecp_256", "ecp384",
                                                              "ecp_384",  "curve25519", "x25519"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

}  // namespace

std::optional<bool> parseYesNo(std::string_view text) {
  if (text == "yes") return true;
  if (text == "no") return false;
  return std::nullopt;
}

std::optional<std::int64_t> parseUnsigned(std::string_view text, std::int64_t max) {
  if (!isDigits(text) || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  if (value > max) return std::nullopt;
  return value;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text, PlainDurationUnit plain) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  constexpr std::int64_t kTenYearsMs = 10LL * 366 * 24 * 3600 * 1000;
  auto number = parseUnsigned(text.substr(0, digits), kTenYearsMs);
  if (!number) return std::nullopt;
  auto unit = text.substr(digits);
  std::int64_t multiplier = 0;
  if (unit.empty())
    multiplier = plain == PlainDurationUnit::Seconds ? 1000 : 1;
  else if (unit == "ms")
    multiplier = 1;
  else if (unit == "s")
    multiplier = 1000;
  else if (unit == "m")
    multiplier = 60 * 1000;
  else if (unit == "h")
    multiplier = 3600 * 1000;
  else if (unit == "d")
    multiplier = 24 * 3600 * 1000;
  else
    return std::nullopt;
  if (*number > kTenYearsMs / multiplier) return std::nullopt;
  return std::chrono::milliseconds(*number * multiplier);
}

std::optional<int> parsePercent(std::string_view text) {
  if (!text.empty() && text.back() == '%') text.remove_suffix(1);
  auto value = parseUnsigned(text, 1000);
  if (!value) return std::nullopt;
  return static_cast<int>(*value);
}

bool isHostname(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return false;
  bool allNumeric = true;
  for (auto label : splitList(text, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    if (!isDigits(label)) allNumeric = false;
  }
  return !allNumeric;  // "10.0.0.256" is a broken address, not a name
}

std::vector<std::string_view> splitList(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  while (true) {
    auto end = text.find(separator, start);
    auto piece = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!piece.empty() && (piece.front() == ' ' || piece.front() == '\t')) piece.remove_prefix(1);
    while (!piece.empty() && (piece.back() == ' ' || piece.back() == '\t')) piece.remove_suffix(1);
    pieces.push_back(piece);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return pieces;
}

Result<IpPrefix> parsePrefix(std::string_view text) {
  if (auto prefix = IpPrefix::parse(text)) return *prefix;
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive) about
    // "'" + std::string(...).
    std::string reason(1, '\'');
    reason.append(text.substr(0, slash));
    reason += "' is not an IPv4 or IPv6 address";
    return fail(std::move(reason));
  }
  auto length = parseUnsigned(text.substr(slash + 1), 255);
  if (!length || *length > address->bits())
    return fail("the prefix length must be a number from 0 to " + std::to_string(address->bits()));
  IpPrefix network(*address, static_cast<int>(*length));
  return fail("host bits are set (did you mean " + network.toString() + "?)");
}

Result<std::vector<Proposal>> parseProposals(std::string_view text, std::string_view key) {
  const std::string where = " in " + std::string(key) + "=" + std::string(text);
  std::vector<Proposal> proposals;
  for (auto proposalText : splitList(text, ',')) {
    if (proposalText.empty()) return fail("empty proposal" + where);
    Proposal proposal;
    auto semicolon = proposalText.find(';');
    auto main = proposalText.substr(0, semicolon);
    std::vector<std::string_view> groups = splitList(main, '-');
    std::optional<std::string_view> dhPart;
    if (semicolon != std::string_view::npos) dhPart = proposalText.substr(semicolon + 1);

    for (std::size_t i = 0; i < groups.size(); ++i) {
      for (auto nameView : splitList(groups[i], '+')) {
        if (nameView.empty()) return fail("empty algorithm name" + where);
        std::string name = lowercase(nameView);
        if (i == 0) {
          if (isEncryptionAlgorithm(name))
            proposal.encryption.push_back(name);
          else if (isIntegrityAlgorithm(name) || isDhGroup(name))
            return fail("the proposal must start with an encryption algorithm, not '" + name + "'" + where);
          else
            return fail("unknown algorithm '" + name + "'" + where);
        } else if (isIntegrityAlgorithm(name)) {
          if (!proposal.dhGroups.empty())
            return fail("integrity algorithm '" + name + "' after the DH group" + where);
          proposal.integrity.push_back(name);
        } else if (isDhGroup(name)) {
          proposal.dhGroups.push_back(name);
        } else if (isEncryptionAlgorithm(name)) {
          return fail("encryption algorithm '" + name + "' must come first" + where);
        } else {
          return fail("unknown algorithm '" + name + "'" + where);
        }
      }
    }
    if (dhPart) {
      if (!proposal.dhGroups.empty()) return fail("two DH groups given" + where);
      for (auto nameView : splitList(*dhPart, '+')) {
        if (nameView.empty()) return fail("empty DH group after ';'" + where);
        std::string name = lowercase(nameView);
        if (!isDhGroup(name)) {
          if (isEncryptionAlgorithm(name) || isIntegrityAlgorithm(name))
            return fail("'" + name + "' after ';' is not a DH group" + where);
          return fail("unknown algorithm '" + name + "'" + where);
        }
        proposal.dhGroups.push_back(name);
      }
    }
    proposals.push_back(std::move(proposal));
  }
  return proposals;
}

}  // namespace ikemesh::policy
