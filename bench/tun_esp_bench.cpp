// SPDX-License-Identifier: GPL-2.0-or-later
// kernel-tun ESP fast path on one core: encapsulate (in place, as the transmitter does) and
// decapsulate (in place, as the receiver does) 1424-octet tunnel-mode packets, per transform.
// Encrypt+decrypt per packet, so Gbit/s is what one core can carry in ONE direction when it
// does both ends' work; then the memory of one tunnel's SAs, and the rate of the Internet
// checksum the offloads compute over every segment. Run: build/bench/tun_esp_bench [seconds per row]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include <malloc.h>

#include "EspSa.hpp"
#include "InternetChecksum.hpp"
#include "util/NssContext.hpp"

using namespace ikemesh;
using namespace ikemesh::tun;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kPacket = 1424;

struct Transform {
  const char* name;
  EncryptionId encryption;
  std::size_t keyLength;
  IntegrityId integrity;
  std::size_t integrityKeyLength;
};

SaParams paramsFor(const Transform& t, SaDirection direction) {
  SaParams p;
  p.ref = SaRef{0x12345678, *IpAddress::parse("192.0.2.2")};
  p.source = *IpAddress::parse("192.0.2.1");
  p.direction = direction;
  p.mode = IpsecMode::Tunnel;
  p.encryption = t.encryption;
  p.encryptionKey.assign(t.keyLength, 0x42);
  p.integrity = t.integrity;
  p.integrityKey.assign(t.integrityKeyLength, 0x24);
  p.encapsulation = UdpEncapsulation{};
  p.replayWindow = 1024;
  return p;
}

/// Octets allocated from the heap and still in use (NSS allocates with malloc too).
std::size_t heapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

/// Memory of one tunnel's ESP state (an inbound and an outbound SA: the NSS key objects and
/// contexts, the replay window): the heap growth over `pairs` SA pairs, per pair. (NSS's
/// softoken keeps a key object of about 6 KB, its attribute slots, for every context.)
bool printMemoryPerSaPair(const Transform& t, int pairs) {
  std::vector<std::unique_ptr<EspSa>> sas;
  sas.reserve(2 * static_cast<std::size_t>(pairs));
  const std::size_t before = heapInUse();
  for (int i = 0; i < pairs; ++i)
    for (auto direction : {SaDirection::Outbound, SaDirection::Inbound}) {
      auto params = paramsFor(t, direction);
      params.ref.spi = 0x10000 + static_cast<std::uint32_t>(sas.size());
      auto sa = EspSa::create(params);
      if (!sa) {
        std::fprintf(stderr, "%s: %s\n", t.name, sa.error().message.c_str());
        return false;
      }
      sas.push_back(std::move(*sa));
    }
  const std::size_t after = heapInUse();
  std::printf("%-34s %12d %12.0f\n", t.name, pairs, static_cast<double>(after - before) / pairs);
  return true;
}

/// GB/s of one checksum function over `octets`-octet runs, for `budget` seconds.
template <typename Sum>
double checksumRate(Sum sum, std::size_t octets, double budget) {
  std::vector<std::uint8_t> data(octets);
  for (std::size_t i = 0; i < octets; ++i) data[i] = static_cast<std::uint8_t>(i * 131 + 7);
  std::uint64_t sink = 0;
  std::size_t runs = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while ((elapsed = std::chrono::duration<double>(Clock::now() - start).count()) < budget) {
    for (int i = 0; i < 1024; ++i) sink += sum(std::span<const std::uint8_t>(data), sink & 1);
    runs += 1024;
  }
  if (sink == 42) std::printf(" ");  // keeps the sums from being optimised away
  return static_cast<double>(runs * octets) / elapsed / 1e9;
}

