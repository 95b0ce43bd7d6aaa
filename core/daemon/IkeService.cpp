// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/IkeService.hpp"

#include <QJsonArray>

#include <cinttypes>
#include <cstdio>

#include "daemon/LocalAddresses.hpp"
#include "ike/engine/PeerIdentity.hpp"
#include "ike/engine/RekeyTiming.hpp"
#include "policy/RequiredFeatures.hpp"

namespace ikemesh {
namespace {

constexpr std::string_view kTag = "ike";

std::string hexSpi(std::uint32_t spi) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08" PRIx32, spi);
  return text;
}

QString q(const std::string& s) {
  return QString::fromStdString(s);
}

}  // namespace

/// Sends the engine's datagrams through the IKE sockets.
class IkeService::Transport final : public ike::IkeTransport {
 public:
  explicit Transport(IkeService& service) : service_(service) {}
  void send(const ike::Endpoint& local, const ike::Endpoint& remote,
            std::span<const std::uint8_t> message) override {
    if (auto rc = service_.socket_->send(local.address, local.port, remote.address, remote.port, message);
        !rc)
      service_.logger_.warning(kTag, rc.error().message);
  }

 private:
  IkeService& service_;
};

/// IKE messages that a dataplane read from the port-4500 socket it adopted: from its threads
/// to the engine on the main thread.
class IkeService::Receiver final : public IkeReceiver {
 public:
  explicit Receiver(IkeService& service) : service_(service) {}
  void ikeReceived(std::span<const std::uint8_t> message, const IpAddress& from, std::uint16_t fromPort,
                   const IpAddress& to, std::uint16_t toPort) override {
    std::vector<std::uint8_t> copy(message.begin(), message.end());
    service_.host_->postToMain([this, copy = std::move(copy), from, fromPort, to, toPort] {
      service_.engine_->receive(copy, ike::Endpoint{from, fromPort}, ike::Endpoint{to, toPort});
    });
  }

 private:
  IkeService& service_;
};

IkeService::IkeService(Options options, Logger& logger, QThreadPool& workers, const PluginLoader& plugins,
                       const ConfigValues* config)
    : options_(options), logger_(logger), plugins_(plugins) {
  host_ = std::make_unique<QtHost>(std::string(kTag), logger_, workers, config);
  transport_ = std::make_unique<Transport>(*this);
  receiver_ = std::make_unique<Receiver>(*this);
  engine_ = std::make_unique<ike::IkeEngine>(*host_, *transport_, *this, options_.engine);
  socket_ = std::make_unique<IkeSocket>(options_.sockets, [this](Datagram&& d) {
    engine_->receive(d.bytes, ike::Endpoint{d.from, d.fromPort}, ike::Endpoint{d.to, d.toPort});
  });
}

IkeService::~IkeService() {
  shutdown();
}

void IkeService::shutdown() {
  if (shutDown_) return;
  shutDown_ = true;
  // Tell every peer (DELETE, RFC 7296 §1.4.1), as Libreswan and strongSwan do when they stop:
  // otherwise a peer goes on sending ESP to SAs that are gone until its liveness check says
  // so. Best effort: sent now, the answers are not awaited.
  std::size_t told = 0;
  for (const auto& sa : engine_->ikeSas())
    if (sa.established && engine_->deleteIkeSa(sa.serial)) ++told;
  if (told > 0) logger_.info(kTag, "stopping: sent DELETE for " + std::to_string(told) + " IKE SA(s)");
  for (auto* dataplane : eventSources_) dataplane->setEvents(nullptr);
  for (auto& [key, child] : children_)
    if (child.inactivityTimer) host_->stopTimer(child.inactivityTimer);
  engine_->clear();
  for (auto& [key, shunt] : bareShunts_) {
    if (shunt.expiry) host_->stopTimer(shunt.expiry);
    if (shunt.dataplane) (void)shunt.dataplane->removePolicy(shunt.id);
  }
  bareShunts_.clear();
  removeInstalled();
  for (auto& [name, state] : explicit_) {
    if (state.retry) host_->stopTimer(state.retry);
    unrouteExplicit(state);
  }
  explicit_.clear();
  policy_ = nullptr;
}

