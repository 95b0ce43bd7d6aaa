// SPDX-License-Identifier: GPL-2.0-or-later
#include "XfrmDataplane.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace ikemesh::xfrm {

namespace {

constexpr std::uint16_t kIkePort = 500;            // RFC 7296 §2
constexpr std::uint16_t kNatTraversalPort = 4500;  // RFC 3948 §2

std::string hexSpi(std::uint32_t spi) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", spi);
  return text;
}

IpPrefix anyOf(const IpAddress& like) {
  return IpPrefix(like, 0);
}

/// The single port of a selector range, 0 for any; nullopt for other ranges, which XFRM
/// selectors (one port and a mask) cannot express in one policy.
std::optional<std::uint16_t> portOf(const TrafficSelector& selector) {
  if (selector.startPort == 0 && selector.endPort == 65535) return 0;
  if (selector.startPort == selector.endPort) return selector.startPort;
  return std::nullopt;
}

/// Whether the kernel drops the packets that meet a trap while its ACQUIRE is unanswered (1,
/// the default) or keeps them in the policy's queue (0): per network namespace.
constexpr const char* kLarvalDropSysctl = "/proc/sys/net/core/xfrm_larval_drop";

/// Writes `value` to the sysctl file at `path`; returns what it held before.
Result<std::string> exchangeSysctl(const char* path, const std::string& value) {
  std::string before;
  if (std::ifstream in(path); !(in >> before))
    return fail(std::string("kernel-xfrm: cannot read ") + path + ": " + std::strerror(errno));
  if (std::ofstream out(path); !(out << value << '\n' << std::flush))
    return fail(std::string("kernel-xfrm: cannot write ") + value + " to " + path + ": " +
                std::strerror(errno));
  return before;
}

std::uint8_t shuntAction(ShuntAction action) {
  // Reject and hold have no XFRM form: both block (README.md).
  return action == ShuntAction::Pass ? XFRM_POLICY_ALLOW : XFRM_POLICY_BLOCK;
}

}  // namespace

Result<std::unique_ptr<XfrmDataplane>> XfrmDataplane::create(Host& host) {
  auto requests = XfrmSocket::open();
  if (!requests) return std::move(requests).error();
  auto events = XfrmSocket::openEvents();
  if (!events) return std::move(events).error();
  std::unique_ptr<XfrmDataplane> dataplane(new XfrmDataplane(host, std::move(*requests), std::move(*events)));
  dataplane->removeOurs();  // a crashed run's policies and states
  // DESIGN.md §2 step 2: the packets that hit a trap wait for the SA (the kernel's policy
  // queue, up to 100 packets, retried with a doubling timeout up to a minute) instead of
  // being dropped with the larval state; the first `ping -c 1` gets its reply.
  if (auto before = exchangeSysctl(kLarvalDropSysctl, "0")) {
    dataplane->larvalDropBefore_ = *before;
    if (*before != "0")
      host.log(LogLevel::Info, "net.core.xfrm_larval_drop " + *before +
                                   " -> 0: packets that meet a trap wait for their SA (restored at stop)");
  } else {
    host.log(LogLevel::Warning, before.error().message + "; the packets that meet a trap are dropped");
  }
  for (std::uint16_t port : {kIkePort, kNatTraversalPort})
    if (auto bypass = dataplane->installBypass(port); !bypass) return std::move(bypass).error();
  return dataplane;
}

XfrmDataplane::XfrmDataplane(Host& host, XfrmSocket requests, XfrmSocket events)
    : host_(host), requests_(std::move(requests)), events_(std::move(events)) {
  eventsWatch_ = host_.watchFd(events_.fd(), FdEvent::Readable, [this] { readEvents(); });
}

XfrmDataplane::~XfrmDataplane() {
  host_.unwatchFd(eventsWatch_);
  removeOurs();
  if (larvalDropBefore_ && *larvalDropBefore_ != "0")
    if (auto restored = exchangeSysctl(kLarvalDropSysctl, *larvalDropBefore_); !restored)
      host_.log(LogLevel::Warning, restored.error().message);
}

void XfrmDataplane::setEvents(DataplaneEvents* events) {
  sink_ = events;
}

XfrmDataplane::SelectorKey XfrmDataplane::keyOf(const PolicyRequest& request) {
  SelectorKey key{request.direction, {}};
  std::memcpy(key.second.data(), &request.selector, sizeof request.selector);
  return key;
}

