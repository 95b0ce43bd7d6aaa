// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/ExplicitConnectionTable.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>

namespace ikemesh::policy {

namespace {

bool contains(const TrafficSelector& outer, const TrafficSelector& inner) {
  return outer.start.family() == inner.start.family() && outer.start <= inner.start &&
         inner.end <= outer.end && (outer.protocol == 0 || outer.protocol == inner.protocol) &&
         outer.startPort <= inner.startPort && inner.endPort <= outer.endPort;
}

bool overlaps(const TrafficSelector& a, const TrafficSelector& b) {
  return a.start.family() == b.start.family() && !(a.end < b.start) && !(b.end < a.start);
}

// How an offer fits a side's subnets: 2 every selector inside one subnet, 1 every selector
// meets one, 0 one selector meets none.
int fit(const std::vector<TrafficSelector>& offered, const std::vector<IpPrefix>& subnets) {
  if (offered.empty()) return 0;
  int worst = 2;
  for (const auto& selector : offered) {
    int best = 0;
    for (const auto& subnet : subnets) {
      auto ours = selectorFor(subnet);
      if (contains(ours, selector))
        best = 2;
      else if (overlaps(ours, selector))
        best = std::max(best, 1);
    }
    worst = std::min(worst, best);
  }
  return worst;
}

// How closely `subnets` fit an offer: for each offered selector the longest subnet that meets
// it, summed. The conn with the tighter subnets is the one the offer was written for.
int tightness(const std::vector<TrafficSelector>& offered, const std::vector<IpPrefix>& subnets) {
  int total = 0;
  for (const auto& selector : offered) {
    int longest = 0;
    for (const auto& subnet : subnets)
      if (overlaps(selectorFor(subnet), selector)) longest = std::max(longest, subnet.length());
    total += longest;
  }
  return total;
}

}  // namespace

TrafficSelector selectorFor(const IpPrefix& prefix) {
  IpAddress last = prefix.address();
  for (int i = prefix.length(); i < last.bits(); ++i)
    last.data()[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
  return TrafficSelector{prefix.address(), last, 0, 0, 65535};
}

std::string selectorText(const TrafficSelector& selector) {
  std::string text;
  // The range is one prefix when it is start/length with every host bit of `end` set.
  for (int length = 0; length <= selector.start.bits() && text.empty(); ++length) {
    IpPrefix prefix(selector.start, length);
    if (prefix.address() == selector.start && selectorFor(prefix).end == selector.end)
      text = prefix.toString();
  }
  if (text.empty()) text = selector.start.toString() + "-" + selector.end.toString();
  if (selector.protocol != 0 || selector.startPort != 0 || selector.endPort != 65535) {
    text += ":" + std::to_string(selector.protocol);
    if (selector.startPort == selector.endPort)
      text += "/" + std::to_string(selector.startPort);
    else if (selector.startPort != 0 || selector.endPort != 65535)
      text += "/" + std::to_string(selector.startPort) + "-" + std::to_string(selector.endPort);
  }
  return text;
}

Result<IpAddress> resolveWithGetaddrinfo(const std::string& hostname) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(hostname.c_str(), nullptr, &hints, &found); rc != 0)
    return fail(std::string("cannot resolve '") + hostname + "': " + ::gai_strerror(rc));
  std::optional<IpAddress> v4, v6;
  for (auto* ai = found; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET && !v4) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      std::array<std::uint8_t, 4> octets{};
      std::memcpy(octets.data(), &sin->sin_addr, 4);
      v4 = IpAddress::v4(octets);
    } else if (ai->ai_family == AF_INET6 && !v6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      std::array<std::uint8_t, 16> octets{};
      std::memcpy(octets.data(), sin6->sin6_addr.s6_addr, 16);
      v6 = IpAddress::v6(octets);
    }
  }
  ::freeaddrinfo(found);
  if (v4) return *v4;
  if (v6) return *v6;
  return fail("cannot resolve '" + hostname + "': no IPv4 or IPv6 address");
}

