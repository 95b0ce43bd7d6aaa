// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "plugin/ElfFile.hpp"

using namespace ikemesh;

namespace {
const std::string kDir = FIXTURE_DIR;

// The first bytes of a real plugin, to corrupt.
std::vector<std::uint8_t> pluginBytes() {
  auto elf = ElfFile::open(kDir + "/ikemesh-alpha.so");
  EXPECT_TRUE(elf.ok());
  std::ifstream in(kDir + "/ikemesh-alpha.so", std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST(ElfFile, FindsTheDescriptorSectionAndFactoryOfAPlugin) {
  auto elf = ElfFile::open(kDir + "/ikemesh-alpha.so");
  ASSERT_TRUE(elf.ok()) << elf.error().message;
  auto section = elf->section(".ikemesh_plugin");
  ASSERT_TRUE(section);
  EXPECT_GT(section->size(), 20u);
  EXPECT_TRUE(elf->definesFunction("ikemesh_plugin_alpha"));
  EXPECT_FALSE(elf->definesFunction("ikemesh_plugin_beta"));
  EXPECT_FALSE(elf->section(".no_such_section"));
}

TEST(ElfFile, ATextFileIsNotASharedObject) {
  auto elf = ElfFile::open(kDir + "/ikemesh-not-elf.so");
  ASSERT_FALSE(elf);
  EXPECT_EQ(elf.error().message, "not a shared object (no ELF header)");
}

TEST(ElfFile, ARelocatableObjectIsNotASharedObject) {
  auto elf = ElfFile::open(kDir + "/ikemesh-relocatable.so");
  ASSERT_FALSE(elf);
  EXPECT_NE(elf.error().message.find("ELF type 1"), std::string::npos) << elf.error().message;
}

TEST(ElfFile, AMissingFileSaysWhy) {
  auto elf = ElfFile::open(kDir + "/ikemesh-absent.so");
  ASSERT_FALSE(elf);
  EXPECT_EQ(elf.error().message, "cannot open: No such file or directory");
}

TEST(ElfFile, AnotherMachineIsRefused) {
  auto bytes = pluginBytes();
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof header);
  header.e_machine = EM_AARCH64 == header.e_machine ? EM_X86_64 : EM_AARCH64;
  std::memcpy(bytes.data(), &header, sizeof header);
  auto elf = ElfFile::parse(bytes);
  ASSERT_FALSE(elf);
  EXPECT_NE(elf.error().message.find("built for another machine"), std::string::npos);
}

TEST(ElfFile, SectionHeadersBeyondTheEndAreRefused) {
  auto bytes = pluginBytes();
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof header);
  header.e_shoff = bytes.size() - 10;
  std::memcpy(bytes.data(), &header, sizeof header);
  auto elf = ElfFile::parse(bytes);
  ASSERT_FALSE(elf);
  EXPECT_NE(elf.error().message.find("section headers beyond the end"), std::string::npos);
}

TEST(ElfFile, TruncatedFilesNeverReadPastTheEnd) {
  auto bytes = pluginBytes();
  for (std::size_t size : {0ul, 3ul, 16ul, 63ul, 64ul, 1000ul, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<std::uint8_t> part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
    auto elf = ElfFile::parse(part);
    EXPECT_FALSE(elf.ok()) << "accepted a file cut at " << size;
  }
}
