// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes IkeEngine::receive(), the entry point of every datagram from the network.
// Each input is delivered twice:
//  1. to a fresh responder engine (IKE_SA_INIT handling: cookies, proposal selection, key
//     exchange with the peer's KE value, NAT detection, crossing checks);
//  2. to an engine with an established IKE SA, with the input's SPIs and I/R flags rewritten to
//     address that SA (message-ID windows, fragment reassembly, SK payload checks).
// The engine must reject bad input cleanly; sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <vector>

#include "NullAuthPlugin.hpp"
#include "RecordingDataplane.hpp"
#include "VirtualTimeHost.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "util/NssContext.hpp"

using namespace ikemesh;

namespace {

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
  Peer(testkit::VirtualClock& clock, Wire& wire, std::uint32_t firstSpi, ike::EngineSettings settings)
      : host(clock, "fuzz"), recorder(firstSpi), plugin(host), engine(host, wire, *this, settings) {
    connection.name = "private";
  }
  std::optional<ike::ConnectionView> connectionFor(const ike::Endpoint&, const ike::Endpoint&) override {
    return connection;
  }
  ikemesh::AuthMethod* authMethod(const ike::ConnectionView&, std::string_view feature) override {
    return plugin.authMethod(feature);
  }
  Dataplane* dataplane(const ike::ConnectionView&) override { return &recorder; }

  testkit::VirtualTimeHost host;
  testkit::RecordingDataplane recorder;
  authnull::NullAuthPlugin plugin;
  ike::ConnectionView connection;
  ike::IkeEngine engine;
};

const ike::Endpoint kA{*IpAddress::parse("192.0.2.1"), 500};
const ike::Endpoint kB{*IpAddress::parse("198.51.100.2"), 500};

void putSpi(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint64_t spi) {
  for (int i = 7; i >= 0; --i, spi >>= 8) bytes[offset + static_cast<std::size_t>(i)] = spi & 0xff;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto nss = NssContext::initWithoutDatabase();
  if (!nss) std::abort();
  const std::vector<std::uint8_t> input(data, data + size);
  testkit::VirtualClock clock;
  Wire wire;
  // Fragment size small enough for the reassembly paths; cookies on every other input.
  ike::EngineSettings settings{size % 2 ? 0u : 32u, 160, 32};
  Peer a(clock, wire, 0x1000, settings), b(clock, wire, 0x2000, settings);
  auto settle = [&] {
    for (int guard = 0; guard < 200; ++guard) {
      clock.runPosted();
      if (wire.queue.empty()) return;
      auto d = std::move(wire.queue.front());
      wire.queue.pop_front();
      (d.to.address == kB.address ? b : a).engine.receive(d.bytes, d.from, d.to);
    }
  };

  // 1. Straight to a responder without state.
  b.engine.receive(input, kA, kB);
  settle();
  b.engine.clear();
  settle();

  // 2. Against an established IKE SA.
  if (!a.engine.initiate(a.connection, kA, kB)) std::abort();
  settle();
  auto sas = b.engine.ikeSas();
  if (sas.size() != 1 || !sas[0].established) std::abort();  // the handshake itself must work
  if (input.size() >= 28) {
    auto patched = input;
    putSpi(patched, 0, sas[0].initiatorSpi);
    putSpi(patched, 8, sas[0].responderSpi);
    patched[19] |= 0x08;  // I flag: from the original initiator (a)
    b.engine.receive(patched, kA, kB);
    settle();
  }
  return 0;
}
