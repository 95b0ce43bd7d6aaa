// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin/PluginLoader.hpp"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>

#include "plugin/ElfFile.hpp"

namespace ikemesh {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kTag = "plugins";

bool isPluginFileName(const std::string& file) {
  return file.starts_with("ikemesh-") && file.ends_with(".so") && file.size() > 11;
}

std::string nameFromFile(const std::string& path) {
  auto file = fs::path(path).filename().string();
  return file.substr(8, file.size() - 11);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

}  // namespace

struct PluginLoader::Loaded {
  std::size_t record;
  std::unique_ptr<Host> host;
  boost::dll::shared_library library;
  std::unique_ptr<Plugin> plugin;
};

PluginLoader::PluginLoader(Logger& logger, HostFactory hostFactory)
    : logger_(logger), hostFactory_(std::move(hostFactory)) {
  if (const char* env = std::getenv("IKEMESH_DEBUG_PLUGINS"))
    trace_ = std::string_view(env) != "" && std::string_view(env) != "0";
}

PluginLoader::~PluginLoader() {
  unloadAll();
}

void PluginLoader::trace(const std::string& text) {
  if (trace_) logger_.info(kTag, text);
}

void PluginLoader::reject(PluginRecord& record, std::string reason) {
  record.verdict = PluginRecord::Verdict::Rejected;
  record.reason = std::move(reason);
  record.loadOrder = -1;
  logger_.error(kTag, "plugin '" + record.name + "': rejected - " + record.reason + " (" + record.path + ")");
}

Result<std::vector<std::string>> PluginLoader::pluginFiles(const std::string& directory) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    if (isPluginFileName(entry.path().filename().string())) files.push_back(entry.path().string());
  }
  if (ec) return fail("cannot read plugin directory " + directory + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

void PluginLoader::load(const std::vector<std::string>& directories) {
  for (const auto& directory : directories) {
    auto listed = pluginFiles(directory);
    if (!listed) {
      logger_.warning(kTag, listed.error().message);
      continue;
    }
    auto& files = *listed;
    trace("directory " + directory + ": " + std::to_string(files.size()) + " candidate(s)");
    for (auto& path : files) {
      PluginRecord record;
      record.path = path;
      record.name = nameFromFile(path);
      records_.push_back(std::move(record));
    }
  }

  for (auto& record : records_) inspect(record);
  resolveConflicts();
  for (auto index : resolveOrder()) construct(index);

  std::size_t count = loaded_.size();
  logger_.info(kTag, std::to_string(count) + " plugin(s) loaded, " + std::to_string(records_.size() - count) +
                         " rejected; features: " + join(loadedFeatures(), " "));
}

// Everything checked from the file alone, before any of its code runs.
void PluginLoader::inspect(PluginRecord& record) {
  trace("candidate " + record.path);
  auto elf = ElfFile::open(record.path);
  if (!elf) return reject(record, elf.error().message);
  auto section = elf->section(IKEMESH_PLUGIN_SECTION);
  if (!section)
    return reject(
        record, "no descriptor (no " IKEMESH_PLUGIN_SECTION " section; built without ikemesh_add_plugin()?)");
  auto descriptor = parsePluginDescriptor(*section);
  if (!descriptor) return reject(record, descriptor.error().message);
  if (descriptor->name != record.name)
    return reject(record, "descriptor names the plugin '" + descriptor->name +
                              "' but the file is named for '" + record.name + "'");
  record.descriptor = *descriptor;
  auto found = std::to_string(descriptor->abiMajor) + "." + std::to_string(descriptor->abiMinor);
  auto expected = std::to_string(kSdkAbiMajor) + "." + std::to_string(kSdkAbiMinor);
  if (descriptor->abiMajor != kSdkAbiMajor)
    return reject(record, "SDK ABI " + found + " is incompatible: this daemon has ABI " + expected +
                              " (major versions must match)");
  if (descriptor->abiMinor > kSdkAbiMinor)
    return reject(record,
                  "SDK ABI " + found + " is newer than this daemon's ABI " + expected + " (upgrade ikemesh)");
  auto symbol = descriptor->factorySymbol();
  if (!elf->definesFunction(symbol))
    return reject(record, "no factory: the file does not export " + symbol + "()");
  record.verdict = PluginRecord::Verdict::Loaded;  // a candidate so far
  trace("plugin '" + record.name + "' " + descriptor->version + " (ABI " + found +
        ") passes the file checks; provides [" + join(descriptor->provides, ", ") + "], depends [" +
        join(descriptor->depends, ", ") + "]");
}

// Two files with one name or one feature: the first found keeps it.
void PluginLoader::resolveConflicts() {
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < records_.size(); ++i) {
    auto& record = records_[i];
    if (record.verdict != PluginRecord::Verdict::Loaded) continue;
    if (auto it = names.find(record.name); it != names.end()) {
      reject(record, "duplicate plugin name: " + records_[it->second].path + " is plugin '" + record.name +
                         "' already");
      continue;
    }
    bool duplicate = false;
    for (const auto& feature : record.descriptor->provides) {
      if (auto it = featureOwner_.find(feature); it != featureOwner_.end()) {
        reject(record, "duplicate provider: '" + feature + "' is provided by both " +
                           records_[it->second].path + " (kept) and " + record.path);
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    names.emplace(record.name, i);
    for (const auto& feature : record.descriptor->provides) featureOwner_.emplace(feature, i);
  }
}

// Drops plugins with unmet dependencies (transitively) and cycles; returns a load order in
// which every plugin comes after the providers of its dependencies.
std::vector<std::size_t> PluginLoader::resolveOrder() {
  auto alive = [&](std::size_t i) { return records_[i].verdict == PluginRecord::Verdict::Loaded; };
  auto dropFeatures = [&](std::size_t i) {
    std::erase_if(featureOwner_, [i](const auto& entry) { return entry.second == i; });
  };

  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < records_.size(); ++i) {
      if (!alive(i)) continue;
      for (const auto& feature : records_[i].descriptor->depends) {
        if (featureOwner_.count(feature)) continue;
        reject(records_[i], "unmet dependency: no loaded plugin provides '" + feature + "'");
        dropFeatures(i);
        changed = true;
        break;
      }
    }
  }

  std::vector<std::size_t> order;
  std::vector<int> state(records_.size(), 0);  // 0 new, 1 on the stack, 2 done
  std::vector<std::size_t> stack;
  std::function<bool(std::size_t)> visit = [&](std::size_t i) -> bool {
    if (state[i] == 2) return alive(i);
    if (state[i] == 1) {
      std::vector<std::string> cycle;
      auto from = std::find(stack.begin(), stack.end(), i);
      for (auto it = from; it != stack.end(); ++it) cycle.push_back(records_[*it].name);
      cycle.push_back(records_[i].name);
      for (auto it = from; it != stack.end(); ++it) {
        if (alive(*it)) reject(records_[*it], "dependency cycle: " + join(cycle, " -> "));
      }
      return false;
    }
    state[i] = 1;
    stack.push_back(i);
    bool ok = true;
    for (const auto& feature : records_[i].descriptor->depends) {
      auto owner = featureOwner_.at(feature);
      if (owner == i) continue;
      if (!visit(owner)) {
        ok = false;
        if (alive(i))
          reject(records_[i],
                 "depends on '" + feature + "', whose plugin '" + records_[owner].name + "' was rejected");
        break;
      }
    }
    stack.pop_back();
    state[i] = 2;
    if (ok && alive(i)) order.push_back(i);
    return ok && alive(i);
  };
  for (std::size_t i = 0; i < records_.size(); ++i)
    if (alive(i) && state[i] == 0) visit(i);
  return order;
}

