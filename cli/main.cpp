// SPDX-License-Identifier: GPL-2.0-or-later
// ikemesh: the administration command. Talks to ikemeshd over its control socket.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <ikemesh/net.hpp>

#include "ConnOutcome.hpp"
#include "ControlClient.hpp"
#include "HostKeyCommands.hpp"
#include "NssCommands.hpp"

using namespace ikemesh;

namespace {

constexpr const char* kDefaultControlSocket = "/run/ikemesh/ikemesh.ctl";

std::string text(const QJsonValue& value) {
  return value.toVariant().toString().toStdString();
}

std::string joined(const QJsonValue& value, const char* separator = ", ") {
  std::string out;
  for (const auto& item : value.toArray()) out += (out.empty() ? "" : separator) + text(item);
  return out;
}

std::string duration(qint64 seconds) {
  std::ostringstream out;
  if (seconds >= 86400) out << seconds / 86400 << "d ";
  if (seconds >= 3600) out << (seconds % 86400) / 3600 << "h ";
  if (seconds >= 60) out << (seconds % 3600) / 60 << "m ";
  out << seconds % 60 << "s";
  return out.str();
}

void printStatus(const QJsonObject& r) {
  auto plugins = r.value("plugins").toObject();
  std::cout << "ikemeshd " << text(r["version"]) << ", pid " << text(r["pid"]) << ", up "
            << duration(r["uptime"].toInteger()) << "\n"
            << "config:   " << text(r["config"]) << "\n"
            << "nss:      " << text(r["nssdir"]) << "\n"
            << "control:  " << text(r["control"]) << "\n"
            << "plugins:  " << text(plugins["loaded"]) << " loaded, " << text(plugins["rejected"])
            << " rejected (SDK ABI " << text(r["sdkAbi"]) << ")\n"
            << "features: " << joined(r["features"], " ") << "\n"
            << "conns:    " << text(r["connections"]) << ", " << text(r["groupEntries"])
            << " policy group entries\n";
  auto ike = r.value("ike").toObject();
  std::cout << "IKE:      " << text(ike["ikeSas"]) << " IKE SA(s), " << text(ike["childSas"])
            << " CHILD SA(s); " << text(ike["datagramsReceived"]) << " datagrams in, "
            << text(ike["datagramsSent"]) << " out, " << text(ike["retransmissions"]) << " retransmitted, "
            << text(ike["rejected"]) << " rejected";
  auto byField = ike.value("rejectedByField").toObject();
  std::string fields;
  for (auto it = byField.begin(); it != byField.end(); ++it)
    fields += (fields.empty() ? "" : ", ") + it.key().toStdString() + " " + text(it.value());
  if (!fields.empty()) std::cout << " (" << fields << ")";
  std::cout << "\n";
}

void printPlugins(const QJsonObject& r) {
  auto list = r.value("plugins").toArray();
  if (list.isEmpty()) {
    std::cout << "no plugin files in " << joined(r["directories"]) << "\n";
    return;
  }
  for (const auto& value : list) {
    auto p = value.toObject();
    const auto verdict = p["verdict"].toString().toStdString();
    const bool loaded = verdict == "loaded";
    std::cout << verdict << std::string(verdict.size() < 9 ? 9 - verdict.size() : 1, ' ') << text(p["name"]);
    if (p.contains("version")) std::cout << " " << text(p["version"]) << " (ABI " << text(p["abi"]) << ")";
    std::cout << "\n    file:     " << text(p["file"]) << "\n";
    if (!joined(p["provides"]).empty()) std::cout << "    provides: " << joined(p["provides"]) << "\n";
    if (!joined(p["depends"]).empty()) std::cout << "    depends:  " << joined(p["depends"]) << "\n";
    if (!loaded) std::cout << "    reason:   " << text(p["reason"]) << "\n";
  }
}

void printReload(const QJsonObject& r) {
  std::cout << "reloaded";
  if (r.contains("summary")) std::cout << ": " << text(r["summary"]);
  std::cout << "\n";
}

void printStop(const QJsonObject&) {
  std::cout << "ikemeshd is stopping\n";
}

void printPolicy(const QJsonObject& r) {
  std::cout << text(r["text"]);
}

// Libreswan's whack prints its status lines behind a numeric code ("006 " for trafficstatus);
// the mesh guide shows them so. --libreswan-prefix restores it for scripts written for that.
std::string linePrefix;

void printLines(const QJsonArray& items) {
  for (const auto& item : items) std::cout << linePrefix << text(item.toObject()["line"]) << "\n";
}
void printShunts(const QJsonObject& r) {
  printLines(r["shunts"].toArray());
}
void printStates(const QJsonObject& r) {
  printLines(r["states"].toArray());
}
void printTraffic(const QJsonObject& r) {
  printLines(r["tunnels"].toArray());
}
void printOppo(const QJsonObject& r) {
  std::cout << "initiating " << text(r["instance"]) << " (IKE SA #" << text(r["serial"]) << ")\n";
}

void printDown(const QJsonObject& r) {
  std::cout << "deleting " << r["deleted"].toArray().size() << " IKE SA(s) with " << text(r["peer"]) << "\n";
}

void printConnStatus(const QJsonObject& r) {
  auto one = [](const QJsonObject& c) {
    std::string line = "\"" + text(c["conn"]) + "\": right=" + text(c["peer"]) + ", auto=" + text(c["auto"]) +
                       ", " + (c["loaded"].toBool() ? "loaded" : "not loaded") +
                       (c["routed"].toBool() ? ", routed" : "") + (c["keepUp"].toBool() ? ", kept up" : "") +
                       "; " + text(c["phase"]);
    if (c.contains("ikeSa")) line += ", IKE SA #" + text(c["ikeSa"]);
    if (c.contains("childSa")) line += ", CHILD SA #" + text(c["childSa"]);
    if (c.contains("selectors")) line += " (" + text(c["selectors"]) + ")";
    if (c.contains("reason")) line += ": " + text(c["reason"]);
    std::cout << line << "\n";
  };
  if (r.contains("connections"))
    for (const auto& c : r["connections"].toArray()) one(c.toObject());
  else
    one(r);
}

struct Command {
  const char* summary;
  std::function<void(const QJsonObject&)> print;
};

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table{
      {"status", {"show the daemon's state", printStatus}},
      {"plugins", {"list every plugin file: loaded or rejected and why", printPlugins}},
      {"reload", {"re-read the configuration, keeping SAs it does not change", printReload}},
      {"stop", {"stop the daemon", printStop}},
      {"policy",
       {"IP [--from IP]: the group, CIDR, conn and shunts that apply to a peer, and why", printPolicy}},
      {"showstates", {"every IKE and CHILD SA, in the shape of Libreswan's showstates", printStates}},
      {"shuntstatus", {"the negotiation and failure shunts, one line per peer", printShunts}},
      {"trafficstatus", {"one line per tunnel with its byte counters and peer ID", printTraffic}},
      {"oppo", {"IP [--from IP]: negotiate with a peer now, as its first packet would", printOppo}},
      {"down", {"IP|CONN: delete the IKE SAs with a peer or of a conn, telling it (DELETE)", printDown}},
      {"up", {"CONN: negotiate a conn with a fixed peer now, and keep it up", nullptr}},
      {"ondemand", {"CONN: install the conn's trap; its first packet brings it up", nullptr}},
      {"unroute", {"CONN: remove the conn's trap", nullptr}},
      {"add", {"CONN: load the conn from the config on disk (no reload of the rest)", nullptr}},
      {"delete", {"CONN: take the conn down and unload it", nullptr}},
      {"connstatus",
       {"[CONN]: the explicit conns: loaded, routed, up, and the last outcome", printConnStatus}},
  };
  return table;
}

