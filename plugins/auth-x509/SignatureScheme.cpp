// SPDX-License-Identifier: GPL-2.0-or-later
#include "SignatureScheme.hpp"

#include <cryptohi.h>
#include <keyhi.h>
#include <pkcs11t.h>
#include <secasn1.h>
#include <secder.h>
#include <secdig.h>
#include <secoid.h>

#include <string>

#include "util/OpensslDigest.hpp"

namespace ikemesh::authx509 {

namespace {

using Bytes = std::vector<std::uint8_t>;

// RFC 7427 Appendix A: the AlgorithmIdentifiers we send.
const Bytes kRsaPssSha256 = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f,
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c,
    0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09,
    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20};
const Bytes kEcdsaSha256 = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
const Bytes kEcdsaSha384 = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
const Bytes kEcdsaSha512 = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};

struct HashSpec {
  SECOidTag oid;
  unsigned length;
  const char* name;
  DigestAlgorithm digest;  // libcrypto's: the hash of the signed octets, RSA-PSS's hash and MGF1
};

std::optional<HashSpec> hashSpec(SECOidTag oid) {
  switch (oid) {
    case SEC_OID_SHA1: return HashSpec{oid, 20, "SHA-1", DigestAlgorithm::Sha1};
    case SEC_OID_SHA256: return HashSpec{oid, 32, "SHA2-256", DigestAlgorithm::Sha2_256};
    case SEC_OID_SHA384: return HashSpec{oid, 48, "SHA2-384", DigestAlgorithm::Sha2_384};
    case SEC_OID_SHA512: return HashSpec{oid, 64, "SHA2-512", DigestAlgorithm::Sha2_512};
    default: return std::nullopt;
  }
}

Result<Bytes> digest(const HashSpec& hash, std::span<const std::uint8_t> octets) {
  Bytes out(hash.length);
  if (!digestInto(hash.digest, octets, out))
    return fail(std::string(hash.name) + " over the signed octets: " + opensslErrorText());
  return out;
}

SECItem item(Bytes& bytes) {
  return SECItem{siBuffer, bytes.data(), static_cast<unsigned>(bytes.size())};
}

