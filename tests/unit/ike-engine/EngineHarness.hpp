// SPDX-License-Identifier: GPL-2.0-or-later
// Two IkeEngine instances in one process (strongSwan's exchange_test_helper idea): an in-memory
// network that can drop, duplicate, hold back and reorder datagrams, one virtual clock, the
// real auth-null plugin, and a RecordingDataplane per node.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "NullAuthPlugin.hpp"
#include "RecordingDataplane.hpp"
#include "VirtualTimeHost.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "ike/message/MessageDecoder.hpp"
#include "util/NssContext.hpp"

namespace ikemesh::testkit {

using ike::ConnectionView;
using ike::Endpoint;
using ike::IkeEngine;

/// One datagram on the in-memory network, with what the tests filter on.
struct Datagram {
  Endpoint from;
  Endpoint to;
  std::vector<std::uint8_t> bytes;

  std::optional<ike::IkeHeader> header() const {
    auto h = ike::decodeHeader(bytes);
    if (!h) return std::nullopt;
    return *h;
  }
  bool is(ike::ExchangeType type, bool response) const {
    auto h = header();
    return h && h->exchangeType == type && h->response == response;
  }
};

/// What the network does with one datagram.
enum class Fate { Deliver, Drop, Duplicate, Hold };

class InMemoryNetwork {
 public:
  explicit InMemoryNetwork(VirtualClock& clock) : clock_(clock) {}

  class Port final : public ike::IkeTransport {
   public:
    explicit Port(InMemoryNetwork& network) : network_(network) {}
    void send(const Endpoint& local, const Endpoint& remote, std::span<const std::uint8_t> message) override {
      network_.queue_.push_back({local, remote, {message.begin(), message.end()}});
      ++network_.sent;
    }

   private:
    InMemoryNetwork& network_;
  };

  void attach(const IpAddress& address, IkeEngine* engine) { nodes_[address] = engine; }
  /// Decides each datagram's fate; nullptr delivers everything.
  std::function<Fate(const Datagram&)> filter;

  /// Delivers datagrams and runs posted work until nothing moves.
  void settle() {
    for (;;) {
      clock_.runPosted();
      if (queue_.empty()) return;
      auto datagram = std::move(queue_.front());
      queue_.pop_front();
      const Fate fate = filter ? filter(datagram) : Fate::Deliver;
      switch (fate) {
        case Fate::Drop: ++dropped; break;
        case Fate::Hold: held.push_back(std::move(datagram)); break;
        case Fate::Duplicate: deliver(datagram); [[fallthrough]];
        case Fate::Deliver: deliver(datagram); break;
      }
    }
  }
  /// Advances virtual time by `duration`, firing due timers and settling after each.
  void advance(std::chrono::milliseconds duration) {
    const auto deadline = clock_.now() + duration;
    settle();
    while (clock_.fireNextTimer(deadline)) settle();
    clock_.setNow(deadline);
  }
  /// Delivers the held datagrams, in reverse order when `reversed`, then settles.
  void releaseHeld(bool reversed) {
    auto batch = std::move(held);
    held.clear();
    if (reversed) std::reverse(batch.begin(), batch.end());
    for (auto& datagram : batch) deliver(datagram);
    settle();
  }

  std::vector<Datagram> held;
  std::size_t sent = 0;
  std::size_t dropped = 0;

 private:
  void deliver(const Datagram& datagram) {
    auto node = nodes_.find(datagram.to.address);
    if (node != nodes_.end()) node->second->receive(datagram.bytes, datagram.from, datagram.to);
  }
  VirtualClock& clock_;
  std::deque<Datagram> queue_;
  std::map<IpAddress, IkeEngine*> nodes_;
};

/// One peer: its engine, plugin, dataplane and what the engine reported.
class Node final : public ike::EngineDelegate {
 public:
  Node(VirtualClock& clock, InMemoryNetwork& network, const std::string& name, const std::string& address,
       std::uint32_t firstSpi, ike::EngineSettings settings = {})
      : host(clock, name),
        recorder(firstSpi),
        plugin(host),
        port(network),
        endpoint{*IpAddress::parse(address), 500},
        engine(host, port, *this, settings) {
    connection.name = "private";
    network.attach(endpoint.address, &engine);
  }

