// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes kernel-tun's handling of untrusted packets: ESP decapsulation (EspSa::decapsulate, in
// place, as the receiver thread does) and the IP header parser (PacketHeaders::parse). Input:
//   octet 0: bits 0-1 pick the transform, bit 2 tunnel/transport mode, bit 3 ESN, bit 4 the mode
//            below;
//   rest:    the packet.
// Mode 0 decapsulates the bytes as received on a fresh inbound SA: it must fail cleanly (or,
// for the rare authentic packet, stay inside the buffer). Mode 1 encapsulates the bytes as a
// payload with the matching outbound SA, then decapsulates that and aborts unless the round trip
// gives back the same octets, so the code after a successful ICV check is fuzzed too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "EspSa.hpp"
#include "PacketHeaders.hpp"
#include "util/NssContext.hpp"

using namespace ikemesh;
using namespace ikemesh::tun;

namespace {

struct Transform {
  EncryptionId encryption;
  std::size_t keyLength;
  IntegrityId integrity;
  std::size_t integrityKeyLength;
};

constexpr Transform kTransforms[] = {
    {EncryptionId::AesGcm16, 20, IntegrityId::None, 0},
    {EncryptionId::AesGcm16, 36, IntegrityId::None, 0},
    {EncryptionId::AesCbc, 16, IntegrityId::HmacSha2_256_128, 32},
    {EncryptionId::AesCbc, 32, IntegrityId::HmacSha2_512_256, 64},
};

SaParams paramsFor(std::uint8_t selector, SaDirection direction) {
  const Transform& t = kTransforms[selector & 3];
  SaParams p;
  p.ref = SaRef{0x12345678, *IpAddress::parse("192.0.2.2")};
  p.source = *IpAddress::parse("192.0.2.1");
  p.direction = direction;
  p.mode = (selector & 4) ? IpsecMode::Transport : IpsecMode::Tunnel;
  p.extendedSequenceNumbers = (selector & 8) != 0;
  p.encryption = t.encryption;
  p.encryptionKey.assign(t.keyLength, 0x42);
  p.integrity = t.integrity;
  p.integrityKey.assign(t.integrityKeyLength, 0x24);
  p.encapsulation = UdpEncapsulation{};
  return p;
}

NssContext& nss() {
  static NssContext* context = [] {
    auto created = NssContext::initWithoutDatabase();
    if (!created) std::abort();
    return created->release();
  }();
  return *context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)nss();
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  std::span<const std::uint8_t> body(data + 1, size - 1);
  (void)PacketHeaders::parse(body);

  auto inbound = EspSa::create(paramsFor(selector, SaDirection::Inbound));
  if (!inbound) std::abort();
  if (!(selector & 16)) {
    std::vector<std::uint8_t> packet(body.begin(), body.end());
    auto result = (*inbound)->decapsulate(packet);
    if (result.status == EspStatus::Ok && result.payloadOffset + result.payloadLength > packet.size())
      std::abort();
    return 0;
  }
  auto outbound = EspSa::create(paramsFor(selector, SaDirection::Outbound));
  if (!outbound) std::abort();
  // Tunnel mode needs an inner packet whose version matches the next header.
  std::vector<std::uint8_t> payload(body.begin(), body.end());
  std::uint8_t nextHeader = 17;
  if ((*outbound)->mode() == IpsecMode::Tunnel) {
    if (payload.empty()) payload.push_back(0x45);
    payload[0] = static_cast<std::uint8_t>((payload[0] & 0x0f) | 0x40);
    nextHeader = 4;
  }
  if (payload.size() > 0xffff) return 0;  // more than an IP packet can carry
  std::vector<std::uint8_t> packet((*outbound)->encapsulatedLength(payload.size()));
  auto sealed = (*outbound)->encapsulate(payload, nextHeader, packet);
  if (sealed.status != EspStatus::Ok || sealed.length != packet.size()) std::abort();
  auto opened = (*inbound)->decapsulate(packet);
  if (opened.status != EspStatus::Ok || opened.nextHeader != nextHeader ||
      opened.payloadLength != payload.size() ||
      (!payload.empty() &&
       std::memcmp(packet.data() + opened.payloadOffset, payload.data(), payload.size()) != 0))
    std::abort();
  return 0;
}
