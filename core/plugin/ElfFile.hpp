// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ikemesh/result.hpp>

namespace ikemesh {

/// Reads a shared object's sections and dynamic symbols straight from the file, without
/// loading it: this is how a plugin's descriptor and factory are checked before any of its
/// code runs. Every offset and size in the file is bounds-checked; the file is untrusted.
class ElfFile {
 public:
  /// Reads the file at `path` and checks that it is a 64-bit shared object for this machine.
  static Result<ElfFile> open(const std::string& path);
  /// The same checks on bytes already in memory (tests and the fuzzer).
  static Result<ElfFile> parse(std::vector<std::uint8_t> bytes);

  /// The contents of the section called `name`; nullopt when there is none.
  std::optional<std::span<const std::uint8_t>> section(std::string_view name) const;
  /// Whether the dynamic symbol table defines a global function called `name`.
  bool definesFunction(std::string_view name) const;

 private:
  struct Section {
    std::string name;
    std::uint32_t type = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint32_t link = 0;
  };
  std::vector<std::uint8_t> bytes_;
  std::vector<Section> sections_;
  std::vector<std::string> functions_;  // defined global/weak STT_FUNC symbols of .dynsym
};

}  // namespace ikemesh
