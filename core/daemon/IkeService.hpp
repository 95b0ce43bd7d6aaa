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

  QJsonObject showStates() const;
  /// The bare shunts (negotiation and failure shunts per peer), as Libreswan's shuntstatus.
  QJsonObject shuntStatus() const;
  QJsonObject trafficStatus() const;
  QJsonObject counters() const;

  // ike::EngineDelegate
  std::optional<ike::ConnectionView> connectionFor(const ike::Endpoint& local,
                                                   const ike::Endpoint& remote) override;
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
  std::uint64_t nextChildSerial_ = 1;
  std::uint64_t acquires_ = 0;
};

}  // namespace ikemesh