static std::optional<ShuntAction> shuntActionOf(policy::Shunt shunt) {
  switch (shunt) {
    case policy::Shunt::Passthrough: return ShuntAction::Pass;
    case policy::Shunt::Drop: return ShuntAction::Drop;
    case policy::Shunt::Reject: return ShuntAction::Reject;
    case policy::Shunt::Hold: return ShuntAction::Hold;
    case policy::Shunt::None: return std::nullopt;
  }
  return std::nullopt;
}

void IkeService::removeBareShunt(const std::string& connection, const IpAddress& peer) {
  auto it = bareShunts_.find({connection, peer});
  if (it == bareShunts_.end()) return;
  if (it->second.expiry) host_->stopTimer(it->second.expiry);
  if (it->second.dataplane) (void)it->second.dataplane->removePolicy(it->second.id);
  bareShunts_.erase(it);
}

void IkeService::setBareShunt(const policy::Connection& connection, const IpAddress& local,
                              const IpAddress& peer, policy::Shunt shunt, bool failing) {
  removeBareShunt(connection.name, peer);
  auto action = shuntActionOf(shunt);
  auto* dataplane = dataplaneOf(connection);
  if (!action || !dataplane) return;
  if (!failing && *action != ShuntAction::Pass) {
    // While IKE runs, the trap itself keeps the first packets (sent once the SA is up, so
    // that `ping -c 1` gets its reply) and drops the rest: nothing leaves in the clear, and
    // a drop shunt here would throw the held packets away. The shunt is shown, not installed.
    bareShunts_[{connection.name, peer}] = BareShunt{nullptr, 0, local, peer, *action, false, 0};
    return;
  }
  PolicySpec spec{connection.name, IpPrefix::host(local), IpPrefix::host(peer)};
  auto id = dataplane->installShunt(spec, *action);
  if (!id) {
    logger_.error(kTag, "conn '" + connection.name + "': cannot install the " +
                            (failing ? "failure" : "negotiation") + " shunt for " + peer.toString() + ": " +
                            id.error().message);
    return;
  }
  BareShunt bare{dataplane, *id, local, peer, *action, failing, 0};
  if (failing) {
    // shuntlifetime: then the trap applies again and the next packet negotiates anew.
    auto name = connection.name;
    bare.expiry = host_->startTimer(connection.shuntLifetime, false, [this, name, peer] {
      if (auto it = bareShunts_.find({name, peer}); it != bareShunts_.end()) it->second.expiry = 0;
      removeBareShunt(name, peer);
      logger_.info(
          kTag, "failure shunt for " + peer.toString() + " (" + name + ") expired; the trap applies again");
    });
  }
  bareShunts_[{connection.name, peer}] = bare;
}

Result<void> IkeService::start(const policy::MeshPolicy& policy) {
  if (auto rc = socket_->open(); !rc) return rc;
  applyPolicy(policy);
  return success();
}

void IkeService::applyPolicy(const policy::MeshPolicy& policy) {
  removeInstalled();
  policy_ = &policy;
  installGroups(policy);
  reconcileExplicit();
}

std::string IkeService::dataplaneFeatureOf(const policy::Connection& connection) const {
  for (const auto& required : policy::requiredFeatures(connection, kernelHasEsp()))
    if (required.feature.starts_with("dataplane.")) return required.feature;
  return {};
}

Dataplane* IkeService::dataplaneOf(const policy::Connection& connection) const {
  auto feature = dataplaneFeatureOf(connection);
  return feature.empty() ? nullptr : plugins_.dataplane(feature);
}

