// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

struct nl_sock;

namespace ikemesh::tun {

/// The plugin's own routing table and the ip rules that lead to it, programmed through
/// libnl-route-3 (DESIGN.md §7). Per address family, at `priority`:
/// `not fwmark <fwmark> lookup <table>`, so that every packet except those of our own marked
/// sockets (IKE, ESP in UDP) consults the table first, as wg-quick does; and at `priority - 1`
/// `ipproto udp sport 500|4500 lookup main`, so that IKE from an unmarked socket and the
/// strict reverse-path check of arriving ESP in UDP do not land in the TUN device either. The table holds one
/// route per policy prefix: into the TUN device (traps, holds, SAs), `throw` (pass: the lookup
/// goes on to the main table), `blackhole` (drop) or `prohibit` (reject, ICMP).
///
/// The netlink socket is opened in the network namespace of the constructing thread and stays
/// there. Not thread-safe: the main thread's.
class RoutingTable {
 public:
  struct Config {
    std::uint32_t table = 4500;
    std::uint32_t priority = 4500;
    std::uint32_t fwmark = 0x4500;
  };
  enum class RouteType : std::uint8_t { Device, Throw, Blackhole, Prohibit };

  static Result<std::unique_ptr<RoutingTable>> open(const Config& config);
  ~RoutingTable();
  RoutingTable(const RoutingTable&) = delete;
  RoutingTable& operator=(const RoutingTable&) = delete;

  const Config& config() const noexcept { return config_; }

  /// Removes what a previous instance that did not exit cleanly left: rules at our priority
  /// that look up our table, every route in our table, and a TUN device named `device`
  /// (refuses to touch a device of that name that is not a TUN device).
  Result<void> removeStale(const std::string& device);
  /// Installs the two rules (IPv4 and IPv6).
  Result<void> installRules();
  /// Adds or replaces the route of `prefix` in our table.
  Result<void> setRoute(const IpPrefix& prefix, RouteType type, int ifindex,
                        const std::optional<IpAddress>& preferredSource);
  Result<void> removeRoute(const IpPrefix& prefix, RouteType type);
  /// Removes our rules and every route of our table (destruction; also what removeStale does).
  Result<void> removeAll();

 private:
  RoutingTable(nl_sock* socket, const Config& config) : socket_(socket), config_(config) {}
  Result<void> removeRules();
  Result<void> addRule(int family, std::uint32_t priority, std::uint32_t table, bool invertedMark,
                       std::uint16_t udpSourcePort);
  Result<void> flushTable();

  nl_sock* socket_;
  Config config_;
};

}  // namespace ikemesh::tun