Result<void> XfrmDataplane::push(std::uint64_t owner, const PolicyRequest& request,
                                 std::vector<SelectorKey>& keys) {
  auto key = keyOf(request);
  auto errno_ = requests_.execute(buildUpdatePolicy(request, 0), "installing a policy");
  if (!errno_) return std::move(errno_).error();
  if (*errno_ != 0)
    return fail(std::string("kernel-xfrm: XFRM_MSG_UPDPOLICY (direction ") +
                std::to_string(request.direction) + ", priority " + std::to_string(request.priority) +
                "): " + std::strerror(*errno_));
  stacks_[key].push_back({owner, request});
  keys.push_back(key);
  return success();
}

void XfrmDataplane::pop(std::uint64_t owner, const SelectorKey& key) {
  auto stack = stacks_.find(key);
  if (stack == stacks_.end()) return;
  auto& entries = stack->second;
  auto it =
      std::find_if(entries.begin(), entries.end(), [&](const StackEntry& e) { return e.owner == owner; });
  if (it == entries.end()) return;
  const bool wasTop = std::next(it) == entries.end();
  const PolicyRequest removed = it->request;
  entries.erase(it);
  if (!wasTop) return;
  if (entries.empty()) {
    stacks_.erase(stack);
    auto result =
        requests_.execute(buildDeletePolicy(removed.selector, removed.direction, 0), "removing a policy");
    if (!result)
      host_.log(LogLevel::Error, result.error().message);
    else if (*result != 0 && *result != ENOENT)
      host_.log(LogLevel::Error, std::string("XFRM_MSG_DELPOLICY: ") + std::strerror(*result));
    return;
  }
  // The policy below comes back (the kernel held only the top one for this selector).
  auto result = requests_.execute(buildUpdatePolicy(entries.back().request, 0), "restoring a policy");
  if (!result || *result != 0)
    host_.log(LogLevel::Error, "cannot restore the policy below a removed one: " +
                                   (result ? std::string(std::strerror(*result)) : result.error().message));
}

Result<void> XfrmDataplane::installBypass(std::uint16_t port) {
  if (!bypassedPorts_.insert(port).second) return success();
  std::vector<SelectorKey> keys;
  for (const IpAddress& any : {IpAddress::v4({}), IpAddress::v6({})}) {
    // IKE leaves from the port and arrives at it (RFC 7296 §2.11); never into ESP.
    auto out = makeSelector(anyOf(any), anyOf(any), IPPROTO_UDP, port, 0);
    if (!out) return std::move(out).error();
    PolicyRequest outbound{
        *out, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, policyPriority(*out, PolicyKind::IkeBypass), {}};
    PolicyRequest inbound{
        reversed(*out), XFRM_POLICY_IN, XFRM_POLICY_ALLOW, policyPriority(*out, PolicyKind::IkeBypass), {}};
    if (auto pushed = push(0, outbound, keys); !pushed) return pushed;
    if (auto pushed = push(0, inbound, keys); !pushed) return pushed;
  }
  return success();
}

Result<PolicyId> XfrmDataplane::installTrap(const PolicySpec& spec) {
  auto selector = makeSelector(spec.local, spec.remote, spec.protocol, spec.localPort, spec.remotePort);
  if (!selector) return std::move(selector).error();
  // A template no state satisfies (our base reqid is never an SA's): the kernel makes a larval
  // state, sends XFRM_MSG_ACQUIRE and keeps the packets in this policy's queue.
  PolicyRequest request{*selector, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW,
                        policyPriority(*selector, PolicyKind::Trap),
                        EspTemplate{IpsecMode::Transport, kReqidBase, std::nullopt, std::nullopt}};
  const PolicyId id = nextOwner_++;
  Policy policy{spec, true, {}};
  if (auto pushed = push(id, request, policy.keys); !pushed) return std::move(pushed).error();
  policies_.emplace(id, std::move(policy));
  return id;
}

Result<PolicyId> XfrmDataplane::installShunt(const PolicySpec& spec, ShuntAction action) {
  auto selector = makeSelector(spec.local, spec.remote, spec.protocol, spec.localPort, spec.remotePort);
  if (!selector) return std::move(selector).error();
  const auto priority = policyPriority(*selector, PolicyKind::Shunt);
  const PolicyId id = nextOwner_++;
  Policy policy{spec, false, {}};
  if (auto pushed = push(id, {*selector, XFRM_POLICY_OUT, shuntAction(action), priority, {}}, policy.keys);
      !pushed)
    return std::move(pushed).error();
  if (action != ShuntAction::Pass) {
    // A blocked peer is blocked both ways; inbound clear traffic is allowed anyway where no
    // policy says otherwise, so pass needs no inbound policy.
    auto pushed =
        push(id, {reversed(*selector), XFRM_POLICY_IN, XFRM_POLICY_BLOCK, priority, {}}, policy.keys);
    if (!pushed) {
      for (const auto& key : policy.keys) pop(id, key);
      return std::move(pushed).error();
    }
  }
  policies_.emplace(id, std::move(policy));
  return id;
}

