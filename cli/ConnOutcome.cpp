// SPDX-License-Identifier: GPL-2.0-or-later
#include "ConnOutcome.hpp"

#include <QJsonArray>

namespace ikemesh::cli {
namespace {

std::string str(const QJsonValue& value) {
  return value.toVariant().toString().toStdString();
}

std::string quoted(const QJsonObject& status) {
  return "\"" + str(status["conn"]) + "\"";
}

std::string serials(const QJsonArray& list) {
  std::string text;
  for (const auto& serial : list) text += (text.empty() ? "#" : ", #") + str(serial);
  return text;
}

}  // namespace

bool outcomeReached(const std::string& verb, const QJsonObject& status, qint64 attempt) {
  if (verb == "up")
    return status["outcomeAttempt"].toInteger() >= attempt && status["phase"].toString() != "negotiating";
  if (verb == "down" || verb == "delete") return status["ikeSas"].toInteger() == 0;
  return true;
}

bool outcomeSucceeded(const std::string& verb, const QJsonObject& status) {
  if (verb == "up") return status["phase"].toString() == "established";
  if (verb == "down") return status["ikeSas"].toInteger() == 0;
  if (verb == "delete") return status["ikeSas"].toInteger() == 0 && !status["loaded"].toBool();
  if (verb == "ondemand") return status["routed"].toBool();
  if (verb == "unroute") return !status["routed"].toBool();
  if (verb == "add") return status["loaded"].toBool();
  return true;
}

std::string outcomeLine(const std::string& verb, const QJsonObject& status, bool timedOut) {
  const std::string conn = quoted(status);
  const std::string phase = str(status["phase"]);
  if (verb == "up") {
    if (phase == "established") {
      std::string line = "up: " + conn + " established, IKE SA #" + str(status["ikeSa"]);
      if (status.contains("childSa")) line += ", CHILD SA #" + str(status["childSa"]);
      if (status.contains("selectors")) line += " (" + str(status["selectors"]) + ")";
      return line;
    }
    if (timedOut)
      return "up: " + conn + " still negotiating" +
             (status.contains("ikeSa") ? " (IKE SA #" + str(status["ikeSa"]) + ")" : std::string()) +
             "; the daemon goes on (ikemesh connstatus " + str(status["conn"]) + ")";
    return "up: " + conn + " failed: " + (status.contains("reason") ? str(status["reason"]) : phase);
  }
  if (verb == "down") {
    if (timedOut)
      return "down: " + conn + " DELETE sent, " + str(status["ikeSas"]) + " IKE SA(s) not gone yet";
    return "down: " + conn + " is down" +
           (status.contains("deleted") && !status["deleted"].toArray().isEmpty()
                ? ", IKE SA " + serials(status["deleted"].toArray()) + " deleted on both sides"
                : ", it had no IKE SA");
  }
  if (verb == "ondemand") {
    std::string line = "ondemand: " + conn + " trap installed for ";
    const auto left = status["leftsubnets"].toArray();
    std::string ours = left.isEmpty() ? std::string("this host") : std::string();
    for (const auto& subnet : left) ours += (ours.empty() ? "" : ",") + str(subnet);
    std::string theirs;
    for (const auto& subnet : status["rightsubnets"].toArray())
      theirs += (theirs.empty() ? "" : ",") + str(subnet);
    return line + ours + " -> " + theirs + "; the first packet brings it up";
  }
  if (verb == "unroute") return "unroute: " + conn + " trap removed";
  if (verb == "add")
    return "add: " + conn + " loaded from " + str(status["where"]) + " (auto=" + str(status["auto"]) +
           ", right=" + str(status["peer"]) + ")";
  if (verb == "delete")
    return "delete: " + conn + " deleted" +
           (status.contains("deleted") && !status["deleted"].toArray().isEmpty()
                ? ", IKE SA " + serials(status["deleted"].toArray()) + " deleted"
                : std::string()) +
           "; ikemesh add " + str(status["conn"]) + " loads it again";
  return verb + ": " + conn + " " + phase;
}

std::string startedLine(const std::string& verb, const QJsonObject& answer) {
  const std::string conn = quoted(answer);
  if (verb == "up") return "up: " + conn + " initiating, IKE SA #" + str(answer["ikeSa"]);
  if (verb == "down") {
    const auto deleted = answer["deleted"].toArray();
    return "down: " + conn +
           (deleted.isEmpty() ? " had no IKE SA" : " DELETE sent for IKE SA " + serials(deleted));
  }
  return outcomeLine(verb, answer);
}

}  // namespace ikemesh::cli
