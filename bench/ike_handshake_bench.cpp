// SPDX-License-Identifier: GPL-2.0-or-later
// Full IKEv2 handshakes per second in one process: IKE_SA_INIT + IKE_AUTH with NULL auth,
// Curve25519 and AES-GCM-16, both CHILD SA directions handed to a recording dataplane. Both
// engines and their "worker" jobs run on this one thread, so the figure is the cost of both
// peers' work on one core.
//
//   ike_handshake_bench [handshakes]     (default 500)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>

#include "NullAuthPlugin.hpp"
#include "RecordingDataplane.hpp"
#include "VirtualTimeHost.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "util/NssContext.hpp"

namespace {

using namespace ikemesh;

struct Wire final : ike::IkeTransport {
  struct Datagram {
    ike::Endpoint from, to;
    std::vector<std::uint8_t> bytes;
  };
  void send(const ike::Endpoint& local, const ike::Endpoint& remote,
            std::span<const std::uint8_t> m) override {
    queue.push_back({local, remote, {m.begin(), m.end()}});
  }
  std::deque<Datagram> queue;
};

struct Peer final : ike::EngineDelegate {
  Peer(testkit::VirtualClock& clock, Wire& wire, const char* name, std::uint32_t firstSpi)
      : host(clock, name), recorder(firstSpi), plugin(host), engine(host, wire, *this) {
    connection.name = "private";
    connection.ikeProposals = "aes_gcm256-sha2_256;dh31";
    connection.espProposals = "aes_gcm256";
  }
  std::optional<ike::ConnectionView> connectionFor(const ike::Endpoint&, const ike::Endpoint&) override {
    return connection;
  }
  ikemesh::AuthMethod* authMethod(const ike::ConnectionView&, std::string_view feature) override {
    return plugin.authMethod(feature);
  }
  Dataplane* dataplane(const ike::ConnectionView&) override { return &recorder; }
  void childSaUp(const ike::ChildSaInfo&) override { ++children; }

  testkit::VirtualTimeHost host;
  testkit::RecordingDataplane recorder;
  authnull::NullAuthPlugin plugin;
  ike::ConnectionView connection;
  std::size_t children = 0;
  ike::IkeEngine engine;
};

}  // namespace

int main(int argc, char** argv) {
  const long handshakes = argc > 1 ? std::atol(argv[1]) : 500;
  auto nss = NssContext::initWithoutDatabase();
  if (!nss) {
    std::fprintf(stderr, "%s\n", nss.error().message.c_str());
    return 1;
  }
  testkit::VirtualClock clock;
  Wire wire;
  Peer a(clock, wire, "a", 0x1000), b(clock, wire, "b", 0x80000000);
  const ike::Endpoint ea{*IpAddress::parse("192.0.2.1"), 500}, eb{*IpAddress::parse("198.51.100.2"), 500};
  auto settle = [&] {
    for (;;) {
      clock.runPosted();
      if (wire.queue.empty()) return;
      auto d = std::move(wire.queue.front());
      wire.queue.pop_front();
      (d.to == eb ? b : a).engine.receive(d.bytes, d.from, d.to);
    }
  };
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < handshakes; ++i) {
    if (!a.engine.initiate(a.connection, ea, eb)) return 1;
    settle();
    a.engine.clear();
    b.engine.clear();
    a.recorder.installed.clear();
    b.recorder.installed.clear();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (a.children != static_cast<std::size_t>(handshakes) ||
      b.children != static_cast<std::size_t>(handshakes)) {
    std::fprintf(stderr, "only %zu/%zu of %ld handshakes completed\n", a.children, b.children, handshakes);
    return 1;
  }
  std::printf(
      "ike_handshake_bench: %ld handshakes (NULL auth, Curve25519, AES-GCM-16-256) in %.3f s: %.1f "
      "handshakes/s\n",
      handshakes, elapsed.count(), handshakes / elapsed.count());
  return 0;
}
