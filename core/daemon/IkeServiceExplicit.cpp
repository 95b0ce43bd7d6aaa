// SPDX-License-Identifier: GPL-2.0-or-later
// IkeService, explicit connections: conns with a fixed peer (right= an address or hostname),
// their auto= (add, start, ondemand), the verbs `ikemesh up|down|ondemand|unroute|add|delete`,
// and their precedence over the opportunistic groups in both roles.
#include <QJsonArray>

#include <algorithm>

#include "daemon/IkeService.hpp"
#include "daemon/LocalAddresses.hpp"

namespace ikemesh {
namespace {

constexpr std::string_view kTag = "ike";
// Backoff between attempts of a conn that is kept up: 1 s, doubling, at most a minute.
constexpr std::chrono::milliseconds kFirstRetry{1000};
constexpr std::chrono::milliseconds kLongestRetry{60000};

QString q(const std::string& s) {
  return QString::fromStdString(s);
}

std::string joinedSelectors(const std::vector<TrafficSelector>& selectors) {
  std::string text;
  for (const auto& selector : selectors) text += (text.empty() ? "" : ",") + policy::selectorText(selector);
  return text;
}

}  // namespace

bool IkeService::isExplicit(const std::string& connection) const {
  return policy_ && policy_->explicitConnections.find(connection) != nullptr;
}

const policy::ExplicitConnection* IkeService::explicitFor(const IpAddress& local, const IpAddress& peer,
                                                          IpPrefix* matched) const {
  if (!policy_) return nullptr;
  // The initiator's precedence: a loaded conn whose trap is in or which is kept up takes its
  // traffic before any group does.
  return policy_->explicitConnections.forTraffic(
      local, peer,
      [this](const policy::ExplicitConnection& c) {
        auto it = explicit_.find(c.name);
        return it != explicit_.end() && it->second.loaded && (!it->second.traps.empty() || it->second.keepUp);
      },
      matched);
}

Result<const policy::ExplicitConnection*> IkeService::knownExplicit(const std::string& verb,
                                                                    const std::string& name) const {
  const auto* connection = policy_ ? policy_->explicitConnections.find(name) : nullptr;
  if (connection) return connection;
  if (policy_ && policy_->config.find(name))
    return fail(verb + ": conn '" + name +
                "' has no fixed peer (right= is not an address or hostname, or type= is a shunt); "
                "opportunistic conns start from their policy group");
  return fail(verb + ": no conn '" + name + "' is loaded (ikemesh add " + name +
              " loads it from the config)");
}

Result<IpAddress> IkeService::ikeLocalOf(const policy::ExplicitConnection& connection) const {
  if (connection.local) return *connection.local;
  auto source = sourceAddressFor(connection.peer);
  if (!source) return fail("no route to right=" + connection.peer.toString() + ": " + source.error().message);
  return *source;
}

Result<ike::IkeSaSerial> IkeService::initiateExplicit(const policy::ExplicitConnection& connection,
                                                      const std::string& why) {
  const auto* config = policy_ ? policy_->config.find(connection.name) : nullptr;
  if (!config) return fail("conn '" + connection.name + "' is not in the configuration");
  auto local = ikeLocalOf(connection);
  if (!local) return std::move(local).error();
  auto& state = explicit_[connection.name];
  if (auto* dataplane = dataplaneOf(*config)) listenTo(*dataplane, connection.name);
  auto serial = engine_->initiate(viewOf(*config), {*local, 500}, {connection.peer, 500});
  if (!serial) return serial;
  ++state.attempt;
  // An IKE SA that is already up answers `up` at once; a new one is under way.
  auto sa = engine_->ikeSa(*serial);
  const bool alreadyUp = sa && sa->established && state.phase == "established" && state.ikeSa == *serial;
  if (alreadyUp) {
    state.outcomeAttempt = state.attempt;
  } else {
    state.phase = "negotiating";
    state.reason.clear();
    state.ikeSa = *serial;
  }
  logger_.info(kTag, "conn '" + connection.name + "': initiating to " + connection.peer.toString() + " (" +
                         why + "), IKE SA #" + std::to_string(*serial));
  return serial;
}

Result<void> IkeService::routeExplicit(const policy::ExplicitConnection& connection, ExplicitState& state) {
  if (!state.traps.empty()) return success();
  const auto* config = policy_ ? policy_->config.find(connection.name) : nullptr;
  auto* dataplane = config ? dataplaneOf(*config) : nullptr;
  if (!dataplane) return fail("conn '" + connection.name + "': no dataplane is loaded for it");
  listenTo(*dataplane, connection.name);
  auto local = ikeLocalOf(connection);
  if (!local) return fail("conn '" + connection.name + "': " + local.error().message);
  // One trap per pair of subnets of one address family (RFC 4301 §4.4.1: an SPD entry per
  // selector pair).
  for (const auto& ours : connection.localSubnetsFor(*local)) {
    for (const auto& theirs : connection.remoteSubnets) {
      if (ours.address().family() != theirs.address().family()) continue;
      auto id = dataplane->installTrap(PolicySpec{connection.name, ours, theirs});
      if (!id) {
        unrouteExplicit(state);
        return fail("conn '" + connection.name + "': trap " + ours.toString() + " -> " + theirs.toString() +
                    ": " + id.error().message);
      }
      state.traps.push_back({dataplane, *id});
    }
  }
  logger_.info(kTag, "conn '" + connection.name + "': " + std::to_string(state.traps.size()) +
                         " trap(s) installed; the first packet negotiates");
  return success();
}

void IkeService::unrouteExplicit(ExplicitState& state) {
  for (const auto& trap : state.traps) (void)trap.dataplane->removePolicy(trap.id);
  state.traps.clear();
}

std::vector<ike::IkeSaSerial> IkeService::deleteExplicitSas(const std::string& name) {
  std::vector<ike::IkeSaSerial> deleted;
  for (const auto& sa : engine_->ikeSas()) {
    if (sa.connection != name) continue;
    if (auto rc = engine_->deleteIkeSa(sa.serial); rc) deleted.push_back(sa.serial);
  }
  return deleted;
}

void IkeService::scheduleRetry(const std::string& name, bool afterDelete) {
  auto it = explicit_.find(name);
  const auto* config = policy_ ? policy_->config.find(name) : nullptr;
  // Stopping: the engine reports every SA it drops as a failure, which is no reason to retry.
  if (shutDown_ || it == explicit_.end() || !config || !it->second.keepUp || !it->second.loaded) return;
  auto& state = it->second;
  ++state.failures;
  // keyingtries= (0: %forever) bounds the attempts in a row, as in Libreswan.
  if (config->keyingTries > 0 && state.failures > config->keyingTries) {
    state.keepUp = false;
    state.reason += "; giving up after keyingtries=" + std::to_string(config->keyingTries);
    logger_.warning(kTag, "conn '" + name + "': keyingtries=" + std::to_string(config->keyingTries) +
                              " used up; not initiating again (ikemesh up " + name + " tries anew)");
    return;
  }
  auto delay = afterDelete ? kFirstRetry
                           : std::min(kLongestRetry, kFirstRetry * (1 << std::min(state.failures - 1, 6)));
  if (state.retry) host_->stopTimer(state.retry);
  logger_.info(kTag, "conn '" + name + "': " + (afterDelete ? "the peer deleted it" : "attempt failed") +
                         "; initiating again in " + std::to_string(delay.count()) + " ms (attempt " +
                         std::to_string(state.failures + 1) +
                         (config->keyingTries > 0 ? " of " + std::to_string(config->keyingTries + 1) : "") +
                         ")");
  state.retry = host_->startTimer(delay, false, [this, name] {
    auto found = explicit_.find(name);
    if (found == explicit_.end()) return;
    found->second.retry = 0;
    const auto* connection = policy_ ? policy_->explicitConnections.find(name) : nullptr;
    if (!connection || !found->second.keepUp) return;
    if (auto rc = initiateExplicit(*connection, "kept up"); !rc) {
      found->second.phase = "failed";
      found->second.reason = rc.error().message;
      found->second.outcomeAttempt = found->second.attempt;
      scheduleRetry(name, false);
    }
  });
}

void IkeService::applyAuto(const policy::ExplicitConnection& connection, ExplicitState& state) {
  state.loaded = connection.autoAction != policy::AutoAction::Ignore;
  if (!state.loaded) return;
  switch (connection.autoAction) {
    case policy::AutoAction::OnDemand:
      if (auto rc = routeExplicit(connection, state); !rc) logger_.error(kTag, rc.error().message);
      break;
    case policy::AutoAction::Start:
      state.keepUp = true;
      if (auto rc = initiateExplicit(connection, "auto=start"); !rc) {
        logger_.warning(kTag, "conn '" + connection.name + "': " + rc.error().message);
        state.phase = "failed";
        state.reason = rc.error().message;
        scheduleRetry(connection.name, false);
      }
      break;
    case policy::AutoAction::Add:
    case policy::AutoAction::Ignore: break;
  }
}

void IkeService::reconcileExplicit() {
  if (!policy_) return;
  // Gone or changed: taken down first; a changed conn then starts as a new one.
  for (auto it = explicit_.begin(); it != explicit_.end();) {
    const auto* config = policy_->config.find(it->first);
    const bool gone = !policy_->explicitConnections.find(it->first) || !config;
    if (!gone && config->settings == it->second.settings) {
      ++it;
      continue;
    }
    if (it->second.retry) host_->stopTimer(it->second.retry);
    unrouteExplicit(it->second);
    auto deleted = deleteExplicitSas(it->first);
    logger_.info(kTag, "conn '" + it->first + "' " + (gone ? "removed" : "changed") +
                           " by reload: " + std::to_string(deleted.size()) + " IKE SA(s) deleted");
    it = explicit_.erase(it);
  }
  for (const auto& connection : policy_->explicitConnections.connections()) {
    // Its dataplane reports to us (acquires, expiry) and reads ESP in UDP from the start,
    // also when the conn only answers.
    if (auto* dataplane = dataplaneOf(*policy_->config.find(connection.name)))
      listenTo(*dataplane, connection.name);
    if (explicit_.count(connection.name)) continue;
    auto& state = explicit_[connection.name];
    state.settings = policy_->config.find(connection.name)->settings;
    applyAuto(connection, state);
  }
}

Result<QJsonObject> IkeService::explicitUp(const std::string& name) {
  auto connection = knownExplicit("up", name);
  if (!connection) return std::move(connection).error();
  auto& state = explicit_[name];
  if (!state.loaded)
    return fail("up: conn '" + name + "' is not loaded (auto=ignore, or deleted): ikemesh add " + name);
  if (state.retry) host_->stopTimer(state.retry);
  state.retry = 0;
  state.failures = 0;
  state.keepUp = true;
  auto serial = initiateExplicit(**connection, "ikemesh up");
  if (!serial) return std::move(serial).error();
  return QJsonObject{{"conn", q(name)},
                     {"attempt", static_cast<qint64>(state.attempt)},
                     {"ikeSa", static_cast<qint64>(*serial)}};
}

Result<QJsonObject> IkeService::explicitDown(const std::string& name) {
  auto connection = knownExplicit("down", name);
  if (!connection) return std::move(connection).error();
  auto& state = explicit_[name];
  state.keepUp = false;
  if (state.retry) host_->stopTimer(state.retry);
  state.retry = 0;
  state.failures = 0;
  auto deleted = deleteExplicitSas(name);
  QJsonArray serials;
  for (auto serial : deleted) serials.append(static_cast<qint64>(serial));
  if (deleted.empty()) {
    state.phase = "down";
    state.reason = "ikemesh down";
  }
  logger_.info(kTag, "conn '" + name + "': down on request, DELETE sent for " +
                         std::to_string(deleted.size()) + " IKE SA(s)");
  return QJsonObject{{"conn", q(name)}, {"deleted", serials}};
}

Result<QJsonObject> IkeService::explicitRoute(const std::string& name) {
  auto connection = knownExplicit("ondemand", name);
  if (!connection) return std::move(connection).error();
  auto& state = explicit_[name];
  if (!state.loaded) return fail("ondemand: conn '" + name + "' is not loaded: ikemesh add " + name);
  if (auto rc = routeExplicit(**connection, state); !rc) return std::move(rc).error();
  return explicitStatus(name);
}

Result<QJsonObject> IkeService::explicitUnroute(const std::string& name) {
  auto connection = knownExplicit("unroute", name);
  if (!connection) return std::move(connection).error();
  auto& state = explicit_[name];
  if (state.traps.empty()) return fail("unroute: conn '" + name + "' has no trap installed");
  unrouteExplicit(state);
  logger_.info(kTag, "conn '" + name + "': trap removed on request");
  return explicitStatus(name);
}

Result<QJsonObject> IkeService::explicitAdd(const std::string& name) {
  auto connection = knownExplicit("add", name);
  if (!connection) return std::move(connection).error();
  auto& state = explicit_[name];
  const auto* config = policy_->config.find(name);
  const bool changed = state.settings != config->settings;
  if (changed || !state.loaded) {
    if (state.retry) host_->stopTimer(state.retry);
    state.retry = 0;
    if (changed) {
      unrouteExplicit(state);
      deleteExplicitSas(name);
      state.keepUp = false;
    }
    state.settings = config->settings;
    applyAuto(**connection, state);
    // `add` loads whatever auto= says, as `ipsec auto --add` does.
    state.loaded = true;
  }
  logger_.info(kTag, "conn '" + name + "' added from " + (*connection)->where.toString());
  return explicitStatus(name);
}

Result<QJsonObject> IkeService::explicitDelete(const std::string& name) {
  auto connection = knownExplicit("delete", name);
  if (!connection) return std::move(connection).error();
  auto& state = explicit_[name];
  if (!state.loaded) return fail("delete: conn '" + name + "' is not loaded");
  auto down = explicitDown(name);
  unrouteExplicit(state);
  state.loaded = false;
  logger_.info(kTag, "conn '" + name + "' deleted: no longer initiated nor answered");
  auto result = explicitStatus(name);
  if (result && down) (*result)["deleted"] = (*down)["deleted"];
  return result;
}

QJsonObject IkeService::explicitJson(const policy::ExplicitConnection& connection,
                                     const ExplicitState& state) const {
  std::size_t ikeSas = 0;
  for (const auto& sa : engine_->ikeSas()) ikeSas += sa.connection == connection.name;
  QJsonArray left, right;
  for (const auto& subnet : connection.localSubnets) left.append(q(subnet.toString()));
  for (const auto& subnet : connection.remoteSubnets) right.append(q(subnet.toString()));
  QJsonObject o{{"conn", q(connection.name)},
                {"where", q(connection.where.toString())},
                {"auto", q(std::string(policy::toString(connection.autoAction)))},
                {"peer", q(connection.peer.toString())},
                {"leftsubnets", left},
                {"rightsubnets", right},
                {"loaded", state.loaded},
                {"routed", !state.traps.empty()},
                {"keepUp", state.keepUp},
                {"phase", q(state.phase)},
                {"attempt", static_cast<qint64>(state.attempt)},
                {"outcomeAttempt", static_cast<qint64>(state.outcomeAttempt)},
                {"failures", state.failures},
                {"ikeSas", static_cast<qint64>(ikeSas)}};
  if (!state.reason.empty()) o["reason"] = q(state.reason);
  if (state.ikeSa) o["ikeSa"] = static_cast<qint64>(*state.ikeSa);
  if (state.childSerial) o["childSa"] = static_cast<qint64>(state.childSerial);
  if (!state.selectors.empty()) o["selectors"] = q(state.selectors);
  return o;
}

Result<QJsonObject> IkeService::explicitStatus(const std::string& name) const {
  if (!policy_) return fail("no configuration loaded");
  static const ExplicitState kUnloaded;
  auto stateOf = [&](const std::string& conn) -> const ExplicitState& {
    auto it = explicit_.find(conn);
    return it == explicit_.end() ? kUnloaded : it->second;
  };
  if (!name.empty()) {
    auto connection = knownExplicit("status", name);
    if (!connection) return std::move(connection).error();
    return explicitJson(**connection, stateOf(name));
  }
  QJsonArray all;
  for (const auto& connection : policy_->explicitConnections.connections())
    all.append(explicitJson(connection, stateOf(connection.name)));
  return QJsonObject{{"connections", all}};
}

// --- engine and dataplane events -------------------------------------------------------------

std::optional<ike::ConnectionView> IkeService::connectionForSelectors(
    const ike::ConnectionView& current, const ike::Endpoint& local, const ike::Endpoint& remote,
    const std::vector<TrafficSelector>& offeredI, const std::vector<TrafficSelector>& offeredR) {
  if (!policy_) return std::nullopt;
  auto choice = policy_->explicitConnections.forSelectors(local.address, remote.address, offeredI, offeredR,
                                                          [this](const policy::ExplicitConnection& c) {
                                                            auto it = explicit_.find(c.name);
                                                            return it != explicit_.end() && it->second.loaded;
                                                          });
  if (choice.connection) {
    const auto* config = policy_->config.find(choice.connection->name);
    if (!config) return std::nullopt;
    if (choice.connection->name != current.name)
      logger_.info(kTag, "IKE_AUTH from " + remote.toString() + " (TSi " + joinedSelectors(offeredI) +
                             ", TSr " + joinedSelectors(offeredR) + "): " + choice.why);
    return viewOf(*config);
  }
  if (!isExplicit(current.name)) return std::nullopt;
  // No explicit conn fits: a group that holds the peer answers host-to-host traffic.
  logger_.info(kTag, "IKE_AUTH from " + remote.toString() + " (TSi " + joinedSelectors(offeredI) + ", TSr " +
                         joinedSelectors(offeredR) + "): " + choice.why);
  const auto* group = trapConnectionFor(local.address, remote.address);
  if (!group) {
    auto match = policy_->table.lookup({local.address, remote.address});
    const auto* candidate = match ? policy_->config.find(match.group->connection) : nullptr;
    if (candidate && candidate->answersOpportunisticIke()) group = candidate;
  }
  if (!group) return std::nullopt;
  return viewOf(*group);
}

void IkeService::explicitChildUp(const ike::ChildSaInfo& child, std::uint64_t childSerial) {
  auto it = explicit_.find(child.connection);
  if (it == explicit_.end()) return;
  auto& state = it->second;
  if (state.retry) host_->stopTimer(state.retry);
  state.retry = 0;
  state.failures = 0;
  state.phase = "established";
  state.reason.clear();
  state.ikeSa = child.ikeSa;
  state.childSerial = childSerial;
  state.selectors = joinedSelectors(child.localSelectors) + " === " + joinedSelectors(child.remoteSelectors);
  state.outcomeAttempt = state.attempt;
}

void IkeService::explicitChildDown(const ike::ChildSaInfo& child) {
  if (!explicit_.count(child.connection)) return;
  // Decided once the current event is over: when the IKE SA goes too (its DELETE, `down`),
  // ikeSaDeleted has handled it by then; a rekeyed CHILD SA has its successor in place.
  host_->postToMain([this, name = child.connection, ikeSa = child.ikeSa] {
    auto it = explicit_.find(name);
    if (shutDown_ || it == explicit_.end()) return;
    auto& state = it->second;
    auto sa = engine_->ikeSa(ikeSa);
    if (!sa || !sa->established || newestChildOf(ikeSa) || state.ikeSa != ikeSa ||
        state.phase != "established")
      return;
    state.phase = "down";
    state.reason = "its CHILD SA was deleted, IKE SA #" + std::to_string(ikeSa) + " stays";
    state.childSerial = 0;
    state.selectors.clear();
    logger_.info(kTag, "conn '" + name + "': " + state.reason);
    if (state.keepUp) scheduleRetry(name, true);
  });
}

bool IkeService::explicitInitiationFailed(const std::string& connection, const std::string& reason) {
  auto it = explicit_.find(connection);
  if (it == explicit_.end()) return false;
  auto& state = it->second;
  state.phase = "failed";
  state.reason = reason;
  state.outcomeAttempt = state.attempt;
  scheduleRetry(connection, false);
  return true;
}

void IkeService::explicitIkeSaDeleted(const ike::IkeSaInfo& sa, const std::string& reason) {
  auto it = explicit_.find(sa.connection);
  if (it == explicit_.end()) return;
  auto& state = it->second;
  // A rekeyed IKE SA (RFC 7296 §2.18) hands over to its successor: not a down.
  for (const auto& other : engine_->ikeSas()) {
    if (other.serial != sa.serial && other.connection == sa.connection && other.established) {
      if (state.ikeSa == sa.serial) state.ikeSa = other.serial;
      return;
    }
  }
  if (state.phase == "failed") return;  // reported by initiationFailed already
  const bool wasUp = state.phase == "established";
  state.phase = "down";
  state.reason = reason;
  state.childSerial = 0;
  state.selectors.clear();
  if (!wasUp) state.outcomeAttempt = state.attempt;
  if (state.keepUp) scheduleRetry(sa.connection, wasUp);
}

}  // namespace ikemesh
