// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <ikemesh/dataplane.hpp>
#include <ikemesh/host.hpp>

#include "EspSa.hpp"
#include "RoutingTable.hpp"
#include "TunDevice.hpp"
#include "util/UniqueFd.hpp"

namespace ikemesh::tun {

/// The plugin's options (descriptor plugin.json, `config setup` keys).
struct TunOptions {
  std::string device = "ikemesh0";
  /// Leaves room on a 1500-octet link for the ESP-in-UDP overhead of AES-GCM over IPv6 (40 IP
  /// + 8 UDP + 8 SPI/sequence + 8 IV + 3 padding + 2 trailer + 16 ICV = 85 octets). AES-CBC
  /// with HMAC-SHA2-512 adds up to 121; those few larger packets the kernel fragments.
  int mtu = 1400;
  /// TUN offloads (IFF_VNET_HDR, TSO/USO with segmentation here, coalescing of received TCP and UDP)
  /// and UDP GSO/GRO on the ESP-in-UDP socket; off: one packet per read, write and datagram.
  bool offloads = true;
  RoutingTable::Config routing;
  /// Packets kept per destination while its SA is negotiated (DESIGN.md §2 step 2).
  std::size_t heldPacketsPerDestination = 8;
  /// ... and at most this many in all, so that a scan of a large group cannot exhaust memory.
  std::size_t heldPacketsTotal = 1024;
  /// A destination whose acquire got no SA or shunt is acquired again after this long.
  std::chrono::milliseconds acquireRepeat{10000};
};

/// The `dataplane.tun` provider: userspace ESP over a TUN device (DESIGN.md §7).
///
/// Routing: traps, holds and outbound SAs route their prefixes into the TUN device in the
/// plugin's own table; pass shunts are `throw` routes (the lookup continues in the main
/// table), drop and reject shunts `blackhole` and `prohibit` routes. A rule sends every packet
/// without our firewall mark to that table; our sockets carry the mark, so ESP and IKE to a
/// peer leave by the main table. The longest prefix wins; for one prefix the newest policy wins
/// and the one below it comes back when it is removed.
///
/// Fast path: one thread reads the TUN device in bursts, cuts TSO/USO super-packets into
/// packets (GsoSegmenter), encrypts in place and sends ESP in UDP with sendmmsg, batches to one
/// peer as UDP GSO messages; another reads the adopted UDP socket with recvmmsg (UDP GRO
/// buffers split by their segment size), hands IKE messages (non-ESP marker) to the
/// IkeReceiver, decrypts ESP in place and writes the inner packets to the TUN device, TCP
/// segments (and, with USO, UDP datagrams) of one flow coalesced into one write (GroCoalescer). Without
/// `offloads` (or when the kernel lacks them) every read, write and datagram is one packet. A packet to a
/// destination without SA that hits a trap becomes an Acquire (posted to the main thread) and is held until
/// addSa() for it, a shunt, or removal.
///
/// Threading: the Dataplane members on the main thread (SDK contract). Everything the kernel
/// sees is created in the network namespace of the thread that calls create().
class TunDataplane final : public Dataplane {
 public:
  static Result<std::unique_ptr<TunDataplane>> create(Host& host, const TunOptions& options);
  ~TunDataplane() override;
  TunDataplane(const TunDataplane&) = delete;
  TunDataplane& operator=(const TunDataplane&) = delete;

  void setEvents(DataplaneEvents* events) override;
  Result<PolicyId> installTrap(const PolicySpec& spec) override;
  Result<PolicyId> installShunt(const PolicySpec& spec, ShuntAction action) override;
  Result<void> removePolicy(PolicyId id) override;
  Result<std::uint32_t> allocateSpi(const IpAddress& source, const IpAddress& destination) override;
  Result<void> addSa(const SaParams& params) override;
  Result<void> deleteSa(const SaRef& sa) override;
  Result<SaCounters> counters(const SaRef& sa) override;
  bool adoptUdpEncapsulationSocket(int fd, IkeReceiver& ike) override;

  const std::string& deviceName() const noexcept { return tun_.name(); }
  /// What the TUN device offloads ("none", or "vnet-hdr csum tso4 ..."), for logs and tests.
  std::string deviceOffloads() const { return tun_.describeOffloads(); }

