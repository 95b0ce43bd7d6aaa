// SPDX-License-Identifier: GPL-2.0-or-later
// The mesh.conf and policy files of Libreswan's mesh guide, unchanged (DESIGN.md §4).
#include <gtest/gtest.h>

#include "policy/ConfigParser.hpp"
#include "policy/MeshPolicy.hpp"
#include "policy/RequiredFeatures.hpp"

namespace ikemesh::policy {
namespace {

const std::string kGuide = std::string(IKEMESH_TEST_DATA) + "/mesh-guide";

const ConfigSchema& schema() {
  static const ConfigSchema standard = ConfigSchema::standard();
  return standard;
}

TEST(MeshGuide, MeshConfLoadsUnchanged) {
  auto mesh = loadMeshPolicy(kGuide + "/mesh.conf", schema());
  ASSERT_TRUE(mesh) << mesh.toError().message;
  const Config& config = mesh->config;
  ASSERT_EQ(config.connections.size(), 3u);

  const Connection* clear = config.find("clear");
  ASSERT_NE(clear, nullptr);
  EXPECT_EQ(clear->autoAction, AutoAction::OnDemand);
  EXPECT_EQ(clear->type, ConnectionType::Passthrough);
  EXPECT_EQ(clear->authBy, std::vector<std::string>{"never"});
  EXPECT_EQ(clear->left.kind, Endpoint::Kind::DefaultRoute);
  EXPECT_EQ(clear->right.kind, Endpoint::Kind::Group);

  const Connection* priv = config.find("private");
  ASSERT_NE(priv, nullptr);
  EXPECT_EQ(priv->where, (SourceLocation{kGuide + "/mesh.conf", 8}));
  EXPECT_EQ(priv->type, ConnectionType::Transport);
  EXPECT_EQ(priv->failureShunt, Shunt::Drop);
  EXPECT_EQ(priv->negotiationShunt, Shunt::Drop);
  EXPECT_EQ(priv->leftCert, "nodeXXXX");
  EXPECT_EQ(priv->leftId, "%fromcert");
  EXPECT_EQ(priv->rightId, "%fromcert");
  EXPECT_EQ(priv->right.kind, Endpoint::Kind::OpportunisticGroup);

  const Connection* porc = config.find("private-or-clear");
  ASSERT_NE(porc, nullptr);
  EXPECT_EQ(porc->failureShunt, Shunt::Passthrough);
  EXPECT_EQ(porc->negotiationShunt, Shunt::Passthrough);
}

TEST(MeshGuide, PolicyFilesGiveTheGroups) {
  auto mesh = loadMeshPolicy(kGuide + "/mesh.conf", schema());
  ASSERT_TRUE(mesh) << mesh.toError().message;
  PolicyTable& table = mesh->table;
  table.setLocalAddresses({*IpAddress::parse("10.15.7.7")});
  const IpAddress self = *IpAddress::parse("10.15.7.7");

  auto at = [&](const char* peer) {
    PolicyMatch match = table.lookup({self, *IpAddress::parse(peer)});
    return match ? match.group->connection + " " + match.entry->toString() : std::string("none");
  };
  EXPECT_EQ(at("10.15.1.7"), "private 10.15.0.0/16");
  EXPECT_EQ(at("10.15.0.1"), "clear 10.15.0.1/32");
  EXPECT_EQ(at("10.15.0.2"), "clear 10.15.0.2/32");
  EXPECT_EQ(at("10.16.3.4"), "private-or-clear 10.16.0.0/16");
  EXPECT_EQ(at("10.15.7.7"), "none");
  EXPECT_EQ(at("192.0.2.1"), "none");

  PolicyMatch gateway = table.lookup({self, *IpAddress::parse("10.15.0.1")});
  EXPECT_EQ(gateway.entry->where, (SourceLocation{kGuide + "/policies/clear", 2}));
}

TEST(MeshGuide, NeedsX509AndADataplane) {
  auto mesh = loadMeshPolicy(kGuide + "/mesh.conf", schema());
  ASSERT_TRUE(mesh);
  EXPECT_TRUE(checkProviders(mesh->config.connections, {"auth.rsasig", "dataplane.tun"}, false).empty());
  auto errors = checkProviders(mesh->config.connections, {"auth.null", "dataplane.tun"}, false);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].toString(),
            kGuide +
                "/mesh.conf:8: conn 'private': authby=rsasig needs a plugin that provides "
                "'auth.rsasig'; loaded: auth.null, dataplane.tun");
}

TEST(MeshGuide, LibreswanRsasigkeyCertIsAccepted) {
  auto text = readTextFile(kGuide + "/mesh.conf");
  ASSERT_TRUE(text);
  std::string withKeys = *text + "\tleftrsasigkey=%cert\n\trightrsasigkey=%cert\n";
  EXPECT_TRUE(ConfigLoader(schema(), ParseOptions{.followIncludes = false}).loadText(withKeys, "mesh.conf"));
}

TEST(MeshGuide, PastedFootnoteNumbersGiveTheExactError) {
  auto text = readTextFile(kGuide + "/mesh-pasted-callouts.conf");
  ASSERT_TRUE(text);
  auto parsed = ConfigParser(schema(), ParseOptions{.followIncludes = false}).parseText(*text, "mesh.conf");
  ASSERT_FALSE(parsed);
  ASSERT_EQ(parsed.errors().size(), 3u);
  EXPECT_EQ(parsed.errors()[0].toString(),
            "mesh.conf:2: auto=ondemand 1: unexpected '1' after the value (a footnote number pasted from the "
            "guide?)");
  EXPECT_EQ(
      parsed.errors()[1].toString(),
      "mesh.conf:16: leftcert=nodeXXXX 3: unexpected '3' after the value (a footnote number pasted from the "
      "guide?)");
  EXPECT_EQ(
      parsed.errors()[2].toString(),
      "mesh.conf:17: leftid=%fromcert 2: unexpected '2' after the value (a footnote number pasted from the "
      "guide?)");
}

TEST(MeshGuide, PastedFootnoteErrorFromTheFileNamesTheFile) {
  auto mesh = loadMeshPolicy(kGuide + "/mesh-pasted-callouts.conf", schema());
  ASSERT_FALSE(mesh);
  EXPECT_EQ(
      mesh.firstError().toString(),
      kGuide +
          "/mesh-pasted-callouts.conf:2: auto=ondemand 1: unexpected '1' after the value (a footnote number "
          "pasted from the guide?)");
}

}  // namespace
}  // namespace ikemesh::policy
