// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/ConfigSchema.hpp"

#include <algorithm>
#include <cctype>

#include <ikemesh/net.hpp>

#include "policy/ConfigValues.hpp"

namespace ikemesh::policy {

namespace {

KeyDefinition conn(std::string key, ValueType type, std::string doc, std::vector<std::string> values = {}) {
  return KeyDefinition{std::move(key), type, std::move(values), KeyScope::Conn, std::move(doc), "core", ""};
}

KeyDefinition setup(std::string key, ValueType type, std::string doc, std::vector<std::string> values = {}) {
  return KeyDefinition{std::move(key), type, std::move(values), KeyScope::Setup, std::move(doc), "core", ""};
}

KeyDefinition alias(std::string key, std::string of, ValueType type = ValueType::Duration) {
  KeyDefinition definition = conn(std::move(key), type, "Alias of " + of + ".");
  definition.aliasOf = std::move(of);
  return definition;
}

std::string joined(const std::vector<std::string>& values) {
  std::string text;
  for (const auto& value : values) {
    if (!text.empty()) text += ", ";
    text += value;
  }
  return text;
}

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::string badValue(std::string_view value, const KeyDefinition& definition, std::string_view expected) {
  return "bad value '" + std::string(value) + "' for " + definition.key + ": expected " +
         std::string(expected);
}

bool isBase64(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
  });
}

bool isHex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Values of enum lists are separated by commas (authby=rsasig,ecdsa) or, for plutodebug,
// by spaces inside quotes (plutodebug="base crypt").
std::vector<std::string_view> splitEnumList(std::string_view text) {
  std::vector<std::string_view> items;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',' || text[i] == ' ' || text[i] == '\t') {
      if (i > start)
        items.push_back(text.substr(start, i - start));
      else if (i < text.size() && text[i] == ',')
        items.push_back({});
      start = i + 1;
    }
  }
  if (!text.empty() && text.back() == ',') items.push_back({});
  return items;
}

}  // namespace

std::string_view valueTypeName(ValueType type) {
  switch (type) {
    case ValueType::String: return "string";
    case ValueType::Path: return "path";
    case ValueType::Int: return "int";
    case ValueType::Bool: return "bool";
    case ValueType::Enum: return "enum";
    case ValueType::EnumList: return "enum list";
    case ValueType::Duration: return "duration";
    case ValueType::DurationMs: return "duration (ms)";
    case ValueType::Percent: return "percent";
    case ValueType::KeyingTries: return "int or %forever";
    case ValueType::Endpoint: return "endpoint";
    case ValueType::Identity: return "identity";
    case ValueType::RsaSigKey: return "public key";
    case ValueType::PrefixList: return "CIDR list";
    case ValueType::IkeProposals: return "IKE proposals";
    case ValueType::EspProposals: return "ESP proposals";
    case ValueType::IkeVersion: return "IKE version policy";
    case ValueType::Connections: return "conn name";
    case ValueType::Address: return "address";
  }
  return "?";
}

