// SPDX-License-Identifier: GPL-2.0-or-later
// Part of the SDK test kit (installed with the headers; standard library only).
//
// The contract checks every Dataplane passes, through its interface only: ids, SPIs, SAs,
// counters and errors, as the core relies on them. A dataplane that touches the kernel must
// run them where it may (a network namespace of the test's own, as root).
//
//   CountingEvents events;  // outlives the dataplane, which keeps a pointer to it
//   auto failures = checkDataplaneConformance(*plugin.dataplane("dataplane.my"), host, setup, events);
//   EXPECT_TRUE(failures.empty()) << joinFailures(failures);
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <ikemesh/dataplane.hpp>
#include <ikemesh/testkit/Failures.hpp>
#include <ikemesh/testkit/FakeHost.hpp>

namespace ikemesh::testkit {

/// Where the checks pretend to be: our address and a peer's, on a link the dataplane can use.
struct DataplaneSetup {
  IpAddress local;
  IpAddress peer;
  /// Whether the dataplane needs ESP in UDP (RFC 3948): SAs are then installed with it.
  bool udpEncapsulation = false;
};

/// Counts what a dataplane reports (the checks expect nothing). It must outlive the
/// dataplane, which keeps a pointer to it.
struct CountingEvents final : DataplaneEvents {
  void acquire(const Acquire&) override { ++acquires; }
  void expired(const SaRef&, bool) override { ++expiries; }
  void error(const std::string& message) override { errors.push_back(message); }
  int acquires = 0;
  int expiries = 0;
  std::vector<std::string> errors;
};

/// Runs the checks; one line per failed check (empty: conformant). Sets `events` as the
/// dataplane's events.
inline std::vector<std::string> checkDataplaneConformance(Dataplane& dataplane, FakeHost& host,
                                                          const DataplaneSetup& setup,
                                                          CountingEvents& events) {
  std::vector<std::string> failures;
  auto fail = [&](std::string what) { failures.push_back(std::move(what)); };
  dataplane.setEvents(&events);
  const auto local = IpPrefix::host(setup.local);
  const auto peer = IpPrefix::host(setup.peer);

  // Policies: non-zero, distinct ids; removed once; an unknown id is an error with a message.
  std::set<PolicyId> ids;
  auto trap = dataplane.installTrap({"conformance", local, peer, 0, 0, 0});
  if (!trap)
    fail("installTrap() failed: " + trap.error().message);
  else
    ids.insert(*trap);
  for (auto action : {ShuntAction::Pass, ShuntAction::Drop}) {
    auto shunt = dataplane.installShunt({"conformance", local, peer, 0, 0, 0}, action);
    if (!shunt)
      fail("installShunt(" + std::string(action == ShuntAction::Pass ? "pass" : "drop") +
           ") failed: " + shunt.error().message);
    else if (*shunt == 0 || !ids.insert(*shunt).second)
      fail("installShunt() gave id " + std::to_string(*shunt) + ", zero or already used");
  }
  // Protocol and port selectors (policy file lines like "10.15.0.0/16 udp 0 53"): supported,
  // or refused with a message that says so; never silently widened.
  if (auto ports = dataplane.installShunt({"conformance", local, peer, 17, 0, 53}, ShuntAction::Pass);
      ports) {
    if (*ports == 0 || !ids.insert(*ports).second)
      fail("installShunt() with ports gave id " + std::to_string(*ports) + ", zero or already used");
  } else if (ports.error().message.empty()) {
    fail("installShunt() with protocol and ports was refused without a message");
  }
  if (ids.contains(0)) fail("a policy got id 0");
  for (PolicyId id : ids) {
    if (auto removed = dataplane.removePolicy(id); !removed)
      fail("removePolicy(" + std::to_string(id) + ") failed: " + removed.error().message);
    if (auto again = dataplane.removePolicy(id); again)
      fail("removePolicy(" + std::to_string(id) + ") succeeded twice");
    else if (again.error().message.empty())
      fail("removePolicy() of a removed id failed without a message");
  }
  if (dataplane.removePolicy(0)) fail("removePolicy(0) succeeded");

  // SPIs: never 0-255 (RFC 4303 §2.1), distinct.
  std::set<std::uint32_t> spis;
  for (int i = 0; i < 64; ++i) {
    auto spi = dataplane.allocateSpi(setup.peer, setup.local);
    if (!spi) {
      fail("allocateSpi() failed: " + spi.error().message);
      break;
    }
    if (*spi < 256) fail("allocateSpi() gave " + std::to_string(*spi) + ", reserved by RFC 4303 §2.1");
    if (!spis.insert(*spi).second) fail("allocateSpi() gave " + std::to_string(*spi) + " twice");
  }

  // SAs: one CHILD_SA (both directions) with AES-GCM-16/128; fresh counters; deleted once.
  auto sa = [&](SaDirection direction, std::uint32_t spi) {
    SaParams params;
    params.direction = direction;
    params.ref = {spi, direction == SaDirection::Inbound ? setup.local : setup.peer};
    params.source = direction == SaDirection::Inbound ? setup.peer : setup.local;
    params.encryptionKey.assign(20, 0x42);  // 16 octets of key, 4 of salt (RFC 4106 §8.1)
    if (setup.udpEncapsulation) params.encapsulation = UdpEncapsulation{};
    params.localSelectors = {TrafficSelector::forHost(setup.local)};
    params.remoteSelectors = {TrafficSelector::forHost(setup.peer)};
    params.reqid = 7;
    params.connection = "conformance";
    return params;
  };
  const auto before = std::chrono::system_clock::now() - std::chrono::seconds(5);
  const std::uint32_t inboundSpi = spis.empty() ? 0x1000 : *spis.begin();
  std::vector<SaParams> pair = {sa(SaDirection::Inbound, inboundSpi), sa(SaDirection::Outbound, 0x2000)};
  for (const auto& params : pair) {
    const std::string name = params.direction == SaDirection::Inbound ? "inbound SA" : "outbound SA";
    if (auto added = dataplane.addSa(params); !added) {
      fail("addSa(" + name + ") failed: " + added.error().message);
      continue;
    }
    auto counters = dataplane.counters(params.ref);
    if (!counters)
      fail("counters(" + name + ") failed: " + counters.error().message);
    else if (counters->bytes != 0 || counters->packets != 0)
      fail("a new " + name + " counts " + std::to_string(counters->bytes) + " bytes");
    else if (counters->addTime < before || counters->addTime > std::chrono::system_clock::now())
      fail("a new " + name + "'s add time is not now");
  }
  for (const auto& params : pair) {
    const std::string name = params.direction == SaDirection::Inbound ? "inbound SA" : "outbound SA";
    if (auto deleted = dataplane.deleteSa(params.ref); !deleted)
      fail("deleteSa(" + name + ") failed: " + deleted.error().message);
    // A second delete may succeed (a kernel removes an SA itself at its hard lifetime, so
    // deleting what is gone is not an error there) or fail with a message; never crash.
    if (auto again = dataplane.deleteSa(params.ref); !again && again.error().message.empty())
      fail("deleteSa(" + name + ") of a deleted SA failed without a message");
    if (dataplane.counters(params.ref)) fail("counters() of a deleted " + name + " succeeded");
  }

  // A key of the wrong length is refused with a message, and nothing is installed.
  auto bad = sa(SaDirection::Outbound, 0x3000);
  bad.encryptionKey.resize(7);
  if (auto added = dataplane.addSa(bad); added)
    fail("addSa() accepted a 7-octet AES-GCM key");
  else if (added.error().message.empty())
    fail("addSa() refused a bad key without a message");
  if (dataplane.counters(bad.ref)) fail("an SA refused by addSa() has counters");

  host.runPosted();
  if (events.acquires || events.expiries || !events.errors.empty())
    fail("unexpected events: " + std::to_string(events.acquires) + " acquires, " +
         std::to_string(events.expiries) + " expiries, " + std::to_string(events.errors.size()) + " errors" +
         (events.errors.empty() ? "" : " (" + events.errors.front() + ")"));
  return failures;
}

}  // namespace ikemesh::testkit
