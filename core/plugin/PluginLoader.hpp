// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ikemesh/plugin.hpp>

#include "plugin/PluginDescriptor.hpp"
#include "util/Logger.hpp"

namespace ikemesh {

/// One plugin file the loader considered, kept or rejected.
struct PluginRecord {
  enum class Verdict { Loaded, Rejected };

  std::string path;
  std::string name;  ///< from the descriptor, or from the file name when there is none
  std::optional<PluginDescriptor> descriptor;
  Verdict verdict = Verdict::Rejected;
  std::string reason;  ///< why it was rejected; empty when loaded
  int loadOrder = -1;  ///< position in the load order, -1 when not loaded
};

/// Finds `ikemesh-*.so` files, checks each before running any of its code (ELF, descriptor,
/// ABI, factory symbol), resolves provides/depends as a graph, constructs the plugins in
/// dependency order and destroys them in reverse (STYLE.md practices 1-3, 10).
///
/// Every refusal is one log line, `plugin 'NAME': rejected - REASON (PATH)`, and the other
/// plugins load regardless. With IKEMESH_DEBUG_PLUGINS=1 (or `trace`) every candidate and
/// every decision is logged too. Main thread only.
class PluginLoader {
 public:
  /// Makes the Host one plugin gets; called once per plugin, before its factory.
  using HostFactory = std::function<std::unique_ptr<Host>(const PluginDescriptor&)>;

  PluginLoader(Logger& logger, HostFactory hostFactory);
  ~PluginLoader();
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;

  /// Trace every candidate and decision (also switched on by IKEMESH_DEBUG_PLUGINS=1).
  void setTrace(bool trace) { trace_ = trace; }

  /// Scans `directories` in order and loads what passes. Call once; unloadAll() first to
  /// load again.
  void load(const std::vector<std::string>& directories);

  /// The plugin files (`ikemesh-NAME.so`) in `directory`, sorted; an error when it cannot be
  /// read. What load() considers, and what `ikemesh plugins` compares with later.
  static Result<std::vector<std::string>> pluginFiles(const std::string& directory);
  /// Destroys the plugins in reverse load order, then unloads their files.
  void unloadAll();

  /// Every file considered, in the order found (directory order, then file name).
  const std::vector<PluginRecord>& records() const { return records_; }

  /// The loaded plugin that provides `feature`, or nullptr.
  Plugin* provider(const std::string& feature) const;
  /// The record of the plugin that provides `feature`, or nullptr.
  const PluginRecord* providerRecord(const std::string& feature) const;
  AuthMethod* authMethod(const std::string& feature) const;
  Dataplane* dataplane(const std::string& feature) const;
  /// Every feature a loaded plugin provides, sorted.
  std::vector<std::string> loadedFeatures() const;

 private:
  struct Loaded;

  void reject(PluginRecord& record, std::string reason);
  void trace(const std::string& text);
  void inspect(PluginRecord& record);
  void resolveConflicts();
  std::vector<std::size_t> resolveOrder();
  void construct(std::size_t index);

  Logger& logger_;
  HostFactory hostFactory_;
  bool trace_ = false;
  std::vector<PluginRecord> records_;
  std::vector<std::unique_ptr<Loaded>> loaded_;      // in load order
  std::map<std::string, std::size_t> featureOwner_;  // feature -> index in records_
};

}  // namespace ikemesh
