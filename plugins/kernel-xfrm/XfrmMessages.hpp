// SPDX-License-Identifier: GPL-2.0-or-later
// The NETLINK_XFRM messages the plugin sends and the ones it reads (linux/xfrm.h), built and
// parsed without touching the kernel, so that unit tests can check every field.
#pragma once

#include <linux/xfrm.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ikemesh/dataplane.hpp>
#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

namespace ikemesh::xfrm {

/// How the plugin recognises its own kernel objects, also after a crash (README.md):
/// policies by a priority inside [kPriorityBase, kPriorityBase + kPriorityBand), states by a
/// reqid inside [kReqidBase, kReqidBase + kReqidBand).
inline constexpr std::uint32_t kPriorityBase = 0x45000000;
inline constexpr std::uint32_t kPriorityBand = 0x00100000;
inline constexpr std::uint32_t kReqidBase = 0x45000000;
inline constexpr std::uint32_t kReqidBand = 0x01000000;

inline bool isOurPriority(std::uint32_t priority) {
  return priority >= kPriorityBase && priority < kPriorityBase + kPriorityBand;
}
inline bool isOurReqid(std::uint32_t reqid) {
  return reqid >= kReqidBase && reqid < kReqidBase + kReqidBand;
}

/// What a policy does, relative to the plugin's other policies of the same specificity: IKE
/// bypasses first, then SAs, shunts and traps.
enum class PolicyKind : std::uint8_t { IkeBypass = 0, Sa = 1, Shunt = 2, Trap = 3 };

/// The kernel priority of a policy (lower wins): longer prefixes, then a protocol, then ports
/// win, so that the longest prefix wins in the kernel as in the core's PolicyTable.
std::uint32_t policyPriority(const xfrm_selector& selector, PolicyKind kind);

/// An ESP template of a policy (RFC 4301 §4.4.1.2 "SPD entry ... PROTECT").
struct EspTemplate {
  IpsecMode mode = IpsecMode::Transport;
  std::uint32_t reqid = 0;          ///< 0: any state with matching addresses
  std::optional<IpAddress> source;  ///< outer addresses, tunnel mode only
  std::optional<IpAddress> destination;
};

/// One XFRM policy as the plugin installs it.
struct PolicyRequest {
  xfrm_selector selector{};
  std::uint8_t direction = XFRM_POLICY_OUT;
  std::uint8_t action = XFRM_POLICY_ALLOW;
  std::uint32_t priority = 0;
  std::optional<EspTemplate> esp;
  friend bool operator==(const PolicyRequest& a, const PolicyRequest& b);
};

/// The selector of traffic from `local` to `remote` (the first two must have one family).
Result<xfrm_selector> makeSelector(const IpPrefix& local, const IpPrefix& remote, std::uint8_t protocol,
                                   std::uint16_t localPort, std::uint16_t remotePort);
/// The same traffic seen from the other end (an inbound policy's selector).
xfrm_selector reversed(const xfrm_selector& selector);
/// A traffic selector range as one prefix, when it is exactly one.
std::optional<IpPrefix> prefixOf(const TrafficSelector& selector);

/// One netlink message under construction: header, fixed part, attributes (RFC 3549 §2.3).
class NetlinkMessage {
 public:
  NetlinkMessage(std::uint16_t type, std::uint16_t flags);
  template <typename Fixed>
  void append(const Fixed& fixed) {
    appendBytes(&fixed, sizeof fixed);
  }
  void appendBytes(const void* data, std::size_t length);
  void addAttribute(std::uint16_t type, const void* data, std::size_t length);
  template <typename Fixed>
  void addAttribute(std::uint16_t type, const Fixed& fixed) {
    addAttribute(type, &fixed, sizeof fixed);
  }
  /// The finished message with `sequence` in its header.
  std::vector<std::uint8_t> finish(std::uint32_t sequence);