ConfigSchema ConfigSchema::standard() {
  ConfigSchema schema;
  using VT = ValueType;
  const std::vector<std::string> authMethods = {"rsasig", "ecdsa", "rsa-sha2", "null", "secret"};
  std::vector<std::string> authbyValues = authMethods;
  authbyValues.push_back("never");

  // conn sections (and conn %default)
  schema.add(
      conn("also", VT::Connections,
           "Includes the settings of another conn section; the including section's own settings win."));
  schema.add(conn("auto", VT::Enum,
                  "What happens at startup: add (load only), start (initiate now), ondemand (install traps; "
                  "the first packet initiates), ignore (do not load). route is Libreswan's old name for "
                  "ondemand. Default: ignore.",
                  {"add", "start", "ondemand", "ignore", "route"}));
  schema.add(conn("type", VT::Enum,
                  "tunnel or transport mode for protected connections; passthrough, drop or reject make the "
                  "conn a shunt (no IKE): traffic to its group is passed in clear, dropped, or rejected. "
                  "Default: tunnel.",
                  {"tunnel", "transport", "passthrough", "drop", "reject"}));
  schema.add(
      conn("authby", VT::EnumList,
           "How both ends authenticate, a comma-separated list: rsasig (RSA signatures, X.509), ecdsa, "
           "rsa-sha2 (RFC 8420 RSA-PSS), null (RFC 7619), secret (pre-shared key), never (no IKE, for "
           "shunts), or NAME for a method a plugin provides as feature auth.NAME. leftauth=/rightauth= "
           "override it per side.",
           authbyValues));
  schema.add(
      conn("leftauth", VT::Enum, "How the local end authenticates itself; overrides authby=.", authMethods));
  schema.add(conn("rightauth", VT::Enum, "How the peer must authenticate; overrides authby=.", authMethods));
  schema.add(conn("left", VT::Endpoint,
                  "The local end: an address, a host name, or %defaultroute (the address of the interface "
                  "of the default route)."));
  schema.add(conn("right", VT::Endpoint,
                  "The peer: an address, a host name, %any, or for opportunistic conns %group / "
                  "%opportunisticgroup (the peers are the CIDRs of policies/CONN-NAME)."));
  schema.add(conn("leftid", VT::Identity,
                  "Our identity: %fromcert (the certificate's subject), %null, @fqdn, an address, or a "
                  "quoted DN."));
  schema.add(conn("rightid", VT::Identity, "The identity the peer must prove; same forms as leftid."));
  schema.add(conn("leftcert", VT::String, "The nickname of our certificate in the NSS database."));
  schema.add(conn("rightcert", VT::String, "The nickname of the peer's certificate in the NSS database."));
  schema.add(conn("leftrsasigkey", VT::RsaSigKey,
                  "Our public key: %cert (from leftcert), %dnsondemand / %dns (from DNSSEC IPSECKEY "
                  "records), or a raw key 0s... (base64) / 0x... (hex)."));
  schema.add(
      conn("rightrsasigkey", VT::RsaSigKey,
           "The peer's public key: %cert, %dnsondemand (looked up in DNSSEC-validated IPSECKEY records "
           "when the peer connects), %dns, or a raw key."));
  schema.add(conn("leftsubnet", VT::PrefixList, "The local networks behind left, comma-separated CIDRs."));
  schema.add(conn("rightsubnet", VT::PrefixList, "The networks behind right, comma-separated CIDRs."));
  // Libreswan's plural keys; ikemesh takes the same comma-separated list (IKEv2 puts every
  // subnet in one CHILD SA's traffic selectors, RFC 7296 §2.9).
  schema.add(alias("leftsubnets", "leftsubnet", VT::PrefixList));
  schema.add(alias("rightsubnets", "rightsubnet", VT::PrefixList));
  schema.add(conn("failureshunt", VT::Enum,
                  "What happens to traffic for a peer when negotiation fails: passthrough (send in clear), "
                  "drop, hold, reject, none. Kept for shuntlifetime. Default: none.",
                  {"passthrough", "drop", "hold", "reject", "none"}));
  schema.add(conn("negotiationshunt", VT::Enum,
                  "What happens to traffic for a peer while IKE negotiates: passthrough, hold (queue), drop. "
                  "Default: hold.",
                  {"passthrough", "hold", "drop"}));
  schema.add(conn("ikev2", VT::IkeVersion,
                  "IKE version policy. ikemesh speaks IKEv2 only: insist, yes, permit and propose all mean "
                  "IKEv2; no/never is refused."));
  schema.add(conn("ike", VT::IkeProposals,
                  "IKE SA proposals, Libreswan syntax: aes_gcm256-sha2_512;dh19, aes256-sha2_256-modp2048, "
                  "comma-separated. Default: the engine's built-in list."));
  schema.add(conn("esp", VT::EspProposals,
                  "CHILD SA (ESP) proposals, Libreswan syntax: aes_gcm256, aes256-sha2_256;dh19 (PFS)."));
  schema.add(conn("ikelifetime", VT::Duration, "Lifetime of the IKE SA before it is rekeyed. Default: 8h."));
  schema.add(
      conn("ipsec-lifetime", VT::Duration, "Lifetime of a CHILD SA before it is rekeyed. Default: 8h."));
  schema.add(alias("salifetime", "ipsec-lifetime"));
  schema.add(alias("keylife", "ipsec-lifetime"));
  schema.add(conn("rekeymargin", VT::Duration, "How long before expiry rekeying starts. Default: 9m."));
  schema.add(conn("rekeyfuzz", VT::Percent,
                  "Random increase of rekeymargin, in percent, so both ends do not rekey at once. Default: "
                  "100%."));
  schema.add(
      conn("dpddelay", VT::Duration, "Interval of liveness checks (RFC 7296 §2.4); 0 = off. Default: 0."));
  schema.add(
      conn("dpdtimeout", VT::Duration, "Silence after which the peer is declared dead. Default: 0 (off)."));
  schema.add(conn("retransmit-interval", VT::DurationMs,
                  "First retransmission delay of an IKE request; doubles on each retry. Plain numbers are "
                  "milliseconds. Default: 500ms."));
  schema.add(conn("retransmit-timeout", VT::Duration,
                  "Total time to retransmit one IKE request before giving up. Default: 60s."));
  schema.add(conn("shuntlifetime", VT::Duration, "How long a failureshunt stays installed. Default: 15m."));
  schema.add(conn("inactivity", VT::Duration,
                  "strongSwan's key: a CHILD SA that neither sent nor received a packet for this long is "
                  "deleted (with its IKE SA when it was the last one); 0 = off. Default: 0."));
  schema.add(conn("fragmentation", VT::Enum,
                  "IKE fragmentation (RFC 7383): yes (when the peer supports it), no, force. Default: yes.",
                  {"yes", "no", "force"}));
  schema.add(conn("encapsulation", VT::Enum,
                  "UDP encapsulation of ESP (RFC 3948): yes (always), no, auto (when NAT is detected). "
                  "Default: auto.",
                  {"yes", "no", "auto"}));
  schema.add(conn("keyingtries", VT::KeyingTries,
                  "How many times to try to establish the conn; %forever (or 0) never gives up. Default: "
                  "%forever."));
  KeyDefinition dataplane =
      conn("dataplane", VT::Enum,
           "Which dataplane plugin carries the conn's ESP: xfrm (kernel), tun (userspace), "
           "auto (xfrm when the kernel has ESP, else tun). In config setup: the default "
           "of every conn. Default: auto.",
           {"xfrm", "tun", "auto"});
  dataplane.scope = KeyScope::Both;
  schema.add(dataplane);
  schema.add(
      conn("priority", VT::Int, "Policy priority; lower numbers win. Default: computed from prefixes."));
  schema.add(conn("pfs", VT::Bool,
                  "Whether CREATE_CHILD_SA (CHILD SA rekeys, CHILD SAs after the first) carries a fresh key "
                  "exchange (RFC 7296 §1.3.1). The peer's ESP proposals must then name a DH group. Default: "
                  "yes."));
  schema.add(conn("childless", VT::Bool,
                  "Initiate with an IKE_AUTH that carries no CHILD SA when the responder supports RFC 6023; "
                  "the CHILD SA follows in a CREATE_CHILD_SA. ikemesh always accepts childless IKE_AUTH "
                  "as a responder. Default: no."));
  schema.add(conn("narrowing", VT::Bool,
                  "Whether the traffic selectors may be narrowed during negotiation (RFC 7296 §2.9). "
                  "Default: no."));

  // config setup
  schema.add(setup("logfile", VT::Path, "Write the log to this file instead of stderr/journal."));
  schema.add(
      setup("plutodebug", VT::EnumList,
            "Debug logging classes, space- or comma-separated: none, all, base, cpu-usage, crypt, tmi, "
            "private.",
            {"none", "all", "base", "cpu-usage", "crypt", "tmi", "private"}));
  schema.add(setup("dnssec-enable", VT::Bool, "Whether DNS lookups are DNSSEC-validated. Default: yes."));
  schema.add(setup("dnssec-anchors", VT::Path, "A file of DNSSEC trust anchors (DS or DNSKEY records)."));
  schema.add(setup("ddos-mode", VT::Enum,
                   "When to require IKE cookies (RFC 7296 §2.6): auto (under load), busy (always), "
                   "unlimited (never). Default: auto.",
                   {"auto", "busy", "unlimited"}));
  schema.add(setup("protostack", VT::Enum,
                   "Libreswan's kernel stack choice; xfrm or netkey make dataplane=xfrm the default.",
                   {"xfrm", "netkey"}));
  return schema;
}