  /// What the fast path did, for tests and status.
  struct Statistics {
    std::uint64_t tunPacketsRead = 0;
    std::uint64_t espSent = 0;
    std::uint64_t espReceived = 0;  ///< decapsulated and written to the TUN device
    std::uint64_t ikeReceived = 0;
    std::uint64_t held = 0;
    std::uint64_t heldDropped = 0;  ///< the per-destination bound was full
    std::uint64_t passed = 0;       ///< sent in the clear through the marked raw socket
    std::uint64_t dropped = 0;      ///< no SA and no policy that keeps or passes it, or a shunt
    std::uint64_t espRejected = 0;  ///< unknown SPI or failed decapsulation
    std::uint64_t espEarly = 0;     ///< kept until its SA was installed (see early_)
    std::uint64_t sendErrors = 0;
    std::uint64_t tunSuperPackets = 0;  ///< TUN reads that were GSO super-packets (TSO/USO)
    std::uint64_t udpGsoSends = 0;      ///< datagrams sent as part of a UDP_SEGMENT batch
    std::uint64_t udpGroReceives = 0;   ///< datagrams received inside a UDP_GRO buffer
    std::uint64_t tunCoalesced = 0;     ///< decrypted packets written as part of a coalesced one
    /// Transport-mode payloads of a UDP_GRO buffer copied elsewhere to get their IP header back
    /// (too little spent room before them; see receiveLoop()).
    std::uint64_t transportRelocated = 0;
  };
  Statistics statistics() const;

 private:
  enum class RouteKind : std::uint8_t { Trap, Hold, Pass, Drop, Reject, Sa };
  struct PrefixEntry {
    std::uint64_t owner;
    RouteKind kind;
    std::optional<IpAddress> preferredSource;
  };
  struct InstalledRoute {
    RoutingTable::RouteType type;
    std::optional<IpAddress> preferredSource;
    bool operator==(const InstalledRoute&) const = default;
  };
  struct Policy {
    PolicySpec spec;
    RouteKind kind;
  };
  struct OutboundSa {
    std::unique_ptr<EspSa> esp;
    IpAddress peer;
    std::uint16_t peerPort;
    std::vector<IpPrefix> prefixes;
    std::uint64_t owner;
  };
  struct InboundSa {
    std::unique_ptr<EspSa> esp;
    IpAddress peer;   // outer source, the inner source of transport mode
    IpAddress local;  // outer destination
    std::vector<TrafficSelector> localSelectors;
    std::vector<TrafficSelector> remoteSelectors;
  };
  struct AddressHash {
    std::size_t operator()(const IpAddress& a) const noexcept;
  };
  struct Held {
    std::deque<std::vector<std::uint8_t>> packets;
    std::optional<std::chrono::steady_clock::time_point> acquiredAt;
  };
  struct EventRelay {
    TunDataplane* self = nullptr;
    DataplaneEvents* events = nullptr;
  };
  struct Counters {
    std::atomic<std::uint64_t> tunPacketsRead{0}, espSent{0}, espReceived{0}, ikeReceived{0}, held{0},
        heldDropped{0}, passed{0}, dropped{0}, espRejected{0}, espEarly{0}, sendErrors{0}, tunSuperPackets{0},
        udpGsoSends{0}, udpGroReceives{0}, tunCoalesced{0}, transportRelocated{0};
  };

  TunDataplane(Host& host, const TunOptions& options, TunDevice tun, std::unique_ptr<RoutingTable> routing,
               UniqueFd wake, UniqueFd rawV4, UniqueFd rawV6);

  Result<PolicyId> installPolicy(const PolicySpec& spec, RouteKind kind);
  /// Programs the kernel route of `prefix` from the top of its stack (main thread, no lock).
  Result<void> applyPrefix(const IpPrefix& prefix);
  void removeOwner(const IpPrefix& prefix, std::uint64_t owner);
  /// After any change of policies or SAs: releases, keeps or discards held packets.
  void reconsiderHeld();
  void wakeTransmitter();
  void reportWorkerFailure(const char* what, int error);
  void warnAboutStrictReversePathFilter();
  void post(std::function<void(TunDataplane&, DataplaneEvents&)> work);
  void reportCrossing(const EspSa& esp, LifetimeCrossing crossed);
  /// Every second: the lifetimes each SA crossed, and idle AES-GCM SAs give their NSS context
  /// back (EspSa::releaseIdleContext()).
  void checkLifetimes();

