// SPDX-License-Identifier: GPL-2.0-or-later
// What a plugin is: one shared object `ikemesh-NAME.so` that carries a descriptor the loader
// reads without running any of the plugin's code, and exports one factory
// `ikemesh_plugin_NAME` (dashes become underscores). STYLE.md practices 1-3 and 10.
//
// A plugin built with CMake gets both from `ikemesh_add_plugin()`, which embeds the plugin's
// JSON descriptor; by hand it is:
//
//   IKEMESH_PLUGIN_DESCRIPTOR(R"({"name": "auth-null", "version": "1.0", ...})")
//   IKEMESH_PLUGIN_FACTORY(auth_null, NullAuthPlugin)
//
// The factory and the descriptor must be in the same shared object; the descriptor in one
// translation unit only.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include <ikemesh/abi.hpp>
#include <ikemesh/auth.hpp>
#include <ikemesh/dataplane.hpp>
#include <ikemesh/host.hpp>

namespace ikemesh {

/// A loaded plugin: the providers it declared in its descriptor's "provides".
///
/// Constructed by the factory on the main thread, after every plugin it depends on; destroyed
/// on the main thread, before them. The returned interfaces are owned by the plugin and stay
/// valid until it is destroyed.
class Plugin {
 public:
  virtual ~Plugin() = default;

  /// The authentication method for `feature` (e.g. "auth.null"), or nullptr.
  virtual AuthMethod* authMethod(std::string_view feature) {
    (void)feature;
    return nullptr;
  }
  /// The dataplane for `feature` (e.g. "dataplane.tun"), or nullptr.
  virtual Dataplane* dataplane(std::string_view feature) {
    (void)feature;
    return nullptr;
  }
};

/// The factory's type. It returns a new Plugin the caller owns, or nullptr with `error` set.
/// It should not throw; the loader catches what it throws all the same.
using PluginFactory = Plugin*(Host& host, std::string& error);

}  // namespace ikemesh

/// The ELF section that holds the descriptor. The loader reads it straight from the file.
#define IKEMESH_PLUGIN_SECTION ".ikemesh_plugin"

#define IKEMESH_PLUGIN_STR2(x) #x
#define IKEMESH_PLUGIN_STR(x) IKEMESH_PLUGIN_STR2(x)

/// Embeds a descriptor claiming SDK ABI `major`.`minor`. Plugins use
/// IKEMESH_PLUGIN_DESCRIPTOR, which records the ABI of the headers they are compiled with.
/// The section holds plain text: a magic line, an ABI line, then the JSON descriptor.
#define IKEMESH_PLUGIN_DESCRIPTOR_ABI(major, minor, json)                                  \
  extern "C" __attribute__((used, visibility("default"), section(IKEMESH_PLUGIN_SECTION))) \
  const char ikemesh_plugin_descriptor[] =                                                 \
      "ikemesh-plugin-descriptor\n"                                                        \
      "abi " IKEMESH_PLUGIN_STR(major) "." IKEMESH_PLUGIN_STR(minor) "\n" json;

/// Embeds the plugin's JSON descriptor: {"name", "version", "description", "provides": [...],
/// "depends": [...], "options": [{"key", "type", "values", "default", "doc"}...]}.
#define IKEMESH_PLUGIN_DESCRIPTOR(json) \
  IKEMESH_PLUGIN_DESCRIPTOR_ABI(IKEMESH_SDK_ABI_MAJOR, IKEMESH_SDK_ABI_MINOR, json)

/// Exports the factory `ikemesh_plugin_<ident>` that constructs `Class(Host&)`. An exception
/// from the constructor becomes the error the loader reports; nothing crosses the boundary.
/// `ident` may be a macro: plugins built by ikemesh_add_plugin() write
/// `IKEMESH_PLUGIN_FACTORY(IKEMESH_PLUGIN_IDENT, MyPlugin)`.
#define IKEMESH_PLUGIN_FACTORY(ident, Class) IKEMESH_PLUGIN_FACTORY_EXPANDED(ident, Class)
#define IKEMESH_PLUGIN_FACTORY_EXPANDED(ident, Class)                                          \
  extern "C" __attribute__((visibility("default"))) ::ikemesh::Plugin* ikemesh_plugin_##ident( \
      ::ikemesh::Host& host, std::string& error) {                                             \
    try {                                                                                      \
      return new Class(host);                                                                  \
    } catch (const std::exception& e) {                                                        \
      error = e.what();                                                                        \
    } catch (...) {                                                                            \
      error = "unknown exception";                                                             \
    }                                                                                          \
    return nullptr;                                                                            \
  }
