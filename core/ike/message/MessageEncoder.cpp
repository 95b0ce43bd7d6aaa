// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/message/MessageEncoder.hpp"

#include <optional>
#include <type_traits>
#include <variant>

namespace ikemesh::ike {

namespace {

/// Appends big-endian numbers and bytes; length fields are reserved first and filled in once
/// the content behind them is known.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) {
    u8(static_cast<std::uint8_t>(value >> 8));
    u8(static_cast<std::uint8_t>(value));
  }
  void u32(std::uint32_t value) {
    u16(static_cast<std::uint16_t>(value >> 16));
    u16(static_cast<std::uint16_t>(value));
  }
  void u64(std::uint64_t value) {
    u32(static_cast<std::uint32_t>(value >> 32));
    u32(static_cast<std::uint32_t>(value));
  }
  void bytes(std::span<const std::uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void zeros(std::size_t count) { out_.insert(out_.end(), count, 0); }

  std::size_t size() const { return out_.size(); }

  /// Reserves a 16-bit length field and returns its offset.
  std::size_t reserveLength16() {
    std::size_t at = out_.size();
    u16(0);
    return at;
  }
  /// Sets the length field at `at` to the number of bytes from `start` to the current end.
  void patchLength16(std::size_t at, std::size_t start) {
    auto length = static_cast<std::uint16_t>(out_.size() - start);
    out_[at] = static_cast<std::uint8_t>(length >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(length);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

void writeTransform(ByteWriter& out, const Transform& transform, bool last) {
  std::size_t start = out.size();
  out.u8(last ? 0 : 3);  // Last Substruc, §3.3.2
  out.u8(0);
  std::size_t length = out.reserveLength16();
  out.u8(static_cast<std::uint8_t>(transform.type));
  out.u8(0);
  out.u16(transform.id);
  for (const auto& attribute : transform.attributes) {
    if (attribute.format == TransformAttribute::Format::TypeValue) {
      out.u16(static_cast<std::uint16_t>(attribute.type | 0x8000));  // AF = 1, §3.3.5
      out.u16(attribute.shortValue);
    } else {
      out.u16(attribute.type & 0x7fff);
      out.u16(static_cast<std::uint16_t>(attribute.longValue.size()));
      out.bytes(attribute.longValue);
    }
  }
  out.patchLength16(length, start);
}

void writeProposal(ByteWriter& out, const Proposal& proposal, bool last) {
  std::size_t start = out.size();
  out.u8(last ? 0 : 2);  // Last Substruc, §3.3.1
  out.u8(0);
  std::size_t length = out.reserveLength16();
  out.u8(proposal.number);
  out.u8(static_cast<std::uint8_t>(proposal.protocol));
  out.u8(static_cast<std::uint8_t>(proposal.spi.size()));
  out.u8(static_cast<std::uint8_t>(proposal.transforms.size()));
  out.bytes(proposal.spi);
  for (std::size_t i = 0; i < proposal.transforms.size(); ++i)
    writeTransform(out, proposal.transforms[i], i + 1 == proposal.transforms.size());
  out.patchLength16(length, start);
}

void writeTrafficSelector(ByteWriter& out, const TrafficSelector& selector) {
  bool v4 = selector.start.isV4();
  out.u8(static_cast<std::uint8_t>(v4 ? TrafficSelectorType::Ipv4AddressRange
                                      : TrafficSelectorType::Ipv6AddressRange));
  out.u8(selector.protocol);
  out.u16(v4 ? 16 : 40);
  out.u16(selector.startPort);
  out.u16(selector.endPort);
  out.bytes({selector.start.data(), selector.start.size()});
  out.bytes({selector.end.data(), selector.start.size()});
}

/// Writes the body of one payload (after the generic header).
void writeBody(ByteWriter& out, const PayloadBody& body) {
  std::visit(
      [&](const auto& payload) {
        using T = std::decay_t<decltype(payload)>;
        if constexpr (std::is_same_v<T, SecurityAssociationPayload>) {
          for (std::size_t i = 0; i < payload.proposals.size(); ++i)
            writeProposal(out, payload.proposals[i], i + 1 == payload.proposals.size());
        } else if constexpr (std::is_same_v<T, KeyExchangePayload>) {
          out.u16(payload.group);
          out.zeros(2);
          out.bytes(payload.keyData);
        } else if constexpr (std::is_same_v<T, IdentificationPayload>) {
          out.u8(static_cast<std::uint8_t>(payload.type));
          out.zeros(3);
          out.bytes(payload.data);
        } else if constexpr (std::is_same_v<T, CertificatePayload>) {
          out.u8(static_cast<std::uint8_t>(payload.encoding));
          out.bytes(payload.data);
        } else if constexpr (std::is_same_v<T, CertificateRequestPayload>) {
          out.u8(static_cast<std::uint8_t>(payload.encoding));
          out.bytes(payload.authorities);
        } else if constexpr (std::is_same_v<T, AuthenticationPayload>) {
          out.u8(static_cast<std::uint8_t>(payload.method));
          out.zeros(3);
          out.bytes(payload.data);
        } else if constexpr (std::is_same_v<T, NoncePayload>) {
          out.bytes(payload.nonce);
        } else if constexpr (std::is_same_v<T, NotifyPayload>) {
          // §3.10: without an SPI the Protocol ID is sent as zero.
          out.u8(payload.spi.empty() ? 0 : static_cast<std::uint8_t>(payload.protocol));
          out.u8(static_cast<std::uint8_t>(payload.spi.size()));
          out.u16(static_cast<std::uint16_t>(payload.type));
          out.bytes(payload.spi);
          out.bytes(payload.data);
        } else if constexpr (std::is_same_v<T, DeletePayload>) {
          bool child = payload.protocol != ProtocolId::Ike;
          out.u8(static_cast<std::uint8_t>(payload.protocol));
          out.u8(child ? 4 : 0);
          out.u16(static_cast<std::uint16_t>(payload.spis.size()));
          for (std::uint32_t spi : payload.spis) out.u32(spi);
        } else if constexpr (std::is_same_v<T, VendorIdPayload>) {
          out.bytes(payload.id);
        } else if constexpr (std::is_same_v<T, TrafficSelectorPayload>) {
          out.u8(static_cast<std::uint8_t>(payload.selectors.size()));
          out.zeros(3);
          for (const auto& selector : payload.selectors) writeTrafficSelector(out, selector);
        } else if constexpr (std::is_same_v<T, EncryptedPayload>) {
          out.bytes(payload.body);
        } else if constexpr (std::is_same_v<T, ConfigurationPayload>) {
          out.u8(static_cast<std::uint8_t>(payload.type));
          out.zeros(3);
          for (const auto& attribute : payload.attributes) {
            out.u16(attribute.type & 0x7fff);
            out.u16(static_cast<std::uint16_t>(attribute.value.size()));
            out.bytes(attribute.value);
          }
        } else if constexpr (std::is_same_v<T, EapPayload>) {
          out.bytes(payload.message);
        } else if constexpr (std::is_same_v<T, EncryptedFragmentPayload>) {
          out.u16(payload.fragmentNumber);
          out.u16(payload.totalFragments);
          out.bytes(payload.body);
        }
      },
      body);
}

/// The Next Payload field of SK and SKF names the first inner payload (§3.14, RFC 7383 §2.5).
std::optional<PayloadType> innerTypeOf(const Payload& payload) {
  if (const auto* sk = payload.as<EncryptedPayload>()) return sk->firstInnerPayload;
  if (const auto* skf = payload.as<EncryptedFragmentPayload>())
    return skf->fragmentNumber == 1 ? skf->firstInnerPayload : PayloadType::None;
  return std::nullopt;
}

void writeChain(ByteWriter& out, std::span<const Payload> payloads) {
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const Payload& payload = payloads[i];
    PayloadType next = i + 1 < payloads.size() ? payloads[i + 1].type : PayloadType::None;
    if (auto inner = innerTypeOf(payload)) next = *inner;
    std::size_t start = out.size();
    out.u8(static_cast<std::uint8_t>(next));
    out.u8(0);  // critical bit zero for every payload we send (§2.5)
    std::size_t length = out.reserveLength16();
    writeBody(out, payload.body);
    out.patchLength16(length, start);
  }
}

}  // namespace

std::vector<std::uint8_t> encode(const Message& message) {
  std::vector<std::uint8_t> bytes;
  ByteWriter out(bytes);
  const IkeHeader& header = message.header;
  out.u64(header.initiatorSpi);
  out.u64(header.responderSpi);
  out.u8(static_cast<std::uint8_t>(message.payloads.empty() ? PayloadType::None
                                                            : message.payloads.front().type));
  out.u8(0x20);  // version 2.0
  out.u8(static_cast<std::uint8_t>(header.exchangeType));
  out.u8(static_cast<std::uint8_t>((header.initiator ? 0x08 : 0) | (header.higherVersion ? 0x10 : 0) |
                                   (header.response ? 0x20 : 0)));
  out.u32(header.messageId);
  out.u32(0);  // Length, patched below
  writeChain(out, message.payloads);
  auto length = static_cast<std::uint32_t>(bytes.size());
  for (int i = 0; i < 4; ++i) bytes[24 + i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
  return bytes;
}

std::vector<std::uint8_t> encodeInner(std::span<const Payload> payloads) {
  std::vector<std::uint8_t> bytes;
  ByteWriter out(bytes);
  writeChain(out, payloads);
  return bytes;
}

Result<std::vector<std::uint8_t>> encodeAssociatedData(const Message& message) {
  if (message.payloads.empty()) return fail("associated data: the message has no SK or SKF payload");
  const Payload& last = message.payloads.back();
  std::size_t bodyLength;
  if (const auto* sk = last.as<EncryptedPayload>())
    bodyLength = sk->body.size();
  else if (const auto* skf = last.as<EncryptedFragmentPayload>())
    bodyLength = skf->body.size();
  else
    return fail("associated data: the last payload is " + payloadTypeName(last.type) + ", not SK or SKF");
  auto bytes = encode(message);
  bytes.resize(bytes.size() - bodyLength);
  return bytes;
}

}  // namespace ikemesh::ike
