// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/message/MessageDecoder.hpp"

#include <algorithm>
#include <array>
#include <string>

#include <ikemesh/result.hpp>

#include "ike/message/ByteReader.hpp"

namespace ikemesh::ike {

namespace {

std::string num(std::size_t value) {
  return std::to_string(value);
}

std::string bytesLeft(std::size_t count) {
  return "(" + num(count) + (count == 1 ? " byte left)" : " bytes left)");
}

// ---------------------------------------------------------------------------------------------
// SA (RFC 7296 §3.3)

constexpr std::uint8_t kLastSubstructure = 0;
constexpr std::uint8_t kMoreProposals = 2;   // §3.3.1
constexpr std::uint8_t kMoreTransforms = 3;  // §3.3.2
constexpr std::size_t kProposalHeaderLength = 8;
constexpr std::size_t kTransformHeaderLength = 8;
constexpr std::size_t kAttributeHeaderLength = 4;
constexpr std::uint16_t kAttributeFormatBit = 0x8000;  // AF, §3.3.5

Result<TransformAttribute> decodeTransformAttribute(ByteReader& reader) {
  if (reader.remaining() < kAttributeHeaderLength)
    return fail("attribute header truncated " + bytesLeft(reader.remaining()) + ", 4 needed");
  TransformAttribute attribute;
  std::uint16_t typeWord = reader.u16();
  attribute.type = typeWord & ~kAttributeFormatBit;
  if (typeWord & kAttributeFormatBit) {
    attribute.format = TransformAttribute::Format::TypeValue;
    attribute.shortValue = reader.u16();
  } else {
    attribute.format = TransformAttribute::Format::TypeLengthValue;
    std::uint16_t length = reader.u16();
    if (length > reader.remaining())
      return fail("attribute length " + num(length) + " exceeds the transform " +
                  bytesLeft(reader.remaining()));
    attribute.longValue = reader.takeVector(length);
  }
  // §3.3.5: Key Length is a TV attribute; a TLV one is malformed, not a longer key.
  if (attribute.type == static_cast<std::uint16_t>(TransformAttributeType::KeyLength) &&
      attribute.format != TransformAttribute::Format::TypeValue)
    return fail("Key Length attribute must use the TV format (RFC 7296 §3.3.5)");
  return attribute;
}

Result<Transform> decodeTransform(ByteReader& reader, bool& lastFlag) {
  if (reader.remaining() < kTransformHeaderLength)
    return fail("transform header truncated " + bytesLeft(reader.remaining()) + ", 8 needed");
  std::uint8_t last = reader.u8();
  reader.skip(1);  // RESERVED
  std::uint16_t length = reader.u16();
  Transform transform;
  transform.type = static_cast<TransformType>(reader.u8());
  reader.skip(1);  // RESERVED
  transform.id = reader.u16();
  if (last != kLastSubstructure && last != kMoreTransforms)
    return fail("Last Substruc " + num(last) + " is neither 0 nor 3");
  lastFlag = last == kLastSubstructure;
  if (length < kTransformHeaderLength)
    return fail("length " + num(length) + " is shorter than the transform header (8)");
  if (length - kTransformHeaderLength > reader.remaining())
    return fail("length " + num(length) + " exceeds the proposal " +
                bytesLeft(reader.remaining() + kTransformHeaderLength));
  ByteReader attributes(reader.take(length - kTransformHeaderLength));
  while (!attributes.empty()) {
    auto attribute = decodeTransformAttribute(attributes);
    if (!attribute) return std::move(attribute).error();
    transform.attributes.push_back(std::move(attribute).value());
  }
  return transform;
}

Result<Proposal> decodeProposal(ByteReader& reader, bool& lastFlag) {
  if (reader.remaining() < kProposalHeaderLength)
    return fail("proposal header truncated " + bytesLeft(reader.remaining()) + ", 8 needed");
  std::uint8_t last = reader.u8();
  reader.skip(1);  // RESERVED
  std::uint16_t length = reader.u16();
  Proposal proposal;
  proposal.number = reader.u8();
  proposal.protocol = static_cast<ProtocolId>(reader.u8());
  std::uint8_t spiSize = reader.u8();
  std::uint8_t transformCount = reader.u8();
  if (last != kLastSubstructure && last != kMoreProposals)
    return fail("Last Substruc " + num(last) + " is neither 0 nor 2");
  lastFlag = last == kLastSubstructure;
  if (length < kProposalHeaderLength)
    return fail("length " + num(length) + " is shorter than the proposal header (8)");
  if (length - kProposalHeaderLength > reader.remaining())
    return fail("length " + num(length) + " exceeds the SA payload " +
                bytesLeft(reader.remaining() + kProposalHeaderLength));
  if (proposal.number == 0) return fail("proposal number 0 (numbering starts at 1, RFC 7296 §3.3.1)");
  // §3.3.1: IKE has no SPI in IKE_SA_INIT and an 8-octet one when rekeyed; AH and ESP 4 octets.
  switch (proposal.protocol) {
    case ProtocolId::Ike:
      if (spiSize != 0 && spiSize != 8)
        return fail("SPI size " + num(spiSize) + " for IKE (0 or 8 expected)");
      break;
    case ProtocolId::Ah:
    case ProtocolId::Esp:
      if (spiSize != 4) return fail("SPI size " + num(spiSize) + " for AH/ESP (4 expected)");
      break;
    default: return fail("unknown protocol id " + num(static_cast<unsigned>(proposal.protocol)));
  }
  ByteReader body(reader.take(length - kProposalHeaderLength));
  if (spiSize > body.remaining())
    return fail("SPI size " + num(spiSize) + " exceeds the proposal " + bytesLeft(body.remaining()));
  proposal.spi = body.takeVector(spiSize);
  bool sawLast = false;
  while (!body.empty()) {
    std::size_t index = proposal.transforms.size() + 1;
    if (sawLast) return fail("transform " + num(index - 1) + " says it is the last, but more bytes follow");
    auto transform = decodeTransform(body, sawLast);
    if (!transform) return fail("transform " + num(index) + ": " + transform.error().message);
    proposal.transforms.push_back(std::move(transform).value());
  }
  if (!proposal.transforms.empty() && !sawLast)
    return fail("transform " + num(proposal.transforms.size()) +
                " announces more transforms, but the proposal ends");
  if (proposal.transforms.size() != transformCount)
    return fail("announces " + num(transformCount) + " transforms, but holds " +
                num(proposal.transforms.size()));
  return proposal;
}

Result<SecurityAssociationPayload> decodeSecurityAssociation(ByteReader reader) {
  SecurityAssociationPayload sa;
  if (reader.empty()) return fail("no proposal (RFC 7296 §3.3 requires one or more)");
  bool sawLast = false;
  while (!reader.empty()) {
    std::size_t index = sa.proposals.size() + 1;
    if (sawLast) return fail("proposal " + num(index - 1) + " says it is the last, but more bytes follow");
    auto proposal = decodeProposal(reader, sawLast);
    if (!proposal) return fail("proposal " + num(index) + ": " + proposal.error().message);
    sa.proposals.push_back(std::move(proposal).value());
  }
  if (!sawLast)
    return fail("proposal " + num(sa.proposals.size()) + " announces more proposals, but the payload ends");
  // §3.3.1: an offer numbers its proposals 1, 2, 3...; an answer carries only the accepted
  // proposal, under the number it had in the offer.
  if (sa.proposals.size() > 1) {
    for (std::size_t i = 0; i < sa.proposals.size(); ++i)
      if (sa.proposals[i].number != i + 1)
        return fail("proposal " + num(i + 1) + ": number " + num(sa.proposals[i].number) +
                    " breaks the sequence 1, 2, 3... (RFC 7296 §3.3.1)");
  }
  return sa;
}

// ---------------------------------------------------------------------------------------------
// The other payloads

Result<KeyExchangePayload> decodeKeyExchange(ByteReader reader) {
  if (reader.remaining() < 4)
    return fail("body of " + num(reader.remaining()) + " bytes is shorter than Group and RESERVED (4)");
  KeyExchangePayload ke;
  ke.group = reader.u16();
  reader.skip(2);
  if (reader.empty()) return fail("no key exchange data");
  ke.keyData = reader.takeVector(reader.remaining());
  return ke;
}

Result<IdentificationPayload> decodeIdentification(ByteReader reader) {
  if (reader.remaining() < 4)
    return fail("body of " + num(reader.remaining()) + " bytes is shorter than ID Type and RESERVED (4)");
  IdentificationPayload id;
  id.type = static_cast<IdType>(reader.u8());
  reader.skip(3);
  std::size_t length = reader.remaining();
  if (id.type == IdType::Ipv4Address && length != 4)
    return fail("ID_IPV4_ADDR of " + num(length) + " bytes (4 expected)");
  if (id.type == IdType::Ipv6Address && length != 16)
    return fail("ID_IPV6_ADDR of " + num(length) + " bytes (16 expected)");
  // RFC 7619 §3: only ID_NULL may be empty.
  if (id.type != IdType::Null && length == 0) return fail("empty identification data");
  id.data = reader.takeVector(length);
  return id;
}

Result<CertificatePayload> decodeCertificate(ByteReader reader) {
  if (reader.remaining() < 2) return fail("no certificate data after the encoding");
  CertificatePayload cert;
  cert.encoding = static_cast<CertificateEncoding>(reader.u8());
  cert.data = reader.takeVector(reader.remaining());
  return cert;
}

Result<CertificateRequestPayload> decodeCertificateRequest(ByteReader reader) {
  if (reader.empty()) return fail("no certificate encoding");
  CertificateRequestPayload request;
  request.encoding = static_cast<CertificateEncoding>(reader.u8());
  request.authorities = reader.takeVector(reader.remaining());  // may be empty (§3.7)
  return request;
}

Result<AuthenticationPayload> decodeAuthentication(ByteReader reader) {
  if (reader.remaining() < 4)
    return fail("body of " + num(reader.remaining()) + " bytes is shorter than Auth Method and RESERVED (4)");
  AuthenticationPayload auth;
  auth.method = static_cast<AuthMethod>(reader.u8());
  reader.skip(3);
  if (reader.empty()) return fail("no authentication data");
  auth.data = reader.takeVector(reader.remaining());
  return auth;
}

Result<NoncePayload> decodeNonce(ByteReader reader) {
  std::size_t length = reader.remaining();
  if (length < kMinNonceLength || length > kMaxNonceLength)
    return fail("nonce of " + num(length) + " bytes (16 to 256 allowed, RFC 7296 §2.10)");
  return NoncePayload{reader.takeVector(length)};
}

Result<NotifyPayload> decodeNotify(ByteReader reader) {
  if (reader.remaining() < 4)
    return fail("body of " + num(reader.remaining()) +
                " bytes is shorter than Protocol ID, SPI Size and Notify Message Type (4)");
  NotifyPayload notify;
  auto protocol = reader.u8();
  std::uint8_t spiSize = reader.u8();
  notify.type = static_cast<NotifyType>(reader.u16());
  if (spiSize > reader.remaining())
    return fail("SPI size " + num(spiSize) + " exceeds the payload " + bytesLeft(reader.remaining()));
  if (spiSize == 0) {
    // §3.10: without an SPI the Protocol ID MUST be ignored on receipt.
    notify.protocol = ProtocolId::None;
  } else {
    notify.protocol = static_cast<ProtocolId>(protocol);
    bool childSpi = (notify.protocol == ProtocolId::Ah || notify.protocol == ProtocolId::Esp) && spiSize == 4;
    bool ikeSpi = notify.protocol == ProtocolId::Ike && spiSize == 8;
    if (!childSpi && !ikeSpi)
      return fail("SPI size " + num(spiSize) + " does not fit protocol id " + num(protocol) +
                  " (4 for AH/ESP, 8 for IKE)");
  }
  notify.spi = reader.takeVector(spiSize);
  notify.data = reader.takeVector(reader.remaining());
  return notify;
}

Result<DeletePayload> decodeDelete(ByteReader reader) {
  if (reader.remaining() < 4)
    return fail("body of " + num(reader.remaining()) +
                " bytes is shorter than Protocol ID, SPI Size and Num of SPIs (4)");
  DeletePayload del;
  del.protocol = static_cast<ProtocolId>(reader.u8());
  std::uint8_t spiSize = reader.u8();
  std::uint16_t count = reader.u16();
  // §3.11: an IKE SA is deleted without SPIs (the header names it); AH/ESP SPIs are 4 octets.
  switch (del.protocol) {
    case ProtocolId::Ike:
      if (spiSize != 0 || count != 0)
        return fail("IKE SA delete with SPI size " + num(spiSize) + " and " + num(count) +
                    " SPIs (0 and 0 expected)");
      break;
    case ProtocolId::Ah:
    case ProtocolId::Esp:
      if (spiSize != 4) return fail("SPI size " + num(spiSize) + " for AH/ESP (4 expected)");
      break;
    default: return fail("unknown protocol id " + num(static_cast<unsigned>(del.protocol)));
  }
  if (std::size_t{count} * spiSize != reader.remaining())
    return fail(num(count) + " SPIs of " + num(spiSize) + " bytes do not fill the " +
                num(reader.remaining()) + " bytes that follow");
  for (std::uint16_t i = 0; i < count; ++i) del.spis.push_back(reader.u32());
  return del;
}

Result<TrafficSelector> decodeTrafficSelector(ByteReader& reader) {
  constexpr std::size_t kSelectorHeaderLength = 8;
  if (reader.remaining() < kSelectorHeaderLength)
    return fail("selector header truncated " + bytesLeft(reader.remaining()) + ", 8 needed");
  auto type = static_cast<TrafficSelectorType>(reader.u8());
  TrafficSelector selector;
  selector.protocol = reader.u8();
  std::uint16_t length = reader.u16();
  selector.startPort = reader.u16();
  selector.endPort = reader.u16();
  std::size_t addressLength;
  switch (type) {
    case TrafficSelectorType::Ipv4AddressRange: addressLength = 4; break;
    case TrafficSelectorType::Ipv6AddressRange: addressLength = 16; break;
    default: return fail("unknown TS type " + num(static_cast<unsigned>(type)) + " (7 or 8 expected)");
  }
  // §3.13.1: the length is fixed by the type: 16 for IPv4, 40 for IPv6.
  std::size_t expected = kSelectorHeaderLength + 2 * addressLength;
  if (length != expected)
    return fail("selector length " + num(length) + " does not match TS type " +
                num(static_cast<unsigned>(type)) + " (" + num(expected) + " expected)");
  if (length - kSelectorHeaderLength > reader.remaining())
    return fail("selector length " + num(length) + " exceeds the payload " +
                bytesLeft(reader.remaining() + kSelectorHeaderLength));
  auto readAddress = [&]() {
    auto raw = reader.take(addressLength);
    if (addressLength == 4) {
      std::array<std::uint8_t, 4> octets{};
      std::copy(raw.begin(), raw.end(), octets.begin());
      return IpAddress::v4(octets);
    }
    std::array<std::uint8_t, 16> octets{};
    std::copy(raw.begin(), raw.end(), octets.begin());
    return IpAddress::v6(octets);
  };
  selector.start = readAddress();
  selector.end = readAddress();
  return selector;
}

Result<TrafficSelectorPayload> decodeTrafficSelectors(ByteReader reader) {
  if (reader.remaining() < 4)
    return fail("body of " + num(reader.remaining()) +
                " bytes is shorter than Number of TSs and RESERVED (4)");
  std::uint8_t count = reader.u8();
  reader.skip(3);
  TrafficSelectorPayload payload;
  while (!reader.empty()) {
    std::size_t index = payload.selectors.size() + 1;
    auto selector = decodeTrafficSelector(reader);
    if (!selector) return fail("selector " + num(index) + ": " + selector.error().message);
    payload.selectors.push_back(selector.value());
  }
  if (payload.selectors.size() != count)
    return fail("announces " + num(count) + " selectors, but holds " + num(payload.selectors.size()));
  return payload;
}

Result<ConfigurationPayload> decodeConfiguration(ByteReader reader) {
  if (reader.remaining() < 4)
    return fail("body of " + num(reader.remaining()) + " bytes is shorter than CFG Type and RESERVED (4)");
  ConfigurationPayload cp;
  cp.type = static_cast<ConfigurationType>(reader.u8());
  reader.skip(3);
  while (!reader.empty()) {
    std::size_t index = cp.attributes.size() + 1;
    if (reader.remaining() < 4)
      return fail("attribute " + num(index) + ": header truncated " + bytesLeft(reader.remaining()) +
                  ", 4 needed");
    ConfigurationAttribute attribute;
    attribute.type = reader.u16() & 0x7fff;  // §3.15.1: the R bit is ignored on receipt
    std::uint16_t length = reader.u16();
    if (length > reader.remaining())
      return fail("attribute " + num(index) + ": length " + num(length) + " exceeds the payload " +
                  bytesLeft(reader.remaining()));
    attribute.value = reader.takeVector(length);
    cp.attributes.push_back(std::move(attribute));
  }
  return cp;
}

Result<EapPayload> decodeEap(ByteReader reader) {
  // RFC 3748 §4: Code, Identifier, Length (of the whole EAP message), Data.
  std::size_t length = reader.remaining();
  if (length < 4) return fail("EAP message of " + num(length) + " bytes is shorter than its header (4)");
  EapPayload eap{reader.takeVector(length)};
  std::size_t declared = (std::size_t{eap.message[2]} << 8) | eap.message[3];
  if (declared != length)
    return fail("EAP Length " + num(declared) + " does not match the payload's " + num(length) + " bytes");
  return eap;
}

Result<EncryptedFragmentPayload> decodeEncryptedFragment(ByteReader reader, std::uint8_t nextPayloadField) {
  if (reader.remaining() < 4)
    return fail("body of " + num(reader.remaining()) +
                " bytes is shorter than Fragment Number and Total Fragments (4)");
  EncryptedFragmentPayload fragment;
  fragment.fragmentNumber = reader.u16();
  fragment.totalFragments = reader.u16();
  // RFC 7383 §2.5: both non-zero, number <= total; only fragment 1 names the first payload.
  if (fragment.totalFragments == 0) return fail("Total Fragments is 0");
  if (fragment.fragmentNumber == 0) return fail("Fragment Number is 0");
  if (fragment.fragmentNumber > fragment.totalFragments)
    return fail("Fragment Number " + num(fragment.fragmentNumber) + " exceeds Total Fragments " +
                num(fragment.totalFragments));
  if (fragment.fragmentNumber > 1 && nextPayloadField != 0)
    return fail("fragment " + num(fragment.fragmentNumber) + " has Next Payload " + num(nextPayloadField) +
                " (only fragment 1 may name one, RFC 7383 §2.5)");
  fragment.firstInnerPayload = static_cast<PayloadType>(nextPayloadField);
  fragment.body = reader.takeVector(reader.remaining());
  return fragment;
}

/// Decodes the body of a known payload type.
Result<PayloadBody> decodeBody(PayloadType type, std::span<const std::uint8_t> body,
                               std::uint8_t nextPayloadField) {
  ByteReader reader(body);
  auto wrap = [](auto result) -> Result<PayloadBody> {
    if (!result) return std::move(result).error();
    return PayloadBody(std::move(result).value());
  };
  switch (type) {
    case PayloadType::SecurityAssociation: return wrap(decodeSecurityAssociation(reader));
    case PayloadType::KeyExchange: return wrap(decodeKeyExchange(reader));
    case PayloadType::IdInitiator:
    case PayloadType::IdResponder: return wrap(decodeIdentification(reader));
    case PayloadType::Certificate: return wrap(decodeCertificate(reader));
    case PayloadType::CertificateRequest: return wrap(decodeCertificateRequest(reader));
    case PayloadType::Authentication: return wrap(decodeAuthentication(reader));
    case PayloadType::Nonce: return wrap(decodeNonce(reader));
    case PayloadType::Notify: return wrap(decodeNotify(reader));
    case PayloadType::Delete: return wrap(decodeDelete(reader));
    case PayloadType::VendorId: return PayloadBody(VendorIdPayload{reader.takeVector(reader.remaining())});
    case PayloadType::TsInitiator:
    case PayloadType::TsResponder: return wrap(decodeTrafficSelectors(reader));
    case PayloadType::Encrypted:
      return PayloadBody(EncryptedPayload{static_cast<PayloadType>(nextPayloadField),
                                          reader.takeVector(reader.remaining())});
    case PayloadType::Configuration: return wrap(decodeConfiguration(reader));
    case PayloadType::Eap: return wrap(decodeEap(reader));
    case PayloadType::EncryptedFragment: return wrap(decodeEncryptedFragment(reader, nextPayloadField));
    case PayloadType::None: break;
  }
  return fail("no decoder for payload type " + num(static_cast<unsigned>(type)));
}

DecodeError malformed(std::string message, const std::optional<IkeHeader>& header) {
  return DecodeError{DecodeError::Kind::Malformed, std::move(message), 0, header};
}

enum class Chain { Outer, Inner };

/// Walks a payload chain (RFC 7296 §3.2) that must end exactly at the end of `bytes`.
DecodeResult<std::vector<Payload>> decodeChain(std::uint8_t firstType, std::span<const std::uint8_t> bytes,
                                               Chain chain, const std::optional<IkeHeader>& header) {
  std::vector<Payload> payloads;
  ByteReader reader(bytes);
  std::uint8_t type = firstType;
  std::size_t position = 0;
  while (type != static_cast<std::uint8_t>(PayloadType::None)) {
    ++position;
    std::string name = isKnownPayloadType(type) ? payloadTypeName(static_cast<PayloadType>(type)) + " payload"
                                                : "payload of unknown type " + num(type);
    if (reader.remaining() < kGenericPayloadHeaderLength)
      return malformed(name + " (payload " + num(position) + "): generic header truncated " +
                           bytesLeft(reader.remaining()) + ", 4 needed",
                       header);
    std::uint8_t nextType = reader.u8();
    bool critical = (reader.u8() & 0x80) != 0;
    std::uint16_t length = reader.u16();
    if (length < kGenericPayloadHeaderLength)
      return malformed(name + ": length " + num(length) + " is shorter than the generic payload header (4)",
                       header);
    if (length - kGenericPayloadHeaderLength > reader.remaining())
      return malformed(name + ": length " + num(length) + " overruns the message " +
                           bytesLeft(reader.remaining() + kGenericPayloadHeaderLength),
                       header);
    auto body = reader.take(length - kGenericPayloadHeaderLength);

    if (!isKnownPayloadType(type)) {
      // RFC 7296 §2.5: reject the message only if the sender marked the payload critical.
      if (critical)
        return DecodeError{DecodeError::Kind::UnsupportedCriticalPayload,
                           "unsupported critical payload type " + num(type), type, header};
      type = nextType;
      continue;
    }

    auto payloadType = static_cast<PayloadType>(type);
    bool encrypted = payloadType == PayloadType::Encrypted || payloadType == PayloadType::EncryptedFragment;
    if (encrypted && chain == Chain::Inner) return malformed(name + " inside an encrypted payload", header);
    // RFC 7296 §3.14, RFC 7383 §2.5: SK and SKF come last; their Next Payload field names the
    // first payload inside, so the outer chain ends with them.
    if (encrypted && !reader.empty())
      return malformed(
          name + " must be the last payload, but " + num(reader.remaining()) + " bytes follow it", header);

    auto decoded = decodeBody(payloadType, body, nextType);
    if (!decoded) return malformed(name + ": " + decoded.error().message, header);
    payloads.push_back(Payload{payloadType, std::move(decoded).value()});
    if (encrypted) return payloads;
    type = nextType;
  }
  if (!reader.empty())
    return malformed(num(reader.remaining()) + " bytes follow the last payload (the chain ends at payload " +
                         num(position) + ")",
                     header);
  return payloads;
}

}  // namespace

DecodeResult<IkeHeader> decodeHeader(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kIkeHeaderLength)
    return malformed("IKE header: truncated: " + num(datagram.size()) + " bytes, 28 needed", std::nullopt);
  ByteReader reader(datagram);
  IkeHeader header;
  header.initiatorSpi = reader.u64();
  header.responderSpi = reader.u64();
  reader.skip(1);  // Next Payload: read by decode()
  std::uint8_t version = reader.u8();
  header.exchangeType = static_cast<ExchangeType>(reader.u8());
  std::uint8_t flags = reader.u8();
  // §3.1: I is bit 3, V bit 4, R bit 5; the other bits are ignored on receipt.
  header.initiator = (flags & 0x08) != 0;
  header.higherVersion = (flags & 0x10) != 0;
  header.response = (flags & 0x20) != 0;
  header.messageId = reader.u32();
  std::uint32_t length = reader.u32();

