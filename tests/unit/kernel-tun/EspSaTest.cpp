// SPDX-License-Identifier: GPL-2.0-or-later
// ESP processing of one SA: known-answer vectors computed independently (vectors/esp_vectors.py),
// anti-replay, integrity, padding, sequence numbers, lifetimes and counters.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "EspSa.hpp"
#include "EspVectors.hpp"

using namespace ikemesh;
using namespace ikemesh::tun;
using namespace esp_vectors;

namespace {

SaParams gcmParams(SaDirection direction, std::uint32_t spi, const std::vector<std::uint8_t>& key,
                   IpsecMode mode = IpsecMode::Tunnel) {
  SaParams params;
  params.ref.spi = spi;
  params.ref.destination = *IpAddress::parse("198.51.100.2");
  params.source = *IpAddress::parse("192.0.2.1");
  params.direction = direction;
  params.mode = mode;
  params.encryption = EncryptionId::AesGcm16;
  params.encryptionKey = key;
  params.encapsulation = UdpEncapsulation{};
  return params;
}

SaParams cbcParams(SaDirection direction, IntegrityId integrity,
                   const std::vector<std::uint8_t>& integrityKey, IpsecMode mode) {
  SaParams params = gcmParams(direction, 0xABCDEF01, kCbcKey, mode);
  params.encryption = EncryptionId::AesCbc;
  params.integrity = integrity;
  params.integrityKey = integrityKey;
  return params;
}

std::unique_ptr<EspSa> make(const SaParams& params) {
  auto sa = EspSa::create(params);
  EXPECT_TRUE(sa.ok()) << (sa.ok() ? "" : sa.error().message);
  return sa.ok() ? std::move(*sa) : nullptr;
}

std::vector<std::uint8_t> seal(EspSa& sa, const std::vector<std::uint8_t>& payload, std::uint8_t nextHeader) {
  std::vector<std::uint8_t> out(sa.encapsulatedLength(payload.size()));
  auto result = sa.encapsulate(payload, nextHeader, out);
  EXPECT_EQ(result.status, EspStatus::Ok) << describe(result.status);
  out.resize(result.length);
  return out;
}

std::vector<std::uint8_t> open(EspSa& sa, std::vector<std::uint8_t> packet,
                               EspStatus expected = EspStatus::Ok) {
  auto result = sa.decapsulate(packet);
  EXPECT_EQ(result.status, expected) << describe(result.status);
  if (result.status != EspStatus::Ok) return {};
  return {packet.begin() + static_cast<std::ptrdiff_t>(result.payloadOffset),
          packet.begin() + static_cast<std::ptrdiff_t>(result.payloadOffset + result.payloadLength)};
}

}  // namespace

TEST(EspSa, AesGcm128TunnelModeMatchesTheIndependentVector) {
  auto sa = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(sa);
  EXPECT_EQ(seal(*sa, kInnerPacket, 4), kGcm128Tunnel);  // sequence 1, IV = sequence
}

TEST(EspSa, AesGcm128TunnelModeVectorDecapsulatesToTheInnerPacket) {
  auto sa = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(sa);
  auto packet = kGcm128Tunnel;
  auto result = sa->decapsulate(packet);
  ASSERT_EQ(result.status, EspStatus::Ok) << describe(result.status);
  EXPECT_EQ(result.nextHeader, 4);
  EXPECT_EQ(result.sequence, 1u);
  EXPECT_EQ(std::vector<std::uint8_t>(packet.begin() + 16, packet.begin() + 16 + 68), kInnerPacket);
  EXPECT_EQ(result.payloadOffset, 16u);
  EXPECT_EQ(result.payloadLength, kInnerPacket.size());
}

TEST(EspSa, AesGcm256TransportModeMatchesTheIndependentVector) {
  auto out = make(gcmParams(SaDirection::Outbound, 0x1000, kGcm256Key, IpsecMode::Transport));
  auto in = make(gcmParams(SaDirection::Inbound, 0x1000, kGcm256Key, IpsecMode::Transport));
  ASSERT_TRUE(out && in);
  EXPECT_EQ(seal(*out, kTransportPayload, 17), kGcm256Transport);
  EXPECT_EQ(open(*in, kGcm256Transport), kTransportPayload);
}

TEST(EspSa, AesGcmWithEsnPutsTheHighHalfInTheAadOnly) {
  auto params = gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key);
  params.extendedSequenceNumbers = true;
  auto sa = make(params);
  ASSERT_TRUE(sa);
  sa->skipToSequence((std::uint64_t{5} << 32) | 7);
  EXPECT_EQ(seal(*sa, kInnerPacket, 4), kGcm128TunnelEsn);
}

