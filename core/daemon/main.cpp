// SPDX-License-Identifier: GPL-2.0-or-later
// ikemeshd: parses the command line, detaches (unless --nofork), and runs the Daemon on the
// Qt event loop until SIGTERM, SIGINT or `ikemesh stop`.
#include <QCommandLineParser>
#include <QCoreApplication>

#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "daemon/Daemon.hpp"
#include "daemon/PluginSchema.hpp"
#include "policy/ConfigReference.hpp"
#include "util/Capabilities.hpp"
#include "util/SystemdNotify.hpp"

using namespace ikemesh;

namespace {

struct CommandLine {
  DaemonOptions options;
  bool foreground = false;
  std::string logFile;
  bool useSyslog = false;
};

// QCommandLineParser without a QCoreApplication: the fork must come before Qt starts.
int parseCommandLine(int argc, char** argv, CommandLine& out) {
  QStringList args;
  for (int i = 0; i < argc; ++i) args << QString::fromLocal8Bit(argv[i]);
  QCommandLineParser parser;
  parser.setApplicationDescription("ikemeshd - mesh IPsec (IKEv2) daemon");
  QCommandLineOption help({"h", "help"}, "Show this help.");
  QCommandLineOption version("version", "Show the version.");
  QCommandLineOption config("config", "Configuration file (default /etc/ikemesh/ipsec.conf).", "file");
  QCommandLineOption nssdir("nssdir", "NSS database (default sql:/var/lib/ikemesh/nss).", "dir");
  QCommandLineOption ctl("ctl", "Control socket (default RUNDIR/ikemesh.ctl).", "path");
  QCommandLineOption plugindir(
      "plugindir", "Plugin directory; repeat for several (default " IKEMESH_PLUGIN_DIR ").", "dir");
  QCommandLineOption policies("policies", "Policy group folder (default: policies/ beside the config file).",
                              "dir");
  QCommandLineOption ikePort("ike-port", "UDP port for IKE (default 500).", "port");
  QCommandLineOption natPort("nat-port", "UDP port for IKE and ESP behind NAT (default 4500).", "port");
  QCommandLineOption fwmark("fwmark", "Firewall mark of our IKE packets (default 0: none).", "mark");
  QCommandLineOption rundir("rundir", "Run-time directory (default /run/ikemesh).", "dir");
  QCommandLineOption nofork({"nofork", "foreground"}, "Stay in the foreground and log to stderr.");
  QCommandLineOption loglevel("log-level", "debug, info, warning or error (default info).", "level");
  QCommandLineOption logfile("logfile", "Append the log to this file.", "file");
  QCommandLineOption syslogOption("syslog", "Log to syslog (default when detached without --logfile).");
  QCommandLineOption reference(
      "config-reference",
      "Print ikemesh.conf(5), the reference of every configuration key of the core and "
      "of the plugins in the plugin directories, and exit.");
  parser.addOptions({help, version, config, nssdir, ctl, plugindir, policies, ikePort, natPort, fwmark,
                     rundir, nofork, loglevel, logfile, syslogOption, reference});
  if (!parser.parse(args)) {
    std::cerr << "ikemeshd: " << parser.errorText().toStdString() << " (see ikemeshd --help)\n";
    return 2;
  }
  if (!parser.positionalArguments().isEmpty()) {
    std::cerr << "ikemeshd: unexpected argument '" << parser.positionalArguments().first().toStdString()
              << "' (see ikemeshd --help)\n";
    return 2;
  }
  if (parser.isSet(help)) {
    // Without a QCoreApplication the parser does not know our name.
    std::cout << parser.helpText().replace("<executable_name>", "ikemeshd").toStdString();
    return 0;
  }
  if (parser.isSet(version)) {
    std::cout << "ikemeshd " IKEMESH_VERSION " (plugin SDK ABI " << kSdkAbiMajor << "." << kSdkAbiMinor
              << ")\n";
    return 0;
  }
  if (parser.isSet(reference)) {
    std::vector<std::string> dirs;
    for (const auto& dir : parser.values(plugindir)) dirs.push_back(dir.toStdString());
    if (dirs.empty()) dirs.push_back(IKEMESH_PLUGIN_DIR);
    std::vector<std::string> problems;
    auto schema = schemaWithInstalledPlugins(dirs, problems);
    for (const auto& problem : problems) std::cerr << "ikemeshd: " << problem << "\n";
    std::cout << policy::configReferenceManPage(schema, IKEMESH_VERSION);
    return problems.empty() ? 0 : 1;
  }
  auto& o = out.options;
  if (parser.isSet(config)) o.configFile = parser.value(config).toStdString();
  if (parser.isSet(nssdir)) {
    o.nssDir = parser.value(nssdir).toStdString();
    // Plugins that read the database (auth-x509) take it from here before `nssdir=`.
    ::setenv("IKEMESH_NSSDIR", o.nssDir.c_str(), 1);
  }
  if (parser.isSet(policies)) o.policiesDir = parser.value(policies).toStdString();
  auto number = [&](const QCommandLineOption& option, unsigned max, auto& out) {
    if (!parser.isSet(option)) return true;
    bool ok = false;
    auto value = parser.value(option).toUInt(&ok, 0);
    if (!ok || value > max) {
      std::cerr << "ikemeshd: --" << option.names().first().toStdString() << ": '"
                << parser.value(option).toStdString() << "' is not a number up to " << max << "\n";
      return false;
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(value);
    return true;
  };
  if (!number(ikePort, 65535, o.sockets.ikePort) || !number(natPort, 65535, o.sockets.natPort) ||
      !number(fwmark, 0xffffffffu, o.sockets.mark))
    return 2;
  if (parser.isSet(rundir)) o.runDir = parser.value(rundir).toStdString();
  if (parser.isSet(ctl)) o.controlSocket = parser.value(ctl).toStdString();
  for (const auto& dir : parser.values(plugindir)) o.pluginDirs.push_back(dir.toStdString());
  if (o.pluginDirs.empty()) o.pluginDirs.push_back(IKEMESH_PLUGIN_DIR);
  if (parser.isSet(loglevel)) {
    auto level = parseLogLevel(parser.value(loglevel).toStdString());
    if (!level) {
      std::cerr << "ikemeshd: --log-level: unknown level '" << parser.value(loglevel).toStdString()
                << "' (debug, info, warning, error)\n";
      return 2;
    }
    o.logLevel = *level;
  }
  out.foreground = parser.isSet(nofork);
  out.logFile = parser.value(logfile).toStdString();
  out.useSyslog = parser.isSet(syslogOption) || (!out.foreground && out.logFile.empty());
  return -1;
}

// Forks; the parent waits until the child says it is ready (or why it is not) on a pipe, so
// that `ikemeshd && ikemesh status` works and a failed start is the parent's exit status.
int detach(int& readyFd) {
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
    std::perror("ikemeshd: pipe");
    return 1;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("ikemeshd: fork");
    return 1;
  }
  if (pid > 0) {
    ::close(pipeFds[1]);
    std::string message;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0)
      message.append(buffer, static_cast<size_t>(n));
    if (message == "ready") return 0;
    std::cerr << "ikemeshd: " << (message.empty() ? "the daemon died while starting" : message) << "\n";
    return 1;
  }
  ::close(pipeFds[0]);
  ::setsid();
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) ::close(null);
  }
  readyFd = pipeFds[1];
  return -1;
}