/// RFC 7427 §3: one octet of AlgorithmIdentifier length, the AlgorithmIdentifier, the signature.
Bytes digitalSignature(const Bytes& algorithm, const Bytes& signature) {
  Bytes out{static_cast<std::uint8_t>(algorithm.size())};
  out.insert(out.end(), algorithm.begin(), algorithm.end());
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

/// The ECDSA hash RFC 4754 ties to each curve, by the raw signature's length (2 * field size).
std::optional<HashSpec> ecdsaHashForSignatureLength(int length) {
  if (length == 64) return hashSpec(SEC_OID_SHA256);
  if (length == 96) return hashSpec(SEC_OID_SHA384);
  if (length == 132) return hashSpec(SEC_OID_SHA512);
  return std::nullopt;
}

Result<AuthPayload> signRsaPss(const SigningKey& key, std::span<const std::uint8_t> octets) {
  auto hashed = digest(*hashSpec(SEC_OID_SHA256), octets);
  if (!hashed) return hashed.error();
  auto signature = key.signRsaPssSha256(*hashed);
  if (!signature) return signature.error();
  return AuthPayload{AuthMethodId::DigitalSignature, digitalSignature(kRsaPssSha256, *signature)};
}

/// RSASSA-PKCS1-v1_5: the DigestInfo of the hash, padded and signed by the token (CKM_RSA_PKCS).
Result<Bytes> digestInfo(const HashSpec& hash, std::span<const std::uint8_t> octets) {
  auto hashed = digest(hash, octets);
  if (!hashed) return hashed.error();
  SGNDigestInfo* info = SGN_CreateDigestInfo(hash.oid, hashed->data(), static_cast<unsigned>(hashed->size()));
  if (!info) return fail("DigestInfo: " + nssErrorText());
  UniqueArena arena(PORT_NewArena(DER_DEFAULT_CHUNKSIZE));
  SECItem* encoded =
      arena ? SEC_ASN1EncodeItem(arena.get(), nullptr, info, SEC_ASN1_GET(sgn_DigestInfoTemplate)) : nullptr;
  SGN_DestroyDigestInfo(info);
  if (!encoded) return fail("DigestInfo encoding: " + nssErrorText());
  return Bytes(encoded->data, encoded->data + encoded->len);
}

Result<AuthPayload> signRsaPkcs1(const SigningKey& key, std::span<const std::uint8_t> octets) {
  auto info = digestInfo(*hashSpec(SEC_OID_SHA1), octets);
  if (!info) return info.error();
  auto signature = key.signRaw(*info);
  if (!signature) return signature.error();
  return AuthPayload{AuthMethodId::RsaSignature, std::move(*signature)};
}

Result<AuthPayload> signEcdsa(const SigningKey& key, std::span<const std::uint8_t> octets) {
  const auto hash = ecdsaHashForSignatureLength(key.signatureLength());
  if (!hash) return fail("ECDSA key on a curve other than P-256, P-384 or P-521");
  auto hashed = digest(*hash, octets);
  if (!hashed) return hashed.error();
  auto raw = key.signRaw(*hashed);
  if (!raw) return raw.error();
  // RFC 7427 §3 carries ECDSA as the DER Ecdsa-Sig-Value (RFC 3279), not RFC 4754's r|s.
  SECItem rawItem = item(*raw);
  SECItem der{siBuffer, nullptr, 0};
  if (DSAU_EncodeDerSigWithLen(&der, &rawItem, rawItem.len) != SECSuccess)
    return fail("ECDSA signature encoding: " + nssErrorText());
  Bytes derBytes(der.data, der.data + der.len);
  SECITEM_FreeItem(&der, PR_FALSE);
  const Bytes& algorithm = hash->oid == SEC_OID_SHA256   ? kEcdsaSha256
                           : hash->oid == SEC_OID_SHA384 ? kEcdsaSha384
                                                         : kEcdsaSha512;
  return AuthPayload{AuthMethodId::DigitalSignature, digitalSignature(algorithm, derBytes)};
}

Result<void> badSignature(const std::string& what) {
  return fail("bad signature: the peer's " + what + " does not verify with its public key");
}

/// RSA checks go through libcrypto (PeerPublicKey.hpp says why).
Result<void> verifyRsaPkcs1(const PeerPublicKey& key, const Bytes& signature,
                            std::span<const std::uint8_t> octets, std::optional<SECOidTag> requiredHash,
                            const std::string& what) {
  // Recover the DigestInfo, so that method 1 works whichever hash the peer chose.
  auto recovered = key.recoverRsaPkcs1(signature);
  if (!recovered) return badSignature(what);
  SECItem recoveredItem = item(*recovered);
  SGNDigestInfo* info = SGN_DecodeDigestInfo(&recoveredItem);
  if (!info) return badSignature(what);
  const SECOidTag hashOid = SECOID_GetAlgorithmTag(&info->digestAlgorithm);
  Bytes carried(info->digest.data, info->digest.data + info->digest.len);
  SGN_DestroyDigestInfo(info);
  if (requiredHash && hashOid != *requiredHash)
    return badSignature(what + " (DigestInfo names another hash)");
  const auto hash = hashSpec(hashOid);
  if (!hash) return fail("RSA signature with an unsupported hash in its DigestInfo");
  auto expected = digest(*hash, octets);
  if (!expected) return expected.error();
  if (*expected != carried) return badSignature(what);
  return success();
}

Result<void> verifyRsaPss(const PeerPublicKey& key, const Bytes& signature,
                          std::span<const std::uint8_t> octets, const HashSpec& hash, const HashSpec& mgfHash,
                          unsigned long saltLength) {
  auto hashed = digest(hash, octets);
  if (!hashed) return hashed.error();
  if (saltLength > 1024 ||
      !key.verifyRsaPss(*hashed, signature, hash.digest, mgfHash.digest, static_cast<int>(saltLength)))
    return badSignature(std::string("RSA-PSS ") + hash.name + " signature");
  return success();
}

/// Through libcrypto (PeerPublicKey.hpp says why).
Result<void> verifyEcdsaRaw(const PeerPublicKey& key, const Bytes& raw, std::span<const std::uint8_t> octets,
                            const HashSpec& hash, const std::string& what) {
  auto hashed = digest(hash, octets);
  if (!hashed) return hashed.error();
  if (!key.verifyEcdsa(*hashed, raw)) return badSignature(what);
  return success();
}

Result<void> requireKey(SECKEYPublicKey* key, KeyType type, const std::string& what) {
  if (SECKEY_GetPublicKeyType(key) == type) return success();
  return fail("the peer signed with " + what + " but its certificate holds " +
              (type == rsaKey ? "no RSA key" : "no EC key"));
}

/// RFC 7427 §3: Digital Signature, the algorithm named by its AlgorithmIdentifier.
Result<void> verifyDigitalSignature(const PeerPublicKey& peer, const Bytes& data,
                                    std::span<const std::uint8_t> octets) {
  SECKEYPublicKey* key = peer.nss();
  if (data.empty() || data[0] == 0 || data.size() < 1u + data[0])
    return fail("Digital Signature AUTH data shorter than its AlgorithmIdentifier (RFC 7427 §3)");
  Bytes algorithm(data.begin() + 1, data.begin() + 1 + data[0]);
  Bytes signature(data.begin() + 1 + data[0], data.end());
  UniqueArena arena(PORT_NewArena(DER_DEFAULT_CHUNKSIZE));
  if (!arena) return fail("out of memory");
  SECAlgorithmID algorithmId{};
  SECItem algorithmItem = item(algorithm);
  if (SEC_QuickDERDecodeItem(arena.get(), &algorithmId, SEC_ASN1_GET(SECOID_AlgorithmIDTemplate),
                             &algorithmItem) != SECSuccess)
    return fail("Digital Signature AUTH data: the AlgorithmIdentifier is not valid DER (RFC 7427 §3)");
  const SECOidTag tag = SECOID_GetAlgorithmTag(&algorithmId);
  switch (tag) {
    case SEC_OID_PKCS1_SHA256_WITH_RSA_ENCRYPTION:
    case SEC_OID_PKCS1_SHA384_WITH_RSA_ENCRYPTION:
    case SEC_OID_PKCS1_SHA512_WITH_RSA_ENCRYPTION: {
      if (auto r = requireKey(key, rsaKey, "RSA"); !r) return r;
      const SECOidTag hash = tag == SEC_OID_PKCS1_SHA256_WITH_RSA_ENCRYPTION   ? SEC_OID_SHA256
                             : tag == SEC_OID_PKCS1_SHA384_WITH_RSA_ENCRYPTION ? SEC_OID_SHA384
                                                                               : SEC_OID_SHA512;
      return verifyRsaPkcs1(peer, signature, octets, hash, "RSA PKCS#1 v1.5 signature");
    }
    case SEC_OID_PKCS1_RSA_PSS_SIGNATURE: {
      if (auto r = requireKey(key, rsaKey, "RSA-PSS"); !r) return r;
      SECKEYRSAPSSParams params{};
      if (algorithmId.parameters.len == 0 ||
          SEC_QuickDERDecodeItem(arena.get(), &params, SEC_ASN1_GET(SECKEY_RSAPSSParamsTemplate),
                                 &algorithmId.parameters) != SECSuccess)
        return fail("RSA-PSS AlgorithmIdentifier without valid parameters (RFC 4055 §3.1)");
      // RFC 4055 §3.1 defaults: SHA-1, MGF1 with SHA-1, 20 octets of salt.
      const auto hash = hashSpec(params.hashAlg ? SECOID_GetAlgorithmTag(params.hashAlg) : SEC_OID_SHA1);
      auto mgfHash = hashSpec(SEC_OID_SHA1);
      if (params.maskAlg) {
        if (SECOID_GetAlgorithmTag(params.maskAlg) != SEC_OID_PKCS1_MGF1)
          return fail("RSA-PSS with a mask generation function other than MGF1");
        SECAlgorithmID mgfHashId{};
        if (SEC_QuickDERDecodeItem(arena.get(), &mgfHashId, SEC_ASN1_GET(SECOID_AlgorithmIDTemplate),
                                   &params.maskAlg->parameters) != SECSuccess)
          return fail("RSA-PSS MGF1 parameters are not an AlgorithmIdentifier");
        mgfHash = hashSpec(SECOID_GetAlgorithmTag(&mgfHashId));
      }
      unsigned long salt = 20;
      if (params.saltLength.len) salt = DER_GetUInteger(&params.saltLength);
      if (!hash || !mgfHash) return fail("RSA-PSS with an unsupported hash");
      return verifyRsaPss(peer, signature, octets, *hash, *mgfHash, salt);
    }
    case SEC_OID_ANSIX962_ECDSA_SHA256_SIGNATURE:
    case SEC_OID_ANSIX962_ECDSA_SHA384_SIGNATURE:
    case SEC_OID_ANSIX962_ECDSA_SHA512_SIGNATURE: {
      if (auto r = requireKey(key, ecKey, "ECDSA"); !r) return r;
      const auto hash = hashSpec(tag == SEC_OID_ANSIX962_ECDSA_SHA256_SIGNATURE   ? SEC_OID_SHA256
                                 : tag == SEC_OID_ANSIX962_ECDSA_SHA384_SIGNATURE ? SEC_OID_SHA384
                                                                                  : SEC_OID_SHA512);
      const unsigned rawLength = SECKEY_SignatureLen(key);
      SECItem der = item(signature);
      SECItem* raw = DSAU_DecodeDerSigToLen(&der, rawLength);
      if (!raw) return badSignature("ECDSA signature (not a DER Ecdsa-Sig-Value)");
      Bytes rawBytes(raw->data, raw->data + raw->len);
      SECITEM_FreeItem(raw, PR_TRUE);
      return verifyEcdsaRaw(peer, rawBytes, octets, *hash, std::string("ECDSA ") + hash->name + " signature");
    }
    default:
      return fail("Digital Signature with an unsupported algorithm (" +
                  std::string(SECOID_FindOIDTagDescription(tag) ? SECOID_FindOIDTagDescription(tag) : "?") +
                  ")");
  }
}

}  // namespace

