// SPDX-License-Identifier: GPL-2.0-or-later
#include "RoutingTable.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include <cstring>
#include <vector>

namespace ikemesh::tun {

namespace {

// Marks our routes so that `ip route` shows who installed them (rtnetlink.h: values above
// RTPROT_STATIC are free for routing daemons).
constexpr std::uint8_t kRouteProtocol = 0x45;

std::string nlError(int code) {
  return nl_geterror(code);
}

struct CacheDeleter {
  void operator()(nl_cache* cache) const noexcept { nl_cache_free(cache); }
};
using UniqueCache = std::unique_ptr<nl_cache, CacheDeleter>;
struct AddrDeleter {
  void operator()(nl_addr* address) const noexcept { nl_addr_put(address); }
};
using UniqueAddr = std::unique_ptr<nl_addr, AddrDeleter>;
struct RouteDeleter {
  void operator()(rtnl_route* route) const noexcept { rtnl_route_put(route); }
};
using UniqueRoute = std::unique_ptr<rtnl_route, RouteDeleter>;
struct RuleDeleter {
  void operator()(rtnl_rule* rule) const noexcept { rtnl_rule_put(rule); }
};
using UniqueRule = std::unique_ptr<rtnl_rule, RuleDeleter>;
struct LinkDeleter {
  void operator()(rtnl_link* link) const noexcept { rtnl_link_put(link); }
};
using UniqueLink = std::unique_ptr<rtnl_link, LinkDeleter>;

UniqueAddr addressOf(const IpAddress& address, int prefixLength) {
  UniqueAddr result(nl_addr_build(address.isV4() ? AF_INET : AF_INET6, address.data(), address.size()));
  if (result) nl_addr_set_prefixlen(result.get(), prefixLength);
  return result;
}

std::uint8_t kernelType(RoutingTable::RouteType type) {
  switch (type) {
    case RoutingTable::RouteType::Device: return RTN_UNICAST;
    case RoutingTable::RouteType::Throw: return RTN_THROW;
    case RoutingTable::RouteType::Blackhole: return RTN_BLACKHOLE;
    case RoutingTable::RouteType::Prohibit: return RTN_PROHIBIT;
  }
  return RTN_UNICAST;
}

}  // namespace

Result<std::unique_ptr<RoutingTable>> RoutingTable::open(const Config& config) {
  if (config.table == 0 || config.table == RT_TABLE_MAIN || config.table == RT_TABLE_LOCAL ||
      config.table == RT_TABLE_DEFAULT)
    return fail("kernel-tun: routing table " + std::to_string(config.table) +
                " is reserved (0, 253, 254, 255); choose another tun-routing-table");
  if (config.priority < 2 || config.priority >= 32766)
    return fail(
        "kernel-tun: rule priority " + std::to_string(config.priority) +
        " must lie between 2 and 32765 (before the main table's rule; the one before it is ours too)");
  if (config.fwmark == 0) return fail("kernel-tun: the firewall mark must not be 0");
  nl_sock* socket = nl_socket_alloc();
  if (!socket) return fail("kernel-tun: cannot allocate a netlink socket");
  if (int rc = nl_connect(socket, NETLINK_ROUTE); rc < 0) {
    nl_socket_free(socket);
    return fail("kernel-tun: cannot open a route netlink socket: " + nlError(rc));
  }
  return std::unique_ptr<RoutingTable>(new RoutingTable(socket, config));
}

RoutingTable::~RoutingTable() {
  nl_socket_free(socket_);
}

Result<void> RoutingTable::removeStale(const std::string& device) {
  if (auto removed = removeAll(); !removed) return removed;
  rtnl_link* found = nullptr;
  if (rtnl_link_get_kernel(socket_, 0, device.c_str(), &found) < 0 || !found) return success();
  UniqueLink link(found);
  const char* kind = rtnl_link_get_type(link.get());
  if (!kind || std::strcmp(kind, "tun") != 0)
    return fail("kernel-tun: a device named '" + device + "' exists and is not a TUN device (kind '" +
                (kind ? kind : "none") + "'); choose another tun-device");
  if (int rc = rtnl_link_delete(socket_, link.get()); rc < 0)
    return fail("kernel-tun: cannot remove the leftover TUN device '" + device + "': " + nlError(rc));
  return success();
}

Result<void> RoutingTable::addRule(int family, std::uint32_t priority, std::uint32_t table, bool invertedMark,
                                   std::uint16_t udpSourcePort) {
  UniqueRule rule(rtnl_rule_alloc());
  if (!rule) return fail("kernel-tun: out of memory building a rule");
  rtnl_rule_set_family(rule.get(), family);
  rtnl_rule_set_prio(rule.get(), priority);
  rtnl_rule_set_table(rule.get(), table);
  rtnl_rule_set_action(rule.get(), FR_ACT_TO_TBL);
  rtnl_rule_set_protocol(rule.get(), kRouteProtocol);
  if (invertedMark) {
    rtnl_rule_set_mark(rule.get(), config_.fwmark);
    rtnl_rule_set_mask(rule.get(), 0xffffffff);
  }
  if (udpSourcePort != 0) {
    rtnl_rule_set_ipproto(rule.get(), IPPROTO_UDP);
    rtnl_rule_set_sport(rule.get(), udpSourcePort);
  }
  nl_msg* message = nullptr;
  if (int rc = rtnl_rule_build_add_request(rule.get(), NLM_F_CREATE | NLM_F_EXCL, &message); rc < 0)
    return fail("kernel-tun: cannot build an ip rule: " + nlError(rc));
  // libnl has no setter for the inversion; the flag lives in the fixed header.
  if (invertedMark) static_cast<fib_rule_hdr*>(nlmsg_data(nlmsg_hdr(message)))->flags |= FIB_RULE_INVERT;
  const std::string what = std::string(family == AF_INET ? "IPv4" : "IPv6") + " rule 'priority " +
                           std::to_string(priority) +
                           (invertedMark ? " not fwmark " + std::to_string(config_.fwmark) : "") +
                           (udpSourcePort ? " ipproto udp sport " + std::to_string(udpSourcePort) : "") +
                           " lookup " + std::to_string(table) + "'";
  if (int rc = nl_send_sync(socket_, message); rc < 0)
    return fail("kernel-tun: cannot add the " + what + ": " + nlError(rc));
  return success();
}

Result<void> RoutingTable::installRules() {
  for (int family : {AF_INET, AF_INET6}) {
    // IKE and ESP in UDP to and from the peers stay in the main table whether or not their
    // socket is marked, and the reverse-path check of an arriving one (strict rp_filter looks
    // the source up with the ports swapped) finds the interface it came in on, not the TUN device.
    for (std::uint16_t port : {std::uint16_t{500}, std::uint16_t{4500}})
      if (auto added = addRule(family, config_.priority - 1, RT_TABLE_MAIN, false, port); !added)
        return added;
    if (auto added = addRule(family, config_.priority, config_.table, true, 0); !added) return added;
  }
  return success();
}

Result<void> RoutingTable::setRoute(const IpPrefix& prefix, RouteType type, int ifindex,
                                    const std::optional<IpAddress>& preferredSource) {
  UniqueRoute route(rtnl_route_alloc());
  UniqueAddr destination = addressOf(prefix.address(), prefix.length());
  if (!route || !destination) return fail("kernel-tun: out of memory building a route");
  rtnl_route_set_family(route.get(), prefix.address().isV4() ? AF_INET : AF_INET6);
  rtnl_route_set_table(route.get(), config_.table);
  rtnl_route_set_dst(route.get(), destination.get());
  rtnl_route_set_type(route.get(), kernelType(type));
  rtnl_route_set_protocol(route.get(), kRouteProtocol);
  if (type == RouteType::Device) {
    rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
    rtnl_nexthop* nexthop = rtnl_route_nh_alloc();
    if (!nexthop) return fail("kernel-tun: out of memory building a route");
    rtnl_route_nh_set_ifindex(nexthop, ifindex);
    rtnl_route_add_nexthop(route.get(), nexthop);  // the route owns it now
    if (preferredSource && preferredSource->family() == prefix.address().family()) {
      UniqueAddr source = addressOf(*preferredSource, preferredSource->bits());
      if (source) rtnl_route_set_pref_src(route.get(), source.get());
    }
  } else {
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  }
  if (int rc = rtnl_route_add(socket_, route.get(), NLM_F_CREATE | NLM_F_REPLACE); rc < 0)
    return fail("kernel-tun: cannot add the route " + prefix.toString() + " to table " +
                std::to_string(config_.table) + ": " + nlError(rc));
  return success();
}

Result<void> RoutingTable::removeRoute(const IpPrefix& prefix, RouteType type) {
  UniqueRoute route(rtnl_route_alloc());
  UniqueAddr destination = addressOf(prefix.address(), prefix.length());
  if (!route || !destination) return fail("kernel-tun: out of memory building a route");
  rtnl_route_set_family(route.get(), prefix.address().isV4() ? AF_INET : AF_INET6);
  rtnl_route_set_table(route.get(), config_.table);
  rtnl_route_set_dst(route.get(), destination.get());
  rtnl_route_set_type(route.get(), kernelType(type));
  rtnl_route_set_scope(route.get(), RT_SCOPE_NOWHERE);  // any scope
  // The kernel matches the protocol too (libnl's default is "static").
  rtnl_route_set_protocol(route.get(), kRouteProtocol);
  if (int rc = rtnl_route_delete(socket_, route.get(), 0); rc < 0 && rc != -NLE_OBJ_NOTFOUND)
    return fail("kernel-tun: cannot remove the route " + prefix.toString() + " from table " +
                std::to_string(config_.table) + ": " + nlError(rc));
  return success();
}

Result<void> RoutingTable::removeAll() {
  auto rules = removeRules();
  auto routes = flushTable();
  if (!rules) return rules;
  return routes;
}

Result<void> RoutingTable::removeRules() {
  nl_cache* raw = nullptr;
  if (int rc = rtnl_rule_alloc_cache(socket_, AF_UNSPEC, &raw); rc < 0)
    return fail("kernel-tun: cannot list the ip rules: " + nlError(rc));
  UniqueCache cache(raw);
  std::string errors;
  for (nl_object* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
    auto* rule = reinterpret_cast<rtnl_rule*>(object);
    // Ours: our priority and our table, or the priority before it and our protocol (another
    // program's rule at those priorities is left alone).
    std::uint8_t protocol = 0;
    const bool lookup =
        rtnl_rule_get_prio(rule) == config_.priority && rtnl_rule_get_table(rule) == config_.table;
    const bool bypass = rtnl_rule_get_prio(rule) == config_.priority - 1 &&
                        rtnl_rule_get_protocol(rule, &protocol) == 0 && protocol == kRouteProtocol;
    if (!lookup && !bypass) continue;
    if (int rc = rtnl_rule_delete(socket_, rule, 0); rc < 0 && rc != -NLE_OBJ_NOTFOUND)
      errors += std::string(errors.empty() ? "" : "; ") + nlError(rc);
  }
  if (!errors.empty()) return fail("kernel-tun: cannot remove our ip rules: " + errors);
  return success();
}

Result<void> RoutingTable::flushTable() {
  nl_cache* raw = nullptr;
  if (int rc = rtnl_route_alloc_cache(socket_, AF_UNSPEC, 0, &raw); rc < 0)
    return fail("kernel-tun: cannot list the routes: " + nlError(rc));
  UniqueCache cache(raw);
  std::string errors;
  for (nl_object* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
    auto* route = reinterpret_cast<rtnl_route*>(object);
    if (rtnl_route_get_table(route) != config_.table) continue;
    if (int rc = rtnl_route_delete(socket_, route, 0); rc < 0 && rc != -NLE_OBJ_NOTFOUND)
      errors += std::string(errors.empty() ? "" : "; ") + nlError(rc);
  }
  if (!errors.empty())
    return fail("kernel-tun: cannot flush routing table " + std::to_string(config_.table) + ": " + errors);
  return success();
}

}  // namespace ikemesh::tun