/// The checksum every GSO segment (transmitter) and every coalesced segment (receiver) needs
/// over its whole payload: the portable loop against add(), which uses AVX2 where it can.
void printChecksumRates(double budget) {
  std::printf("\nInternet checksum (RFC 1071) over a whole segment, one core\n");
  std::printf("%-34s %12s %12s\n", "octets", "portable GB/s", "add() GB/s");
  for (std::size_t octets : {std::size_t{1400}, std::size_t{65535}}) {
    const double portable = checksumRate(
        [](std::span<const std::uint8_t> d, std::uint64_t s) { return InternetChecksum::addPortable(d, s); },
        octets, budget / 4);
    const double dispatched = checksumRate(
        [](std::span<const std::uint8_t> d, std::uint64_t s) { return InternetChecksum::add(d, s); }, octets,
        budget / 4);
    std::printf("%-34zu %12.1f %12.1f\n", octets, portable, dispatched);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double budget = argc > 1 ? std::atof(argv[1]) : 1.0;
  auto nss = NssContext::initWithoutDatabase();
  if (!nss) {
    std::fprintf(stderr, "%s\n", nss.error().message.c_str());
    return 1;
  }
  const Transform transforms[] = {
      {"AES-GCM-16-128", EncryptionId::AesGcm16, 20, IntegrityId::None, 0},
      {"AES-GCM-16-256", EncryptionId::AesGcm16, 36, IntegrityId::None, 0},
      {"AES-CBC-128 + HMAC-SHA2-256-128", EncryptionId::AesCbc, 16, IntegrityId::HmacSha2_256_128, 32},
      {"AES-CBC-256 + HMAC-SHA2-512-256", EncryptionId::AesCbc, 32, IntegrityId::HmacSha2_512_256, 64},
  };
  std::printf("%zu-octet tunnel-mode packets, one core, encrypt + decrypt in place\n", kPacket);
  std::printf("%-34s %12s %12s %12s %10s\n", "transform", "encap ns", "decap ns", "both ns/pkt", "Gbit/s");
  for (const auto& t : transforms) {
    auto out = EspSa::create(paramsFor(t, SaDirection::Outbound));
    auto in = EspSa::create(paramsFor(t, SaDirection::Inbound));
    if (!out || !in) {
      std::fprintf(stderr, "%s: %s\n", t.name, (!out ? out.error() : in.error()).message.c_str());
      return 1;
    }
    std::vector<std::uint8_t> inner(kPacket, 0x5a);
    inner[0] = 0x45;
    std::vector<std::uint8_t> buffer(kPacket + 128);
    double encapSeconds = 0, decapSeconds = 0;
    std::size_t packets = 0;
    const auto start = Clock::now();
    while (std::chrono::duration<double>(Clock::now() - start).count() < budget) {
      for (int i = 0; i < 256; ++i) {
        // As the transmitter: the packet lies where its payload goes; encrypted in place.
        std::uint8_t* payload = buffer.data() + (*out)->headerLength();
        std::memcpy(payload, inner.data(), kPacket);
        const auto t0 = Clock::now();
        auto sealed = (*out)->encapsulate({payload, kPacket}, 4, buffer);
        const auto t1 = Clock::now();
        auto opened = (*in)->decapsulate({buffer.data(), sealed.length});
        const auto t2 = Clock::now();
        if (sealed.status != EspStatus::Ok || opened.status != EspStatus::Ok ||
            opened.payloadLength != kPacket) {
          std::fprintf(stderr, "%s: %s / %s\n", t.name, describe(sealed.status), describe(opened.status));
          return 1;
        }
        encapSeconds += std::chrono::duration<double>(t1 - t0).count();
        decapSeconds += std::chrono::duration<double>(t2 - t1).count();
        ++packets;
      }
    }
    const double encapNs = encapSeconds * 1e9 / static_cast<double>(packets);
    const double decapNs = decapSeconds * 1e9 / static_cast<double>(packets);
    const double bothNs = encapNs + decapNs;
    std::printf("%-34s %12.0f %12.0f %12.0f %10.2f\n", t.name, encapNs, decapNs, bothNs,
                kPacket * 8.0 / bothNs);
  }
  std::printf("\nmemory of one tunnel's ESP SAs (inbound + outbound, NSS objects included): heap growth\n");
  std::printf("%-34s %12s %12s\n", "transform", "SA pairs", "bytes/pair");
  // One transform only: the softoken reuses the objects freed by a previous row without
  // allocating, which would make later rows look smaller than they are.
  if (!printMemoryPerSaPair(transforms[0], 2000)) return 1;
  printChecksumRates(budget);
  return 0;
}
