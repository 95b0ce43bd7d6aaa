// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "plugin/PluginDescriptor.hpp"

using namespace ikemesh;

namespace {
Result<PluginDescriptor> parse(const std::string& text) {
  return parsePluginDescriptor({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}
const std::string kHead = "ikemesh-plugin-descriptor\nabi 1.0\n";
}  // namespace

TEST(PluginDescriptor, ParsesEveryField) {
  auto d = parse(kHead + R"({"name": "auth-x509", "version": "2.1", "description": "X.509",
    "provides": ["auth.rsasig", "auth.ecdsa"], "depends": ["dataplane.tun"],
    "options": [{"key": "ocsp", "type": "enum", "values": ["yes", "no"], "default": "no", "doc": "Check OCSP."},
                {"key": "crl-dir", "type": "path", "scope": "setup"}]})" +
                 std::string(1, '\0'));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->name, "auth-x509");
  EXPECT_EQ(d->version, "2.1");
  EXPECT_EQ(d->abiMajor, 1);
  EXPECT_EQ(d->abiMinor, 0);
  EXPECT_EQ(d->provides, (std::vector<std::string>{"auth.rsasig", "auth.ecdsa"}));
  EXPECT_EQ(d->depends, (std::vector<std::string>{"dataplane.tun"}));
  ASSERT_EQ(d->options.size(), 2u);
  EXPECT_EQ(d->options[0].values, (std::vector<std::string>{"yes", "no"}));
  EXPECT_EQ(d->options[0].defaultValue, "no");
  EXPECT_EQ(d->options[1].scope, "setup");
  EXPECT_EQ(d->factorySymbol(), "ikemesh_plugin_auth_x509");
}

TEST(PluginDescriptor, EachDefectIsNamed) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases{
      {"garbage", "descriptor section without the magic line"},
      {"ikemesh-plugin-descriptor\n{}", "descriptor without an ABI line"},
      {"ikemesh-plugin-descriptor\nabi x.y\n{}", "malformed ABI version 'x.y'"},
      {"ikemesh-plugin-descriptor\nabi 1\n{}", "malformed ABI version '1'"},
      {kHead + "{\"name\": ", "descriptor is not valid JSON"},
      {kHead + "[]", "descriptor is not a JSON object"},
      {kHead + R"({"version": "1"})", "descriptor \"name\" missing or invalid: ''"},
      {kHead + R"({"name": "Bad Name", "version": "1"})",
       "descriptor \"name\" missing or invalid: 'Bad Name'"},
      {kHead + R"({"name": "x"})", "descriptor \"version\" missing"},
      {kHead + R"({"name": "x", "version": "1", "provides": "auth.null"})", "\"provides\" must be an array"},
      {kHead + R"({"name": "x", "version": "1", "provides": ["nodot"]})", "invalid name 'nodot'"},
      {kHead + R"({"name": "x", "version": "1", "options": [{"key": "k", "type": "float"}]})",
       "\"options\"[0].type: unknown type 'float'"},
      {kHead + R"({"name": "x", "version": "1", "options": [{"key": "k", "type": "enum"}]})",
       "\"options\"[0]: an enum needs \"values\""},
      {kHead + R"({"name": "x", "version": "1", "options": [{"key": "K!"}]})", "invalid key name 'K!'"},
  };
  for (const auto& c : cases) {
    auto d = parse(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_NE(d.error().message.find(c.error), std::string::npos)
        << d.error().message << " / wanted: " << c.error;
  }
}
