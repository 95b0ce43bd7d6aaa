// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for what auth-x509 reads from the peer: the AUTH payload (RFC 7427
// AlgorithmIdentifier, RSA-PSS parameters, DER ECDSA signatures, PKCS#1 DigestInfo), the ID
// payload as status shows it, and CERT payloads up to path validation (which fails here: the
// harness trusts no CA). The first octet picks the target, the second is the AUTH method or
// ID type, the rest is the payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "CertificateIdentity.hpp"
#include "SignatureScheme.hpp"
#include "X509AuthMethod.hpp"
#include "util/NssContext.hpp"

namespace {

using namespace ikemesh;

struct Keys {
  UniquePublicKey rsa;
  UniquePublicKey ec;
};

UniquePublicKey generate(CK_MECHANISM_TYPE mechanism, void* params) {
  UniqueSlot slot(PK11_GetInternalSlot());
  SECKEYPublicKey* publicKey = nullptr;
  SECKEYPrivateKey* privateKey =
      PK11_GenerateKeyPair(slot.get(), mechanism, params, &publicKey, PR_FALSE, PR_FALSE, nullptr);
  if (!privateKey) std::abort();
  SECKEY_DestroyPrivateKey(privateKey);
  return UniquePublicKey(publicKey);
}

const Keys& keys() {
  static const Keys generated = [] {
    static auto nss = NssContext::initWithoutDatabase();
    if (!nss) std::abort();
    PK11RSAGenParams rsa{2048, 65537};
    // The DER OID of P-256 (1.2.840.10045.3.1.7) as EC parameters.
    static unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    SECItem curve{siBuffer, p256, sizeof p256};
    return Keys{generate(CKM_RSA_PKCS_KEY_PAIR_GEN, &rsa), generate(CKM_EC_KEY_PAIR_GEN, &curve)};
  }();
  return generated;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Keys& k = keys();
  if (size < 2) return 0;
  const std::vector<std::uint8_t> payload(data + 2, data + size);
  const std::vector<std::uint8_t> octets = {'s', 'i', 'g', 'n', 'e', 'd'};
  switch (data[0] % 4) {
    case 0:
      (void)authx509::verifyAuthOctets(k.rsa.get(), AuthPayload{static_cast<AuthMethodId>(data[1]), payload},
                                       octets);
      break;
    case 1:
      (void)authx509::verifyAuthOctets(k.ec.get(), AuthPayload{static_cast<AuthMethodId>(data[1]), payload},
                                       octets);
      break;
    case 2: (void)authx509::displayIdentity(Identity{static_cast<IdType>(data[1]), payload}); break;
    case 3: {
      PeerClaim claim;
      claim.id = Identity{IdType::DerAsn1Dn, {}};
      claim.certificates.push_back({static_cast<std::uint8_t>(data[1] % 2 ? 4 : data[1]), payload});
      (void)authx509::verifyPeer(claim, octets, std::nullopt);
      break;
    }
  }
  return 0;
}
