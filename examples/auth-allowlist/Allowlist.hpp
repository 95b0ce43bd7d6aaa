// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <vector>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

namespace allowlist {

/// A list of addresses and prefixes read from a file: one per line, `#` starts a comment,
/// blank lines are skipped.
class Allowlist {
 public:
  /// Reads `path`. The error names the file, and for a bad line its number and text.
  static ikemesh::Result<Allowlist> read(const std::string& path);

  /// Whether `address` is one of the entries or inside one of the prefixes.
  bool admits(const ikemesh::IpAddress& address) const;

  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<ikemesh::IpPrefix> entries_;
};

}  // namespace allowlist
