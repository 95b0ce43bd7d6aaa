// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/PolicyGroup.hpp"

#include <array>
#include <filesystem>
#include <map>
#include <utility>

#include "policy/ConfigParser.hpp"
#include "policy/ConfigValues.hpp"

namespace ikemesh::policy {

namespace {

constexpr std::array<std::pair<std::string_view, std::uint8_t>, 9> kProtocols = {{
    {"icmp", 1},
    {"tcp", 6},
    {"udp", 17},
    {"gre", 47},
    {"icmpv6", 58},
    {"ipv6-icmp", 58},
    {"sctp", 132},
    {"udplite", 136},
    {"all", 0},
}};

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::vector<std::string_view> fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isBlank(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !isBlank(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace

std::string protocolName(std::uint8_t protocol) {
  for (auto [name, number] : kProtocols) {
    if (number == protocol && number != 0) return std::string(name);
  }
  return std::to_string(protocol);
}

std::string PolicyEntry::toString() const {
  std::string text = prefix.toString();
  if (!hasProtocolOrPorts()) return text;
  for (const std::string& field :
       {protocolName(protocol), std::to_string(localPort), std::to_string(peerPort)}) {
    text += ' ';
    text += field;
  }
  return text;
}

ConfigResult<PolicyGroup> parsePolicyGroup(std::string_view text, const std::string& groupName,
                                           const std::string& fileName) {
  PolicyGroup group;
  group.name = groupName;
  group.file = fileName;
  group.fileExists = true;
  std::vector<ConfigError> errors;
  std::map<decltype(PolicyEntry{}.trafficKey()), std::size_t> firstOfTraffic;  // index in group.entries
  int lineNumber = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    auto end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(position, end - position);
    position = end + 1;
    ++lineNumber;
    const SourceLocation where{fileName, lineNumber};
    auto error = [&](std::string reason) { errors.push_back({where, std::move(reason)}); };

    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    auto parts = fields(line);
    if (parts.empty()) continue;
    if (parts.size() != 1 && parts.size() != 4) {
      error("expected 'CIDR' or 'CIDR PROTOCOL SOURCE-PORT DESTINATION-PORT', got " +
            std::to_string(parts.size()) + " fields");
      continue;
    }
    auto prefix = parsePrefix(parts[0]);
    if (!prefix) {
      error("bad CIDR '" + std::string(parts[0]) + "': " + prefix.error().message);
      continue;
    }
    PolicyEntry entry;
    entry.prefix = *prefix;
    entry.where = where;
    if (parts.size() == 4) {
      std::optional<std::uint8_t> protocol;
      for (auto [name, number] : kProtocols) {
        if (name == parts[1]) protocol = number;
      }
      if (!protocol) {
        if (auto number = parseUnsigned(parts[1], 255)) protocol = static_cast<std::uint8_t>(*number);
      }
      if (!protocol) {
        error("unknown protocol '" + std::string(parts[1]) +
              "' (expected tcp, udp, icmp, sctp, ... or 0-255)");
        continue;
      }
      auto localPort = parseUnsigned(parts[2], 65535);
      auto peerPort = parseUnsigned(parts[3], 65535);
      if (!localPort || !peerPort) {
        error("bad port '" + std::string(!localPort ? parts[2] : parts[3]) + "' (expected 0-65535, 0 = any)");
        continue;
      }
      if (*protocol == 0 && (*localPort != 0 || *peerPort != 0)) {
        error("ports need a protocol (protocol 0 means any)");
        continue;
      }
      entry.protocol = *protocol;
      entry.localPort = static_cast<std::uint16_t>(*localPort);
      entry.peerPort = static_cast<std::uint16_t>(*peerPort);
    }
    // A map, not a scan of the entries so far: groups of 100,000 CIDRs are loaded on every
    // reload, and the scan made that quadratic (bench/policy_reload.sh).
    auto [first, inserted] = firstOfTraffic.try_emplace(entry.trafficKey(), group.entries.size());
    if (!inserted) {
      error(entry.toString() + " is listed twice (first at " + group.entries[first->second].where.toString() +
            ")");
      continue;
    }
    group.entries.push_back(std::move(entry));
  }
  if (!errors.empty()) return errors;
  return group;
}

std::string policiesFolderFor(const std::string& mainConfigFile) {
  return (std::filesystem::path(mainConfigFile).parent_path() / "policies").string();
}

ConfigResult<std::vector<PolicyGroup>> loadPolicyGroups(const Config& config,
                                                        const std::string& policiesFolder) {
  std::vector<PolicyGroup> groups;
  std::vector<ConfigError> errors;
  for (const auto& connection : config.connections) {
    if (connection.autoAction == AutoAction::Ignore || !connection.right.isGroup()) continue;
    const std::string file = (std::filesystem::path(policiesFolder) / connection.name).string();
    std::error_code code;
    if (!std::filesystem::exists(file, code)) {
      groups.push_back({connection.name, file, false, {}});  // no file: an empty group
      continue;
    }
    auto text = readTextFile(file);
    if (!text) {
      errors.push_back(fileError(file, text.error().message));
      continue;
    }
    auto group = parsePolicyGroup(*text, connection.name, file);
    if (!group) {
      errors.insert(errors.end(), group.errors().begin(), group.errors().end());
      continue;
    }
    groups.push_back(std::move(group).value());
  }
  if (!errors.empty()) return errors;
  return groups;
}

}  // namespace ikemesh::policy