  std::optional<ConnectionView> connectionFor(const Endpoint&, const Endpoint&) override {
    if (refusePeers) return std::nullopt;
    return connection;
  }
  std::optional<ConnectionView> connectionForSelectors(
      const ConnectionView&, const Endpoint&, const Endpoint&, const std::vector<TrafficSelector>& offeredI,
      const std::vector<TrafficSelector>& offeredR) override {
    offeredSelectors = {offeredI, offeredR};
    return bySelectors;
  }
  ikemesh::AuthMethod* authMethod(const ConnectionView&, std::string_view feature) override {
    if (authOverride) return authOverride;
    return plugin.authMethod(feature);
  }
  Dataplane* dataplane(const ConnectionView&) override { return &recorder; }
  void ikeSaEstablished(const ike::IkeSaInfo& sa) override { established.push_back(sa); }
  void ikeSaDeleted(const ike::IkeSaInfo& sa, const std::string& reason) override {
    deleted.push_back({sa, reason});
  }
  void childSaUp(const ike::ChildSaInfo& child) override { childrenUp.push_back(child); }
  void childSaDown(const ike::ChildSaInfo& child, const std::string& reason) override {
    childrenDown.push_back({child, reason});
  }
  void initiationFailed(const std::string&, const Endpoint&, const std::string& reason) override {
    failures.push_back(reason);
  }

  std::size_t establishedIkeSas() const {
    std::size_t n = 0;
    for (const auto& sa : engine.ikeSas()) n += sa.established ? 1 : 0;
    return n;
  }

  VirtualTimeHost host;
  RecordingDataplane recorder;
  authnull::NullAuthPlugin plugin;
  InMemoryNetwork::Port port;
  Endpoint endpoint;
  ConnectionView connection;
  bool refusePeers = false;
  /// What connectionForSelectors answers at IKE_AUTH (nullopt keeps `connection`), and what it was asked.
  std::optional<ConnectionView> bySelectors;
  std::pair<std::vector<TrafficSelector>, std::vector<TrafficSelector>> offeredSelectors;
  ikemesh::AuthMethod* authOverride = nullptr;  ///< used instead of the plugin when set
  std::vector<ike::IkeSaInfo> established;
  std::vector<std::pair<ike::IkeSaInfo, std::string>> deleted;
  std::vector<ike::ChildSaInfo> childrenUp;
  std::vector<std::pair<ike::ChildSaInfo, std::string>> childrenDown;
  std::vector<std::string> failures;
  IkeEngine engine;  // last: destroyed first, while everything it reports to still lives
};

/// The fixture: node `a` (192.0.2.1) and node `b` (198.51.100.2) on one network.
class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!nss_) {
      auto context = NssContext::initWithoutDatabase();
      ASSERT_TRUE(context) << context.error().message;
      nss_ = std::move(*context).release();
    }
  }

  explicit EngineTest(ike::EngineSettings settingsA = {}, ike::EngineSettings settingsB = {})
      : network(clock),
        a(clock, network, "a", "192.0.2.1", 0xa0000100, settingsA),
        b(clock, network, "b", "198.51.100.2", 0xb0000100, settingsB) {}

  /// a initiates to b and the network settles.
  ike::IkeSaSerial connect() {
    auto serial = a.engine.initiate(a.connection, a.endpoint, b.endpoint);
    EXPECT_TRUE(serial) << (serial ? "" : serial.error().message);
    network.settle();
    return serial ? *serial : 0;
  }

  VirtualClock clock;
  InMemoryNetwork network;
  Node a;
  Node b;

 private:
  static inline NssContext* nss_ = nullptr;  // NSS stays up for the whole test program
};

}  // namespace ikemesh::testkit