Result<void> ConfigSchema::declare(const KeyDeclaration& declaration) {
  const std::string what = "plugin '" + declaration.owner + "': option '" + declaration.key + "'";
  if (declaration.key.empty()) return fail("plugin '" + declaration.owner + "': an option has no key");
  for (char c : declaration.key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return fail(what + ": a key holds only letters, digits, '-', '_' and '.'");
  }
  if (const KeyDefinition* existing = find(declaration.key)) {
    return fail(what + ": the key is already declared by " +
                (existing->owner == "core" ? std::string("the core") : "plugin '" + existing->owner + "'"));
  }
  KeyDefinition definition;
  definition.key = declaration.key;
  definition.doc = declaration.doc;
  definition.owner = declaration.owner;
  definition.values = declaration.values;
  if (declaration.type == "string")
    definition.type = ValueType::String;
  else if (declaration.type == "int")
    definition.type = ValueType::Int;
  else if (declaration.type == "bool")
    definition.type = ValueType::Bool;
  else if (declaration.type == "enum")
    definition.type = ValueType::Enum;
  else if (declaration.type == "duration")
    definition.type = ValueType::Duration;
  else if (declaration.type == "path")
    definition.type = ValueType::Path;
  else if (declaration.type == "address")
    definition.type = ValueType::Address;
  else
    return fail(what + ": unknown type '" + declaration.type +
                "' (expected string, int, bool, enum, duration, path or address)");
  if (definition.type == ValueType::Enum && definition.values.empty())
    return fail(what + ": an enum needs a list of values");
  if (declaration.scope == "conn" || declaration.scope.empty())
    definition.scope = KeyScope::Conn;
  else if (declaration.scope == "setup")
    definition.scope = KeyScope::Setup;
  else
    return fail(what + ": unknown scope '" + declaration.scope + "' (expected conn or setup)");
  keys_.push_back(std::move(definition));
  return success();
}

