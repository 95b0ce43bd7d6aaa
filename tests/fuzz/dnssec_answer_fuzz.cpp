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

#include "DnsReplayTransport.hpp"
#include "DnssecSeedAnchor.hpp"
#include "DnssecValidator.hpp"
#include "PublishedKeyCheck.hpp"
#include "util/NssContext.hpp"

namespace {

using namespace ikemesh;
using namespace ikemesh::authdnssec;
using testkit::ReplayTransport;
using testkit::splitLengthPrefixed;

const ldns_rr_list* anchors() {
  static LdnsRrList list = [] {
    auto parsed = parseTrustAnchors(testkit::kDnssecSeedAnchors, "fuzz");
    if (!parsed) std::abort();
    return std::move(*parsed);
  }();
  return list.get();
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
      (void)verifyWithPublishedKeys(splitLengthPrefixed<1>(data + 1, size - 1), auth, octets, "n.mesh.test.");
    }
    return 0;
  }
  ReplayTransport transport(splitLengthPrefixed<2>(data + 1, size - 1));
  DnssecValidator validator(transport, anchors(), testkit::kDnssecSeedTime);
  (void)validator.lookup("n.mesh.test.", LDNS_RR_TYPE_IPSECKEY);
  return 0;
}
