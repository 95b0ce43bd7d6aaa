// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QJsonObject>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <ikemesh/dataplane.hpp>

#include "daemon/IkeSocket.hpp"
#include "daemon/QtHost.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "plugin/PluginLoader.hpp"
#include "policy/InstanceNamer.hpp"
#include "policy/MeshPolicy.hpp"
#include "util/Logger.hpp"

namespace ikemesh {

/// The IKE side of the daemon (DESIGN.md §2): the UDP sockets, the engine, and what connects
/// them to the configuration and the plugins. It installs the policy groups into the
/// dataplanes (traps, pass and block shunts), turns acquires into initiations, answers the
/// engine's questions (which conn applies to a peer, which auth method and dataplane), and
/// keeps what status and trafficstatus show. Main thread only.
class IkeService final : public ike::EngineDelegate, public DataplaneEvents {
 public:
  struct Options {
    IkeSocket::Options sockets;
    ike::EngineSettings engine;
  };

  IkeService(Options options, Logger& logger, QThreadPool& workers, const PluginLoader& plugins,
             const ConfigValues* config);
  ~IkeService() override;

  /// Opens the sockets and installs `policy`'s groups. `policy` must outlive the service or
  /// be replaced through applyPolicy().
  Result<void> start(const policy::MeshPolicy& policy);
  /// Removes every SA, trap and shunt from the dataplanes and stops answering; the sockets
  /// stay open, since a dataplane that adopted one may read it until it is destroyed.
  /// The daemon calls it before unloading the plugins, and destroys the service after.
  void shutdown();
  /// After a reload: installs the new policy's groups and removes the old ones'. SAs stay.
  void applyPolicy(const policy::MeshPolicy& policy);
  /// After a reload that changed nothing: the same groups, held in a new object.
  void rebind(const policy::MeshPolicy& policy) { policy_ = &policy; }

  /// What an acquire does, on request (`ikemesh oppo PEER`, like Libreswan's whack --oppohere/--oppothere).
  Result<QJsonObject> initiateTo(const IpAddress& local, const IpAddress& peer);
  /// Deletes the IKE SAs (and so their CHILD SAs) with a peer, telling it with DELETE (RFC 7296
  /// §1.4.1): `ikemesh down PEER`, like Libreswan's `ipsec whack --deletestate`. The trap applies
  /// to the peer again.
  Result<QJsonObject> deletePeer(const IpAddress& peer);

  // Explicit connections (a fixed right=; IkeServiceExplicit.cpp). Each answers at once; the
  // outcome of a negotiation shows in explicitStatus(), which `ikemesh up` polls.
  /// `ikemesh up CONN`: initiates, and keeps the conn up from now on (re-initiated after a
  /// failure or the peer's DELETE, as keyingtries= allows), as auto=start does.
  Result<QJsonObject> explicitUp(const std::string& name);
  /// `ikemesh down CONN`: deletes its IKE SAs (telling the peer) and stops keeping it up.
  Result<QJsonObject> explicitDown(const std::string& name);
  /// `ikemesh ondemand CONN`: installs the trap on its selectors (auto=ondemand).
  Result<QJsonObject> explicitRoute(const std::string& name);
  /// `ikemesh unroute CONN`: removes that trap.
  Result<QJsonObject> explicitUnroute(const std::string& name);
  /// `ikemesh add CONN`, after the daemon put the conn from disk into the policy: loads it and
  /// applies its auto=.
  Result<QJsonObject> explicitAdd(const std::string& name);
  /// `ikemesh delete CONN`: down, unrouted, and no longer answered.
  Result<QJsonObject> explicitDelete(const std::string& name);
  /// The explicit conn that takes traffic from `local` to `peer` before any group: loaded, and
  /// with its trap in or kept up; null when none does.
  /// `matched` gets the conn's rightsubnet that holds `peer`.
  const policy::ExplicitConnection* explicitFor(const IpAddress& local, const IpAddress& peer,
                                                IpPrefix* matched = nullptr) const;
  /// One conn's state, or every explicit conn's when `name` is empty.
  Result<QJsonObject> explicitStatus(const std::string& name) const;