Result<void> XfrmDataplane::removePolicy(PolicyId id) {
  auto it = policies_.find(id);
  if (it == policies_.end()) return fail("kernel-xfrm: no policy " + std::to_string(id));
  for (const auto& key : it->second.keys) pop(id, key);
  policies_.erase(it);
  return success();
}

Result<std::uint32_t> XfrmDataplane::allocateSpi(const IpAddress& source, const IpAddress& destination) {
  auto reply =
      requests_.query(buildAllocateSpi(source, destination, 0, 0), XFRM_MSG_NEWSA, "allocating an SPI");
  if (!reply) return std::move(reply).error();
  auto state = parseState(*reply);
  if (!state) return std::move(state).error();
  allocatedSpis_.insert({state->spi, destination});
  return state->spi;
}

Result<void> XfrmDataplane::addSa(const SaParams& params) {
  const SaKey saKey{params.ref.spi, params.ref.destination};
  const bool inbound = params.direction == SaDirection::Inbound;
  const std::uint32_t reqid = kReqidBase + 1 + params.reqid % (kReqidBand - 1);
  const bool allocated = inbound && allocatedSpis_.contains(saKey);
  std::uint32_t acquireSequence = 0;
  if (!inbound)
    if (auto it = acquireSequences_.find({params.source, params.ref.destination});
        it != acquireSequences_.end())
      acquireSequence = it->second;
  auto message = buildState(params, reqid, allocated, acquireSequence, 0);
  if (!message) return std::move(message).error();
  auto added = requests_.execute(std::move(*message), "installing an SA");
  if (!added) return std::move(added).error();
  const std::string what = std::string(inbound ? "inbound" : "outbound") + " SA " + hexSpi(params.ref.spi) +
                           " to " + params.ref.destination.toString();
  if (*added != 0) return fail("kernel-xfrm: " + what + ": " + std::strerror(*added));
  allocatedSpis_.erase(saKey);
  if (!inbound) acquireSequences_.erase({params.source, params.ref.destination});
  const auto acquiredBy =
      inbound ? acquireTraps_.end() : acquireTraps_.find({params.source, params.ref.destination});

  InstalledSa sa{nextOwner_++, {}, params.connection};
  auto undo = [&](Error error) -> Result<void> {
    for (const auto& key : sa.keys) pop(sa.owner, key);
    (void)requests_.execute(buildStateId(XFRM_MSG_DELSA, params.ref.spi, params.ref.destination, 0), "undo");
    return error;
  };
  EspTemplate esp{params.mode, inbound ? 0u : reqid, std::nullopt, std::nullopt};
  if (params.mode == IpsecMode::Tunnel) {
    esp.source = params.source;
    esp.destination = params.ref.destination;
  }
  // RFC 4301 §4.4.1: the SPD entries of the SA's selectors; inbound, any of our states
  // between the two hosts will do, so that the old SA's last packets pass during a rekey.
  for (const auto& local : params.localSelectors) {
    for (const auto& remote : params.remoteSelectors) {
      auto localPrefix = prefixOf(local);
      auto remotePrefix = prefixOf(remote);
      auto localPort = portOf(local);
      auto remotePort = portOf(remote);
      if (!localPrefix || !remotePrefix || !localPort || !remotePort)
        return undo(fail("kernel-xfrm: " + what + ": selector " + local.start.toString() + "-" +
                         local.end.toString() + " -> " + remote.start.toString() + "-" +
                         remote.end.toString() + " is not a prefix with one port or all"));
      const std::uint8_t protocol = local.protocol != 0 ? local.protocol : remote.protocol;
      auto selector = makeSelector(*localPrefix, *remotePrefix, protocol, *localPort, *remotePort);
      if (!selector) return undo(std::move(selector).error());
      const auto priority = policyPriority(*selector, PolicyKind::Sa);
      if (!inbound) {
        if (auto pushed =
                push(sa.owner, {*selector, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, priority, esp}, sa.keys);
            !pushed)
          return undo(std::move(pushed).error());
        continue;
      }
      auto in = reversed(*selector);
      if (auto pushed = push(sa.owner, {in, XFRM_POLICY_IN, XFRM_POLICY_ALLOW, priority, esp}, sa.keys);
          !pushed)
        return undo(std::move(pushed).error());
      if (params.mode == IpsecMode::Tunnel)
        if (auto pushed = push(sa.owner, {in, XFRM_POLICY_FWD, XFRM_POLICY_ALLOW, priority, esp}, sa.keys);
            !pushed)
          return undo(std::move(pushed).error());
    }
  }
  sas_[saKey] = std::move(sa);
  if (acquiredBy != acquireTraps_.end()) {
    releaseHeldPackets(acquiredBy->second);
    acquireTraps_.erase(acquiredBy);
  }
  if (host_.logEnabled(LogLevel::Debug))
    host_.log(LogLevel::Debug, what + " installed (reqid " + std::to_string(reqid) + ")");
  return success();
}

