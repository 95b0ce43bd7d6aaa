// SPDX-License-Identifier: GPL-2.0-or-later
// Messages shared by the codec tests: one of every payload kind, and raw-byte builders for
// inputs the encoder would never produce.
#pragma once

#include <cstdint>
#include <vector>

#include "ike/message/Message.hpp"

namespace ikemesh::ike::test {

inline Bytes filled(std::size_t count, std::uint8_t first) {
  Bytes bytes(count);
  for (std::size_t i = 0; i < count; ++i) bytes[i] = static_cast<std::uint8_t>(first + i);
  return bytes;
}

inline IkeHeader sampleHeader(ExchangeType exchange = ExchangeType::IkeSaInit) {
  IkeHeader header;
  header.initiatorSpi = 0x0123456789abcdefULL;
  header.responderSpi = exchange == ExchangeType::IkeSaInit ? 0 : 0xfedcba9876543210ULL;
  header.exchangeType = exchange;
  header.initiator = true;
  header.messageId = exchange == ExchangeType::IkeSaInit ? 0 : 7;
  return header;
}

/// A whole datagram around a raw payload chain: a valid header whose Length fits.
inline Bytes rawMessage(std::uint8_t firstPayload, const Bytes& chain, std::uint8_t exchange = 34) {
  Bytes bytes = {0x01,         0x23, 0x45,     0x67, 0x89, 0xab, 0xcd, 0xef,  // initiator SPI
                 0x00,         0x00, 0x00,     0x00, 0x00, 0x00, 0x00, 0x00,  // responder SPI
                 firstPayload, 0x20, exchange, 0x08,   // next, version 2.0, exchange, I
                 0x00,         0x00, 0x00,     0x00,   // message ID
                 0x00,         0x00, 0x00,     0x00};  // length, set below
  bytes.insert(bytes.end(), chain.begin(), chain.end());
  auto length = static_cast<std::uint32_t>(bytes.size());
  bytes[24] = static_cast<std::uint8_t>(length >> 24);
  bytes[25] = static_cast<std::uint8_t>(length >> 16);
  bytes[26] = static_cast<std::uint8_t>(length >> 8);
  bytes[27] = static_cast<std::uint8_t>(length);
  return bytes;
}

/// One raw payload: generic header (with the given Next Payload and critical bit) and body.
inline Bytes rawPayload(std::uint8_t nextPayload, const Bytes& body, bool critical = false) {
  auto length = static_cast<std::uint16_t>(body.size() + 4);
  Bytes bytes = {nextPayload, static_cast<std::uint8_t>(critical ? 0x80 : 0x00),
                 static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  bytes.insert(bytes.end(), body.begin(), body.end());
  return bytes;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

inline SecurityAssociationPayload sampleSecurityAssociation() {
  Proposal ike;
  ike.number = 1;
  ike.protocol = ProtocolId::Ike;
  ike.transforms = {
      {TransformType::Encryption, 20, {TransformAttribute::keyLength(256)}},
      {TransformType::Encryption, 12, {TransformAttribute::keyLength(128)}},
      {TransformType::PseudoRandomFunction, 5, {}},
      {TransformType::Integrity, 12, {}},
      {TransformType::KeyExchange, 31, {}},
      // A TLV attribute of a private type, to cover the long form.
      {TransformType::KeyExchange,
       19,
       {{40000 & 0x7fff, TransformAttribute::Format::TypeLengthValue, 0, {0xde, 0xad, 0xbe}}}},
  };
  Proposal esp;
  esp.number = 2;
  esp.protocol = ProtocolId::Esp;
  esp.spi = {0xc0, 0x01, 0xd0, 0x0d};
  esp.transforms = {{TransformType::Encryption, 20, {TransformAttribute::keyLength(256)}},
                    {TransformType::ExtendedSequenceNumbers, 0, {}}};
  Proposal rekey;
  rekey.number = 3;
  rekey.protocol = ProtocolId::Ike;
  rekey.spi = filled(8, 0x40);
  rekey.transforms = {};  // a proposal may be sent without transforms; the codec keeps it
  return {{ike, esp, rekey}};
}

inline TrafficSelectorPayload sampleTrafficSelectors() {
  TrafficSelector v4{*IpAddress::parse("192.0.2.0"), *IpAddress::parse("192.0.2.255"), 6, 80, 443};
  TrafficSelector v6 = TrafficSelector::forHost(*IpAddress::parse("2001:db8::1"));
  v6.end = *IpAddress::parse("2001:db8::ffff");
  return {{v4, v6}};
}

/// One payload of every kind the codec models, in an order a chain may carry them (SK and SKF
/// excluded: they end a chain).
inline std::vector<Payload> everyPlainPayload() {
  return {
      {PayloadType::SecurityAssociation, sampleSecurityAssociation()},
      {PayloadType::KeyExchange, KeyExchangePayload{31, filled(32, 0x11)}},
      {PayloadType::IdInitiator, IdentificationPayload{IdType::Fqdn, {'n', 'o', 'd', 'e', '.', 'e', 'x'}}},
      {PayloadType::IdResponder, IdentificationPayload{IdType::Ipv4Address, {192, 0, 2, 7}}},
      {PayloadType::IdResponder, IdentificationPayload{IdType::Null, {}}},
      {PayloadType::Certificate, CertificatePayload{CertificateEncoding::X509Signature, filled(300, 0x30)}},
      {PayloadType::CertificateRequest,
       CertificateRequestPayload{CertificateEncoding::X509Signature, filled(40, 1)}},
      {PayloadType::Authentication, AuthenticationPayload{AuthMethod::DigitalSignature, filled(64, 0x90)}},
      {PayloadType::Nonce, NoncePayload{filled(32, 0xa0)}},
      {PayloadType::Notify,
       NotifyPayload{ProtocolId::None, {}, NotifyType::NatDetectionSourceIp, filled(20, 5)}},
      {PayloadType::Notify, NotifyPayload{ProtocolId::Esp, {1, 2, 3, 4}, NotifyType::RekeySa, {}}},
      {PayloadType::Delete, DeletePayload{ProtocolId::Esp, {0x11223344, 0x55667788}}},
      {PayloadType::Delete, DeletePayload{ProtocolId::Ike, {}}},
      {PayloadType::VendorId, VendorIdPayload{filled(16, 0x70)}},
      {PayloadType::TsInitiator, sampleTrafficSelectors()},
      {PayloadType::TsResponder,
       TrafficSelectorPayload{{TrafficSelector::forHost(*IpAddress::parse("198.51.100.9"))}}},
      {PayloadType::Configuration,
       ConfigurationPayload{ConfigurationType::Request, {{1, {}}, {3, {}}, {8, {0x20, 0x01, 0x0d, 0xb8}}}}},
      {PayloadType::Eap, EapPayload{{0x01, 0x05, 0x00, 0x06, 0x01, 0x61}}},
  };
}

}  // namespace ikemesh::ike::test
