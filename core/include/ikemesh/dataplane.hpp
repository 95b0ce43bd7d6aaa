// SPDX-License-Identifier: GPL-2.0-or-later
// The interface of a dataplane plugin (DESIGN.md §3, §7): traps, shunts and SAs, and the
// events it reports back. The dataplane owns the packet path; the core never sees a packet
// of user traffic.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

namespace ikemesh {

/// Identifies an installed trap or shunt; 0 is never valid.
using PolicyId = std::uint64_t;

/// The traffic a trap or shunt applies to: local and remote prefixes, and optionally one IP
/// protocol and ports (0 = any).
struct PolicySpec {
  std::string connection;  ///< the connection it belongs to (for logs and status)
  IpPrefix local;
  IpPrefix remote;
  std::uint8_t protocol = 0;
  std::uint16_t localPort = 0;
  std::uint16_t remotePort = 0;
};

/// What a shunt does with the packets it matches.
enum class ShuntAction : std::uint8_t {
  Pass,    ///< send in the clear
  Drop,    ///< discard silently
  Reject,  ///< discard and answer with ICMP unreachable
  Hold,    ///< keep (bounded) until an SA or another shunt replaces it
};

enum class IpsecMode : std::uint8_t { Transport, Tunnel };
enum class SaDirection : std::uint8_t { Inbound, Outbound };

/// IKEv2 transform IDs (IANA "Transform Type 1/3"), as negotiated.
enum class EncryptionId : std::uint16_t { AesCbc = 12, AesGcm16 = 20 };
enum class IntegrityId : std::uint16_t {
  None = 0,
  HmacSha2_256_128 = 12,
  HmacSha2_384_192 = 13,
  HmacSha2_512_256 = 14,
};

/// RFC 3948 UDP encapsulation of ESP.
struct UdpEncapsulation {
  std::uint16_t sourcePort = 4500;
  std::uint16_t destinationPort = 4500;
};

/// Limits after which an SA must be rekeyed (soft) or removed (hard). 0 = no limit.
struct SaLifetime {
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  std::chrono::seconds time{0};
};

/// Names one SA: RFC 4301 §4.1, the SPI and destination identify an SA.
struct SaRef {
  std::uint32_t spi = 0;  ///< host byte order
  IpAddress destination;
  friend bool operator==(const SaRef&, const SaRef&) = default;
};

/// Everything needed to install one ESP SA (one direction of a CHILD_SA).
struct SaParams {
  SaRef ref;
  SaDirection direction = SaDirection::Inbound;
  IpAddress source;  ///< outer source address
  IpsecMode mode = IpsecMode::Transport;
  EncryptionId encryption = EncryptionId::AesGcm16;
  /// Encryption key; for AES-GCM the 4-byte salt follows the key (RFC 4106 §8.1).
  std::vector<std::uint8_t> encryptionKey;
  IntegrityId integrity = IntegrityId::None;
  std::vector<std::uint8_t> integrityKey;
  bool extendedSequenceNumbers = false;
  std::uint32_t replayWindow = 1024;  ///< in packets; 0 disables anti-replay
  std::optional<UdpEncapsulation> encapsulation;
  /// Our side's and the peer's traffic, in both directions: for an inbound SA too,
  /// `localSelectors` is the traffic on our side (the inner destination).
  std::vector<TrafficSelector> localSelectors;
  std::vector<TrafficSelector> remoteSelectors;
  SaLifetime soft;
  SaLifetime hard;
  std::uint32_t reqid = 0;  ///< pairs the SA with its policies
  std::string connection;   ///< for logs and status
};

/// An SA's counters, RFC 4303 §3.4.3 and what trafficstatus shows.
struct SaCounters {
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  std::chrono::system_clock::time_point addTime;
  std::optional<std::chrono::system_clock::time_point> lastUse;
  std::uint64_t replayErrors = 0;
  std::uint64_t integrityErrors = 0;
};

/// The first packet that hit a trap (DESIGN.md §2 step 2).
struct Acquire {
  PolicyId trap = 0;
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol = 0;
  std::uint16_t sourcePort = 0;
  std::uint16_t destinationPort = 0;
};

/// A peer's NAT changed its mapping (RFC 7296 §2.23): ESP in UDP (RFC 3948) that passed our
/// inbound SA's integrity and replay checks came from `newAddress`:`newPort`, not from the
/// `oldAddress`:`oldPort` the SA was installed with. Ports in host byte order.
struct NatMapping {
  SaRef sa;  ///< our inbound SA: its SPI and our address
  IpAddress oldAddress;
  std::uint16_t oldPort = 0;
  IpAddress newAddress;
  std::uint16_t newPort = 0;
};

/// Where a dataplane reports to the core. Call only on the main thread
/// (use Host::postToMain from other threads).
class DataplaneEvents {
 public:
  virtual ~DataplaneEvents() = default;
  virtual void acquire(const Acquire& acquire) = 0;
  /// An SA reached its soft (rekey now) or hard (it is gone) lifetime.
  virtual void expired(const SaRef& sa, bool hard) = 0;
  /// Something failed outside any call from the core (a worker, a netlink message).
  virtual void error(const std::string& message) = 0;
  /// An inbound SA's ESP in UDP arrived from a new address or port (since SDK ABI 1.2: a
  /// dataplane must not call it in a daemon of ABI 1.1, which the loader ensures). The core
  /// moves the IKE SA to the new endpoint when RFC 7296 §2.23 allows it. The default ignores
  /// it, for event sinks written before 1.2.
  virtual void natMappingChanged(const NatMapping& mapping) { (void)mapping; }
};

/// Receives IKE messages that arrive on a socket the dataplane adopted. Thread-safe.
class IkeReceiver {
 public:
  virtual ~IkeReceiver() = default;
  /// `message` starts at the IKE header (the non-ESP marker already removed).
  virtual void ikeReceived(std::span<const std::uint8_t> message, const IpAddress& from,
                           std::uint16_t fromPort, const IpAddress& to, std::uint16_t toPort) = 0;
};

/// One dataplane (a provider such as `dataplane.xfrm` or `dataplane.tun`).
///
/// Threading: all members are called on the main thread and return promptly. The packet
/// path runs on the dataplane's own threads, never through the Host's event loop. Destroying
/// the dataplane removes every policy and SA it installed.
class Dataplane {
 public:
  virtual ~Dataplane() = default;

