// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the IKEv2 message codec with untrusted bytes, as a peer would send them:
//  - the whole input as a datagram (decode);
//  - the input as an inner chain: first byte = the SK header's Next Payload, rest = plaintext
//    (decodeInner).
// Whatever decodes must encode and decode again to the same model; anything else aborts.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "ike/message/MessageDecoder.hpp"
#include "ike/message/MessageEncoder.hpp"
#include "ike/message/MessageSummary.hpp"

namespace {

using namespace ikemesh::ike;

void checkOuter(std::span<const std::uint8_t> datagram) {
  auto decoded = decode(datagram);
  if (!decoded) {
    if (decoded.error().message.empty()) std::abort();  // every rejection must say why
    return;
  }
  (void)summarize(decoded.value());
  (void)receivedAssociatedData(datagram, decoded.value());
  auto reencoded = encode(decoded.value());
  auto again = decode(reencoded);
  if (!again || !(again.value() == decoded.value())) std::abort();
}

void checkInner(std::span<const std::uint8_t> input) {
  if (input.empty()) return;
  auto first = static_cast<PayloadType>(input[0]);
  auto decoded = decodeInner(first, input.subspan(1));
  if (!decoded) {
    if (decoded.error().message.empty()) std::abort();
    return;
  }
  auto reencoded = encodeInner(decoded.value());
  PayloadType reencodedFirst = decoded->empty() ? PayloadType::None : decoded->front().type;
  auto again = decodeInner(reencodedFirst, reencoded);
  if (!again || !(again.value() == decoded.value())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  checkOuter(input);
  checkInner(input);
  return 0;
}
