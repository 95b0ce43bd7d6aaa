// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/result.hpp>

namespace ikemesh {

/// One configuration key a plugin accepts (STYLE.md practice 6). The core validates the
/// config against these, and the config reference is generated from them.
struct OptionDeclaration {
  std::string key;
  /// "string", "int", "bool", "enum", "duration", "path"
  std::string type;
  std::vector<std::string> values;  ///< the allowed values of an "enum"
  std::optional<std::string> defaultValue;
  std::string doc;
  /// "conn" (per connection, may be set in %default) or "setup" (in `config setup`).
  std::string scope = "conn";
};

/// What a plugin file says about itself, read without running its code.
struct PluginDescriptor {
  std::string name;  ///< "auth-x509": the file is ikemesh-auth-x509.so
  std::string version;
  std::string description;
  int abiMajor = 0;
  int abiMinor = 0;
  std::vector<std::string> provides;  ///< features, e.g. "auth.rsasig", "dataplane.tun"
  std::vector<std::string> depends;   ///< features other plugins must provide first
  std::vector<OptionDeclaration> options;

  /// The factory symbol the naming chain gives: ikemesh_plugin_auth_x509.
  std::string factorySymbol() const;
};

/// The section's magic line (IKEMESH_PLUGIN_DESCRIPTOR_ABI in <ikemesh/plugin.hpp>).
inline constexpr std::string_view kDescriptorMagic = "ikemesh-plugin-descriptor\n";

/// Parses the contents of the `.ikemesh_plugin` section: the magic line, "abi M.N", then the
/// JSON descriptor (a trailing NUL is allowed). The error names the field that is wrong.
Result<PluginDescriptor> parsePluginDescriptor(std::span<const std::uint8_t> section);

}  // namespace ikemesh