TEST(EspSa, AesCbcHmacSha256TunnelModeMatchesTheIndependentVector) {
  auto out =
      make(cbcParams(SaDirection::Outbound, IntegrityId::HmacSha2_256_128, kSha256Key, IpsecMode::Tunnel));
  auto in =
      make(cbcParams(SaDirection::Inbound, IntegrityId::HmacSha2_256_128, kSha256Key, IpsecMode::Tunnel));
  ASSERT_TRUE(out && in);
  std::vector<std::uint8_t> iv(kCbcSha256Tunnel.begin() + 8, kCbcSha256Tunnel.begin() + 24);
  std::vector<std::uint8_t> packet(out->encapsulatedLength(kInnerPacket.size()));
  auto result = out->encapsulateWithIv(iv, kInnerPacket, 4, packet);
  ASSERT_EQ(result.status, EspStatus::Ok);
  packet.resize(result.length);
  EXPECT_EQ(packet, kCbcSha256Tunnel);
  EXPECT_EQ(open(*in, kCbcSha256Tunnel), kInnerPacket);
}

TEST(EspSa, AesCbcHmacSha512WithEsnAppendsTheHighHalfToTheIcvInput) {
  auto params =
      cbcParams(SaDirection::Outbound, IntegrityId::HmacSha2_512_256, kSha512Key, IpsecMode::Transport);
  params.extendedSequenceNumbers = true;
  auto sa = make(params);
  ASSERT_TRUE(sa);
  sa->skipToSequence((std::uint64_t{5} << 32) | 7);
  std::vector<std::uint8_t> iv(kCbcSha512TransportEsn.begin() + 8, kCbcSha512TransportEsn.begin() + 24);
  std::vector<std::uint8_t> packet(sa->encapsulatedLength(kTransportPayload.size()));
  auto result = sa->encapsulateWithIv(iv, kTransportPayload, 6, packet);
  ASSERT_EQ(result.status, EspStatus::Ok);
  packet.resize(result.length);
  EXPECT_EQ(packet, kCbcSha512TransportEsn);
}

TEST(EspSa, AesCbcRandomIvsRoundTrip) {
  auto out = make(cbcParams(SaDirection::Outbound, IntegrityId::HmacSha2_384_192,
                            std::vector<std::uint8_t>(48, 0x33), IpsecMode::Tunnel));
  auto in = make(cbcParams(SaDirection::Inbound, IntegrityId::HmacSha2_384_192,
                           std::vector<std::uint8_t>(48, 0x33), IpsecMode::Tunnel));
  ASSERT_TRUE(out && in);
  auto first = seal(*out, kInnerPacket, 4);
  auto second = seal(*out, kInnerPacket, 4);
  EXPECT_NE(std::vector<std::uint8_t>(first.begin() + 8, first.begin() + 24),
            std::vector<std::uint8_t>(second.begin() + 8, second.begin() + 24));
  EXPECT_EQ(open(*in, first), kInnerPacket);
  EXPECT_EQ(open(*in, second), kInnerPacket);
}

TEST(EspSa, EncapsulationInPlaceGivesTheSameBytes) {
  auto sa = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(sa);
  std::vector<std::uint8_t> buffer(sa->encapsulatedLength(kInnerPacket.size()));
  std::copy(kInnerPacket.begin(), kInnerPacket.end(), buffer.begin() + static_cast<long>(sa->headerLength()));
  auto result =
      sa->encapsulate(std::span(buffer).subspan(sa->headerLength(), kInnerPacket.size()), 4, buffer);
  ASSERT_EQ(result.status, EspStatus::Ok);
  EXPECT_EQ(buffer, kGcm128Tunnel);
}

TEST(EspSa, OutputBufferTooSmallIsRefused) {
  auto sa = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(sa);
  std::vector<std::uint8_t> out(sa->encapsulatedLength(kInnerPacket.size()) - 1);
  EXPECT_EQ(sa->encapsulate(kInnerPacket, 4, out).status, EspStatus::BufferTooSmall);
}

TEST(EspSa, PaddingAlignsToFourOctetsForGcmAndSixteenForCbc) {
  auto gcm = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  auto cbc =
      make(cbcParams(SaDirection::Outbound, IntegrityId::HmacSha2_256_128, kSha256Key, IpsecMode::Tunnel));
  ASSERT_TRUE(gcm && cbc);
  for (std::size_t n = 0; n < 40; ++n) {
    EXPECT_EQ((gcm->encapsulatedLength(n) - 16 - 16) % 4, 0u);
    EXPECT_GE(gcm->encapsulatedLength(n) - 16 - 16, n + 2);
    EXPECT_LE(gcm->encapsulatedLength(n) - 16 - 16, n + 2 + 3);
    EXPECT_EQ((cbc->encapsulatedLength(n) - 24 - 16) % 16, 0u);
    EXPECT_LE(cbc->encapsulatedLength(n) - 24 - 16, n + 2 + 15);
  }
}

