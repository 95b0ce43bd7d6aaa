// SPDX-License-Identifier: GPL-2.0-or-later
// plugin_conformance PLUGIN.so [--set CONN/KEY=VALUE]... [--local IP] [--peer IP]
//                    [--udp-encapsulation]
//
// Loads one plugin file as the daemon would (descriptor read from the file first, then the
// factory with a test kit FakeHost) and runs the SDK's conformance checks on every feature it
// provides: auth.* with the two-peer harness (connections "initiator" and "responder"),
// dataplane.* with the dataplane checks. Exit 0 when every feature conforms. A dataplane that
// touches the kernel must be run in a network namespace of the caller's (as root).
#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <ikemesh/plugin.hpp>
#include <ikemesh/testkit/AuthConformance.hpp>
#include <ikemesh/testkit/DataplaneConformance.hpp>

#include "plugin/ElfFile.hpp"
#include "plugin/PluginDescriptor.hpp"

using namespace ikemesh;

namespace {

int usage() {
  std::cerr << "usage: plugin_conformance PLUGIN.so [--set CONN/KEY=VALUE]... [--local IP] [--peer IP] "
               "[--udp-encapsulation]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string path = argv[1];
  testkit::FakeHost host("conformance");
  testkit::DataplaneSetup setup{*IpAddress::parse("192.0.2.1"), *IpAddress::parse("192.0.2.2"), false};
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--set") {
      const auto setting = next();
      const auto slash = setting.find('/'), equals = setting.find('=');
      if (slash == std::string::npos || equals == std::string::npos || equals < slash) return usage();
      host.setConfig(setting.substr(0, slash), setting.substr(slash + 1, equals - slash - 1),
                     setting.substr(equals + 1));
    } else if (arg == "--local" || arg == "--peer") {
      auto address = IpAddress::parse(next());
      if (!address) return usage();
      (arg == "--local" ? setup.local : setup.peer) = *address;
    } else if (arg == "--udp-encapsulation") {
      setup.udpEncapsulation = true;
    } else {
      return usage();
    }
  }

  auto elf = ElfFile::open(path);
  if (!elf) {
    std::cerr << path << ": " << elf.error().message << "\n";
    return 1;
  }
  auto section = elf->section(IKEMESH_PLUGIN_SECTION);
  auto descriptor =
      section ? parsePluginDescriptor(*section) : Result<PluginDescriptor>(fail("no descriptor"));
  if (!descriptor) {
    std::cerr << path << ": " << descriptor.error().message << "\n";
    return 1;
  }
  void* module = ::dlopen(std::filesystem::absolute(path).c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!module) {
    std::cerr << path << ": " << ::dlerror() << "\n";
    return 1;
  }
  auto* factory = reinterpret_cast<PluginFactory*>(::dlsym(module, descriptor->factorySymbol().c_str()));
  if (!factory) {
    std::cerr << path << ": no " << descriptor->factorySymbol() << "\n";
    return 1;
  }
  std::string error;
  std::unique_ptr<Plugin> plugin(factory(host, error));
  if (!plugin) {
    std::cerr << path << ": the factory failed: " << error << "\n";
    return 1;
  }

  int failed = 0;
  testkit::CountingEvents events;  // outlives the plugin's dataplanes
  for (const auto& feature : descriptor->provides) {
    std::vector<std::string> failures;
    if (feature.starts_with("auth.")) {
      AuthMethod* method = plugin->authMethod(feature);
      if (!method) {
        failures.push_back("the plugin provides no AuthMethod for it");
      } else {
        failures = testkit::checkAuthConformance({method, &host, "initiator", setup.local},
                                                 {method, &host, "responder", setup.peer});
      }
    } else if (feature.starts_with("dataplane.")) {
      Dataplane* dataplane = plugin->dataplane(feature);
      if (!dataplane)
        failures.push_back("the plugin provides no Dataplane for it");
      else
        failures = testkit::checkDataplaneConformance(*dataplane, host, setup, events);
    } else {
      std::cout << feature << ": no conformance checks for this kind of feature\n";
      continue;
    }
    std::cout << feature << ": " << (failures.empty() ? "conforms" : "FAILS")
              << testkit::joinFailures(failures) << "\n";
    failed += failures.empty() ? 0 : 1;
  }
  plugin.reset();
  return failed == 0 ? 0 : 1;
}