  /// Whether a tunnel-mode inner packet's addresses are those `sa` was negotiated for
  /// (RFC 4301 §5.2).
  static bool carriesItsOwnTraffic(const InboundSa& sa, std::span<const std::uint8_t> inner);
  /// Decrypts one ESP packet of `sa` in place (`data` has kReceiveHeadroom octets before it);
  /// returns the inner packet, or nothing when it is rejected. Callers hold stateMutex_.
  std::optional<std::span<std::uint8_t>> openEsp(InboundSa& sa, std::uint8_t* data, std::size_t length);
  /// Keeps an ESP packet for a reserved SPI (see early_); callers hold stateMutex_.
  void keepEarly(std::uint32_t spi, const std::uint8_t* data, std::size_t length);
  /// Opens the packets kept for `spi` now that its SA exists; callers hold stateMutex_ exclusively.
  void openEarly(std::uint32_t spi, InboundSa& sa);

  // Lookups for the workers; callers hold stateMutex_ (shared is enough).
  OutboundSa* findOutbound(const IpAddress& destination) const;
  const std::pair<const IpPrefix, std::vector<PrefixEntry>>* longestPrefix(
      const IpAddress& destination) const;

  void transmitLoop();
  void receiveLoop();

  Host& host_;
  TunOptions options_;
  TunDevice tun_;
  std::unique_ptr<RoutingTable> routing_;
  UniqueFd wake_;  // eventfd: stop, or released packets to send
  UniqueFd rawV4_;
  UniqueFd rawV6_;
  std::shared_ptr<EventRelay> relay_;
  TimerId lifetimeTimer_ = 0;

  // Main thread only.
  std::map<PolicyId, Policy> policies_;
  std::map<IpPrefix, InstalledRoute> installed_;
  std::set<std::uint32_t> reservedSpis_;
  std::uint64_t nextId_ = 1;

  // Written by the main thread under an exclusive lock, read by the workers under a shared one.
  mutable std::shared_mutex stateMutex_;
  std::map<IpPrefix, std::vector<PrefixEntry>> prefixes_;
  std::unordered_map<std::uint32_t, std::shared_ptr<InboundSa>> inbound_;
  std::unordered_map<IpAddress, std::shared_ptr<OutboundSa>, AddressHash> outboundByHost_;
  std::vector<std::shared_ptr<OutboundSa>> outboundByPrefix_;  // SAs whose selectors are not hosts
  std::map<std::pair<std::uint32_t, IpAddress>, std::shared_ptr<OutboundSa>> outboundByRef_;

  // ESP that arrived for an SPI we allocated but whose SA is not installed yet: the peer
  // (the IKE_AUTH responder) installs its SAs and sends before this node has processed the
  // IKE_AUTH response. Kept briefly, opened when addSa() installs the SPI. Lock order:
  // stateMutex_, then earlyMutex_.
  struct EarlyEsp {
    std::chrono::steady_clock::time_point firstAt;
    std::vector<std::vector<std::uint8_t>> packets;  // each with kReceiveHeadroom in front
  };
  std::mutex earlyMutex_;
  std::map<std::uint32_t, EarlyEsp> early_;
  std::size_t earlyTotal_ = 0;

  // Lock order: stateMutex_, then heldMutex_.
  std::mutex heldMutex_;
  std::map<IpAddress, Held> held_;
  std::size_t heldTotal_ = 0;
  std::set<std::string> reportedFailures_;
  std::vector<std::vector<std::uint8_t>> released_;

  std::atomic<int> udpFd_{-1};
  std::atomic<int> udpFamily_{AF_INET};
  std::uint16_t udpLocalPort_ = 0;
  IkeReceiver* ike_ = nullptr;
  std::atomic<bool> stop_{false};
  // Set when the adopted socket takes UDP_SEGMENT / UDP_GRO; GSO sending turns off for good
  // when the kernel refuses a batch.
  std::atomic<bool> udpGso_{false};
  bool udpGro_ = false;
  Counters counters_;
  std::thread transmitter_;
  std::thread receiver_;
};

}  // namespace ikemesh::tun