void PluginLoader::construct(std::size_t index) {
  auto& record = records_[index];
  for (const auto& feature : record.descriptor->depends) {
    auto owner = featureOwner_.find(feature);
    if (owner == featureOwner_.end() || records_[owner->second].loadOrder < 0)
      return reject(record, "depends on '" + feature + "', which failed to load");
  }
  auto loaded = std::make_unique<Loaded>();
  loaded->record = index;
  try {
    loaded->library.load(record.path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    std::erase_if(featureOwner_, [index](const auto& entry) { return entry.second == index; });
    return reject(record, std::string("cannot load: ") + e.what());
  }
  auto symbol = record.descriptor->factorySymbol();
  if (!loaded->library.has(symbol)) {
    std::erase_if(featureOwner_, [index](const auto& entry) { return entry.second == index; });
    return reject(record, "no factory: " + symbol + "() is not exported");
  }
  auto& factory = loaded->library.get<PluginFactory>(symbol);
  loaded->host = hostFactory_(*record.descriptor);
  std::string error;
  Plugin* plugin = nullptr;
  try {
    plugin = factory(*loaded->host, error);
  } catch (const std::exception& e) {
    error = std::string("factory threw: ") + e.what();
  } catch (...) {
    error = "factory threw an unknown exception";
  }
  if (!plugin) {
    std::erase_if(featureOwner_, [index](const auto& entry) { return entry.second == index; });
    return reject(record, "initialisation failed: " +
                              (error.empty() ? std::string("factory returned nothing") : error));
  }
  loaded->plugin.reset(plugin);
  record.loadOrder = static_cast<int>(loaded_.size());
  loaded_.push_back(std::move(loaded));
  logger_.info(kTag, "plugin '" + record.name + "' " + record.descriptor->version +
                         " loaded: " + join(record.descriptor->provides, ", ") + " (" + record.path + ")");
}

void PluginLoader::unloadAll() {
  while (!loaded_.empty()) {
    auto& loaded = loaded_.back();
    trace("unloading plugin '" + records_[loaded->record].name + "'");
    loaded->plugin.reset();
    loaded->host.reset();
    loaded->library.unload();
    loaded_.pop_back();
  }
  records_.clear();
  featureOwner_.clear();
}

Plugin* PluginLoader::provider(const std::string& feature) const {
  auto it = featureOwner_.find(feature);
  if (it == featureOwner_.end()) return nullptr;
  for (const auto& loaded : loaded_)
    if (loaded->record == it->second) return loaded->plugin.get();
  return nullptr;
}

const PluginRecord* PluginLoader::providerRecord(const std::string& feature) const {
  auto it = featureOwner_.find(feature);
  if (it == featureOwner_.end() || records_[it->second].loadOrder < 0) return nullptr;
  return &records_[it->second];
}

AuthMethod* PluginLoader::authMethod(const std::string& feature) const {
  auto* plugin = provider(feature);
  return plugin ? plugin->authMethod(feature) : nullptr;
}

Dataplane* PluginLoader::dataplane(const std::string& feature) const {
  auto* plugin = provider(feature);
  return plugin ? plugin->dataplane(feature) : nullptr;
}

std::vector<std::string> PluginLoader::loadedFeatures() const {
  std::vector<std::string> features;
  for (const auto& [feature, index] : featureOwner_)
    if (records_[index].loadOrder >= 0) features.push_back(feature);
  return features;
}

}  // namespace ikemesh
