// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for what auth-dnssec reads from the network: DNS answers through the
// DNSSEC validator (RRsets, RRSIGs, DNSKEY and DS chains, NSEC / NSEC3 denial) and IPSECKEY
// RDATA up to the key that verifies an AUTH payload.
// Input: the first octet picks the target. 0: the rest is IPSECKEY RDATA records, each behind a
// one-octet length. 1: the rest is DNS messages, each behind a two-octet length, handed out in
// order to the validator's questions (the last one again when they run out).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "DnssecValidator.hpp"
#include "PublishedKeyCheck.hpp"
#include "util/NssContext.hpp"

namespace {

using namespace ikemesh;
using namespace ikemesh::authdnssec;

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

/// The anchor: the KSK of mesh.test. (as DNSKEY and as DS) that signed the seed corpus (answers
/// of nsd for a zone ldns-signzone signed with NSEC and NSEC3, valid 2020-2099), so that seeds
/// validate and mutations start from deep inside the chain.
const ldns_rr_list* anchors() {
  static LdnsRrList list = [] {
    auto parsed = parseTrustAnchors(
        "mesh.test. IN DNSKEY 257 3 13 "
        "veHq1oNOeT63IPePdaQMOopL0zAVOlHMmBiD92eUY9YImP2eaa1ipynhMV5Je1uISONNOw/aEgYioDuzirwKXA==\n"
        "mesh.test. IN DS 1050 13 2 762465b3dc6dbe9d61e3e1a18e464f88fe612a54714117b020b78f4fc4847664\n",
        "fuzz");
    if (!parsed) std::abort();
    return std::move(*parsed);
  }();
  return list.get();
}

template <std::size_t LengthOctets>
std::vector<std::vector<std::uint8_t>> split(const std::uint8_t* data, std::size_t size) {
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto nss = NssContext::initWithoutDatabase();
  if (!nss) std::abort();
  if (size < 1) return 0;
  if (data[0] % 2 == 0) {
    const std::vector<std::uint8_t> octets = {'s', 'i', 'g', 'n', 'e', 'd'};
    for (AuthMethodId method : {AuthMethodId::RsaSignature, AuthMethodId::DigitalSignature}) {
      const AuthPayload auth{method, std::vector<std::uint8_t>(64, 0x30)};
      (void)verifyWithPublishedKeys(split<1>(data + 1, size - 1), auth, octets, "n.mesh.test.");
    }
    return 0;
  }
  ReplayTransport transport(split<2>(data + 1, size - 1));
  DnssecValidator validator(transport, anchors(), 1'800'000'000);
  (void)validator.lookup("n.mesh.test.", LDNS_RR_TYPE_IPSECKEY);
  return 0;
}
