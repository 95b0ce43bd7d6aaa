// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <vector>

#include "plugin/PluginDescriptor.hpp"
#include "policy/ConfigSchema.hpp"

namespace ikemesh {

/// Adds what a plugin's descriptor brings to the configuration: its option keys, and its own
/// authentication methods ("auth.NAME" that no standard method maps to) as values of
/// authby=, leftauth= and rightauth=. Returns one message per declaration refused.
std::vector<std::string> declarePluginKeys(policy::ConfigSchema& schema, const PluginDescriptor& descriptor);

/// The schema with the keys of every plugin file in `directories`, read from the files'
/// descriptors without loading them (for the generated reference). Unreadable files are
/// reported in `problems` and skipped.
policy::ConfigSchema schemaWithInstalledPlugins(const std::vector<std::string>& directories,
                                                std::vector<std::string>& problems);

}  // namespace ikemesh
