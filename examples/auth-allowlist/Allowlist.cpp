// SPDX-License-Identifier: GPL-2.0-or-later
#include "Allowlist.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

namespace allowlist {

namespace {

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

ikemesh::Result<Allowlist> Allowlist::read(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ikemesh::fail(path + ": cannot read: " + std::strerror(errno));
  Allowlist list;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string_view entry = line;
    entry = trimmed(entry.substr(0, entry.find('#')));
    if (entry.empty()) continue;
    std::optional<ikemesh::IpPrefix> prefix;
    if (entry.find('/') != std::string_view::npos)
      prefix = ikemesh::IpPrefix::parse(entry);
    else if (auto address = ikemesh::IpAddress::parse(entry))
      prefix = ikemesh::IpPrefix::host(*address);
    if (!prefix) {
      return ikemesh::fail(path + ":" + std::to_string(number) + ": '" + std::string(entry) +
                           "' is not an address or a prefix");
    }
    list.entries_.push_back(*prefix);
  }
  return list;
}

bool Allowlist::admits(const ikemesh::IpAddress& address) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const ikemesh::IpPrefix& prefix) { return prefix.contains(address); });
}

}  // namespace allowlist
