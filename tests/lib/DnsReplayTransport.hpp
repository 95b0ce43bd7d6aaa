// SPDX-License-Identifier: GPL-2.0-or-later
// DNS answers from octets: a transport that hands recorded answers (wire form) to the DNSSEC
// validator's questions in order, the last one again when they run out; and the framing of the
// fuzz inputs and seeds (each item behind a big-endian length of one or two octets).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "DnsTransport.hpp"

namespace ikemesh::testkit {

using authdnssec::DnsTransport;
using authdnssec::LdnsPacket;

class ReplayTransport final : public DnsTransport {
 public:
  explicit ReplayTransport(std::vector<std::vector<std::uint8_t>> answers) : answers_(std::move(answers)) {}
  Result<LdnsPacket> query(const std::string&, ldns_rr_type) override {
    if (answers_.empty()) return fail("no answer");
    const auto& wire = answers_[std::min(next_++, answers_.size() - 1)];
    ldns_pkt* packet = nullptr;
    if (ldns_wire2pkt(&packet, wire.data(), wire.size()) != LDNS_STATUS_OK) return fail("malformed answer");
    return LdnsPacket(packet);
  }

 private:
  std::vector<std::vector<std::uint8_t>> answers_;
  std::size_t next_ = 0;
};

/// The items of `data`, each behind a LengthOctets-octet length; a short last item is kept.
template <std::size_t LengthOctets>
std::vector<std::vector<std::uint8_t>> splitLengthPrefixed(const std::uint8_t* data, std::size_t size) {
  std::vector<std::vector<std::uint8_t>> out;
  std::size_t at = 0;
  while (at + LengthOctets <= size) {
    std::size_t length = data[at];
    if (LengthOctets == 2) length = (length << 8) | data[at + 1];
    at += LengthOctets;
    length = std::min(length, size - at);
    out.emplace_back(data + at, data + at + length);
    at += length;
  }
  return out;
}

}  // namespace ikemesh::testkit