void IkeService::installGroups(const policy::MeshPolicy& policy) {
  std::size_t traps = 0, shunts = 0;
  for (const auto& binding : policy.table.bindings()) {
    const auto* connection = policy.config.find(binding.connection);
    if (!connection) continue;
    auto* dataplane = dataplaneOf(*connection);
    if (!dataplane) {
      logger_.warning(kTag, "conn '" + connection->name + "': the plugin providing '" +
                                dataplaneFeatureOf(*connection) +
                                "' offers no dataplane; its group is not installed");
      continue;
    }
    listenTo(*dataplane, connection->name);
    for (const auto& group : policy.table.groups()) {
      if (group.name != binding.group) continue;
      for (const auto& entry : group.entries) {
        PolicySpec spec{connection->name, IpPrefix(entry.prefix.address(), 0),
                        entry.prefix,     entry.protocol,
                        entry.localPort,  entry.peerPort};
        auto id = binding.action == policy::PolicyAction::Trap ? dataplane->installTrap(spec)
                  : binding.action == policy::PolicyAction::Pass
                      ? dataplane->installShunt(spec, ShuntAction::Pass)
                      : dataplane->installShunt(spec, ShuntAction::Drop);
        if (!id) {
          logger_.error(kTag, entry.where.toString() + ": cannot install " + entry.toString() +
                                  " for conn '" + connection->name + "': " + id.error().message);
          continue;
        }
        installed_.push_back({dataplane, *id});
        binding.action == policy::PolicyAction::Trap ? ++traps : ++shunts;
      }
    }
    // Our own addresses inside a group never trap: pass them (DESIGN.md §2 step 1).
    for (const auto& own : policy.table.ownAddressesToExclude()) {
      PolicySpec spec{connection->name, IpPrefix(own, 0), IpPrefix::host(own)};
      if (auto id = dataplane->installShunt(spec, ShuntAction::Pass)) installed_.push_back({dataplane, *id});
    }
  }
  logger_.info(kTag,
               "installed " + std::to_string(traps) + " trap(s) and " + std::to_string(shunts) + " shunt(s)");
}

void IkeService::listenTo(Dataplane& dataplane, const std::string& connection) {
  if (std::find(eventSources_.begin(), eventSources_.end(), &dataplane) != eventSources_.end()) return;
  dataplane.setEvents(this);
  eventSources_.push_back(&dataplane);
  // A userspace ESP dataplane reads ESP-in-UDP (and the IKE beside it) itself.
  auto v4 = IpAddress::Family::V4;
  int fd = socket_->fd(options_.sockets.natPort, v4);
  if (!natSocketAdopted_ && fd >= 0 && dataplane.adoptUdpEncapsulationSocket(fd, *receiver_)) {
    socket_->stopReading(options_.sockets.natPort, v4);
    natSocketAdopted_ = true;
    logger_.info(kTag, "UDP port " + std::to_string(options_.sockets.natPort) +
                           " is read by the dataplane of conn '" + connection + "'");
  }
}

void IkeService::removeInstalled() {
  for (const auto& installed : installed_) (void)installed.dataplane->removePolicy(installed.id);
  installed_.clear();
}

const policy::Connection* IkeService::trapConnectionFor(const IpAddress& local, const IpAddress& peer,
                                                        const policy::PolicyEntry** entry) const {
  if (!policy_) return nullptr;
  auto match = policy_->table.lookup({local, peer});
  if (!match || match.group->action != policy::PolicyAction::Trap) return nullptr;
  if (entry) *entry = match.entry;
  return policy_->config.find(match.group->connection);
}

ike::ConnectionView IkeService::viewOf(const policy::Connection& c) const {
  ike::ConnectionView view;
  view.name = c.name;
  auto left = c.leftAuth ? *c.leftAuth : c.authBy.front();
  auto right = c.rightAuth ? *c.rightAuth : c.authBy.front();
  // Libreswan's %dnsondemand / %dns: the key is the one published in DNSSEC-signed IPSECKEY
  // records, ours (leftrsasigkey) signed with the node's raw key, the peer's looked up.
  const auto fromDns = [](const std::string& key) { return key == "%dnsondemand" || key == "%dns"; };
  view.localAuth = fromDns(c.leftRsaSigKey) ? "auth.dnssec" : policy::authFeature(left);
  view.remoteAuth = fromDns(c.rightRsaSigKey) ? "auth.dnssec" : policy::authFeature(right);
  view.ikeProposals = c.value("ike").value_or("");
  view.espProposals = c.value("esp").value_or("");
  view.ikeLifetime = std::chrono::duration_cast<std::chrono::seconds>(c.ikeLifetime);
  view.childLifetime = std::chrono::duration_cast<std::chrono::seconds>(c.ipsecLifetime);
  view.rekeyMargin = c.rekeyMargin;
  view.rekeyFuzzPercent = c.rekeyFuzzPercent;
  view.pfs = c.pfs;
  view.childless = c.childless;
  for (const auto& subnet : c.leftSubnets) view.localSelectors.push_back(policy::selectorFor(subnet));
  for (const auto& subnet : c.rightSubnets) view.remoteSelectors.push_back(policy::selectorFor(subnet));
  view.retransmitInterval = c.retransmitInterval;
  view.retransmitTimeout = c.retransmitTimeout;
  view.livenessDelay = c.dpdDelay;
  view.mode = c.type == policy::ConnectionType::Tunnel ? IpsecMode::Tunnel : IpsecMode::Transport;
  view.remoteIdentity = ike::identityFromConfig(c.rightId);
  view.fragmentation = c.fragmentation != policy::Fragmentation::No;
  // The TUN dataplane does ESP in UDP only (RFC 3948), so its conns always encapsulate.
  view.forceEncapsulation =
      c.encapsulation == policy::Encapsulation::Yes || dataplaneFeatureOf(c) == "dataplane.tun";
  return view;
}