  QJsonObject showStates() const;
  /// The bare shunts (negotiation and failure shunts per peer), as Libreswan's shuntstatus.
  QJsonObject shuntStatus() const;
  QJsonObject trafficStatus() const;
  QJsonObject counters() const;

  // ike::EngineDelegate
  std::optional<ike::ConnectionView> connectionFor(const ike::Endpoint& local,
                                                   const ike::Endpoint& remote) override;
  std::optional<ike::ConnectionView> connectionForSelectors(
      const ike::ConnectionView& current, const ike::Endpoint& local, const ike::Endpoint& remote,
      const std::vector<TrafficSelector>& offeredI, const std::vector<TrafficSelector>& offeredR) override;
  ikemesh::AuthMethod* authMethod(const ike::ConnectionView& connection, std::string_view feature) override;
  Dataplane* dataplane(const ike::ConnectionView& connection) override;
  void ikeSaEstablished(const ike::IkeSaInfo& sa) override;
  void ikeSaDeleted(const ike::IkeSaInfo& sa, const std::string& reason) override;
  void childSaUp(const ike::ChildSaInfo& child) override;
  void childSaDown(const ike::ChildSaInfo& child, const std::string& reason) override;
  void initiationFailed(const std::string& connection, const ike::Endpoint& remote,
                        const std::string& reason) override;

  // DataplaneEvents
  void acquire(const Acquire& acquire) override;
  void expired(const SaRef& sa, bool hard) override;
  void error(const std::string& message) override;
  void natMappingChanged(const NatMapping& mapping) override;

 private:
  class Transport;
  class Receiver;
  struct Installed {
    Dataplane* dataplane;
    PolicyId id;
  };
  /// A negotiation or failure shunt for one peer (DESIGN.md §2 steps 3 and 6).
  struct BareShunt {
    Dataplane* dataplane = nullptr;
    PolicyId id = 0;
    IpAddress local;
    IpAddress peer;
    ShuntAction action = ShuntAction::Drop;
    bool failing = false;  // a failure shunt (oe-failing), else a negotiation shunt (oe-negotiating)
    TimerId expiry = 0;
  };
  /// The run-time state of one explicit conn.
  struct ExplicitState {
    bool loaded = false;           // answered and usable (auto= not ignore, or `ikemesh add`)
    bool keepUp = false;           // auto=start or `ikemesh up`: re-initiated when it goes down
    std::vector<Installed> traps;  // auto=ondemand or `ikemesh ondemand`
    std::map<std::string, std::string> settings;  // to see what a reload changed
    int failures = 0;                             // consecutive failed attempts, for backoff and keyingtries=
    TimerId retry = 0;
    std::optional<ike::IkeSaSerial> ikeSa;  // the newest IKE SA of the conn
    std::uint64_t attempt = 0;              // initiations so far; `ikemesh up` waits for its own
    std::uint64_t outcomeAttempt = 0;       // the attempt the outcome below belongs to
    std::string phase = "down";             // down, negotiating, established, failed
    std::string reason;
    std::uint64_t childSerial = 0;
    std::string selectors;  // "198.51.100.0/24 === 203.0.113.0/24"
  };

  struct ChildRecord {
    std::uint64_t serial;  // the "#N" of status lines
    std::chrono::system_clock::time_point added;
    ike::ChildSaInfo info;
    TimerId inactivityTimer = 0;  // inactivity= of its conn
  };

