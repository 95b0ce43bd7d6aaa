// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/MessageProtection.hpp"

#include "ike/message/FragmentPlan.hpp"
#include "ike/message/MessageDecoder.hpp"
#include "ike/message/MessageEncoder.hpp"

namespace ikemesh::ike {

namespace {

/// RFC 7296 §3.14: Padding then Pad Length, so that the total is a multiple of the block size.
std::vector<std::uint8_t> padded(std::span<const std::uint8_t> plaintext, std::size_t blockLength) {
  std::vector<std::uint8_t> out(plaintext.begin(), plaintext.end());
  const std::size_t padLength = (blockLength - (plaintext.size() + 1) % blockLength) % blockLength;
  out.insert(out.end(), padLength, 0);
  out.push_back(static_cast<std::uint8_t>(padLength));
  return out;
}

/// Encrypts `plaintext` into the last payload of `message` (SK or SKF), whose body stands in
/// at its final size while the associated data is computed.
Result<std::vector<std::uint8_t>> sealInto(SkCipher& cipher, Message& message,
                                           std::span<const std::uint8_t> plaintext) {
  auto withPadding = padded(plaintext, cipher.blockLength());
  std::vector<std::uint8_t> sizedBody(cipher.protectedLength(withPadding.size()));
  auto& last = message.payloads.back().body;
  if (auto* sk = std::get_if<EncryptedPayload>(&last)) sk->body = sizedBody;
  if (auto* skf = std::get_if<EncryptedFragmentPayload>(&last)) skf->body = sizedBody;
  auto associated = encodeAssociatedData(message);
  if (!associated) return std::move(associated).error();
  auto body = cipher.encrypt(*associated, withPadding);
  if (!body) return std::move(body).error();
  if (auto* sk = std::get_if<EncryptedPayload>(&last)) sk->body = std::move(*body);
  if (auto* skf = std::get_if<EncryptedFragmentPayload>(&last)) skf->body = std::move(*body);
  return encode(message);
}

}  // namespace

Result<std::vector<std::vector<std::uint8_t>>> protectMessage(SkCipher& cipher, const IkeHeader& header,
                                                              const std::vector<Payload>& inner,
                                                              bool fragment, std::size_t maxMessageLength) {
  const auto plaintext = encodeInner(inner);
  const PayloadType first = inner.empty() ? PayloadType::None : inner.front().type;
  std::vector<std::vector<std::uint8_t>> datagrams;

  const std::size_t whole = kIkeHeaderLength + kGenericPayloadHeaderLength +
                            cipher.protectedLength(padded(plaintext, cipher.blockLength()).size());
  if (!fragment || maxMessageLength == 0 || whole <= maxMessageLength) {
    Message message{header, {Payload{PayloadType::Encrypted, EncryptedPayload{first, {}}}}};
    auto datagram = sealInto(cipher, message, plaintext);
    if (!datagram) return std::move(datagram).error();
    datagrams.push_back(std::move(*datagram));
    return datagrams;
  }
  const CipherOverhead overhead{cipher.ivLength(), cipher.icvLength(), cipher.blockLength()};
  auto slices = planFragments(plaintext.size(), maxMessageLength, overhead);
  if (!slices) return std::move(slices).error();
  const auto total = static_cast<std::uint16_t>(slices->size());
  for (std::size_t i = 0; i < slices->size(); ++i) {
    const auto& slice = (*slices)[i];
    Message message = fragmentMessage(header, first, static_cast<std::uint16_t>(i + 1), total, {});
    auto datagram = sealInto(cipher, message,
                             std::span<const std::uint8_t>(plaintext).subspan(slice.offset, slice.length));
    if (!datagram) return std::move(datagram).error();
    datagrams.push_back(std::move(*datagram));
  }
  return datagrams;
}

Result<std::vector<std::uint8_t>> openProtectedPayload(SkCipher& cipher,
                                                       std::span<const std::uint8_t> datagram,
                                                       const Message& decoded) {
  if (decoded.payloads.empty()) return fail("SK payload: missing");
  const auto& last = decoded.payloads.back().body;
  const Bytes* body = nullptr;
  if (auto* sk = std::get_if<EncryptedPayload>(&last)) body = &sk->body;
  if (auto* skf = std::get_if<EncryptedFragmentPayload>(&last)) body = &skf->body;
  if (!body) return fail("SK payload: the message is not encrypted");
  auto plaintext = cipher.decrypt(receivedAssociatedData(datagram, decoded), *body);
  if (!plaintext) return fail("SK payload: " + plaintext.error().message);
  auto& bytes = *plaintext;
  if (bytes.empty()) return fail("SK payload: no Pad Length octet");
  const std::size_t padLength = bytes.back();
  if (padLength + 1 > bytes.size())
    return fail("SK payload: Pad Length " + std::to_string(padLength) + " exceeds the plaintext");
  bytes.resize(bytes.size() - padLength - 1);
  return std::move(bytes);
}

}  // namespace ikemesh::ike
