// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/PluginSchema.hpp"

#include "plugin/ElfFile.hpp"
#include "plugin/PluginLoader.hpp"
#include "policy/RequiredFeatures.hpp"

namespace ikemesh {

std::vector<std::string> declarePluginKeys(policy::ConfigSchema& schema, const PluginDescriptor& descriptor) {
  std::vector<std::string> refused;
  for (const auto& feature : descriptor.provides) {
    if (!feature.starts_with("auth.") || policy::isStandardAuthFeature(feature)) continue;
    if (auto rc = schema.addAuthMethod(feature.substr(5), descriptor.name); !rc)
      refused.push_back(rc.error().message + " - ignored");
  }
  for (const auto& option : descriptor.options) {
    policy::KeyDeclaration declaration{option.key,   option.type, option.values,
                                       option.scope, option.doc,  descriptor.name};
    if (auto rc = schema.declare(declaration); !rc)
      refused.push_back("plugin '" + descriptor.name + "': config key '" + option.key + "' ignored - " +
                        rc.error().message);
  }
  return refused;
}

policy::ConfigSchema schemaWithInstalledPlugins(const std::vector<std::string>& directories,
                                                std::vector<std::string>& problems) {
  auto schema = policy::ConfigSchema::standard();
  for (const auto& directory : directories) {
    auto files = PluginLoader::pluginFiles(directory);
    if (!files) {
      problems.push_back(files.error().message);
      continue;
    }
    for (const auto& path : *files) {
      auto elf = ElfFile::open(path);
      if (!elf) {
        problems.push_back(path + ": " + elf.error().message);
        continue;
      }
      auto section = elf->section(IKEMESH_PLUGIN_SECTION);
      if (!section) {
        problems.push_back(path + ": no " IKEMESH_PLUGIN_SECTION " section");
        continue;
      }
      auto descriptor = parsePluginDescriptor(*section);
      if (!descriptor) {
        problems.push_back(path + ": " + descriptor.error().message);
        continue;
      }
      for (auto& message : declarePluginKeys(schema, *descriptor)) problems.push_back(std::move(message));
    }
  }
  return schema;
}

}  // namespace ikemesh
