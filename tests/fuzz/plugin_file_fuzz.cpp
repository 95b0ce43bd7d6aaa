// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness: the plugin loader's checks of untrusted files (ELF sections and symbols,
// then the descriptor text).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "plugin/ElfFile.hpp"
#include "plugin/PluginDescriptor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  if (auto elf = ikemesh::ElfFile::parse(bytes)) {
    if (auto section = elf->section(".ikemesh_plugin")) (void)ikemesh::parsePluginDescriptor(*section);
    (void)elf->definesFunction("ikemesh_plugin_alpha");
  }
  (void)ikemesh::parsePluginDescriptor({data, size});
  return 0;
}
