// SPDX-License-Identifier: GPL-2.0-or-later
// The built ikemesh-kernel-tun.so is what the loader accepts: its descriptor parses, names the
// provider and the options, and the factory of the naming chain is exported.
#include <gtest/gtest.h>

#include <algorithm>

#include "plugin/ElfFile.hpp"
#include "plugin/PluginDescriptor.hpp"

using namespace ikemesh;

TEST(KernelTunPluginFile, DescriptorDeclaresTheTunDataplaneAndItsOptions) {
  auto elf = ElfFile::open(KERNEL_TUN_MODULE);
  ASSERT_TRUE(elf.ok()) << elf.error().message;
  auto section = elf->section(".ikemesh_plugin");
  ASSERT_TRUE(section);
  auto descriptor = parsePluginDescriptor(*section);
  ASSERT_TRUE(descriptor.ok()) << descriptor.error().message;
  EXPECT_EQ(descriptor->name, "kernel-tun");
  EXPECT_EQ(descriptor->provides, std::vector<std::string>{"dataplane.tun"});
  EXPECT_TRUE(elf->definesFunction(descriptor->factorySymbol()));
  std::vector<std::string> keys;
  for (const auto& option : descriptor->options) {
    keys.push_back(option.key);
    EXPECT_EQ(option.scope, "setup") << option.key;
    EXPECT_TRUE(option.defaultValue) << option.key;
  }
  for (const char* key : {"tun-device", "tun-mtu", "tun-routing-table", "tun-rule-priority", "tun-fwmark"})
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
}
