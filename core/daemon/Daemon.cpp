// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/Daemon.hpp"

#include <QCoreApplication>
#include <QJsonArray>
#include <QMetaObject>
#include <QTimer>

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include <ikemesh/abi.hpp>

#include "daemon/EspProbe.hpp"
#include "daemon/LocalAddresses.hpp"
#include "daemon/PluginSchema.hpp"
#include "policy/RequiredFeatures.hpp"
#include "util/Capabilities.hpp"

namespace ikemesh {
namespace {

constexpr std::string_view kTag = "daemon";

QJsonArray toJsonArray(const std::vector<std::string>& items) {
  QJsonArray array;
  for (const auto& item : items) array.append(QString::fromStdString(item));
  return array;
}

}  // namespace

Daemon::Daemon(DaemonOptions options, Logger& logger) : options_(std::move(options)), logger_(logger) {
  if (options_.controlSocket.empty()) options_.controlSocket = options_.runDir + "/ikemesh.ctl";
  workers_.setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
}

Daemon::~Daemon() {
  if (controlSink_) logger_.removeSink(controlSink_);
  control_.reset();
  if (ike_) ike_->shutdown();
  // Plugins go before the worker pool so that no work of theirs is left running, and before
  // the IKE sockets, which an ESP-in-UDP dataplane reads until it is destroyed.
  workers_.waitForDone();
  plugins_.reset();
  workers_.waitForDone();
  ike_.reset();
}

Result<void> Daemon::start() {
  started_ = std::chrono::system_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(options_.runDir, ec);
  if (ec) return fail("cannot create run directory " + options_.runDir + ": " + ec.message());
  if (auto rc = watchSignals(); !rc) return rc;

  // The IKE crypto suite runs on NSS; plugins that need the certificate database open it
  // in a context of their own (NSS_InitContext contexts coexist).
  auto nss = NssContext::initWithoutDatabase();
  if (!nss) return fail("cannot initialise NSS: " + nss.error().message);
  nss_ = std::move(*nss);

  plugins_ =
      std::make_unique<PluginLoader>(logger_, [this](const PluginDescriptor& d) -> std::unique_ptr<Host> {
        return std::make_unique<QtHost>(d.name, logger_, workers_, this);
      });
  // Plugins read their `config setup` keys while they are constructed: read the configuration
  // once before, with the keys their descriptors declare (read from the files; no plugin code
  // runs). Its mistakes are reported by the load after the plugins, which knows their verdicts.
  std::vector<std::string> unreadable;
  if (auto early = policy::loadMeshPolicy(options_.configFile,
                                          schemaWithInstalledPlugins(options_.pluginDirs, unreadable),
                                          options_.policiesDir))
    policy_ = std::make_unique<policy::MeshPolicy>(std::move(early).value());
  plugins_->load(options_.pluginDirs);
  declarePluginKeys();
  auto loaded = loadPolicy();
  if (!loaded) return std::move(loaded).error();
  policy_ = std::move(*loaded);
  const auto& esp = probeKernelEsp();
  logger_.info(
      kTag, std::string("dataplane=auto means ") + (esp.canInstallEsp ? "xfrm" : "tun") + ": " + esp.reason);
  logger_.info(kTag, "loaded " + options_.configFile + ": " +
                         std::to_string(policy_->config.connections.size()) + " conn(s), " +
                         std::to_string(policy_->table.entryCount()) + " policy group entries");

  control_ = std::make_unique<ControlServer>(logger_);
  registerCommands();
  if (auto rc = control_->listen(options_.controlSocket); !rc) return rc;
  // After the control socket: a second daemon is told "another ikemeshd is listening", not
  // that UDP 500 is taken.
  IkeService::Options ike{options_.sockets, {}};
  // ddos-mode (Libreswan): busy demands cookies always, unlimited never, auto above a
  // threshold of half-open IKE SAs (RFC 7296 §2.6).
  const auto& ddos = policy_->config.setup.ddosMode;
  if (ddos == "busy") ike.engine.cookieThreshold = 0;
  if (ddos == "unlimited") ike.engine.cookieThreshold = std::numeric_limits<std::size_t>::max();
  ike_ = std::make_unique<IkeService>(ike, logger_, workers_, *plugins_, this);
  if (auto rc = ike_->start(*policy_); !rc) return rc;

  // Log lines become "log" events for `ikemesh watch`; posted, because lines come from any
  // thread and a sink must not call back into the logger.
  controlSink_ = logger_.addSink([this](LogLevel level, std::string_view tag, std::string_view text) {
    if (!control_ || !control_->anyWatched()) return;
    QJsonObject data{{"level", QString::fromUtf8(logLevelName(level).data())},
                     {"tag", QString::fromUtf8(tag.data(), static_cast<qsizetype>(tag.size()))},
                     {"text", QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()))}};
    QMetaObject::invokeMethod(
        this,
        [this, data] {
          if (control_ && control_->watched("log")) control_->publish("log", data);
        },
        Qt::QueuedConnection);
  });
  logger_.info(kTag, "ikemeshd " IKEMESH_VERSION " started, pid " + std::to_string(::getpid()));
  return success();
}