std::string IkeService::instanceName(const std::string& connection, const IpAddress& peer) {
  auto key = std::make_pair(connection, peer);
  if (auto it = instances_.find(key); it != instances_.end()) return it->second;
  const policy::PolicyEntry* entry = nullptr;
  std::string name;
  if (policy_) {
    auto match = policy_->table.lookup({IpAddress{}, peer});
    if (match && match.group->connection == connection) entry = match.entry;
  }
  // A conn with a fixed peer is one connection, named as written (Libreswan: "s2s").
  name = entry                    ? namer_.next(connection, entry->prefix, peer).toString()
         : isExplicit(connection) ? "\"" + connection + "\""
                                  : "\"" + connection + "\" ..." + peer.toString();
  instances_.emplace(key, name);
  return name;
}

Result<QJsonObject> IkeService::initiateTo(const IpAddress& local, const IpAddress& peer) {
  const auto* connection = trapConnectionFor(local, peer);
  if (!connection)
    return fail("no trap applies to " + local.toString() + " -> " + peer.toString() +
                " (see ikemesh policy)");
  auto serial = engine_->initiate(viewOf(*connection), {local, 500}, {peer, 500});
  if (!serial) return std::move(serial).error();
  if (!bareShunts_.count({connection->name, peer}))
    setBareShunt(*connection, local, peer, connection->negotiationShunt, false);
  return QJsonObject{{"serial", static_cast<qint64>(*serial)},
                     {"instance", q(instanceName(connection->name, peer))}};
}

Result<QJsonObject> IkeService::deletePeer(const IpAddress& peer) {
  QJsonArray deleted;
  for (const auto& sa : engine_->ikeSas()) {
    if (sa.remote.address != peer) continue;
    if (auto rc = engine_->deleteIkeSa(sa.serial); !rc) return std::move(rc).error();
    deleted.append(static_cast<qint64>(sa.serial));
  }
  if (deleted.isEmpty()) return fail("no IKE SA with " + peer.toString() + " (see ikemesh showstates)");
  logger_.info(kTag, "deleting " + std::to_string(deleted.size()) + " IKE SA(s) with " + peer.toString() +
                         " on request");
  return QJsonObject{{"peer", QString::fromStdString(peer.toString())}, {"deleted", deleted}};
}

// --- ike::EngineDelegate ---------------------------------------------------------------

std::optional<ike::ConnectionView> IkeService::connectionFor(const ike::Endpoint& local,
                                                             const ike::Endpoint& remote) {
  // An explicit conn with this peer ranks above any group (as Libreswan's admin conns rank
  // above OE); IKE_AUTH may still move to another one by its selectors.
  if (policy_) {
    for (const auto* candidate : policy_->explicitConnections.forPeer(local.address, remote.address)) {
      auto it = explicit_.find(candidate->name);
      const auto* connection = policy_->config.find(candidate->name);
      if (it != explicit_.end() && it->second.loaded && connection) return viewOf(*connection);
    }
  }
  const auto* connection = trapConnectionFor(local.address, remote.address);
  if (!connection && policy_) {
    // clear-or-private: we never initiate to these peers, but answer them (DESIGN.md §2 step 7).
    auto match = policy_->table.lookup({local.address, remote.address});
    const auto* candidate = match ? policy_->config.find(match.group->connection) : nullptr;
    if (candidate && candidate->answersOpportunisticIke()) connection = candidate;
  }
  if (!connection) {
    // A peer in clear or block (or in no group): NO_PROPOSAL_CHOSEN, so that its
    // private-or-clear conn falls back to clear text now instead of after retransmit-timeout.
    logger_.info(kTag, "IKE_SA_INIT from " + remote.toString() +
                           " refused: no private, private-or-clear or "
                           "clear-or-private group holds it");
    return std::nullopt;
  }
  return viewOf(*connection);
}

