// SPDX-License-Identifier: GPL-2.0-or-later
// RFC 7383 §2.5.1: an SK plaintext too large for one datagram is cut into pieces, each
// encrypted on its own into an SKF payload. This decides where to cut; encryption is the
// crypto module's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ikemesh/result.hpp>

#include "ike/message/Message.hpp"

namespace ikemesh::ike {

/// What encryption adds around one fragment's plaintext (RFC 7296 §3.14).
struct CipherOverhead {
  std::size_t ivLength = 0;   ///< 8 for AES-GCM, 16 for AES-CBC
  std::size_t icvLength = 0;  ///< 16 for AES-GCM-16, the truncated HMAC length for CBC
  /// The plaintext + Padding + Pad Length must be a multiple of this: the block size for CBC
  /// (16), 1 where no alignment is required (AES-GCM, RFC 5282 §3).
  std::size_t blockLength = 1;
};

/// One fragment's share of the inner plaintext: bytes [offset, offset + length).
struct FragmentSlice {
  std::size_t offset = 0;
  std::size_t length = 0;
  friend bool operator==(const FragmentSlice&, const FragmentSlice&) = default;
};

/// Cuts `plaintextLength` bytes into as few fragments as fit: each whole fragment message (IKE
/// header, SKF header, IV, plaintext, at most the padding the block length forces, Pad Length,
/// ICV) is at most `maxMessageLength` octets (the IKE message, without the non-ESP marker).
/// The slices are of near-equal size, in order, and cover the plaintext exactly. An empty
/// plaintext gives one empty slice. Fails when not even one plaintext byte fits or more than
/// 65535 fragments would be needed.
Result<std::vector<FragmentSlice>> planFragments(std::size_t plaintextLength, std::size_t maxMessageLength,
                                                 const CipherOverhead& overhead);

/// The largest plaintext one fragment can carry under the same rules (0 when none fits).
std::size_t maxFragmentPlaintext(std::size_t maxMessageLength, const CipherOverhead& overhead);

/// The message that carries fragment `number` of `total` (RFC 7383 §2.5): `header` and a single
/// SKF payload with the encrypted fragment; only fragment 1 names `firstInnerPayload`.
Message fragmentMessage(const IkeHeader& header, PayloadType firstInnerPayload, std::uint16_t number,
                        std::uint16_t total, std::vector<std::uint8_t> encryptedBody);

}  // namespace ikemesh::ike