  std::uint8_t major = version >> 4;
  // §2.5: a higher major version is answered with INVALID_MAJOR_VERSION; a lower one (IKEv1)
  // is simply not ours.
  if (major < 2)
    return malformed("IKE header: major version " + num(major) + " (IKEv1 and older are not supported)",
                     header);
  if (major > 2)
    return DecodeError{DecodeError::Kind::InvalidMajorVersion,
                       "IKE header: major version " + num(major) + " (only 2 is supported, RFC 7296 §2.5)", 0,
                       header};
  if (length < kIkeHeaderLength)
    return malformed("IKE header: length " + num(length) + " is shorter than the header (28)", header);
  if (length != datagram.size())
    return malformed("IKE header: length " + num(length) + " does not match the datagram (" +
                         num(datagram.size()) + " bytes)",
                     header);
  auto exchange = static_cast<unsigned>(header.exchangeType);
  if (exchange < static_cast<unsigned>(ExchangeType::IkeSaInit) ||
      exchange > static_cast<unsigned>(ExchangeType::Informational))
    return malformed("IKE header: unsupported exchange type " + num(exchange) + " (34 to 37 expected)",
                     header);
  if (header.initiatorSpi == 0) return malformed("IKE header: initiator SPI is zero (RFC 7296 §3.1)", header);
  return header;
}