TEST(EspSa, DuplicatePacketIsDroppedAndCounted) {
  auto out = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(out && in);
  auto packet = seal(*out, kInnerPacket, 4);
  EXPECT_EQ(open(*in, packet), kInnerPacket);
  open(*in, packet, EspStatus::Replayed);
  EXPECT_EQ(in->counters().replayErrors, 1u);
  EXPECT_EQ(in->counters().packets, 1u);
}

TEST(EspSa, PacketOlderThanTheWindowIsDroppedAndCounted) {
  auto params = gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key);
  params.replayWindow = 1024;
  auto in = make(params);
  auto out = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(out && in);
  auto old = seal(*out, kInnerPacket, 4);  // sequence 1
  out->skipToSequence(5000);
  open(*in, seal(*out, kInnerPacket, 4));
  open(*in, old, EspStatus::Replayed);
  EXPECT_EQ(in->counters().replayErrors, 1u);
}

TEST(EspSa, ReorderedPacketsWithinTheWindowAreAccepted) {
  auto out = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(out && in);
  std::vector<std::vector<std::uint8_t>> packets;
  for (int i = 0; i < 1100; ++i) packets.push_back(seal(*out, kInnerPacket, 4));
  // The newest first, then the 1023 before it in reverse: all within a 1024-packet window.
  for (std::size_t i = packets.size(); i-- > packets.size() - 1024;)
    EXPECT_EQ(open(*in, packets[i]), kInnerPacket);
  EXPECT_EQ(in->counters().packets, 1024u);
  EXPECT_EQ(in->counters().replayErrors, 0u);
}

TEST(EspSa, FlippedBitFailsAuthenticationAndIsCounted) {
  auto out = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(out && in);
  auto packet = seal(*out, kInnerPacket, 4);
  for (std::size_t byte : {std::size_t{5}, std::size_t{10}, std::size_t{40}, packet.size() - 1}) {
    auto forged = packet;
    forged[byte] ^= 0x01;
    open(*in, forged, EspStatus::IntegrityFailed);
  }
  EXPECT_EQ(in->counters().integrityErrors, 4u);
  EXPECT_EQ(in->counters().packets, 0u);
  // A forged packet must not move the window: the genuine one is still accepted.
  EXPECT_EQ(open(*in, packet), kInnerPacket);
}

TEST(EspSa, FlippedBitFailsAuthenticationWithCbcHmac) {
  auto out =
      make(cbcParams(SaDirection::Outbound, IntegrityId::HmacSha2_256_128, kSha256Key, IpsecMode::Tunnel));
  auto in =
      make(cbcParams(SaDirection::Inbound, IntegrityId::HmacSha2_256_128, kSha256Key, IpsecMode::Tunnel));
  ASSERT_TRUE(out && in);
  auto packet = seal(*out, kInnerPacket, 4);
  packet[30] ^= 0x80;
  open(*in, packet, EspStatus::IntegrityFailed);
  EXPECT_EQ(in->counters().integrityErrors, 1u);
}

TEST(EspSa, BadPaddingIsRejected) {
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(in);
  open(*in, kGcm128BadPadding, EspStatus::BadPadding);
}

TEST(EspSa, PadLengthBeyondThePlaintextIsRejected) {
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(in);
  open(*in, kGcm128PadTooLong, EspStatus::BadPadding);
}

TEST(EspSa, TunnelModeRefusesANextHeaderThatIsNotTheInnerIpVersion) {
  // A transport-mode sender with the same keys can produce an authentic packet that claims IPv6.
  auto out = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key, IpsecMode::Transport));
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key, IpsecMode::Tunnel));
  ASSERT_TRUE(out && in);
  open(*in, seal(*out, kInnerPacket, 41), EspStatus::BadNextHeader);
  open(*in, seal(*out, kTransportPayload, 17), EspStatus::BadNextHeader);
}

TEST(EspSa, DummyPacketIsDiscarded) {
  auto out = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key, IpsecMode::Transport));
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key, IpsecMode::Transport));
  ASSERT_TRUE(out && in);
  open(*in, seal(*out, {1, 2, 3}, 59), EspStatus::DummyPacket);
}