Result<void> Daemon::watchSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  // Blocked in main() before any thread exists, so every thread inherits the mask.
  signalFd_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signalFd_) return fail(std::string("signalfd: ") + std::strerror(errno));
  signalNotifier_ = std::make_unique<QSocketNotifier>(signalFd_.get(), QSocketNotifier::Read);
  QObject::connect(signalNotifier_.get(), &QSocketNotifier::activated, this, [this] { onSignal(); });
  return success();
}

void Daemon::onSignal() {
  signalfd_siginfo info{};
  while (::read(signalFd_.get(), &info, sizeof info) == sizeof info) {
    switch (info.ssi_signo) {
      case SIGHUP: {
        logger_.info(kTag, "SIGHUP: reloading");
        auto rc = reload();
        if (!rc)
          logger_.error(kTag, "reload failed, keeping the running configuration: " + rc.error().message);
        break;
      }
      case SIGTERM: requestStop("SIGTERM"); break;
      case SIGINT: requestStop("SIGINT"); break;
      default: break;
    }
  }
}

void Daemon::requestStop(const std::string& why) {
  logger_.info(kTag, "stopping (" + why + ")");
  QTimer::singleShot(0, QCoreApplication::instance(), [] { QCoreApplication::quit(); });
}

void Daemon::declarePluginKeys() {
  for (const auto& record : plugins_->records()) {
    if (record.verdict != PluginRecord::Verdict::Loaded) continue;
    for (const auto& message : ikemesh::declarePluginKeys(schema_, *record.descriptor))
      logger_.error(kTag, message);
  }
}

Result<std::unique_ptr<policy::MeshPolicy>> Daemon::loadPolicy() const {
  auto loaded = policy::loadMeshPolicy(options_.configFile, schema_, options_.policiesDir);
  if (!loaded) return loaded.toError();
  auto features = plugins_->loadedFeatures();
  auto missing =
      policy::checkProviders(loaded->config.connections, {features.begin(), features.end()}, kernelHasEsp());
  if (!missing.empty()) return fail(policy::joinErrors(missing));
  auto mesh = std::make_unique<policy::MeshPolicy>(std::move(loaded).value());
  mesh->table.setLocalAddresses(localAddresses());
  return mesh;
}

Result<QJsonObject> Daemon::reload() {
  auto loaded = loadPolicy();
  if (!loaded) return fail("configuration not reloaded, the running one stays:\n" + loaded.error().message);
  auto diff = policy::diffReload(*policy_, **loaded);
  auto previous = std::move(policy_);
  policy_ = std::move(*loaded);
  if (diff.empty())
    ike_->rebind(*policy_);
  else
    ike_->applyPolicy(*policy_);
  ++reloads_;
  auto summary = diff.empty() ? std::string("no change\n") : diff.toString();
  summary.pop_back();
  logger_.info(kTag, "reloaded " + options_.configFile + ": " + summary);
  return QJsonObject{{"reloads", static_cast<qint64>(reloads_)},
                     {"summary", QString::fromStdString(summary)},
                     {"unchanged", diff.empty()}};
}

Result<std::string> Daemon::connArgument(const std::string& verb, const QJsonObject& args) {
  auto name = args.value("conn").toString().toStdString();
  if (name.empty()) return fail(verb + ": which conn? (ikemesh " + verb + " CONN)");
  return name;
}