ikemesh::AuthMethod* IkeService::authMethod(const ike::ConnectionView&, std::string_view feature) {
  return plugins_.authMethod(std::string(feature));
}

Dataplane* IkeService::dataplane(const ike::ConnectionView& view) {
  if (!policy_) return nullptr;
  const auto* connection = policy_->config.find(view.name);
  return connection ? dataplaneOf(*connection) : nullptr;
}

void IkeService::ikeSaEstablished(const ike::IkeSaInfo& sa) {
  established_[sa.serial] = std::chrono::system_clock::now();
  logger_.info(kTag, "#" + std::to_string(sa.serial) + ": " + instanceName(sa.connection, sa.remote.address) +
                         " established IKE SA, peer " + sa.peerId);
}

void IkeService::ikeSaDeleted(const ike::IkeSaInfo& sa, const std::string& reason) {
  established_.erase(sa.serial);
  idleExpiring_.erase(sa.serial);
  logger_.info(kTag, "#" + std::to_string(sa.serial) + ": IKE SA with " + sa.remote.toString() +
                         " deleted: " + reason);
  explicitIkeSaDeleted(sa, reason);
}

void IkeService::childSaUp(const ike::ChildSaInfo& child) {
  // The tunnel replaces the negotiation shunt, and a failure shunt if the peer started IKE
  // itself later (private-or-clear).
  if (auto sa = engine_->ikeSa(child.ikeSa)) removeBareShunt(child.connection, sa->remote.address);
  auto& record = children_[{child.ikeSa, child.inboundSpi}];
  record.serial = nextChildSerial_++;
  record.added = std::chrono::system_clock::now();
  record.info = child;
  const auto* connection = policy_ ? policy_->config.find(child.connection) : nullptr;
  if (connection && connection->inactivity.count() > 0) {
    auto ikeSa = child.ikeSa;
    auto spi = child.inboundSpi;
    record.inactivityTimer = host_->startTimer(connection->inactivity, false, [this, ikeSa, spi] {
      if (auto it = children_.find({ikeSa, spi}); it != children_.end()) it->second.inactivityTimer = 0;
      checkInactivity(ikeSa, spi);
    });
  }
  explicitChildUp(child, record.serial);
}

void IkeService::childSaDown(const ike::ChildSaInfo& child, const std::string& reason) {
  if (auto it = children_.find({child.ikeSa, child.inboundSpi}); it != children_.end()) {
    if (it->second.inactivityTimer) host_->stopTimer(it->second.inactivityTimer);
    children_.erase(it);
  }
  logger_.info(kTag, "CHILD SA " + hexSpi(child.inboundSpi) + " of #" + std::to_string(child.ikeSa) +
                         " down: " + reason);
  explicitChildDown(child);
}

void IkeService::initiationFailed(const std::string& connection, const ike::Endpoint& remote,
                                  const std::string& reason) {
  logger_.warning(kTag,
                  "conn '" + connection + "': negotiation with " + remote.toString() + " failed: " + reason);
  // An explicit conn has no shunts of its own: its traffic waits for the next attempt.
  if (explicitInitiationFailed(connection, reason)) return;
  const auto* c = policy_ ? policy_->config.find(connection) : nullptr;
  if (!c) return;
  auto local = IpAddress{};
  if (auto it = bareShunts_.find({connection, remote.address}); it != bareShunts_.end())
    local = it->second.local;
  else if (auto source = sourceAddressFor(remote.address))
    local = *source;
  setBareShunt(*c, local, remote.address, c->failureShunt, true);
}

// --- DataplaneEvents -------------------------------------------------------------------

void IkeService::acquire(const Acquire& a) {
  ++acquires_;
  if (const auto* connection = explicitFor(a.source, a.destination)) {
    if (auto rc = initiateExplicit(*connection,
                                   "acquire " + a.source.toString() + " -> " + a.destination.toString());
        !rc)
      logger_.warning(kTag, "conn '" + connection->name + "': " + rc.error().message);
    return;
  }
  auto rc = initiateTo(a.source, a.destination);
  if (!rc)
    logger_.warning(kTag, "acquire " + a.source.toString() + " -> " + a.destination.toString() + ": " +
                              rc.error().message);
}