std::string explainPrecedence(const ExplicitConnection* chosen, const IpPrefix& matched,
                              const PolicyExplanation& groups) {
  if (!chosen) return groups.toString();
  std::string text = groups.toString();
  // The first line is the query; the explicit conn goes before what the groups say.
  auto firstLine = text.find('\n');
  std::string head = text.substr(0, firstLine + 1);
  std::string rest = text.substr(firstLine + 1);
  head += "  applies: explicit conn '" + chosen->name + "' rightsubnet " + matched.toString() +
          " (right=" + chosen->peer.toString() + ", auto=" + std::string(toString(chosen->autoAction)) +
          ") at " + chosen->where.toString() + "\n";
  if (groups.winner) {
    head += "  overridden: group '" + groups.winner->group->group + "' " + groups.winner->entry->toString() +
            " -> conn '" + groups.winner->group->connection +
            "': an explicit conn ranks above the opportunistic groups (as Libreswan ranks a configured "
            "conn above OE)\n";
  }
  // The groups' own lines follow, the winner's renamed since it no longer applies.
  const std::string applies = "  applies: ";
  if (rest.starts_with(applies)) rest = "  groups alone: " + rest.substr(applies.size());
  return head + rest;
}

std::vector<IpPrefix> ExplicitConnection::localSubnetsFor(const IpAddress& ikeLocal) const {
  if (!localSubnets.empty()) return localSubnets;
  return {IpPrefix::host(ikeLocal)};
}

ConfigResult<ExplicitConnectionTable> ExplicitConnectionTable::build(const Config& config,
                                                                     const HostnameResolver& resolver) {
  ExplicitConnectionTable table;
  std::vector<ConfigError> errors;
  for (const auto& c : config.connections) {
    const bool fixedPeer =
        c.right.kind == Endpoint::Kind::Address || c.right.kind == Endpoint::Kind::Hostname;
    if (!fixedPeer || c.isShunt()) continue;
    ExplicitConnection e;
    e.name = c.name;
    e.where = c.where;
    e.autoAction = c.autoAction;
    e.narrowing = c.narrowing;
    if (c.right.address) {
      e.peer = *c.right.address;
    } else {
      auto resolved = resolver(c.right.text);
      if (!resolved) {
        errors.push_back(
            {c.where, "conn '" + c.name + "': right=" + c.right.text + ": " + resolved.error().message});
        continue;
      }
      e.peer = *resolved;
    }
    if (c.left.address) e.local = *c.left.address;
    if (e.local && e.local->family() != e.peer.family()) {
      errors.push_back({c.where, "conn '" + c.name + "': left=" + c.left.text + " and right=" + c.right.text +
                                     " are of different address families"});
      continue;
    }
    e.localSubnets = c.leftSubnets;
    e.remoteSubnets = c.rightSubnets.empty() ? std::vector<IpPrefix>{IpPrefix::host(e.peer)} : c.rightSubnets;
    // Tunnel mode may carry IPv6 inside IPv4 and back, but each side's list must pair with
    // the other's: a family with subnets on one side only could never match a packet.
    if (!e.localSubnets.empty()) {
      for (const auto& remote : e.remoteSubnets) {
        const bool paired = std::any_of(e.localSubnets.begin(), e.localSubnets.end(), [&](const IpPrefix& l) {
          return l.address().family() == remote.address().family();
        });
        if (!paired)
          errors.push_back({c.where, "conn '" + c.name + "': rightsubnet " + remote.toString() +
                                         " has no leftsubnet of its address family"});
      }
    }
    table.connections_.push_back(std::move(e));
  }
  if (!errors.empty()) return errors;
  return table;
}

const ExplicitConnection* ExplicitConnectionTable::find(std::string_view name) const {
  for (const auto& c : connections_)
    if (c.name == name) return &c;
  return nullptr;
}

