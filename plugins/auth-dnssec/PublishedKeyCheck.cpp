// SPDX-License-Identifier: GPL-2.0-or-later
#include "PublishedKeyCheck.hpp"

#include <keyhi.h>

#include <algorithm>

#include <ikemesh/net.hpp>

#include "IpsecKeyRecord.hpp"
#include "SignatureScheme.hpp"

namespace ikemesh::authdnssec {

namespace {

Result<UniquePublicKey> importKey(const std::vector<std::uint8_t>& spkiDer) {
  SECItem item{siBuffer, const_cast<unsigned char*>(spkiDer.data()), static_cast<unsigned>(spkiDer.size())};
  CERTSubjectPublicKeyInfo* spki = SECKEY_DecodeDERSubjectPublicKeyInfo(&item);
  if (!spki) return fail("NSS does not accept the key: " + nssErrorText());
  UniquePublicKey key(SECKEY_ExtractPublicKey(spki));
  SECKEY_DestroySubjectPublicKeyInfo(spki);
  if (!key) return fail("NSS does not accept the key: " + nssErrorText());
  return key;
}

}  // namespace

Result<void> verifyWithPublishedKeys(const std::vector<std::vector<std::uint8_t>>& rdatas,
                                     const AuthPayload& auth, std::span<const std::uint8_t> signedOctets,
                                     const std::string& name) {
  std::vector<IpsecKeyRecord> records;
  std::string reasons;
  const auto note = [&reasons](const std::string& why) { reasons += (reasons.empty() ? "" : "; ") + why; };
  for (const auto& rdata : rdatas) {
    auto record = parseIpsecKeyRdata(rdata);
    if (record)
      records.push_back(std::move(*record));
    else
      note(record.error().message);
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.precedence < b.precedence; });
  bool anySignatureChecked = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string which = "IPSECKEY " + std::to_string(i + 1) + " of " + std::to_string(records.size()) +
                              " (precedence " + std::to_string(records[i].precedence) + ")";
    auto spki = subjectPublicKeyInfo(records[i]);
    if (!spki) {
      note(which + ": " + spki.error().message);
      continue;
    }
    auto key = importKey(*spki);
    if (!key) {
      note(which + ": " + key.error().message);
      continue;
    }
    auto verified = authx509::verifyAuthOctets(key->get(), auth, signedOctets);
    if (verified) return success();
    anySignatureChecked = true;
    note(which + ": " + verified.error().message);
  }
  if (records.empty() && reasons.empty()) return fail("no IPSECKEY record for " + name);
  return fail(std::string(anySignatureChecked ? "bad signature" : "no usable key") +
              ": the peer's AUTH (method " + std::to_string(static_cast<int>(auth.method)) +
              ") does not verify with any key published for " + name + ": " + reasons);
}

std::string displayIdentity(const Identity& id) {
  switch (id.type) {
    case IdType::Ipv4Address:
      if (id.data.size() == 4)
        return IpAddress::v4({id.data[0], id.data[1], id.data[2], id.data[3]}).toString();
      break;
    case IdType::Ipv6Address:
      if (id.data.size() == 16) {
        std::array<std::uint8_t, 16> octets{};
        std::copy(id.data.begin(), id.data.end(), octets.begin());
        return IpAddress::v6(octets).toString();
      }
      break;
    case IdType::Fqdn: return "@" + std::string(id.data.begin(), id.data.end());
    default: break;
  }
  return "(ID type " + std::to_string(static_cast<int>(id.type)) + ")";
}

}  // namespace ikemesh::authdnssec