Result<void> XfrmDataplane::deleteSa(const SaRef& ref) {
  auto it = sas_.find({ref.spi, ref.destination});
  if (it != sas_.end()) {
    for (const auto& key : it->second.keys) pop(it->second.owner, key);
    sas_.erase(it);
  }
  allocatedSpis_.erase({ref.spi, ref.destination});
  auto removed =
      requests_.execute(buildStateId(XFRM_MSG_DELSA, ref.spi, ref.destination, 0), "removing an SA");
  if (!removed) return std::move(removed).error();
  // ESRCH: the kernel removed it already (hard lifetime).
  if (*removed != 0 && *removed != ESRCH)
    return fail("kernel-xfrm: SA " + hexSpi(ref.spi) + " to " + ref.destination.toString() + ": " +
                std::strerror(*removed));
  return success();
}

Result<SaCounters> XfrmDataplane::counters(const SaRef& ref) {
  auto reply = requests_.query(buildStateId(XFRM_MSG_GETSA, ref.spi, ref.destination, 0), XFRM_MSG_NEWSA,
                               "reading SA counters");
  if (!reply) return std::move(reply).error();
  auto state = parseState(*reply);
  if (!state) return std::move(state).error();
  return state->counters;
}

bool XfrmDataplane::adoptUdpEncapsulationSocket(int fd, IkeReceiver& ike) {
  (void)ike;
  // RFC 3948 §2.2: ESP in UDP on this socket goes to the kernel's ESP, IKE (non-ESP marker)
  // stays in the socket for the core.
  int encapsulation = UDP_ENCAP_ESPINUDP;
  if (::setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &encapsulation, sizeof encapsulation) < 0) {
    host_.log(LogLevel::Error,
              std::string("cannot set UDP_ENCAP on the IKE socket: ") + std::strerror(errno));
    return false;
  }
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
    const auto port = ntohs(local.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                                       : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    if (auto bypass = installBypass(port); !bypass) host_.log(LogLevel::Error, bypass.error().message);
  }
  host_.log(LogLevel::Info, "the kernel decapsulates ESP in UDP on the IKE socket (RFC 3948)");
  return false;
}

void XfrmDataplane::removeOurs() {
  for (auto& [key, entries] : stacks_) {
    const auto& top = entries.back().request;
    (void)requests_.execute(buildDeletePolicy(top.selector, top.direction, 0), "removing a policy");
  }
  stacks_.clear();
  policies_.clear();
  sas_.clear();
  bypassedPorts_.clear();
  std::size_t policies = 0, states = 0;
  if (auto dumped = requests_.dump(XFRM_MSG_GETPOLICY, XFRM_MSG_NEWPOLICY)) {
    for (const auto& payload : *dumped) {
      auto policy = parsePolicy(payload);
      if (!policy || !isOurPriority(policy->priority)) continue;
      auto removed =
          requests_.execute(buildDeletePolicy(policy->selector, policy->direction, 0), "removing a policy");
      if (removed && *removed == 0) ++policies;
    }
  } else {
    host_.log(LogLevel::Error, dumped.error().message);
  }
  if (auto dumped = requests_.dump(XFRM_MSG_GETSA, XFRM_MSG_NEWSA)) {
    for (const auto& payload : *dumped) {
      auto state = parseState(payload);
      if (!state || !isOurReqid(state->reqid) || state->protocol != IPPROTO_ESP) continue;
      std::uint32_t spi = state->spi;
      if (spi == 0) {
        // A larval state of an ACQUIRE has no SPI to delete it by: give it one first
        // (ALLOCSPI with the ACQUIRE's seq takes that very state).
        auto reply =
            requests_.query(buildAllocateSpi(state->source, state->destination, state->acquireSequence, 0),
                            XFRM_MSG_NEWSA, "naming a larval state");
        auto named = reply ? parseState(*reply) : Result<StateMessage>(reply.error());
        if (!named) continue;
        spi = named->spi;
      }
      auto removed =
          requests_.execute(buildStateId(XFRM_MSG_DELSA, spi, state->destination, 0), "removing an SA");
      if (removed && *removed == 0) ++states;
    }
  } else {
    host_.log(LogLevel::Error, dumped.error().message);
  }
  if (policies + states > 0)
    host_.log(LogLevel::Info, "removed " + std::to_string(policies) + " policies and " +
                                  std::to_string(states) + " states left by an earlier run");
}

