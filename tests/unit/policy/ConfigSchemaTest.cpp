// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "policy/ConfigLoader.hpp"
#include "policy/ConfigSchema.hpp"

namespace ikemesh::policy {
namespace {

ConfigSchema schemaWithPluginKeys() {
  ConfigSchema schema = ConfigSchema::standard();
  const std::vector<KeyDeclaration> declarations = {
      {"tun-mtu", "int", {}, "conn", "MTU of the TUN device.", "kernel-tun"},
      {"tun-batching", "bool", {}, "conn", "Use recvmmsg/sendmmsg.", "kernel-tun"},
      {"tun-queue", "enum", {"single", "multi"}, "conn", "TUN queues.", "kernel-tun"},
      {"dns-timeout", "duration", {}, "setup", "DNS query timeout.", "auth-dnssec"},
      {"dnssec-resolver", "address", {}, "setup", "DNS server.", "auth-dnssec"},
      {"nssdir", "path", {}, "setup", "NSS database.", "auth-x509"},
      {"note", "string", {}, "conn", "Free text.", "example"},
  };
  for (const auto& declaration : declarations) {
    auto declared = schema.declare(declaration);
    EXPECT_TRUE(declared) << declared.error().message;
  }
  return schema;
}

std::string firstError(const ConfigSchema& schema, std::string_view text) {
  auto config = ConfigLoader(schema, ParseOptions{.followIncludes = false}).loadText(text, "ipsec.conf");
  return config ? "(loaded without error)" : config.firstError().toString();
}

TEST(ConfigSchema, EveryCoreKeyHasADocString) {
  const ConfigSchema schema = ConfigSchema::standard();
  for (const auto& key : schema.keys()) EXPECT_FALSE(key.doc.empty()) << key.key;
}

TEST(ConfigSchema, PluginKeysAreAcceptedAndKeptInTheConn) {
  ConfigSchema schema = schemaWithPluginKeys();
  auto config =
      ConfigLoader(schema, ParseOptions{.followIncludes = false})
          .loadText(
              "config setup\n\tdns-timeout=5s\n\tnssdir=/var/lib/ikemesh/nss\n"
              "conn a\n\ttun-mtu=1400\n\ttun-batching=yes\n\ttun-queue=multi\n\tnote=\"any text\"\n",
              "ipsec.conf");
  ASSERT_TRUE(config) << config.toError().message;
  EXPECT_EQ(config->connections[0].value("tun-mtu"), "1400");
  EXPECT_EQ(config->connections[0].value("note"), "any text");
  EXPECT_EQ(config->setup.settings.at("dns-timeout"), "5s");
  EXPECT_EQ(schema.find("tun-mtu")->owner, "kernel-tun");
}

TEST(ConfigSchema, PluginKeyValuesAreCheckedByType) {
  ConfigSchema schema = schemaWithPluginKeys();
  EXPECT_EQ(firstError(schema, "conn a\n\ttun-mtu=big\n"),
            "ipsec.conf:2: bad value 'big' for tun-mtu: expected a non-negative integer");
  EXPECT_EQ(firstError(schema, "conn a\n\ttun-batching=on\n"),
            "ipsec.conf:2: bad value 'on' for tun-batching: expected yes or no");
  EXPECT_EQ(firstError(schema, "conn a\n\ttun-queue=many\n"),
            "ipsec.conf:2: bad value 'many' for tun-queue: expected one of single, multi");
  EXPECT_EQ(
      firstError(schema, "config setup\n\tdns-timeout=5 s\n"),
      "ipsec.conf:2: dns-timeout=5 s: unexpected 's' after the value (put the value in double quotes if it "
      "contains spaces)");
  EXPECT_EQ(
      firstError(schema, "config setup\n\tdns-timeout=soon\n"),
      "ipsec.conf:2: bad value 'soon' for dns-timeout: expected a duration such as 3600, 30s, 9m, 8h or 1d");
  EXPECT_EQ(firstError(schema, "conn a\n\tdns-timeout=5s\n"),
            "ipsec.conf:2: key 'dns-timeout' belongs in config setup, not in conn 'a'");
}

TEST(ConfigSchema, PluginKeysAreUnknownWithoutTheirPlugin) {
  EXPECT_EQ(firstError(ConfigSchema::standard(), "conn x\n\ttun-mtu=1400\n"),
            "ipsec.conf:2: unknown key 'tun-mtu' in conn 'x'");
}

TEST(ConfigSchema, AddressOptionsTakeAnAddressOnly) {
  ConfigSchema schema = schemaWithPluginKeys();
  EXPECT_EQ(firstError(schema, "config setup\n\tdnssec-resolver=10.15.0.53\n"), "(loaded without error)");
  EXPECT_EQ(firstError(schema, "config setup\n\tdnssec-resolver=2001:db8::53\n"), "(loaded without error)");
  EXPECT_EQ(firstError(schema, "config setup\n\tdnssec-resolver=ns.example\n"),
            "ipsec.conf:2: bad value 'ns.example' for dnssec-resolver: expected an IPv4 or IPv6 address");
}

TEST(ConfigSchema, BadDeclarationsAreRefused) {
  ConfigSchema schema = schemaWithPluginKeys();
  EXPECT_EQ(schema.declare({"auto", "string", {}, "conn", "", "evil"}).error().message,
            "plugin 'evil': option 'auto': the key is already declared by the core");
  EXPECT_EQ(schema.declare({"tun-mtu", "int", {}, "conn", "", "other"}).error().message,
            "plugin 'other': option 'tun-mtu': the key is already declared by plugin 'kernel-tun'");
  EXPECT_EQ(schema.declare({"k", "float", {}, "conn", "", "p"}).error().message,
            "plugin 'p': option 'k': unknown type 'float' (expected string, int, bool, enum, duration, path "
            "or address)");
  EXPECT_EQ(schema.declare({"k", "enum", {}, "conn", "", "p"}).error().message,
            "plugin 'p': option 'k': an enum needs a list of values");
  EXPECT_EQ(schema.declare({"k", "int", {}, "global", "", "p"}).error().message,
            "plugin 'p': option 'k': unknown scope 'global' (expected conn or setup)");
  EXPECT_EQ(schema.declare({"a b", "int", {}, "conn", "", "p"}).error().message,
            "plugin 'p': option 'a b': a key holds only letters, digits, '-', '_' and '.'");
}

TEST(ConfigSchema, PluginAuthMethodsBecomeAuthbyValues) {
  ConfigSchema schema = ConfigSchema::standard();
  EXPECT_EQ(firstError(schema, "conn a\n\tauthby=allowlist\n"),
            "ipsec.conf:2: bad value 'allowlist' in authby=allowlist: expected one or more of rsasig, ecdsa, "
            "rsa-sha2, null, secret, never");
  ASSERT_TRUE(schema.addAuthMethod("allowlist", "auth-allowlist"));
  auto config = ConfigLoader(schema, ParseOptions{.followIncludes = false})
                    .loadText("conn a\n\tauthby=null,allowlist\n\trightauth=allowlist\n", "ipsec.conf");
  ASSERT_TRUE(config) << config.toError().message;
  EXPECT_EQ(config->connections[0].authBy, (std::vector<std::string>{"null", "allowlist"}));
  EXPECT_EQ(config->connections[0].rightAuth, "allowlist");
  EXPECT_EQ(schema.addAuthMethod("allowlist", "other").error().message,
            "plugin 'other': authentication method 'allowlist': authby=allowlist already exists");
  EXPECT_EQ(schema.addAuthMethod("null", "other").error().message,
            "plugin 'other': authentication method 'null': authby=null already exists");
  EXPECT_EQ(
      schema.addAuthMethod("Bad Name", "p").error().message,
      "plugin 'p': authentication method 'Bad Name': a method name holds only lower-case letters, digits "
      "and '-'");
}

}  // namespace
}  // namespace ikemesh::policy
