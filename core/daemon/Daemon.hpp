// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QJsonObject>
#include <QObject>
#include <QSocketNotifier>
#include <QThreadPool>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "control/ControlServer.hpp"
#include "daemon/IkeService.hpp"
#include "daemon/QtHost.hpp"
#include "plugin/PluginLoader.hpp"
#include "policy/MeshPolicy.hpp"
#include "util/Logger.hpp"
#include "util/NssContext.hpp"
#include "util/UniqueFd.hpp"

namespace ikemesh {

/// Where the daemon finds and puts things; every path is an option (DESIGN.md §4), so that
/// several daemons run side by side in network namespaces.
struct DaemonOptions {
  std::string configFile = "/etc/ikemesh/ipsec.conf";
  std::string nssDir = "sql:/var/lib/ikemesh/nss";
  std::string runDir = "/run/ikemesh";
  std::string controlSocket;  ///< default: runDir + "/ikemesh.ctl"
  std::string policiesDir;    ///< default: the `policies` folder beside configFile
  std::vector<std::string> pluginDirs;
  LogLevel logLevel = LogLevel::Info;
  IkeSocket::Options sockets;
};

/// Wires the parts together on the Qt event loop: plugins, control socket, signals.
/// Main thread only.
class Daemon final : public QObject, public ConfigValues {
 public:
  Daemon(DaemonOptions options, Logger& logger);
  ~Daemon() override;

  /// Loads plugins and opens the control socket. An error means the daemon cannot run.
  Result<void> start();
  /// Re-reads the configuration and the policy groups. A wrong new configuration changes
  /// nothing: the running one stays, and the error says why (file:line).
  Result<QJsonObject> reload();
  /// Leaves the event loop soon; everything is torn down by the destructor.
  void requestStop(const std::string& why);

  const PluginLoader& plugins() const { return *plugins_; }
  const policy::MeshPolicy& meshPolicy() const { return *policy_; }

 private:
  void registerCommands();
  Result<void> watchSignals();
  void onSignal();
  std::optional<std::string> value(std::string_view conn, std::string_view key) const override;

  void declarePluginKeys();
  /// Loads config and groups and checks every conn finds its plugins; nothing is kept.
  Result<std::unique_ptr<policy::MeshPolicy>> loadPolicy() const;
  Result<QJsonObject> explainPolicy(const QJsonObject& args) const;
  /// `ikemesh add CONN`: the conn as the config on disk has it now, put into the running
  /// policy without a reload of the rest.
  Result<QJsonObject> addConnection(const std::string& name);
  /// The "conn" argument of a verb on explicit conns.
  static Result<std::string> connArgument(const std::string& verb, const QJsonObject& args);
  QJsonObject statusJson() const;
  QJsonObject pluginsJson() const;

  DaemonOptions options_;
  Logger& logger_;
  QThreadPool workers_;
  std::unique_ptr<PluginLoader> plugins_;
  std::unique_ptr<ControlServer> control_;
  policy::ConfigSchema schema_ = policy::ConfigSchema::standard();
  std::unique_ptr<policy::MeshPolicy> policy_;
  std::unique_ptr<NssContext> nss_;
  std::unique_ptr<IkeService> ike_;
  UniqueFd signalFd_;
  std::unique_ptr<QSocketNotifier> signalNotifier_;
  Logger::SinkId controlSink_ = 0;
  std::chrono::system_clock::time_point started_;
  std::uint64_t reloads_ = 0;
};

}  // namespace ikemesh
