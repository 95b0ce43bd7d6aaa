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

#include <ikemesh/abi.hpp>

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
  // Plugins go before the worker pool so that no work of theirs is left running.
  workers_.waitForDone();
  plugins_.reset();
  workers_.waitForDone();
}

Result<void> Daemon::start() {
  started_ = std::chrono::system_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(options_.runDir, ec);
  if (ec) return fail("cannot create run directory " + options_.runDir + ": " + ec.message());
  if (auto rc = watchSignals(); !rc) return rc;

  plugins_ =
      std::make_unique<PluginLoader>(logger_, [this](const PluginDescriptor& d) -> std::unique_ptr<Host> {
        return std::make_unique<QtHost>(d.name, logger_, workers_, this);
      });
  plugins_->load(options_.pluginDirs);

  control_ = std::make_unique<ControlServer>(logger_);
  registerCommands();
  if (auto rc = control_->listen(options_.controlSocket); !rc) return rc;

  // Log lines become "log" events for `ikemesh watch`; posted, because lines come from any
  // thread and a sink must not call back into the logger.
  controlSink_ = logger_.addSink([this](LogLevel level, std::string_view tag, std::string_view text) {
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

Result<QJsonObject> Daemon::reload() {
  ++reloads_;
  return QJsonObject{{"reloads", static_cast<qint64>(reloads_)}};
}

std::optional<std::string> Daemon::value(std::string_view, std::string_view) const {
  return std::nullopt;
}

void Daemon::registerCommands() {
  control_->addCommand("status", [this](const QJsonObject&) -> Result<QJsonObject> { return statusJson(); });
  control_->addCommand("plugins",
                       [this](const QJsonObject&) -> Result<QJsonObject> { return pluginsJson(); });
  control_->addCommand("reload", [this](const QJsonObject&) { return reload(); });
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
  QJsonArray dirs;
  for (const auto& dir : options_.pluginDirs) dirs.append(QString::fromStdString(dir));
  return QJsonObject{{"plugins", list}, {"directories", dirs}};
}

}  // namespace ikemesh