void IkeService::expired(const SaRef& sa, bool hard) {
  if (!hard && expireIfIdle(sa)) return;
  engine_->saExpired(sa, hard);
}

void IkeService::natMappingChanged(const NatMapping& mapping) {
  engine_->natMappingChanged(mapping);
}

const IkeService::ChildRecord* IkeService::newestChildOf(ike::IkeSaSerial ikeSa) const {
  const ChildRecord* newest = nullptr;
  for (auto it = children_.lower_bound({ikeSa, 0}); it != children_.end() && it->first.first == ikeSa; ++it)
    if (!newest || it->second.serial > newest->serial) newest = &it->second;
  return newest;
}

bool IkeService::expireIfIdle(const SaRef& ref) {
  using namespace std::chrono;
  if (!policy_) return false;
  for (const auto& sa : engine_->ikeSas()) {
    const ChildRecord* expiring = nullptr;
    for (auto it = children_.lower_bound({sa.serial, 0});
         it != children_.end() && it->first.first == sa.serial; ++it) {
      const auto& info = it->second.info;
      if ((info.inboundSpi == ref.spi && ref.destination == sa.local.address) ||
          (info.outboundSpi == ref.spi && ref.destination == sa.remote.address))
        expiring = &it->second;
    }
    if (!expiring) continue;
    if (idleExpiring_.count(sa.serial)) return true;  // the SA's other half, or a second report
    // Libreswan (ikev2_replace.c): only opportunistic instances expire when idle; a conn with
    // a fixed peer is rekeyed whatever its traffic.
    const auto* connection = policy_->config.find(sa.connection);
    if (!connection || !connection->right.isGroup()) return false;
    const ChildRecord* newest = newestChildOf(sa.serial);
    auto* dataplane = dataplaneOf(*connection);
    if (newest != expiring || !dataplane) return false;  // a replaced one: the engine knows
    // Idle as Libreswan measures it: nothing received within the rekey margin (an SA that was
    // rekeyed since its last packet received nothing at all). Every CHILD SA of the IKE SA
    // counts, not the newest alone: when the answer that installed the newest was lost (a
    // lossy link), the peer still sends on the one before, and the tunnel is busy.
    auto margin = ike::effectiveRekeyMargin(connection->ipsecLifetime, connection->rekeyMargin,
                                            connection->rekeyFuzzPercent);
    auto now = system_clock::now();
    for (auto it = children_.lower_bound({sa.serial, 0});
         it != children_.end() && it->first.first == sa.serial; ++it) {
      auto counters = dataplane->counters({it->second.info.inboundSpi, sa.local.address});
      if (counters && counters->lastUse && now - *counters->lastUse < margin) return false;
    }
    logger_.info(kTag, "#" + std::to_string(newest->serial) + ": " +
                           instanceName(sa.connection, sa.remote.address) + " received nothing for " +
                           std::to_string(duration_cast<seconds>(margin).count()) +
                           "s: not rekeyed, deleting IKE SA #" + std::to_string(sa.serial) +
                           "; the trap applies again");
    if (auto rc = engine_->deleteIkeSa(sa.serial); !rc) {
      logger_.warning(kTag, "#" + std::to_string(sa.serial) + ": " + rc.error().message);
      return false;
    }
    idleExpiring_.insert(sa.serial);
    return true;
  }
  return false;
}

