// SPDX-License-Identifier: GPL-2.0-or-later
// A connection as the daemon uses it: the typed form of a `conn` section after %default and
// also= are applied. Built by ConfigLoader, which has already checked every value.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ikemesh/net.hpp>

#include "policy/ConfigError.hpp"
#include "policy/ConfigValues.hpp"

namespace ikemesh::policy {

/// auto=: what the daemon does with the conn at startup.
enum class AutoAction : std::uint8_t { Ignore, Add, Start, OnDemand };
/// type=: a protected conn (Tunnel, Transport) or a shunt conn without IKE.
enum class ConnectionType : std::uint8_t { Tunnel, Transport, Passthrough, Drop, Reject };
/// failureshunt= / negotiationshunt=.
enum class Shunt : std::uint8_t { None, Passthrough, Drop, Hold, Reject };
enum class Fragmentation : std::uint8_t { Yes, No, Force };
enum class Encapsulation : std::uint8_t { Yes, No, Auto };
/// dataplane=: which dataplane plugin carries the conn.
enum class DataplaneChoice : std::uint8_t { Xfrm, Tun, Auto };

std::string_view toString(AutoAction value);
std::string_view toString(ConnectionType value);
std::string_view toString(Shunt value);
std::string_view toString(DataplaneChoice value);

/// left= / right=.
struct Endpoint {
  enum class Kind : std::uint8_t {
    Unset,
    Address,             ///< a literal IP address
    Hostname,            ///< resolved by the daemon
    DefaultRoute,        ///< %defaultroute
    Any,                 ///< %any
    Group,               ///< %group: the peers are the conn's policy group
    OpportunisticGroup,  ///< %opportunisticgroup: the same, initiated on demand
    Opportunistic,       ///< %opportunistic
  };
  Kind kind = Kind::Unset;
  std::optional<IpAddress> address;  ///< for Address
  std::string text;                  ///< as written

  /// Whether the conn takes its peers from a policy group file.
  bool isGroup() const { return kind == Kind::Group || kind == Kind::OpportunisticGroup; }
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// The `config setup` section.
struct SetupConfig {
  std::string logFile;
  std::vector<std::string> plutoDebug;
  bool dnssecEnable = true;
  std::string dnssecAnchors;
  std::string ddosMode = "auto";
  /// The default dataplane of every conn (dataplane=, or protostack=xfrm|netkey).
  DataplaneChoice dataplane = DataplaneChoice::Auto;
  /// Every key as written (canonical names), plugin keys included.
  std::map<std::string, std::string> settings;
  SourceLocation where;  ///< the first `config setup` line; the file alone when absent
};

/// One conn, ready for the daemon.
struct Connection {
  std::string name;
  SourceLocation where;  ///< the `conn NAME` line

  AutoAction autoAction = AutoAction::Ignore;
  ConnectionType type = ConnectionType::Tunnel;
  /// authby= / leftauth= / rightauth=: method names as written, Libreswan's (rsasig, ecdsa,
  /// rsa-sha2, null, secret, never) or one a plugin provides as feature "auth.NAME"
  /// (authFeature() maps a name to its feature).
  std::vector<std::string> authBy = {"rsasig"};
  std::optional<std::string> leftAuth;   ///< overrides authBy for our side
  std::optional<std::string> rightAuth;  ///< overrides authBy for the peer's side
  Endpoint left;
  Endpoint right;
  std::string leftId;
  std::string rightId;
  std::string leftCert;
  std::string rightCert;
  std::string leftRsaSigKey;
  std::string rightRsaSigKey;
  std::vector<IpPrefix> leftSubnets;
  std::vector<IpPrefix> rightSubnets;
  Shunt failureShunt = Shunt::None;
  Shunt negotiationShunt = Shunt::Hold;
  std::vector<Proposal> ikeProposals;  ///< empty: the engine's defaults
  std::vector<Proposal> espProposals;  ///< empty: the engine's defaults
  std::chrono::milliseconds ikeLifetime = std::chrono::hours(8);
  std::chrono::milliseconds ipsecLifetime = std::chrono::hours(8);
  std::chrono::milliseconds rekeyMargin = std::chrono::minutes(9);
  int rekeyFuzzPercent = 100;
  std::chrono::milliseconds dpdDelay{0};
  std::chrono::milliseconds dpdTimeout{0};
  std::chrono::milliseconds retransmitInterval{500};
  std::chrono::milliseconds retransmitTimeout = std::chrono::seconds(60);
  std::chrono::milliseconds shuntLifetime = std::chrono::minutes(15);
  /// inactivity=: idle time after which a CHILD SA is deleted (strongSwan); 0 = never.
  std::chrono::milliseconds inactivity{0};
  Fragmentation fragmentation = Fragmentation::Yes;
  Encapsulation encapsulation = Encapsulation::Auto;
  int keyingTries = 0;  ///< 0 = %forever
  DataplaneChoice dataplane = DataplaneChoice::Auto;
  /// The key=value the dataplane choice came from, for messages: dataplane=tun (the conn,
  /// %default or config setup), protostack=netkey (config setup), or dataplane=auto (default).
  std::string dataplaneKey = "dataplane";
  std::string dataplaneValue = "auto";
  std::optional<int> priority;
  bool narrowing = false;
  bool pfs = true;         ///< pfs=
  bool childless = false;  ///< childless= (RFC 6023)

  /// Every effective key=value (canonical key names), after %default and also=, plugin keys
  /// included; keys unset with `key=` are absent. Reload compares conns by this map.
  std::map<std::string, std::string> settings;

  /// A conn that installs no SA: passthrough, drop or reject.
  bool isShunt() const {
    return type == ConnectionType::Passthrough || type == ConnectionType::Drop ||
           type == ConnectionType::Reject;
  }
  /// Libreswan's clear-or-private: a passthrough conn over a policy group that still names an
  /// authentication method. Traffic to its peers leaves in the clear and nothing initiates,
  /// but an IKE_SA_INIT from one of them is answered and becomes a tunnel.
  bool answersOpportunisticIke() const;
  /// The value of `key` after %default and also=, or nullopt.
  std::optional<std::string> value(std::string_view key) const;
};

/// A whole configuration: config setup and the conns, in file order (%default excluded).
struct Config {
  SetupConfig setup;
  std::vector<Connection> connections;
  std::string mainFile;
  std::vector<std::string> files;  ///< every file read, the main file first

  const Connection* find(std::string_view name) const;
};

}  // namespace ikemesh::policy