TEST(EspSa, TruncatedPacketIsRefused) {
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(in);
  open(*in, std::vector<std::uint8_t>(kGcm128Tunnel.begin(), kGcm128Tunnel.begin() + 33),
       EspStatus::TooShort);
  open(*in, {}, EspStatus::TooShort);
}

TEST(EspSa, SequenceNumberDoesNotCycleWithoutEsn) {
  auto sa = make(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(sa);
  sa->skipToSequence(0xffffffffu);
  seal(*sa, kInnerPacket, 4);
  std::vector<std::uint8_t> out(sa->encapsulatedLength(kInnerPacket.size()));
  auto result = sa->encapsulate(kInnerPacket, 4, out);
  EXPECT_EQ(result.status, EspStatus::SequenceExhausted);
  EXPECT_EQ(result.crossed, LifetimeCrossing::Hard);
  EXPECT_TRUE(sa->expired());
}

TEST(EspSa, EsnContinuesPastTwoToTheThirtyTwo) {
  auto params = gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key);
  params.extendedSequenceNumbers = true;
  auto sa = make(params);
  ASSERT_TRUE(sa);
  sa->skipToSequence(0xffffffffu);
  seal(*sa, kInnerPacket, 4);  // 0x00000000ffffffff
  auto next = seal(*sa, kInnerPacket, 4);
  EXPECT_EQ(std::vector<std::uint8_t>(next.begin() + 4, next.begin() + 8),
            (std::vector<std::uint8_t>{0, 0, 0, 0}));
  EXPECT_FALSE(sa->expired());
}

TEST(EspSa, EsnInboundRoundTripsWithTheInferredHighHalf) {
  auto outParams = gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key);
  outParams.extendedSequenceNumbers = true;
  auto inParams = gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key);
  inParams.extendedSequenceNumbers = true;
  auto out = make(outParams);
  auto in = make(inParams);
  ASSERT_TRUE(out && in);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(open(*in, seal(*out, kInnerPacket, 4)), kInnerPacket);
  EXPECT_EQ(in->counters().packets, 3u);
}

TEST(EspSa, PacketLifetimesAreReportedOnceEachAndTheHardOneStopsTheSa) {
  auto params = gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key);
  params.soft.packets = 2;
  params.hard.packets = 3;
  auto sa = make(params);
  ASSERT_TRUE(sa);
  std::vector<std::uint8_t> out(sa->encapsulatedLength(kInnerPacket.size()));
  EXPECT_EQ(sa->encapsulate(kInnerPacket, 4, out).crossed, LifetimeCrossing::None);
  EXPECT_EQ(sa->encapsulate(kInnerPacket, 4, out).crossed, LifetimeCrossing::Soft);
  EXPECT_EQ(sa->encapsulate(kInnerPacket, 4, out).crossed, LifetimeCrossing::Hard);
  EXPECT_EQ(sa->encapsulate(kInnerPacket, 4, out).status, EspStatus::Expired);
}

TEST(EspSa, ByteLifetimeCountsPayloadOctets) {
  auto params = gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key);
  params.soft.bytes = kInnerPacket.size() * 2;
  auto sa = make(params);
  ASSERT_TRUE(sa);
  std::vector<std::uint8_t> out(sa->encapsulatedLength(kInnerPacket.size()));
  EXPECT_EQ(sa->encapsulate(kInnerPacket, 4, out).crossed, LifetimeCrossing::None);
  EXPECT_EQ(sa->encapsulate(kInnerPacket, 4, out).crossed, LifetimeCrossing::Soft);
  EXPECT_EQ(sa->encapsulate(kInnerPacket, 4, out).crossed, LifetimeCrossing::None);
}

TEST(EspSa, TimeLifetimesAreReportedByTheClock) {
  auto params = gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key);
  params.soft.time = std::chrono::seconds(5);
  params.hard.time = std::chrono::seconds(20);
  const auto added = std::chrono::system_clock::time_point(std::chrono::hours(1000));
  auto sa = EspSa::create(params, added);
  ASSERT_TRUE(sa.ok());
  auto& esp = **sa;
  EXPECT_EQ(esp.checkTime(added + std::chrono::seconds(4)), LifetimeCrossing::None);
  EXPECT_EQ(esp.checkTime(added + std::chrono::seconds(6)), LifetimeCrossing::Soft);
  EXPECT_EQ(esp.checkTime(added + std::chrono::seconds(7)), LifetimeCrossing::None);
  EXPECT_EQ(esp.checkTime(added + std::chrono::seconds(21)), LifetimeCrossing::Hard);
  auto packet = kGcm128Tunnel;
  EXPECT_EQ(esp.decapsulate(packet).status, EspStatus::Expired);
}