Result<QJsonObject> Daemon::addConnection(const std::string& name) {
  auto disk = loadPolicy();
  if (!disk)
    return fail("add: " + options_.configFile + " has errors, nothing added:\n" + disk.error().message);
  const auto* connection = (*disk)->config.find(name);
  if (!connection) return fail("add: no conn '" + name + "' in " + options_.configFile + " or its includes");
  if (!(*disk)->explicitConnections.find(name))
    return fail("add: conn '" + name + "' at " + connection->where.toString() +
                " has no fixed peer (right= is not an address or hostname); opportunistic conns load with "
                "ikemesh reload");
  // The running policy with this one conn as the disk has it; the rest stays as loaded.
  auto next = std::make_unique<policy::MeshPolicy>(*policy_);
  auto& connections = next->config.connections;
  auto same = std::find_if(connections.begin(), connections.end(),
                           [&](const policy::Connection& c) { return c.name == name; });
  if (same != connections.end())
    *same = *connection;
  else
    connections.push_back(*connection);
  auto table = policy::ExplicitConnectionTable::build(next->config, policy::resolveWithGetaddrinfo);
  if (!table) return fail("add: " + table.toError().message);
  next->explicitConnections = std::move(table).value();
  auto previous = std::move(policy_);
  policy_ = std::move(next);
  ike_->rebind(*policy_);
  return ike_->explicitAdd(name);
}

std::optional<std::string> Daemon::value(std::string_view conn, std::string_view key) const {
  if (!policy_) return std::nullopt;
  const auto& settings = [&]() -> const std::map<std::string, std::string>& {
    if (conn.empty()) return policy_->config.setup.settings;
    static const std::map<std::string, std::string> none;
    auto* c = policy_->config.find(std::string(conn));
    return c ? c->settings : none;
  }();
  auto it = settings.find(std::string(key));
  if (it == settings.end()) return std::nullopt;
  return it->second;
}

Result<QJsonObject> Daemon::explainPolicy(const QJsonObject& args) const {
  auto peer = IpAddress::parse(args.value("peer").toString().toStdString());
  if (!peer)
    return fail("policy: '" + args.value("peer").toString().toStdString() + "' is not an IP address");
  IpAddress local;
  if (args.contains("from")) {
    auto from = IpAddress::parse(args.value("from").toString().toStdString());
    if (!from)
      return fail("policy: --from '" + args.value("from").toString().toStdString() +
                  "' is not an IP address");
    local = *from;
  } else {
    auto route = sourceAddressFor(*peer);
    if (!route) return fail("policy: " + route.error().message + " (give --from)");
    local = *route;
  }
  if (local.family() != peer->family())
    return fail("policy: --from and the peer are of different address families");
  policy::TrafficQuery query{local, *peer, static_cast<std::uint8_t>(args.value("protocol").toInt()),
                             static_cast<std::uint16_t>(args.value("localPort").toInt()),
                             static_cast<std::uint16_t>(args.value("peerPort").toInt())};
  auto explanation = policy_->table.explain(query);
  IpPrefix matched;
  const auto* chosen = ike_->explicitFor(local, *peer, &matched);
  QJsonObject result{
      {"text", QString::fromStdString(policy::explainPrecedence(chosen, matched, explanation))},
      {"from", QString::fromStdString(local.toString())},
      {"peer", QString::fromStdString(peer->toString())},
      {"ownAddress", explanation.peerIsOwnAddress}};
  auto candidate = [&](const policy::PolicyExplanation::Candidate& c) {
    QJsonObject o{{"cidr", QString::fromStdString(c.entry->toString())},
                  {"group", QString::fromStdString(c.group->group)},
                  {"connection", QString::fromStdString(c.group->connection)},
                  {"action", QString::fromUtf8(policy::toString(c.group->action).data())},
                  {"where", QString::fromStdString(c.entry->where.toString())}};
    if (!c.whyLost.empty()) o["whyLost"] = QString::fromStdString(c.whyLost);
    if (const auto* conn = policy_->config.find(c.group->connection)) {
      for (const auto& key : {"authby", "dataplane", "negotiationshunt", "failureshunt", "type"})
        if (auto v = conn->settings.find(key); v != conn->settings.end())
          o[key] = QString::fromStdString(v->second);
      QJsonArray features;
      for (const auto& f : policy::requiredFeatures(*conn, kernelHasEsp()))
        features.append(QString::fromStdString(f.feature));
      o["features"] = features;
    }
    return o;
  };
  if (chosen) {
    QJsonObject o{{"connection", QString::fromStdString(chosen->name)},
                  {"rightsubnet", QString::fromStdString(matched.toString())},
                  {"peer", QString::fromStdString(chosen->peer.toString())},
                  {"where", QString::fromStdString(chosen->where.toString())}};
    result["explicit"] = o;
  }
  if (explanation.winner) result[chosen ? "overriddenGroup" : "match"] = candidate(*explanation.winner);
  QJsonArray lost;
  for (const auto& c : explanation.lost) lost.append(candidate(c));
  result["lost"] = lost;
  return result;
}