void tellParent(int& readyFd, const std::string& message) {
  if (readyFd < 0) return;
  [[maybe_unused]] auto n = ::write(readyFd, message.data(), message.size());
  ::close(readyFd);
  readyFd = -1;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cmd;
  if (int rc = parseCommandLine(argc, argv, cmd); rc >= 0) return rc;

  int readyFd = -1;
  if (!cmd.foreground) {
    if (int rc = detach(readyFd); rc >= 0) return rc;
  }

  // Block the signals the daemon handles before any thread starts; Daemon reads them from a
  // signalfd on the event loop.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  Logger logger;
  logger.setLevel(cmd.options.logLevel);
  if (cmd.foreground) {
    logger.addSink([](LogLevel level, std::string_view tag, std::string_view text) {
      auto line = Logger::format(level, tag, text) + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
    });
  }
  auto logFile = std::make_shared<std::ofstream>();
  if (!cmd.logFile.empty()) {
    logFile->open(cmd.logFile, std::ios::app);
    if (!*logFile) {
      std::string message = "cannot open log file " + cmd.logFile + ": " + std::strerror(errno);
      std::cerr << "ikemeshd: " << message << "\n";
      tellParent(readyFd, message);
      return 1;
    }
    logger.addSink([logFile](LogLevel level, std::string_view tag, std::string_view text) {
      *logFile << Logger::format(level, tag, text) << std::endl;
    });
  }
  if (cmd.useSyslog) {
    ::openlog("ikemeshd", LOG_PID, LOG_DAEMON);
    logger.addSink([](LogLevel level, std::string_view tag, std::string_view text) {
      int priority = level == LogLevel::Error     ? LOG_ERR
                     : level == LogLevel::Warning ? LOG_WARNING
                     : level == LogLevel::Info    ? LOG_INFO
                                                  : LOG_DEBUG;
      ::syslog(priority, "%.*s: %.*s", static_cast<int>(tag.size()), tag.data(),
               static_cast<int>(text.size()), text.data());
    });
  }

  // Least privilege, while this is the only thread (capabilities are per thread): sockets on
  // 500/4500 (bound at start, and again if a reload changes them), netlink for routes, rules,
  // XFRM and the TUN device, SO_MARK and raw sockets. Nothing else, for us or any child.
  if (auto rc = keepOnlyCapabilities({CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_NET_RAW}); !rc)
    logger.warning("daemon", "cannot drop capabilities: " + rc.error().message);

  QCoreApplication app(argc, argv);
  QCoreApplication::setApplicationName("ikemeshd");
  QCoreApplication::setApplicationVersion(IKEMESH_VERSION);

  int status = 0;
  {
    Daemon daemon(cmd.options, logger);
    if (auto rc = daemon.start(); !rc) {
      logger.error("daemon", "cannot start: " + rc.error().message);
      tellParent(readyFd, "cannot start: " + rc.error().message);
      if (cmd.foreground) std::cerr << "ikemeshd: cannot start: " << rc.error().message << "\n";
      return 1;
    }
    tellParent(readyFd, "ready");
    // Type=notify: the unit is started once the sockets, plugins and policy are in place.
    if (auto rc = notifyServiceManager("READY=1\nSTATUS=running"); !rc)
      logger.warning("daemon", "cannot tell the service manager we are ready: " + rc.error().message);
    status = QCoreApplication::exec();
    (void)notifyServiceManager("STOPPING=1");
  }
  logger.info("daemon", "stopped");
  return status;
}