void IkeService::checkInactivity(ike::IkeSaSerial ikeSa, std::uint32_t inboundSpi) {
  using namespace std::chrono;
  auto it = children_.find({ikeSa, inboundSpi});
  if (it == children_.end() || !policy_) return;
  auto& record = it->second;
  const auto* connection = policy_->config.find(record.info.connection);
  auto* dataplane = connection ? dataplaneOf(*connection) : nullptr;
  if (!dataplane || connection->inactivity.count() <= 0) return;
  std::optional<ike::IkeSaInfo> sa;
  for (const auto& candidate : engine_->ikeSas())
    if (candidate.serial == ikeSa) sa = candidate;
  if (!sa) return;
  auto last = record.added;
  for (auto ref :
       {SaRef{record.info.inboundSpi, sa->local.address}, SaRef{record.info.outboundSpi, sa->remote.address}})
    if (auto counters = dataplane->counters(ref); counters && counters->lastUse)
      last = std::max(last, *counters->lastUse);
  auto idle = duration_cast<milliseconds>(system_clock::now() - last);
  if (idle < connection->inactivity) {
    record.inactivityTimer =
        host_->startTimer(connection->inactivity - idle, false, [this, ikeSa, inboundSpi] {
          if (auto it = children_.find({ikeSa, inboundSpi}); it != children_.end())
            it->second.inactivityTimer = 0;
          checkInactivity(ikeSa, inboundSpi);
        });
    return;
  }
  std::size_t siblings = 0;
  for (auto c = children_.lower_bound({ikeSa, 0}); c != children_.end() && c->first.first == ikeSa; ++c)
    ++siblings;
  logger_.info(kTag, "#" + std::to_string(record.serial) + ": " +
                         instanceName(sa->connection, sa->remote.address) + " carried nothing for " +
                         std::to_string(duration_cast<seconds>(idle).count()) + "s (inactivity=): deleting " +
                         (siblings == 1 ? "it and its IKE SA" : "it"));
  auto rc = siblings == 1 ? engine_->deleteIkeSa(ikeSa) : engine_->deleteChildSa(ikeSa, inboundSpi);
  if (!rc) logger_.warning(kTag, "#" + std::to_string(ikeSa) + ": " + rc.error().message);
}

void IkeService::error(const std::string& message) {
  logger_.error(kTag, "dataplane: " + message);
}

// --- status ------------------------------------------------------------------------------

QJsonObject IkeService::showStates() const {
  using namespace std::chrono;
  auto now = system_clock::now();
  QJsonArray states;
  for (const auto& sa : engine_->ikeSas()) {
    auto name = const_cast<IkeService*>(this)->instanceName(sa.connection, sa.remote.address);
    std::string line =
        "#" + std::to_string(sa.serial) + ": " + name + ":" + std::to_string(sa.remote.port) + " ";
    if (sa.established) {
      line += "established IKE SA;";
      if (sa.initiator) {
        const auto* connection = policy_ ? policy_->config.find(sa.connection) : nullptr;
        if (connection) {
          auto at = established_.count(sa.serial) ? established_.at(sa.serial) : now;
          auto rekey = at + connection->ikeLifetime - connection->ikeLifetime / 10;
          line += " REKEY in " +
                  std::to_string(std::max<long>(0, duration_cast<seconds>(rekey - now).count())) + "s;";
        }
      }
      line += " newest; idle;";
    } else {
      line += "negotiating IKE SA;";
    }
    states.append(QJsonObject{{"serial", static_cast<qint64>(sa.serial)},
                              {"kind", "IKE"},
                              {"instance", q(name)},
                              {"established", sa.established},
                              {"peerId", q(sa.peerId)},
                              {"algorithms", q(sa.algorithms)},
                              {"line", q(line)}});
  }
  for (const auto& [key, child] : children_) {
    auto name = const_cast<IkeService*>(this)->instanceName(child.info.connection, IpAddress{});
    if (auto sa = engine_->ikeSa(child.info.ikeSa))
      name = const_cast<IkeService*>(this)->instanceName(sa->connection, sa->remote.address) + ":" +
             std::to_string(sa->remote.port);
    std::string line = "#" + std::to_string(child.serial) + ": " + name + " established Child SA; newest; " +
                       (child.info.mode == IpsecMode::Tunnel ? "tunnel" : "transport") + " mode; " +
                       (child.info.encapsulated ? "ESP/UDP" : "ESP") +
                       " SPIs out=" + hexSpi(child.info.outboundSpi) +
                       " in=" + hexSpi(child.info.inboundSpi) + ";";
    states.append(QJsonObject{{"serial", static_cast<qint64>(child.serial)},
                              {"kind", "CHILD"},
                              {"ikeSa", static_cast<qint64>(child.info.ikeSa)},
                              {"line", q(line)}});
  }
  return QJsonObject{{"states", states}};
}