DecodeResult<Message> decode(std::span<const std::uint8_t> datagram) {
  auto header = decodeHeader(datagram);
  if (!header) return std::move(header).error();
  std::uint8_t firstType = datagram[16];
  auto payloads = decodeChain(firstType, datagram.subspan(kIkeHeaderLength), Chain::Outer, header.value());
  if (!payloads) return std::move(payloads).error();
  return Message{header.value(), std::move(payloads).value()};
}

DecodeResult<std::vector<Payload>> decodeInner(PayloadType firstPayload,
                                               std::span<const std::uint8_t> plaintext) {
  return decodeChain(static_cast<std::uint8_t>(firstPayload), plaintext, Chain::Inner, std::nullopt);
}

std::span<const std::uint8_t> receivedAssociatedData(std::span<const std::uint8_t> datagram,
                                                     const Message& decoded) {
  if (decoded.payloads.empty()) return {};
  const Payload& last = decoded.payloads.back();
  std::size_t bodyLength;
  if (const auto* sk = last.as<EncryptedPayload>())
    bodyLength = sk->body.size();
  else if (const auto* skf = last.as<EncryptedFragmentPayload>())
    bodyLength = skf->body.size();
  else
    return {};
  if (bodyLength > datagram.size()) return {};
  return datagram.first(datagram.size() - bodyLength);
}

}  // namespace ikemesh::ike
