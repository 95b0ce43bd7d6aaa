// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "policy/ConfigLoader.hpp"
#include "policy/RequiredFeatures.hpp"

namespace ikemesh::policy {
namespace {

Connection conn(std::string_view settings) {
  static const ConfigSchema schema = ConfigSchema::standard();
  std::string text = "conn c\n\tauto=ondemand\n\tleft=%defaultroute\n\tright=%opportunisticgroup\n";
  text += settings;
  auto config = ConfigLoader(schema, ParseOptions{.followIncludes = false}).loadText(text, "mesh.conf");
  EXPECT_TRUE(config) << config.toError().message;
  return config ? config->connections.at(0) : Connection{};
}

std::vector<std::string> features(const Connection& c, bool kernelHasEsp = false) {
  std::vector<std::string> names;
  for (const auto& f : requiredFeatures(c, kernelHasEsp)) names.push_back(f.feature);
  return names;
}

using Names = std::vector<std::string>;

TEST(RequiredFeatures, KeysFromDnsWithDnssecOffAreAConfigError) {
  static const ConfigSchema schema = ConfigSchema::standard();
  auto config = ConfigLoader(schema, ParseOptions{.followIncludes = false})
                    .loadText(
                        "config setup\n\tdnssec-enable=no\nconn c\n\tauto=ondemand\n\tleft=%defaultroute\n"
                        "\tright=%opportunisticgroup\n\tauthby=rsasig\n\trightrsasigkey=%dns\n",
                        "mesh.conf");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.firstError().toString(),
            "mesh.conf:8: rightrsasigkey=%dns in conn 'c' needs DNSSEC-validated keys, but config setup has "
            "dnssec-enable=no");
}

TEST(RequiredFeatures, AuthMethodsMapToFeatures) {
  EXPECT_EQ(features(conn("\tauthby=rsasig\n")), (Names{"auth.rsasig", "dataplane.tun"}));
  EXPECT_EQ(features(conn("\tauthby=ecdsa\n")), (Names{"auth.ecdsa", "dataplane.tun"}));
  EXPECT_EQ(features(conn("\tauthby=null\n")), (Names{"auth.null", "dataplane.tun"}));
  EXPECT_EQ(features(conn("\tauthby=rsa-sha2\n")), (Names{"auth.rsasig", "dataplane.tun"}));
  EXPECT_EQ(features(conn("\tauthby=rsasig,ecdsa\n")), (Names{"auth.rsasig", "auth.ecdsa", "dataplane.tun"}));
}

TEST(RequiredFeatures, PluginMethodNamesMapToTheirFeature) {
  EXPECT_EQ(authFeature("allowlist"), "auth.allowlist");
  EXPECT_EQ(authFeature("never"), "");
  EXPECT_TRUE(isStandardAuthFeature("auth.dnssec"));
  EXPECT_FALSE(isStandardAuthFeature("auth.allowlist"));
}

TEST(RequiredFeatures, ShuntsAndNeverNeedOnlyADataplane) {
  EXPECT_EQ(features(conn("\ttype=passthrough\n\tauthby=never\n")), (Names{"dataplane.tun"}));
  EXPECT_EQ(features(conn("\ttype=drop\n")), (Names{"dataplane.tun"}));
  EXPECT_EQ(features(conn("\tauthby=never\n")), (Names{"dataplane.tun"}));
}

TEST(RequiredFeatures, ClearOrPrivateAnswersIkeSoItNeedsItsAuthPlugin) {
  // Libreswan's clear-or-private: passthrough, but with an auth method and a group peer.
  auto clearOrPrivate = conn("\ttype=passthrough\n\tauthby=null\n");
  EXPECT_TRUE(clearOrPrivate.answersOpportunisticIke());
  EXPECT_EQ(features(clearOrPrivate), (Names{"auth.null", "dataplane.tun"}));
  EXPECT_FALSE(conn("\ttype=passthrough\n\tauthby=never\n").answersOpportunisticIke());
  EXPECT_FALSE(conn("\ttype=transport\n\tauthby=null\n").answersOpportunisticIke());
  EXPECT_FALSE(conn("\ttype=reject\n\tauthby=null\n").answersOpportunisticIke());
}

TEST(RequiredFeatures, DnsOnDemandNeedsTheDnssecPlugin) {
  auto needs = requiredFeatures(conn("\tauthby=rsasig\n\trightrsasigkey=%dnsondemand\n"), false);
  ASSERT_EQ(needs.size(), 3u);
  EXPECT_EQ(needs[0], (RequiredFeature{"auth.rsasig", "authby", "rsasig"}));
  EXPECT_EQ(needs[1], (RequiredFeature{"auth.dnssec", "rightrsasigkey", "%dnsondemand"}));
}

TEST(RequiredFeatures, SideAuthOverridesAuthby) {
  auto needs = requiredFeatures(conn("\tauthby=rsasig\n\tleftauth=ecdsa\n\trightauth=null\n"), true);
  ASSERT_EQ(needs.size(), 3u);
  EXPECT_EQ(needs[0], (RequiredFeature{"auth.ecdsa", "leftauth", "ecdsa"}));
  EXPECT_EQ(needs[1], (RequiredFeature{"auth.null", "rightauth", "null"}));
}

TEST(RequiredFeatures, DataplaneChoice) {
  EXPECT_EQ(requiredFeatures(conn("\tdataplane=xfrm\n"), false).back(),
            (RequiredFeature{"dataplane.xfrm", "dataplane", "xfrm"}));
  EXPECT_EQ(requiredFeatures(conn("\tdataplane=tun\n"), true).back(),
            (RequiredFeature{"dataplane.tun", "dataplane", "tun"}));
  EXPECT_EQ(requiredFeatures(conn(""), true).back(),
            (RequiredFeature{"dataplane.xfrm", "dataplane", "auto"}));
  EXPECT_EQ(requiredFeatures(conn(""), false).back(),
            (RequiredFeature{"dataplane.tun", "dataplane", "auto"}));
}

TEST(RequiredFeatures, IgnoredConnNeedsNothing) {
  Connection c = conn("");
  c.autoAction = AutoAction::Ignore;
  EXPECT_TRUE(requiredFeatures(c, true).empty());
}

TEST(RequiredFeatures, MissingProviderNamesKeyValueAndWhatIsLoaded) {
  static const ConfigSchema schema = ConfigSchema::standard();
  auto config =
      ConfigLoader(schema, ParseOptions{.followIncludes = false})
          .loadText(
              "conn clear\n\tauto=ondemand\n\ttype=passthrough\n\tauthby=never\n\tleft=%defaultroute\n"
              "\tright=%group\n\nconn private\n\tauto=ondemand\n\ttype=transport\n\tauthby=rsasig\n"
              "\tleft=%defaultroute\n\tright=%opportunisticgroup\n",
              "mesh.conf");
  ASSERT_TRUE(config);
  auto errors = checkProviders(config->connections, {"auth.null", "dataplane.tun"}, false);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].toString(),
            "mesh.conf:8: conn 'private': authby=rsasig needs a plugin that provides 'auth.rsasig'; loaded: "
            "auth.null, dataplane.tun");
  EXPECT_TRUE(checkProviders(config->connections, {"auth.rsasig", "dataplane.tun"}, false).empty());
  auto none = checkProviders(config->connections, {}, true);
  ASSERT_EQ(none.size(), 3u);
  EXPECT_EQ(none[0].toString(),
            "mesh.conf:1: conn 'clear': dataplane=auto needs a plugin that provides 'dataplane.xfrm'; "
            "loaded: none");
}

}  // namespace
}  // namespace ikemesh::policy