QJsonObject IkeService::shuntStatus() const {
  QJsonArray shunts;
  for (const auto& [key, shunt] : bareShunts_) {
    auto action = shunt.action == ShuntAction::Pass   ? "%pass"
                  : shunt.action == ShuntAction::Hold ? "%hold"
                                                      : "%drop";
    auto line = IpPrefix::host(shunt.local).toString() + " -0-> " + IpPrefix::host(shunt.peer).toString() +
                " => " + action + "    " + (shunt.failing ? "oe-failing" : "oe-negotiating");
    shunts.append(QJsonObject{{"connection", q(key.first)},
                              {"peer", q(shunt.peer.toString())},
                              {"action", action},
                              {"failing", shunt.failing},
                              {"line", q(line)}});
  }
  return QJsonObject{{"shunts", shunts}};
}

QJsonObject IkeService::trafficStatus() const {
  using namespace std::chrono;
  QJsonArray tunnels;
  for (const auto& [key, child] : children_) {
    const auto ikeSa = engine_->ikeSa(child.info.ikeSa);
    if (!ikeSa) continue;
    std::uint64_t in = 0, out = 0, inPackets = 0, replayErrors = 0, integrityErrors = 0;
    if (const auto* connection = policy_ ? policy_->config.find(child.info.connection) : nullptr) {
      if (auto* dataplane = dataplaneOf(*connection)) {
        if (auto c = dataplane->counters({child.info.inboundSpi, ikeSa->local.address})) {
          in = c->bytes;
          inPackets = c->packets;
          replayErrors = c->replayErrors;
          integrityErrors = c->integrityErrors;
        }
        if (auto c = dataplane->counters({child.info.outboundSpi, ikeSa->remote.address})) out = c->bytes;
      }
    }
    auto name = const_cast<IkeService*>(this)->instanceName(ikeSa->connection, ikeSa->remote.address);
    auto added = duration_cast<seconds>(child.added.time_since_epoch()).count();
    std::string line = "#" + std::to_string(child.serial) + ": " + name +
                       ", type=ESP, add_time=" + std::to_string(added) + ", inBytes=" + std::to_string(in) +
                       ", outBytes=" + std::to_string(out) + ", maxBytes=2^63B, id='" + ikeSa->peerId + "'";
    tunnels.append(QJsonObject{{"serial", static_cast<qint64>(child.serial)},
                               {"instance", q(name)},
                               {"addTime", static_cast<qint64>(added)},
                               {"inBytes", static_cast<qint64>(in)},
                               {"outBytes", static_cast<qint64>(out)},
                               {"inPackets", static_cast<qint64>(inPackets)},
                               {"replayErrors", static_cast<qint64>(replayErrors)},
                               {"integrityErrors", static_cast<qint64>(integrityErrors)},
                               {"id", q(ikeSa->peerId)},
                               {"line", q(line)}});
  }
  return QJsonObject{{"tunnels", tunnels}};
}

QJsonObject IkeService::counters() const {
  const auto& c = engine_->counters();
  QJsonObject rejected;
  for (const auto& [field, count] : c.rejectedByField) rejected[q(field)] = static_cast<qint64>(count);
  // The engine's count: IKE on port 4500 may come through the dataplane's socket (kernel-tun
  // shares it with ESP), which the IKE socket's own count does not see.
  return QJsonObject{{"datagramsReceived", static_cast<qint64>(c.datagramsReceived)},
                     {"datagramsSent", static_cast<qint64>(c.datagramsSent)},
                     {"retransmissions", static_cast<qint64>(c.retransmissions)},
                     {"responsesFromCache", static_cast<qint64>(c.responsesFromCache)},
                     {"cookiesDemanded", static_cast<qint64>(c.cookiesDemanded)},
                     {"halfOpen", static_cast<qint64>(engine_->halfOpenCount())},
                     {"cookiesHonoured", static_cast<qint64>(c.cookiesHonoured)},
                     {"childSasInstalled", static_cast<qint64>(c.childSasInstalled)},
                     {"fragmentsSent", static_cast<qint64>(c.fragmentsSent)},
                     {"fragmentsReceived", static_cast<qint64>(c.fragmentsReceived)},
                     {"ikeSasEstablished", static_cast<qint64>(c.ikeSasEstablished)},
                     {"rejected", static_cast<qint64>(c.rejected)},
                     {"rejectedByField", rejected},
                     {"droppedNonIke", static_cast<qint64>(socket_->droppedNonIke())},
                     {"acquires", static_cast<qint64>(acquires_)},
                     {"ikeSas", static_cast<qint64>(engine_->ikeSas().size())},
                     {"childSas", static_cast<qint64>(children_.size())}};
}

}  // namespace ikemesh