TEST(EspSa, CountersRecordBytesPacketsAndLastUse) {
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->counters().lastUse);
  open(*in, kGcm128Tunnel);
  auto counters = in->counters();
  EXPECT_EQ(counters.bytes, kInnerPacket.size());
  EXPECT_EQ(counters.packets, 1u);
  ASSERT_TRUE(counters.lastUse);
  EXPECT_GE(*counters.lastUse, counters.addTime);
}

TEST(EspSa, IdleGcmSaGivesItsContextBackAndItsNextPacketsStillMatchTheVectors) {
  const auto added = std::chrono::system_clock::time_point(std::chrono::hours(1000));
  auto out = EspSa::create(gcmParams(SaDirection::Outbound, 0x11223344, kGcm128Key), added);
  auto in = EspSa::create(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key), added);
  ASSERT_TRUE(out.ok() && in.ok());
  EXPECT_TRUE((*out)->holdsContext());
  EXPECT_FALSE((*out)->releaseIdleContext(added + std::chrono::seconds(9), std::chrono::seconds(10)));
  EXPECT_TRUE((*out)->holdsContext());
  EXPECT_TRUE((*out)->releaseIdleContext(added + std::chrono::seconds(10), std::chrono::seconds(10)));
  EXPECT_TRUE((*in)->releaseIdleContext(added + std::chrono::seconds(10), std::chrono::seconds(10)));
  EXPECT_FALSE((*out)->holdsContext());
  EXPECT_FALSE((*out)->releaseIdleContext(added + std::chrono::seconds(11), std::chrono::seconds(10)));
  // The next packet makes the context again: the same bytes as the independent vector.
  EXPECT_EQ(seal(**out, kInnerPacket, 4), kGcm128Tunnel);
  EXPECT_TRUE((*out)->holdsContext());
  EXPECT_EQ(open(**in, kGcm128Tunnel), kInnerPacket);
  EXPECT_TRUE((*in)->holdsContext());
}

TEST(EspSa, RecentlyUsedGcmSaKeepsItsContext) {
  auto in = make(gcmParams(SaDirection::Inbound, 0x11223344, kGcm128Key));
  ASSERT_TRUE(in);
  open(*in, kGcm128Tunnel);
  const auto used = *in->counters().lastUse;
  EXPECT_FALSE(in->releaseIdleContext(used + std::chrono::seconds(5), std::chrono::seconds(10)));
  EXPECT_TRUE(in->holdsContext());
  EXPECT_TRUE(in->releaseIdleContext(used + std::chrono::seconds(10), std::chrono::seconds(10)));
}

TEST(EspSa, CbcSaKeepsItsKeys) {
  auto sa =
      make(cbcParams(SaDirection::Outbound, IntegrityId::HmacSha2_256_128, kSha256Key, IpsecMode::Tunnel));
  ASSERT_TRUE(sa);
  EXPECT_FALSE(sa->releaseIdleContext(std::chrono::system_clock::now() + std::chrono::hours(1),
                                      std::chrono::seconds(10)));
  EXPECT_TRUE(sa->holdsContext());
}

TEST(EspSa, ReservedSpiIsRefused) {
  auto sa = EspSa::create(gcmParams(SaDirection::Inbound, 255, kGcm128Key));
  ASSERT_FALSE(sa.ok());
  EXPECT_NE(sa.error().message.find("RFC 4303 §2.1"), std::string::npos) << sa.error().message;
}

TEST(EspSa, WrongKeyLengthsAreRefusedWithTheExpectedLength) {
  auto gcm = EspSa::create(gcmParams(SaDirection::Inbound, 0x1000, std::vector<std::uint8_t>(16, 1)));
  ASSERT_FALSE(gcm.ok());
  EXPECT_NE(gcm.error().message.find("expected 20, 28 or 36"), std::string::npos) << gcm.error().message;
  auto cbc = EspSa::create(cbcParams(SaDirection::Inbound, IntegrityId::HmacSha2_256_128,
                                     std::vector<std::uint8_t>(20, 1), IpsecMode::Tunnel));
  ASSERT_FALSE(cbc.ok());
  EXPECT_NE(cbc.error().message.find("expected 32"), std::string::npos) << cbc.error().message;
}

TEST(EspSa, CbcWithoutIntegrityIsRefused) {
  auto sa = EspSa::create(cbcParams(SaDirection::Inbound, IntegrityId::None, {}, IpsecMode::Tunnel));
  ASSERT_FALSE(sa.ok());
}