std::string usage() {
  std::string out =
      "Usage: ikemesh [--ctl PATH] [--json] COMMAND [ARGS]\n\n"
      "Options:\n"
      "  --ctl PATH   control socket of the daemon (default /run/ikemesh/ikemesh.ctl)\n"
      "  --json       print the daemon's answer as JSON\n"
      "  --libreswan-prefix  status lines behind Libreswan's codes (006 for trafficstatus)\n"
      "  --async      up, down, ...: return once the daemon took the request, without the outcome\n"
      "  --timeout S  up, down, delete: how long to wait for the outcome (default 30)\n\n"
      "Commands:\n";
  for (const auto& [name, command] : commands()) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-10s %s\n", name.c_str(), command.summary);
    out += line;
  }
  out += "  watch      print the daemon's log as it happens (Ctrl-C to end)\n";
  out +=
      "\nNSS database commands (no daemon needed):\n" + cli::nssCommandsUsage() + cli::hostKeyCommandsUsage();
  return out;
}

// up, down CONN, ondemand, unroute, add, delete: one request, then (unless --async) the
// conn's state until the outcome, said in one line; the exit status says whether it worked.
int runConnVerb(ControlClient& client, const std::string& verb, const QJsonObject& args, bool async,
                bool json, double timeoutSeconds) {
  auto print = [&](bool ok, const std::string& line, const QJsonObject& conn) {
    if (json) {
      QJsonObject out{
          {"verb", QString::fromStdString(verb)}, {"ok", ok}, {"line", QString::fromStdString(line)}};
      if (!conn.isEmpty()) out["conn"] = conn;
      std::cout << QJsonDocument(out).toJson(QJsonDocument::Compact).toStdString() << "\n";
    } else {
      (ok ? std::cout : std::cerr) << line << "\n";
    }
    return ok ? 0 : 1;
  };
  auto reply = client.request(verb, args);
  if (!reply) return print(false, "ikemesh: " + reply.error().message, {});
  if (!reply->value("ok").toBool()) return print(false, "ikemesh: " + text((*reply)["error"]), {});
  auto answer = reply->value("result").toObject();
  if (async) return print(true, cli::startedLine(verb, answer), answer);
  QJsonObject status = answer;
  bool timedOut = false;
  if (verb == "up" || verb == "down" || verb == "delete") {
    const auto attempt = answer["attempt"].toInteger();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
    for (;;) {
      auto polled = client.request("connstatus", QJsonObject{{"conn", args["conn"]}});
      if (!polled) return print(false, "ikemesh: " + polled.error().message, {});
      if (!polled->value("ok").toBool()) return print(false, "ikemesh: " + text((*polled)["error"]), {});
      status = polled->value("result").toObject();
      if (cli::outcomeReached(verb, status, attempt)) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        timedOut = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (answer.contains("deleted")) status["deleted"] = answer["deleted"];
  const bool ok = !timedOut && cli::outcomeSucceeded(verb, status);
  return print(ok, cli::outcomeLine(verb, status, timedOut), status);
}

int watch(ControlClient& client, bool json) {
  auto reply = client.request("watch", QJsonObject{{"events", QJsonArray{"log"}}});
  if (!reply || !reply->value("ok").toBool()) {
    std::cerr << "ikemesh: " << (reply ? text((*reply)["error"]) : reply.error().message) << "\n";
    return 1;
  }
  std::cerr << "watching log events (Ctrl-C to end)" << std::endl;
  for (;;) {
    auto message = client.readMessage();
    if (!message) {
      std::cerr << "ikemesh: " << message.error().message << "\n";
      return 1;
    }
    if (json) {
      std::cout << QJsonDocument(*message).toJson(QJsonDocument::Compact).toStdString() << std::endl;
      continue;
    }
    auto data = (*message)["data"].toObject();
    std::cout << text(data["level"]) << " " << text(data["tag"]) << ": " << text(data["text"]) << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  // The NSS database verbs have options of their own and need no daemon.
  if (auto status = cli::runNssCommand(std::vector<std::string>(argv + 1, argv + argc))) return *status;
  if (auto status = cli::runHostKeyCommand(std::vector<std::string>(argv + 1, argv + argc))) return *status;
  QCommandLineParser parser;
  QCommandLineOption help({"h", "help"}, "help");
  QCommandLineOption ctl("ctl", "control socket", "path", kDefaultControlSocket);
  QCommandLineOption json("json", "JSON output");
  QCommandLineOption from("from", "our address (policy, oppo)", "ip");
  QCommandLineOption libreswanPrefix("libreswan-prefix", "status lines behind Libreswan's numeric codes");
  QCommandLineOption async("async", "do not wait for the outcome (up, down, ...)");
  QCommandLineOption timeout("timeout", "seconds to wait for the outcome (up, down)", "seconds", "30");
  parser.addOptions({help, ctl, json, from, libreswanPrefix, async, timeout});
  if (!parser.parse(QCoreApplication::arguments())) {
    std::cerr << "ikemesh: " << parser.errorText().toStdString() << "\n" << usage();
    return 2;
  }
  auto positional = parser.positionalArguments();
  if (parser.isSet(help)) {
    std::cout << usage();
    return 0;
  }
  if (positional.isEmpty()) {
    std::cerr << usage();
    return 2;
  }
  auto name = positional.takeFirst().toStdString();
  bool isWatch = name == "watch";
  auto command = commands().find(name);
  if (command == commands().end() && !isWatch) {
    std::cerr << "ikemesh: unknown command '" << name << "'\n" << usage();
    return 2;
  }
  QJsonObject args;
  if (parser.isSet(libreswanPrefix)) linePrefix = name == "trafficstatus" ? "006 " : "000 ";
  static const std::set<std::string> connVerbs{"up", "ondemand", "unroute", "add", "delete"};
  // `down` takes a peer address (its IKE SAs, whatever conn) or a conn name.
  const bool connVerb = connVerbs.count(name) || (name == "down" && positional.size() == 1 &&
                                                  !IpAddress::parse(positional.first().toStdString()));
  if (connVerb) {
    if (positional.size() != 1) {
      std::cerr << "ikemesh: usage: ikemesh [--async] [--json] " << name << " CONN\n";
      return 2;
    }
    args["conn"] = positional.takeFirst();
  }
  if (name == "connstatus" && !positional.isEmpty()) args["conn"] = positional.takeFirst();
  if (!connVerb && (name == "policy" || name == "oppo" || name == "down")) {
    if (positional.size() != 1) {
      std::cerr << "ikemesh: usage: ikemesh " << name
                << (name == "down" ? " IP|CONN\n" : " IP [--from IP]\n");
      return 2;
    }
    args["peer"] = positional.takeFirst();
    if (parser.isSet(from)) args["from"] = parser.value(from);
  }
  if (!positional.isEmpty()) {
    std::cerr << "ikemesh: " << name << ": unexpected argument '" << positional.first().toStdString()
              << "'\n";
    return 2;
  }

  auto client = ControlClient::connect(parser.value(ctl).toStdString());
  if (!client) {
    std::cerr << "ikemesh: " << client.error().message << "\n";
    return 1;
  }
  if (isWatch) return watch(*client, parser.isSet(json));
  if (connVerb) {
    bool numeric = false;
    double seconds = parser.value(timeout).toDouble(&numeric);
    if (!numeric || seconds < 0) {
      std::cerr << "ikemesh: --timeout " << parser.value(timeout).toStdString()
                << ": not a number of seconds\n";
      return 2;
    }
    return runConnVerb(*client, name, args, parser.isSet(async), parser.isSet(json), seconds);
  }

  auto reply = client->request(name, args);
  if (!reply) {
    std::cerr << "ikemesh: " << reply.error().message << "\n";
    return 1;
  }
  if (!reply->value("ok").toBool()) {
    std::cerr << "ikemesh: " << name << ": " << text((*reply)["error"]) << "\n";
    return 1;
  }
  auto result = reply->value("result").toObject();
  if (parser.isSet(json)) {
    std::cout << QJsonDocument(result).toJson(QJsonDocument::Indented).toStdString();
    return 0;
  }
  command->second.print(result);
  return 0;
}