void Daemon::registerCommands() {
  control_->addCommand("status", [this](const QJsonObject&) -> Result<QJsonObject> { return statusJson(); });
  control_->addCommand("plugins",
                       [this](const QJsonObject&) -> Result<QJsonObject> { return pluginsJson(); });
  control_->addCommand("reload", [this](const QJsonObject&) { return reload(); });
  control_->addCommand("policy", [this](const QJsonObject& args) { return explainPolicy(args); });
  control_->addCommand("showstates",
                       [this](const QJsonObject&) -> Result<QJsonObject> { return ike_->showStates(); });
  control_->addCommand("trafficstatus",
                       [this](const QJsonObject&) -> Result<QJsonObject> { return ike_->trafficStatus(); });
  control_->addCommand("shuntstatus",
                       [this](const QJsonObject&) -> Result<QJsonObject> { return ike_->shuntStatus(); });
  control_->addCommand("oppo", [this](const QJsonObject& args) -> Result<QJsonObject> {
    auto peer = IpAddress::parse(args.value("peer").toString().toStdString());
    if (!peer)
      return fail("oppo: '" + args.value("peer").toString().toStdString() + "' is not an IP address");
    if (args.contains("from")) {
      auto local = IpAddress::parse(args.value("from").toString().toStdString());
      if (!local)
        return fail("oppo: --from '" + args.value("from").toString().toStdString() +
                    "' is not an IP address");
      return ike_->initiateTo(*local, *peer);
    }
    auto local = sourceAddressFor(*peer);
    if (!local) return fail("oppo: " + local.error().message + " (give --from)");
    return ike_->initiateTo(*local, *peer);
  });
  control_->addCommand("up", [this](const QJsonObject& args) -> Result<QJsonObject> {
    auto name = connArgument("up", args);
    if (!name) return std::move(name).error();
    return ike_->explicitUp(*name);
  });
  control_->addCommand("ondemand", [this](const QJsonObject& args) -> Result<QJsonObject> {
    auto name = connArgument("ondemand", args);
    if (!name) return std::move(name).error();
    return ike_->explicitRoute(*name);
  });
  control_->addCommand("unroute", [this](const QJsonObject& args) -> Result<QJsonObject> {
    auto name = connArgument("unroute", args);
    if (!name) return std::move(name).error();
    return ike_->explicitUnroute(*name);
  });
  control_->addCommand("add", [this](const QJsonObject& args) -> Result<QJsonObject> {
    auto name = connArgument("add", args);
    if (!name) return std::move(name).error();
    return addConnection(*name);
  });
  control_->addCommand("delete", [this](const QJsonObject& args) -> Result<QJsonObject> {
    auto name = connArgument("delete", args);
    if (!name) return std::move(name).error();
    return ike_->explicitDelete(*name);
  });
  control_->addCommand("connstatus", [this](const QJsonObject& args) -> Result<QJsonObject> {
    return ike_->explicitStatus(args.value("conn").toString().toStdString());
  });
  control_->addCommand("down", [this](const QJsonObject& args) -> Result<QJsonObject> {
    if (args.contains("conn")) {
      auto name = connArgument("down", args);
      if (!name) return std::move(name).error();
      return ike_->explicitDown(*name);
    }
    auto peer = IpAddress::parse(args.value("peer").toString().toStdString());
    if (!peer)
      return fail("down: '" + args.value("peer").toString().toStdString() + "' is not an IP address");
    return ike_->deletePeer(*peer);
  });
  control_->addCommand("stop", [this](const QJsonObject&) -> Result<QJsonObject> {
    requestStop("ikemesh stop");
    return QJsonObject{{"stopping", true}};
  });
}

