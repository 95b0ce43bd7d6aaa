// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/message/FragmentPlan.hpp"

#include <string>

namespace ikemesh::ike {

std::size_t maxFragmentPlaintext(std::size_t maxMessageLength, const CipherOverhead& overhead) {
  std::size_t block = overhead.blockLength == 0 ? 1 : overhead.blockLength;
  std::size_t fixed =
      kIkeHeaderLength + kEncryptedFragmentHeaderLength + overhead.ivLength + overhead.icvLength;
  if (maxMessageLength <= fixed) return 0;
  // plaintext + padding + Pad Length (1) is rounded up to the block, so the encrypted part may
  // use whole blocks only, and one byte of it is always the Pad Length.
  std::size_t encryptedRoom = (maxMessageLength - fixed) / block * block;
  return encryptedRoom == 0 ? 0 : encryptedRoom - 1;
}

Result<std::vector<FragmentSlice>> planFragments(std::size_t plaintextLength, std::size_t maxMessageLength,
                                                 const CipherOverhead& overhead) {
  std::size_t perFragment = maxFragmentPlaintext(maxMessageLength, overhead);
  if (perFragment == 0)
    return fail("fragmentation: a message of at most " + std::to_string(maxMessageLength) +
                " bytes has no room for plaintext after the headers and cipher overhead");
  std::size_t count = plaintextLength == 0 ? 1 : (plaintextLength + perFragment - 1) / perFragment;
  if (count > 65535)  // Total Fragments is 16 bits (RFC 7383 §2.5)
    return fail("fragmentation: " + std::to_string(plaintextLength) + " bytes need " + std::to_string(count) +
                " fragments, more than 65535");
  // Spread the bytes evenly, so that no fragment is a tiny leftover.
  std::vector<FragmentSlice> slices;
  slices.reserve(count);
  std::size_t base = plaintextLength / count;
  std::size_t longer = plaintextLength % count;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t length = base + (i < longer ? 1 : 0);
    slices.push_back({offset, length});
    offset += length;
  }
  return slices;
}

Message fragmentMessage(const IkeHeader& header, PayloadType firstInnerPayload, std::uint16_t number,
                        std::uint16_t total, std::vector<std::uint8_t> encryptedBody) {
  EncryptedFragmentPayload fragment;
  fragment.fragmentNumber = number;
  fragment.totalFragments = total;
  fragment.firstInnerPayload = number == 1 ? firstInnerPayload : PayloadType::None;
  fragment.body = std::move(encryptedBody);
  return Message{header, {Payload{PayloadType::EncryptedFragment, std::move(fragment)}}};
}

}  // namespace ikemesh::ike