  /// The policy lookup for (local, peer): the binding and the conn, when a trap applies.
  const policy::Connection* trapConnectionFor(const IpAddress& local, const IpAddress& peer,
                                              const policy::PolicyEntry** entry = nullptr) const;
  ike::ConnectionView viewOf(const policy::Connection& connection) const;
  std::string dataplaneFeatureOf(const policy::Connection& connection) const;
  Dataplane* dataplaneOf(const policy::Connection& connection) const;
  /// `"private#10.15.0.0/16"[1] ...10.15.1.7`: one instance per (template, peer).
  std::string instanceName(const std::string& connection, const IpAddress& peer);
  void installGroups(const policy::MeshPolicy& policy);
  /// Replaces the bare shunt of (conn, peer) with `shunt` (none: just removes it).
  void setBareShunt(const policy::Connection& connection, const IpAddress& local, const IpAddress& peer,
                    policy::Shunt shunt, bool failing);
  void removeBareShunt(const std::string& connection, const IpAddress& peer);
  void removeInstalled();
  /// A dataplane's events come to us, and the first one takes the port-4500 socket.
  void listenTo(Dataplane& dataplane, const std::string& connection);
  // IkeServiceExplicit.cpp
  bool isExplicit(const std::string& connection) const;
  /// Our IKE address for the conn: left=, else the source address of the route to right=.
  Result<IpAddress> ikeLocalOf(const policy::ExplicitConnection& connection) const;
  /// Starts (or joins) a negotiation of the conn; `why` goes to the log.
  Result<ike::IkeSaSerial> initiateExplicit(const policy::ExplicitConnection& connection,
                                            const std::string& why);
  Result<void> routeExplicit(const policy::ExplicitConnection& connection, ExplicitState& state);
  void unrouteExplicit(ExplicitState& state);
  /// Sends DELETE for every IKE SA of the conn; returns their serials.
  std::vector<ike::IkeSaSerial> deleteExplicitSas(const std::string& name);
  /// After a failure or the peer's DELETE of a conn that is kept up: again, after a backoff,
  /// while keyingtries= allows.
  void scheduleRetry(const std::string& name, bool afterDelete);
  /// Loads a conn's state and applies its auto= (start, reload, add).
  void applyAuto(const policy::ExplicitConnection& connection, ExplicitState& state);
  /// After a reload or `add`: new conns loaded, changed ones restarted, removed ones taken down.
  void reconcileExplicit();
  void explicitChildUp(const ike::ChildSaInfo& child, std::uint64_t childSerial);
  /// A CHILD SA of an explicit conn went while its IKE SA stays (the peer deleted only the
  /// CHILD SA): a conn that is kept up asks for a new one.
  void explicitChildDown(const ike::ChildSaInfo& child);
  bool explicitInitiationFailed(const std::string& connection, const std::string& reason);
  void explicitIkeSaDeleted(const ike::IkeSaInfo& sa, const std::string& reason);
  QJsonObject explicitJson(const policy::ExplicitConnection& connection, const ExplicitState& state) const;
  Result<const policy::ExplicitConnection*> knownExplicit(const std::string& verb,
                                                          const std::string& name) const;
  /// At the rekey time of a CHILD SA (`sa` is one of its halves): when it belongs to an
  /// opportunistic instance whose newest CHILD SA is idle, deletes the instance's IKE SA
  /// instead of rekeying and returns true.
  bool expireIfIdle(const SaRef& sa);
  /// inactivity=: deletes the CHILD SA (with its IKE SA when it is the last one) once neither
  /// of its halves carried a packet for that long; else looks again when it could be.
  void checkInactivity(ike::IkeSaSerial ikeSa, std::uint32_t inboundSpi);
  /// The newest of `ikeSa`'s CHILD SAs, or null.
  const ChildRecord* newestChildOf(ike::IkeSaSerial ikeSa) const;

  Options options_;
  Logger& logger_;
  const PluginLoader& plugins_;
  const policy::MeshPolicy* policy_ = nullptr;
  std::unique_ptr<QtHost> host_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Receiver> receiver_;
  bool natSocketAdopted_ = false;
  bool shutDown_ = false;
  std::unique_ptr<IkeSocket> socket_;
  std::unique_ptr<ike::IkeEngine> engine_;
  std::vector<Installed> installed_;
  std::vector<Dataplane*> eventSources_;
  policy::InstanceNamer namer_;
  std::map<std::pair<std::string, IpAddress>, std::string> instances_;
  std::map<std::pair<std::string, IpAddress>, BareShunt> bareShunts_;
  std::map<ike::IkeSaSerial, std::chrono::system_clock::time_point> established_;
  std::map<std::pair<ike::IkeSaSerial, std::uint32_t>, ChildRecord> children_;
  std::set<ike::IkeSaSerial> idleExpiring_;  // deleted by expireIfIdle, DELETE under way
  std::map<std::string, ExplicitState> explicit_;
  std::uint64_t nextChildSerial_ = 1;
  std::uint64_t acquires_ = 0;
};

}  // namespace ikemesh