QJsonObject Daemon::statusJson() const {
  using namespace std::chrono;
  std::size_t loaded = 0;
  for (const auto& r : plugins_->records()) loaded += r.verdict == PluginRecord::Verdict::Loaded;
  auto now = system_clock::now();
  return QJsonObject{
      {"version", IKEMESH_VERSION},
      {"pid", static_cast<qint64>(::getpid())},
      {"started", static_cast<qint64>(duration_cast<seconds>(started_.time_since_epoch()).count())},
      {"uptime", static_cast<qint64>(duration_cast<seconds>(now - started_).count())},
      {"config", QString::fromStdString(options_.configFile)},
      {"nssdir", QString::fromStdString(options_.nssDir)},
      {"control", QString::fromStdString(options_.controlSocket)},
      {"reloads", static_cast<qint64>(reloads_)},
      {"plugins", QJsonObject{{"loaded", static_cast<qint64>(loaded)},
                              {"rejected", static_cast<qint64>(plugins_->records().size() - loaded)}}},
      {"features", toJsonArray(plugins_->loadedFeatures())},
      {"capabilities", toJsonArray(effectiveCapabilityNames(::getpid()))},
      {"connections", static_cast<qint64>(policy_->config.connections.size())},
      {"groupEntries", static_cast<qint64>(policy_->table.entryCount())},
      {"ike", ike_->counters()},
      {"sdkAbi", QString("%1.%2").arg(kSdkAbiMajor).arg(kSdkAbiMinor)},
  };
}

QJsonObject Daemon::pluginsJson() const {
  QJsonArray list;
  for (const auto& r : plugins_->records()) {
    QJsonObject entry{{"file", QString::fromStdString(r.path)},
                      {"name", QString::fromStdString(r.name)},
                      {"verdict", r.verdict == PluginRecord::Verdict::Loaded ? "loaded" : "rejected"}};
    if (!r.reason.empty()) entry["reason"] = QString::fromStdString(r.reason);
    if (r.loadOrder >= 0) entry["loadOrder"] = r.loadOrder;
    if (r.descriptor) {
      const auto& d = *r.descriptor;
      entry["version"] = QString::fromStdString(d.version);
      entry["abi"] = QString("%1.%2").arg(d.abiMajor).arg(d.abiMinor);
      entry["description"] = QString::fromStdString(d.description);
      entry["provides"] = toJsonArray(d.provides);
      entry["depends"] = toJsonArray(d.depends);
      QJsonArray options;
      for (const auto& o : d.options) options.append(QString::fromStdString(o.key));
      entry["options"] = options;
    }
    list.append(entry);
  }
  // Packages come and go under a running daemon: a loaded plugin whose file is gone keeps
  // running until the daemon restarts, and a file that came later is not loaded until then.
  std::set<std::string> known;
  for (const auto& r : plugins_->records()) known.insert(r.path);
  for (auto&& value : list) {
    auto entry = value.toObject();
    if (entry["verdict"] != "loaded" || std::filesystem::exists(entry["file"].toString().toStdString()))
      continue;
    entry["verdict"] = "removed";
    entry["reason"] = "its file was removed after it was loaded; its features stay until ikemeshd restarts";
    value = entry;
  }
  QJsonArray dirs;
  for (const auto& dir : options_.pluginDirs) {
    dirs.append(QString::fromStdString(dir));
    auto files = PluginLoader::pluginFiles(dir);
    if (!files) continue;
    for (const auto& file : *files) {
      if (known.contains(file)) continue;
      // ikemesh-NAME.so
      const auto fileName = std::filesystem::path(file).filename().string();
      list.append(QJsonObject{{"file", QString::fromStdString(file)},
                              {"name", QString::fromStdString(fileName.substr(8, fileName.size() - 11))},
                              {"verdict", "new"},
                              {"reason", "installed after ikemeshd started; loaded when it restarts"}});
    }
  }
  return QJsonObject{{"plugins", list}, {"directories", dirs}};
}

}  // namespace ikemesh