void XfrmDataplane::releaseHeldPackets(const SelectorKey& trap) {
  auto stack = stacks_.find(trap);
  if (stack == stacks_.end() || stack->second.empty()) return;
  // The packets wait in the queue of the trap's kernel policy, whose timer retries them at
  // 0.1, 0.3, 0.7, 1.5, 3.1 s... after the ACQUIRE. The same policy written again takes over
  // that queue and retries it at once (the kernel's xfrm_policy_requeue()): now they meet the
  // SA's policy and leave in ESP.
  auto result =
      requests_.execute(buildUpdatePolicy(stack->second.back().request, 0), "releasing held packets");
  if (!result || *result != 0)
    host_.log(LogLevel::Warning, "cannot rewrite a trap to release its held packets: " +
                                     (result ? std::string(std::strerror(*result)) : result.error().message));
}

void XfrmDataplane::readEvents() {
  for (;;) {
    auto datagram = events_.receiveEvents();
    if (!datagram) {
      // ENOBUFS: events were lost; the trap fires again when the larval state expires.
      host_.log(LogLevel::Warning, datagram.error().message);
      continue;
    }
    if (datagram->empty()) return;
    auto messages = splitMessages(*datagram);
    if (!messages) {
      host_.log(LogLevel::Error, messages.error().message);
      continue;
    }
    for (const auto& message : *messages) {
      if (message.type == XFRM_MSG_ACQUIRE)
        onAcquire(message.payload);
      else if (message.type == XFRM_MSG_EXPIRE)
        onExpire(message.payload);
      else if (message.type == XFRM_MSG_MAPPING)
        onMapping(message.payload);
    }
  }
}

void XfrmDataplane::onAcquire(std::span<const std::uint8_t> payload) {
  auto acquire = parseAcquire(payload);
  if (!acquire) {
    host_.log(LogLevel::Error, acquire.error().message);
    return;
  }
  if (!isOurPriority(acquire->policyPriority)) return;  // another daemon's trap
  PolicyRequest probe{acquire->policySelector, XFRM_POLICY_OUT, 0, 0, {}};
  auto stack = stacks_.find(keyOf(probe));
  if (stack == stacks_.end() || stack->second.empty()) return;
  const auto owner = stack->second.back().owner;
  auto policy = policies_.find(owner);
  if (policy == policies_.end() || !policy->second.trap) return;
  acquireSequences_[{acquire->source, acquire->destination}] = acquire->sequence;
  acquireTraps_[{acquire->source, acquire->destination}] = stack->first;
  if (!sink_) return;
  sink_->acquire({owner, acquire->source, acquire->destination, acquire->protocol, acquire->sourcePort,
                  acquire->destinationPort});
}

void XfrmDataplane::onMapping(std::span<const std::uint8_t> payload) {
  auto mapping = parseMapping(payload);
  if (!mapping) {
    host_.log(LogLevel::Error, mapping.error().message);
    return;
  }
  if (!isOurReqid(mapping->reqid) || !sas_.contains({mapping->spi, mapping->destination})) return;
  if (sink_)
    sink_->natMappingChanged({{mapping->spi, mapping->destination},
                              mapping->oldSource,
                              mapping->oldPort,
                              mapping->newSource,
                              mapping->newPort});
}

void XfrmDataplane::onExpire(std::span<const std::uint8_t> payload) {
  auto state = parseExpire(payload);
  if (!state) {
    host_.log(LogLevel::Error, state.error().message);
    return;
  }
  if (!isOurReqid(state->reqid)) return;
  if (state->spi == 0 || !sas_.contains({state->spi, state->destination})) {
    // A larval state of an unanswered ACQUIRE timed out: the trap applies again.
    acquireSequences_.erase({state->source, state->destination});
    acquireTraps_.erase({state->source, state->destination});
    allocatedSpis_.erase({state->spi, state->destination});
    return;
  }
  if (sink_) sink_->expired({state->spi, state->destination}, state->hard);
}

}  // namespace ikemesh::xfrm
