// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <ikemesh/dataplane.hpp>
#include <ikemesh/host.hpp>

#include "XfrmMessages.hpp"
#include "XfrmSocket.hpp"

namespace ikemesh::xfrm {

/// The `dataplane.xfrm` provider: the kernel's IPsec (XFRM) does ESP (DESIGN.md §7).
///
/// Traps are outbound policies with an ESP template that no state satisfies (reqid
/// kReqidBase): the first packet makes the kernel send XFRM_MSG_ACQUIRE and a larval state,
/// and wait in the policy's queue (net.core.xfrm_larval_drop=0) until the SA is in.
/// Shunts are policies without template (pass: allow; drop, reject, hold: block). SAs are
/// states, each with the policies that send and accept its selectors' traffic. Policies of one
/// selector and direction form a stack: the newest is in the kernel, the one below returns
/// when it is removed (the kernel keeps one policy per selector). Priorities derive from prefix
/// lengths (policyPriority()), so the longest prefix wins. UDP ports 500 and 4500 bypass IPsec.
///
/// Everything ours carries a priority or reqid in our band (XfrmMessages.hpp) and is removed
/// on destruction and, left by a crashed run, at creation.
///
/// Threading: main thread only (SDK contract); kernel events arrive through Host::watchFd().
class XfrmDataplane final : public Dataplane {
 public:
  static Result<std::unique_ptr<XfrmDataplane>> create(Host& host);
  ~XfrmDataplane() override;
  XfrmDataplane(const XfrmDataplane&) = delete;
  XfrmDataplane& operator=(const XfrmDataplane&) = delete;

  void setEvents(DataplaneEvents* events) override;
  Result<PolicyId> installTrap(const PolicySpec& spec) override;
  Result<PolicyId> installShunt(const PolicySpec& spec, ShuntAction action) override;
  Result<void> removePolicy(PolicyId id) override;
  Result<std::uint32_t> allocateSpi(const IpAddress& source, const IpAddress& destination) override;
  Result<void> addSa(const SaParams& params) override;
  Result<void> deleteSa(const SaRef& sa) override;
  Result<SaCounters> counters(const SaRef& sa) override;
  /// Sets UDP_ENCAP_ESPINUDP on the socket so that the kernel takes ESP in UDP out of it
  /// (RFC 3948); IKE stays with the core, so this returns false.
  bool adoptUdpEncapsulationSocket(int fd, IkeReceiver& ike) override;

 private:
  /// A policy's place in the kernel: its direction and selector.
  using SelectorKey = std::pair<std::uint8_t, std::array<std::uint8_t, sizeof(xfrm_selector)>>;
  struct StackEntry {
    std::uint64_t owner;
    PolicyRequest request;
  };
  struct Policy {
    PolicySpec spec;
    bool trap = false;
    std::vector<SelectorKey> keys;
  };
  struct InstalledSa {
    std::uint64_t owner;
    std::vector<SelectorKey> keys;
    std::string connection;
  };
  using SaKey = std::pair<std::uint32_t, IpAddress>;

  XfrmDataplane(Host& host, XfrmSocket requests, XfrmSocket events);

  static SelectorKey keyOf(const PolicyRequest& request);
  Result<void> push(std::uint64_t owner, const PolicyRequest& request, std::vector<SelectorKey>& keys);
  void pop(std::uint64_t owner, const SelectorKey& key);
  Result<void> installBypass(std::uint16_t port);
  /// Removes every policy and state in our bands (a crashed run's, or ours at the end).
  void removeOurs();
  void readEvents();
  void onAcquire(std::span<const std::uint8_t> payload);
  void onExpire(std::span<const std::uint8_t> payload);
  /// XFRM_MSG_MAPPING: a peer's NAT port changed (RFC 3948); the core decides (RFC 7296 §2.23).
  void onMapping(std::span<const std::uint8_t> payload);
  /// Sends the packets the kernel holds in the queue of the trap whose stack is `trap` now that
  /// their SA is in.
  void releaseHeldPackets(const SelectorKey& trap);

  Host& host_;
  XfrmSocket requests_;
  XfrmSocket events_;
  WatchId eventsWatch_ = 0;
  DataplaneEvents* sink_ = nullptr;
  std::uint64_t nextOwner_ = 1;
  std::set<std::uint16_t> bypassedPorts_;
  std::map<SelectorKey, std::vector<StackEntry>> stacks_;
  std::map<PolicyId, Policy> policies_;
  std::map<SaKey, InstalledSa> sas_;
  std::set<SaKey> allocatedSpis_;
  /// The ACQUIRE sequence per (source, destination), so that the SA answering it replaces
  /// the larval state (the kernel matches XFRM_MSG_NEWSA's seq).
  std::map<std::pair<IpAddress, IpAddress>, std::uint32_t> acquireSequences_;
  /// The trap (its stack) that made the ACQUIRE per (source, destination): its kernel policy
  /// holds the packets until the outbound SA is in.
  std::map<std::pair<IpAddress, IpAddress>, SelectorKey> acquireTraps_;
  /// net.core.xfrm_larval_drop before this dataplane set it to 0, restored at destruction.
  std::optional<std::string> larvalDropBefore_;
};

}  // namespace ikemesh::xfrm
