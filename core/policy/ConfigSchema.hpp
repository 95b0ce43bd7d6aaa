// SPDX-License-Identifier: GPL-2.0-or-later
// The keys ipsec.conf may contain: Libreswan's keys that ikemesh implements, plus the keys
// plugins declare at runtime (STYLE.md practice 6). Each key has a type that its values are
// checked against and a doc string from which the config reference is generated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ikemesh/result.hpp>

namespace ikemesh::policy {

/// How a key's value is checked.
enum class ValueType : std::uint8_t {
  String,        ///< anything
  Path,          ///< a file or folder name, not empty
  Int,           ///< a non-negative decimal integer
  Bool,          ///< yes | no
  Enum,          ///< one of KeyDefinition::values
  EnumList,      ///< a comma-separated list of KeyDefinition::values ("rsasig,ecdsa")
  Duration,      ///< 3600, 30s, 9m, 8h, 1d; plain numbers are seconds
  DurationMs,    ///< like Duration, but plain numbers are milliseconds (retransmit-interval)
  Percent,       ///< 100% or 100
  KeyingTries,   ///< an integer or %forever
  Endpoint,      ///< left=/right=: an address, a host name, %defaultroute, %any, %group, ...
  Identity,      ///< leftid=/rightid=: %fromcert, %null, %any, @fqdn, an address, a "DN"
  RsaSigKey,     ///< %cert, %dnsondemand, %dns, or a raw key 0s... / 0x...
  PrefixList,    ///< comma-separated CIDRs
  IkeProposals,  ///< ike= proposal syntax
  EspProposals,  ///< esp= proposal syntax
  IkeVersion,    ///< ikev2=: insist | yes | permit | propose (IKEv1 is refused)
  Connections,   ///< also=: the name of another conn
  Address,       ///< an IPv4 or IPv6 address, no host name (a plugin's "address" option)
};

/// Which section a key may appear in.
enum class KeyScope : std::uint8_t { Conn, Setup, Both };

/// A key as a plugin declares it (the "options" of its descriptor).
struct KeyDeclaration {
  std::string key;
  std::string type;                 ///< string, int, bool, enum, duration, path, address
  std::vector<std::string> values;  ///< the allowed values of an enum
  std::string scope;                ///< conn | setup
  std::string doc;
  std::string owner;  ///< the plugin's name
};

/// A key the schema knows.
struct KeyDefinition {
  std::string key;
  ValueType type = ValueType::String;
  std::vector<std::string> values;  ///< the allowed values of an Enum / EnumList
  KeyScope scope = KeyScope::Conn;
  std::string doc;
  std::string owner = "core";  ///< "core", or the plugin that declared the key
  /// For an alias ("salifetime"), the key it stands for ("ipsec-lifetime"); else empty.
  std::string aliasOf;
};

/// The set of keys, with the checks of their values.
class ConfigSchema {
 public:
  /// The Libreswan keys ikemesh implements.
  static ConfigSchema standard();

  /// Adds a plugin's key. Fails when the key is already known (naming who owns it), the type
  /// is not one of string, int, bool, enum, duration, path, an enum has no values, or the
  /// scope is not conn or setup.
  Result<void> declare(const KeyDeclaration& declaration);

  /// Makes `name` a value of authby=, leftauth= and rightauth=: the method a plugin provides
  /// as feature "auth.NAME" (strongSwan's way of naming plugin methods in `auth =`). Fails
  /// when the name is already a value, or is not a plain word.
  Result<void> addAuthMethod(const std::string& name, const std::string& owner);

  /// The key's definition, or nullptr when it is unknown. Aliases are returned as themselves;
  /// canonicalName() maps them.
  const KeyDefinition* find(std::string_view key) const;

  /// The name under which a key's value is stored: the aliased key for an alias.
  std::string canonicalName(const KeyDefinition& definition) const;

  /// Checks `value` against the key's type: nullopt when it is fine, else the reason, written
  /// to stand alone after "FILE:LINE: ".
  std::optional<std::string> checkValue(const KeyDefinition& definition, std::string_view value) const;

  /// Every key, core keys first, in declaration order (for the generated reference).
  const std::vector<KeyDefinition>& keys() const { return keys_; }

 private:
  void add(KeyDefinition definition) { keys_.push_back(std::move(definition)); }

  std::vector<KeyDefinition> keys_;
};

/// "string", "int", ... : the name of a type in descriptors and in the reference.
std::string_view valueTypeName(ValueType type);

}  // namespace ikemesh::policy
