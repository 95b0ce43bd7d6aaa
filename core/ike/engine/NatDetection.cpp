// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/NatDetection.hpp"

#include "util/OpensslDigest.hpp"

namespace ikemesh::ike {

Bytes spiBytes(std::uint64_t spi) {
  Bytes out(8);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(spi & 0xff);
    spi >>= 8;
  }
  return out;
}

Bytes natDetectionHash(std::uint64_t initiatorSpi, std::uint64_t responderSpi, const Endpoint& endpoint) {
  Bytes input = spiBytes(initiatorSpi);
  auto responder = spiBytes(responderSpi);
  input.insert(input.end(), responder.begin(), responder.end());
  input.insert(input.end(), endpoint.address.data(), endpoint.address.data() + endpoint.address.size());
  input.push_back(static_cast<std::uint8_t>(endpoint.port >> 8));
  input.push_back(static_cast<std::uint8_t>(endpoint.port & 0xff));
  Bytes digest(20);
  // SHA-1 is what §2.23 mandates here; it is a NAT probe, not a security function.
  if (!digestInto(DigestAlgorithm::Sha1, input, digest)) digest.clear();
  return digest;
}

Endpoint natDetectionSource(const ConnectionView& connection, const Endpoint& local) {
  if (!connection.forceEncapsulation) return local;
  return Endpoint{local.address, static_cast<std::uint16_t>(local.port ^ 0xffff)};
}

}  // namespace ikemesh::ike