const ExplicitConnection* ExplicitConnectionTable::forTraffic(
    const IpAddress& local, const IpAddress& peer,
    const std::function<bool(const ExplicitConnection&)>& usable, IpPrefix* matched) const {
  const ExplicitConnection* best = nullptr;
  int bestRemote = -1, bestLocal = -1;
  IpPrefix bestPrefix;
  for (const auto& c : connections_) {
    if (!usable(c)) continue;
    int remoteLength = -1;
    IpPrefix remotePrefix;
    for (const auto& subnet : c.remoteSubnets)
      if (subnet.contains(peer) && subnet.length() > remoteLength) {
        remoteLength = subnet.length();
        remotePrefix = subnet;
      }
    if (remoteLength < 0) continue;
    // No leftsubnet: the conn protects our own address, whichever it is; it ranks below one
    // that names the local range.
    int localLength = -1;
    if (c.localSubnets.empty()) {
      localLength = 0;
    } else {
      for (const auto& subnet : c.localSubnets)
        if (subnet.contains(local)) localLength = std::max(localLength, subnet.length() + 1);
      if (localLength < 0) continue;
    }
    if (remoteLength > bestRemote || (remoteLength == bestRemote && localLength > bestLocal)) {
      best = &c;
      bestRemote = remoteLength;
      bestLocal = localLength;
      bestPrefix = remotePrefix;
    }
  }
  if (best && matched) *matched = bestPrefix;
  return best;
}

std::vector<const ExplicitConnection*> ExplicitConnectionTable::forPeer(const IpAddress& ikeLocal,
                                                                        const IpAddress& peer) const {
  std::vector<const ExplicitConnection*> found;
  for (const auto& c : connections_)
    if (c.peer == peer && (!c.local || *c.local == ikeLocal)) found.push_back(&c);
  return found;
}

ExplicitChoice ExplicitConnectionTable::forSelectors(
    const IpAddress& ikeLocal, const IpAddress& peer, const std::vector<TrafficSelector>& offeredI,
    const std::vector<TrafficSelector>& offeredR,
    const std::function<bool(const ExplicitConnection&)>& usable) const {
  ExplicitChoice choice;
  std::tuple<int, int, int> bestRank{-1, -1, -1};
  for (const auto* c : forPeer(ikeLocal, peer)) {
    if (!usable(*c)) continue;
    // TSi is the initiator's side: the peer's subnets; TSr ours (RFC 7296 §2.9).
    const int peerFit = fit(offeredI, c->remoteSubnets);
    const int ourFit = fit(offeredR, c->localSubnetsFor(ikeLocal));
    if (peerFit == 0 || ourFit == 0) {
      if (choice.why.empty())
        choice.why = "conn '" + c->name + "': the offered selectors lie outside its " +
                     (peerFit == 0 ? "rightsubnet" : "leftsubnet");
      continue;
    }
    const bool exact = peerFit == 2 && ourFit == 2;
    if (!exact && !c->narrowing) {
      if (choice.why.empty())
        choice.why = "conn '" + c->name + "': the offer is wider than its subnets and narrowing=no";
      continue;
    }
    // Exact before narrowed, then the tighter fit, the peer's side first; file order last.
    const auto rank = std::make_tuple(exact ? 1 : 0, tightness(offeredI, c->remoteSubnets),
                                      tightness(offeredR, c->localSubnetsFor(ikeLocal)));
    if (!choice.connection || rank > bestRank) {
      bestRank = rank;
      choice.connection = c;
      choice.exact = exact;
    }
  }
  if (choice.connection)
    choice.why = "conn '" + choice.connection->name + "' " +
                 (choice.exact ? "holds every offered selector" : "narrows the offer (narrowing=yes)");
  else if (choice.why.empty())
    choice.why = "no explicit conn has peer " + peer.toString();
  return choice;
}

}  // namespace ikemesh::policy