  /// Where events go; set once before any policy is installed. Not owned.
  virtual void setEvents(DataplaneEvents* events) = 0;

  /// A policy with no SA: the first matching packet becomes an Acquire (and is held when the
  /// dataplane can). More specific policies win over less specific ones.
  virtual Result<PolicyId> installTrap(const PolicySpec& spec) = 0;
  /// A policy that passes, drops, rejects or holds matching packets without IPsec.
  virtual Result<PolicyId> installShunt(const PolicySpec& spec, ShuntAction action) = 0;
  virtual Result<void> removePolicy(PolicyId id) = 0;

  /// A fresh inbound SPI for an SA from `source` to `destination` (RFC 4303 §2.1: never 0-255).
  virtual Result<std::uint32_t> allocateSpi(const IpAddress& source, const IpAddress& destination) = 0;
  /// Installs one direction of a CHILD_SA, and for outbound SAs the policy that sends the
  /// selectors' traffic into it. Packets held by a trap for these selectors leave now.
  virtual Result<void> addSa(const SaParams& params) = 0;
  /// Removes one SA. An SA that is already gone (deleted before, or removed by the kernel at
  /// its hard lifetime) may be reported as an error or as success.
  virtual Result<void> deleteSa(const SaRef& sa) = 0;
  virtual Result<SaCounters> counters(const SaRef& sa) = 0;

  /// Offers the UDP encapsulation socket (port 4500) the core opened. A dataplane that does
  /// ESP-in-UDP in userspace adopts it: from then on it reads the socket on its own threads
  /// and passes every IKE message (non-ESP marker, RFC 3948 §2.2) to `ike`; the core keeps
  /// sending IKE on it. Return false to leave the socket to the core. The core keeps the
  /// socket open until after the dataplane is destroyed.
  virtual bool adoptUdpEncapsulationSocket(int fd, IkeReceiver& ike) {
    (void)fd;
    (void)ike;
    return false;
  }
};

}  // namespace ikemesh