 private:
  std::vector<std::uint8_t> bytes_;
};

std::vector<std::uint8_t> buildUpdatePolicy(const PolicyRequest& request, std::uint32_t sequence);
std::vector<std::uint8_t> buildDeletePolicy(const xfrm_selector& selector, std::uint8_t direction,
                                            std::uint32_t sequence);
/// An SPI for an inbound SA; with `acquireSequence`, the SPI goes to the larval state that
/// ACQUIRE made (so that it can be deleted by SPI).
std::vector<std::uint8_t> buildAllocateSpi(const IpAddress& source, const IpAddress& destination,
                                           std::uint32_t acquireSequence, std::uint32_t sequence);
/// NEWSA (or UPDSA, for an inbound SPI allocated before) for one SA; `acquireSequence` is the
/// ACQUIRE that the SA answers, so that the kernel removes the larval state it made then.
Result<std::vector<std::uint8_t>> buildState(const SaParams& params, std::uint32_t reqid, bool update,
                                             std::uint32_t acquireSequence, std::uint32_t sequence);
std::vector<std::uint8_t> buildStateId(std::uint16_t type, std::uint32_t spi, const IpAddress& destination,
                                       std::uint32_t sequence);
std::vector<std::uint8_t> buildDump(std::uint16_t type, std::uint32_t sequence);

IpAddress addressOf(const xfrm_address_t& address, std::uint16_t family);
xfrm_address_t kernelAddress(const IpAddress& address);
int familyOf(const IpAddress& address);

/// What an XFRM_MSG_ACQUIRE says: the packet's flow, the policy it hit, the larval state's seq.
struct AcquireMessage {
  xfrm_selector policySelector{};
  std::uint32_t policyPriority = 0;
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol = 0;
  std::uint16_t sourcePort = 0;
  std::uint16_t destinationPort = 0;
  std::uint32_t sequence = 0;
};
/// How often the kernel repeats XFRM_MSG_MAPPING for an inbound state while its peer's ESP in UDP
/// keeps coming from the same new NAT port (XFRMA_MTIMER_THRESH), in seconds.
inline constexpr std::uint32_t kMappingReportSeconds = 10;

/// What an XFRM_MSG_MAPPING says: ESP in UDP for our inbound state `spi` (to `destination`)
/// arrived from a new outer source address or port (RFC 3948, RFC 7296 §2.23).
struct MappingMessage {
  std::uint32_t spi = 0;  ///< host order
  IpAddress destination;
  std::uint32_t reqid = 0;
  IpAddress oldSource;
  std::uint16_t oldPort = 0;  ///< host order
  IpAddress newSource;
  std::uint16_t newPort = 0;  ///< host order
};
/// What XFRM_MSG_EXPIRE, XFRM_MSG_NEWSA (dump or get) say about a state.
struct StateMessage {
  std::uint32_t spi = 0;  ///< host order
  IpAddress destination;
  IpAddress source;
  std::uint32_t reqid = 0;
  std::uint8_t protocol = 0;
  std::uint32_t acquireSequence = 0;  ///< of a larval state: the ACQUIRE that made it
  bool hard = false;                  ///< EXPIRE only
  SaCounters counters;
};
struct PolicyMessage {
  xfrm_selector selector{};
  std::uint8_t direction = 0;
  std::uint32_t priority = 0;
  std::uint32_t index = 0;
};

/// One message out of a netlink datagram (payload after the header), or the reason it is short.
struct NetlinkView {
  std::uint16_t type = 0;
  std::uint32_t sequence = 0;
  std::span<const std::uint8_t> payload;
};
/// Splits a datagram into messages; a truncated header or length is an error naming the offset.
Result<std::vector<NetlinkView>> splitMessages(std::span<const std::uint8_t> datagram);

Result<AcquireMessage> parseAcquire(std::span<const std::uint8_t> payload);
Result<MappingMessage> parseMapping(std::span<const std::uint8_t> payload);
Result<StateMessage> parseExpire(std::span<const std::uint8_t> payload);
Result<StateMessage> parseState(std::span<const std::uint8_t> payload);
Result<PolicyMessage> parsePolicy(std::span<const std::uint8_t> payload);
/// The errno of an NLMSG_ERROR (0 for an ACK).
Result<int> parseError(std::span<const std::uint8_t> payload);

}  // namespace ikemesh::xfrm