Result<AuthPayload> signAuthOctets(const SigningKey& key, RsaScheme rsa,
                                   std::span<const std::uint8_t> octets) {
  switch (key.type()) {
    case rsaKey: return rsa == RsaScheme::Pss ? signRsaPss(key, octets) : signRsaPkcs1(key, octets);
    case ecKey: return signEcdsa(key, octets);
    default: return fail("our key is neither RSA nor ECDSA");
  }
}

Result<AuthPayload> signAuthOctets(SECKEYPrivateKey* key, RsaScheme rsa,
                                   std::span<const std::uint8_t> octets) {
  // The caller keeps the key: a reference that does not destroy it.
  return signAuthOctets(SigningKey::inNss(std::shared_ptr<SECKEYPrivateKey>(key, [](SECKEYPrivateKey*) {})),
                        rsa, octets);
}

Result<void> verifyAuthOctets(const PeerPublicKey& peer, const AuthPayload& auth,
                              std::span<const std::uint8_t> octets) {
  SECKEYPublicKey* key = peer.nss();
  switch (auth.method) {
    case AuthMethodId::RsaSignature:
      // RFC 7296 §3.8: RSASSA-PKCS1-v1_5; the DigestInfo names the hash.
      if (auto r = requireKey(key, rsaKey, "RSA (AUTH method 1)"); !r) return r;
      return verifyRsaPkcs1(peer, auth.data, octets, std::nullopt, "RSA signature (AUTH method 1)");
    case AuthMethodId::EcdsaP256Sha256:
    case AuthMethodId::EcdsaP384Sha384:
    case AuthMethodId::EcdsaP521Sha512: {
      // RFC 4754 §7: r|s over the hash the method names.
      if (auto r = requireKey(key, ecKey, "ECDSA (RFC 4754)"); !r) return r;
      const auto oid = auth.method == AuthMethodId::EcdsaP256Sha256   ? SEC_OID_SHA256
                       : auth.method == AuthMethodId::EcdsaP384Sha384 ? SEC_OID_SHA384
                                                                      : SEC_OID_SHA512;
      const auto hash = hashSpec(oid);
      const auto curveHash = ecdsaHashForSignatureLength(static_cast<int>(SECKEY_SignatureLen(key)));
      if (!curveHash || curveHash->oid != oid)
        return fail("AUTH method " + std::to_string(static_cast<int>(auth.method)) +
                    " does not match the curve of the peer's certificate (RFC 4754 §7)");
      return verifyEcdsaRaw(peer, auth.data, octets, *hash, "ECDSA signature (RFC 4754)");
    }
    case AuthMethodId::DigitalSignature: return verifyDigitalSignature(peer, auth.data, octets);
    default:
      return fail("AUTH method " + std::to_string(static_cast<int>(auth.method)) +
                  " where a certificate signature (1, 9, 10, 11 or 14) is expected");
  }
}

Result<void> verifyAuthOctets(SECKEYPublicKey* key, const AuthPayload& auth,
                              std::span<const std::uint8_t> octets) {
  auto peer = PeerPublicKey::copyOf(key);
  if (!peer) return peer.error();
  return verifyAuthOctets(*peer, auth, octets);
}

}  // namespace ikemesh::authx509