Result<void> ConfigSchema::addAuthMethod(const std::string& name, const std::string& owner) {
  const std::string what = "plugin '" + owner + "': authentication method '" + name + "'";
  if (name.empty()) return fail(what + ": the name is empty");
  for (char c : name) {
    if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) &&
        c != '-')
      return fail(what + ": a method name holds only lower-case letters, digits and '-'");
  }
  for (const char* key : {"authby", "leftauth", "rightauth"}) {
    auto it = std::find_if(keys_.begin(), keys_.end(), [&](const KeyDefinition& d) { return d.key == key; });
    if (it == keys_.end()) continue;
    if (std::find(it->values.begin(), it->values.end(), name) != it->values.end())
      return fail(what + ": " + key + "=" + name + " already exists");
    it->values.push_back(name);
  }
  return success();
}

const KeyDefinition* ConfigSchema::find(std::string_view key) const {
  for (const auto& definition : keys_) {
    if (definition.key == key) return &definition;
  }
  return nullptr;
}

std::string ConfigSchema::canonicalName(const KeyDefinition& definition) const {
  return definition.aliasOf.empty() ? definition.key : definition.aliasOf;
}

std::optional<std::string> ConfigSchema::checkValue(const KeyDefinition& definition,
                                                    std::string_view value) const {
  switch (definition.type) {
    case ValueType::String: return std::nullopt;
    case ValueType::Path:
      if (value.empty()) return badValue(value, definition, "a path");
      return std::nullopt;
    case ValueType::Int:
      if (!parseUnsigned(value, 0x7fffffff)) return badValue(value, definition, "a non-negative integer");
      return std::nullopt;
    case ValueType::Bool:
      if (!parseYesNo(value)) return badValue(value, definition, "yes or no");
      return std::nullopt;
    case ValueType::Enum:
      if (!contains(definition.values, value))
        return badValue(value, definition, "one of " + joined(definition.values));
      return std::nullopt;
    case ValueType::EnumList: {
      auto items = splitEnumList(value);
      if (items.empty()) return badValue(value, definition, "one or more of " + joined(definition.values));
      for (auto item : items) {
        if (!contains(definition.values, item))
          return "bad value '" + std::string(item) + "' in " + definition.key + "=" + std::string(value) +
                 ": expected one or more of " + joined(definition.values);
      }
      return std::nullopt;
    }
    case ValueType::Duration:
      if (!parseDuration(value, PlainDurationUnit::Seconds))
        return badValue(value, definition, "a duration such as 3600, 30s, 9m, 8h or 1d");
      return std::nullopt;
    case ValueType::DurationMs:
      if (!parseDuration(value, PlainDurationUnit::Milliseconds))
        return badValue(value, definition, "a duration such as 500ms, 500 (milliseconds) or 2s");
      return std::nullopt;
    case ValueType::Percent:
      if (!parsePercent(value)) return badValue(value, definition, "a percentage such as 100%");
      return std::nullopt;
    case ValueType::KeyingTries:
      if (value != "%forever" && !parseUnsigned(value, 0x7fffffff))
        return badValue(value, definition, "a number of tries or %forever");
      return std::nullopt;
    case ValueType::Endpoint: {
      static const std::vector<std::string> kSpecial = {"%defaultroute", "%any", "%group",
                                                        "%opportunisticgroup", "%opportunistic"};
      if (contains(kSpecial, value) || IpAddress::parse(value) || isHostname(value)) return std::nullopt;
      return badValue(value, definition, "an address, a host name, or one of " + joined(kSpecial));
    }
    case ValueType::Identity: {
      static const std::vector<std::string> kSpecial = {"%fromcert", "%null", "%any"};
      if (contains(kSpecial, value) || IpAddress::parse(value) || isHostname(value)) return std::nullopt;
      if (value.size() > 1 && value.front() == '@') return std::nullopt;
      auto equals = value.find('=');
      if (equals != std::string_view::npos && equals > 0 &&
          std::isalpha(static_cast<unsigned char>(value.front())))
        return std::nullopt;  // a DN: "C=CA, O=Example, CN=node1"
      return badValue(
          value, definition,
          "one of " + joined(kSpecial) + ", @fqdn, an address, or a quoted DN such as \"CN=node1\"");
    }
    case ValueType::RsaSigKey: {
      static const std::vector<std::string> kSpecial = {"%cert", "%dnsondemand", "%dns"};
      if (contains(kSpecial, value)) return std::nullopt;
      if (value.substr(0, 2) == "0s" && isBase64(value.substr(2))) return std::nullopt;
      if (value.substr(0, 2) == "0x" && isHex(value.substr(2))) return std::nullopt;
      return badValue(value, definition,
                      "one of " + joined(kSpecial) + ", or a raw key 0s<base64> / 0x<hex>");
    }
    case ValueType::PrefixList:
      for (auto item : splitList(value, ',')) {
        if (item.empty()) return "empty CIDR in " + definition.key + "=" + std::string(value);
        auto prefix = parsePrefix(item);
        if (!prefix)
          return "bad CIDR '" + std::string(item) + "' in " + definition.key + ": " + prefix.error().message;
      }
      return std::nullopt;
    case ValueType::IkeProposals:
    case ValueType::EspProposals: {
      auto proposals = parseProposals(value, definition.key);
      if (!proposals) return proposals.error().message;
      return std::nullopt;
    }
    case ValueType::IkeVersion:
      if (value == "no" || value == "never")
        return "ikev2=" + std::string(value) +
               ": ikemesh speaks IKEv2 only (IKEv1 is not supported); use ikev2=insist or leave the key out";
      if (value == "insist" || value == "yes" || value == "permit" || value == "propose") return std::nullopt;
      return badValue(value, definition, "one of insist, yes, permit, propose");
    case ValueType::Connections:
      if (value.empty() || value.front() == '%') return badValue(value, definition, "the name of a conn");
      return std::nullopt;
    case ValueType::Address:
      if (!IpAddress::parse(value)) return badValue(value, definition, "an IPv4 or IPv6 address");
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace ikemesh::policy
