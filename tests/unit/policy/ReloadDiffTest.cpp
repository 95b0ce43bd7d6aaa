// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "TempFolder.hpp"
#include "policy/MeshPolicy.hpp"

namespace ikemesh::policy {
namespace {

const ConfigSchema& schema() {
  static const ConfigSchema standard = ConfigSchema::standard();
  return standard;
}

const char* kConfig =
    "conn private\n\tauto=ondemand\n\ttype=transport\n\tleft=%defaultroute\n\tright=%opportunisticgroup\n"
    "conn clear\n\tauto=ondemand\n\ttype=passthrough\n\tauthby=never\n\tleft=%defaultroute\n\tright=%group\n";

MeshPolicy load(const test::TempFolder& folder) {
  auto mesh = loadMeshPolicy(folder.path("ipsec.conf"), schema());
  EXPECT_TRUE(mesh) << mesh.toError().message;
  return std::move(mesh).value();
}

const PolicyGroup& groupOf(const MeshPolicy& mesh, const std::string& name) {
  for (const auto& group : mesh.table.groups()) {
    if (group.name == name) return group;
  }
  throw std::runtime_error("no group " + name);
}

TEST(ReloadDiff, NothingChangedIsEmpty) {
  test::TempFolder folder;
  folder.write("ipsec.conf", kConfig);
  folder.write("policies/private", "10.15.0.0/16\n");
  MeshPolicy before = load(folder);
  MeshPolicy after = load(folder);
  EXPECT_TRUE(diffReload(before, after).empty());
}

TEST(ReloadDiff, UntouchedGroupComparesEqualWhenAnotherGroupChanges) {
  test::TempFolder folder;
  folder.write("ipsec.conf", kConfig);
  folder.write("policies/private", "10.15.0.0/16\n2001:db8::/32\n");
  folder.write("policies/clear", "10.15.0.1/32\n10.15.0.2/32\n");
  MeshPolicy before = load(folder);
  folder.write("policies/clear", "10.15.0.1/32\n10.15.0.3/32 tcp 0 53\n");
  MeshPolicy after = load(folder);

  const auto& privateBefore = groupOf(before, "private").entries;
  const auto& privateAfter = groupOf(after, "private").entries;
  ASSERT_EQ(privateBefore.size(), privateAfter.size());
  for (std::size_t i = 0; i < privateBefore.size(); ++i) {
    EXPECT_TRUE(privateBefore[i].sameTraffic(privateAfter[i]));
    EXPECT_EQ(privateBefore[i].where, privateAfter[i].where);
  }

  ReloadDiff diff = diffReload(before, after);
  EXPECT_TRUE(diff.addedConnections.empty());
  EXPECT_TRUE(diff.removedConnections.empty());
  EXPECT_TRUE(diff.changedConnections.empty());
  ASSERT_EQ(diff.changedGroups.size(), 1u);
  EXPECT_EQ(diff.changedGroups[0].group, "clear");
  ASSERT_EQ(diff.changedGroups[0].added.size(), 1u);
  EXPECT_EQ(diff.changedGroups[0].added[0].toString(), "10.15.0.3/32 tcp 0 53");
  ASSERT_EQ(diff.changedGroups[0].removed.size(), 1u);
  EXPECT_EQ(diff.changedGroups[0].removed[0].toString(), "10.15.0.2/32");
  EXPECT_EQ(diff.toString(), "group 'clear': + 10.15.0.3/32 tcp 0 53\ngroup 'clear': - 10.15.0.2/32\n");
}

TEST(ReloadDiff, ReorderedLinesAreNoChange) {
  test::TempFolder folder;
  folder.write("ipsec.conf", kConfig);
  folder.write("policies/private", "10.15.0.0/16\n10.16.0.0/16\n");
  MeshPolicy before = load(folder);
  folder.write("policies/private", "# reordered\n10.16.0.0/16\n10.15.0.0/16\n");
  EXPECT_TRUE(diffReload(before, load(folder)).empty());
}

TEST(ReloadDiff, ConnsAddedRemovedAndChanged) {
  test::TempFolder folder;
  folder.write("ipsec.conf", std::string(kConfig) + "conn old\n\tauto=ignore\n");
  folder.write("policies/private", "10.15.0.0/16\n");
  MeshPolicy before = load(folder);
  std::string changed = kConfig;
  changed.replace(changed.find("type=transport"), 14, "type=tunnel\n\tikelifetime=1h");
  folder.write("ipsec.conf", changed + "conn new\n\tauto=ignore\nconfig setup\n\tdataplane=tun\n");
  MeshPolicy after = load(folder);

  ReloadDiff diff = diffReload(before, after);
  EXPECT_EQ(diff.addedConnections, std::vector<std::string>{"new"});
  EXPECT_EQ(diff.removedConnections, std::vector<std::string>{"old"});
  ASSERT_EQ(diff.changedConnections.size(), 1u);
  EXPECT_EQ(diff.changedConnections[0].name, "private");
  EXPECT_EQ(diff.changedConnections[0].changedKeys, (std::vector<std::string>{"ikelifetime", "type"}));
  EXPECT_EQ(diff.changedSetupKeys, std::vector<std::string>{"dataplane"});
  EXPECT_TRUE(diff.changedGroups.empty());
}

TEST(ReloadDiff, GroupOfARemovedConnIsRemovedEntirely) {
  test::TempFolder folder;
  folder.write("ipsec.conf", kConfig);
  folder.write("policies/clear", "10.15.0.1/32\n");
  MeshPolicy before = load(folder);
  folder.write(
      "ipsec.conf",
      "conn private\n\tauto=ondemand\n\ttype=transport\n\tleft=%defaultroute\n\tright=%opportunisticgroup\n");
  ReloadDiff diff = diffReload(before, load(folder));
  EXPECT_EQ(diff.removedConnections, std::vector<std::string>{"clear"});
  ASSERT_EQ(diff.changedGroups.size(), 1u);
  EXPECT_EQ(diff.changedGroups[0].group, "clear");
  EXPECT_EQ(diff.changedGroups[0].removed.size(), 1u);
}

TEST(ReloadDiff, TextListsTwentyEntriesPerGroupAndDirectionThenHowManyMore) {
  test::TempFolder folder;
  folder.write("ipsec.conf", kConfig);
  std::string before;
  std::string after;
  for (int i = 0; i < 25; ++i) before += "10.15.1." + std::to_string(i) + "/32\n";
  for (int i = 0; i < 3; ++i) after += "10.15.2." + std::to_string(i) + "/32\n";
  folder.write("policies/private", before);
  MeshPolicy old = load(folder);
  folder.write("policies/private", after);
  const std::string text = diffReload(old, load(folder)).toString();
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("group 'private': + 10.15.2."), 3u);
  EXPECT_EQ(count("group 'private': - 10.15.1."), 20u);
  EXPECT_EQ(count("group 'private': - 5 more entries removed\n"), 1u) << text;
  EXPECT_EQ(count("more entries added"), 0u);
}

}  // namespace
}  // namespace ikemesh::policy
