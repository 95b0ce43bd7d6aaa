// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/KeyExchange.hpp"

#include <secoid.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <string>

namespace ikemesh::ike {

namespace {

/// KeyExchange instances alive (created and destroyed on worker threads too).
std::atomic<std::size_t> live{0};

// RFC 3526 §3, the 2048-bit MODP group: p = 2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi] + 124476),
// generator 2. (tests/unit/ike-crypto/vectors/ recomputes p from pi and checks it.)
constexpr std::array<std::uint8_t, 256> kModp2048Prime = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc9, 0x0f, 0xda, 0xa2, 0x21, 0x68, 0xc2, 0x34,
    0xc4, 0xc6, 0x62, 0x8b, 0x80, 0xdc, 0x1c, 0xd1, 0x29, 0x02, 0x4e, 0x08, 0x8a, 0x67, 0xcc, 0x74,
    0x02, 0x0b, 0xbe, 0xa6, 0x3b, 0x13, 0x9b, 0x22, 0x51, 0x4a, 0x08, 0x79, 0x8e, 0x34, 0x04, 0xdd,
    0xef, 0x95, 0x19, 0xb3, 0xcd, 0x3a, 0x43, 0x1b, 0x30, 0x2b, 0x0a, 0x6d, 0xf2, 0x5f, 0x14, 0x37,
    0x4f, 0xe1, 0x35, 0x6d, 0x6d, 0x51, 0xc2, 0x45, 0xe4, 0x85, 0xb5, 0x76, 0x62, 0x5e, 0x7e, 0xc6,
    0xf4, 0x4c, 0x42, 0xe9, 0xa6, 0x37, 0xed, 0x6b, 0x0b, 0xff, 0x5c, 0xb6, 0xf4, 0x06, 0xb7, 0xed,
    0xee, 0x38, 0x6b, 0xfb, 0x5a, 0x89, 0x9f, 0xa5, 0xae, 0x9f, 0x24, 0x11, 0x7c, 0x4b, 0x1f, 0xe6,
    0x49, 0x28, 0x66, 0x51, 0xec, 0xe4, 0x5b, 0x3d, 0xc2, 0x00, 0x7c, 0xb8, 0xa1, 0x63, 0xbf, 0x05,
    0x98, 0xda, 0x48, 0x36, 0x1c, 0x55, 0xd3, 0x9a, 0x69, 0x16, 0x3f, 0xa8, 0xfd, 0x24, 0xcf, 0x5f,
    0x83, 0x65, 0x5d, 0x23, 0xdc, 0xa3, 0xad, 0x96, 0x1c, 0x62, 0xf3, 0x56, 0x20, 0x85, 0x52, 0xbb,
    0x9e, 0xd5, 0x29, 0x07, 0x70, 0x96, 0x96, 0x6d, 0x67, 0x0c, 0x35, 0x4e, 0x4a, 0xbc, 0x98, 0x04,
    0xf1, 0x74, 0x6c, 0x08, 0xca, 0x18, 0x21, 0x7c, 0x32, 0x90, 0x5e, 0x46, 0x2e, 0x36, 0xce, 0x3b,
    0xe3, 0x9e, 0x77, 0x2c, 0x18, 0x0e, 0x86, 0x03, 0x9b, 0x27, 0x83, 0xa2, 0xec, 0x07, 0xa2, 0x8f,
    0xb5, 0xc5, 0x5d, 0xf0, 0x6f, 0x4c, 0x52, 0xc9, 0xde, 0x2b, 0xcb, 0xf6, 0x95, 0x58, 0x17, 0x18,
    0x39, 0x95, 0x49, 0x7c, 0xea, 0x95, 0x6a, 0xe5, 0x15, 0xd2, 0x26, 0x18, 0x98, 0xfa, 0x05, 0x10,
    0x15, 0x72, 0x8e, 0x5a, 0x8a, 0xac, 0xaa, 0x68, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr std::array<std::uint8_t, 1> kModpGenerator = {2};

// Field primes of the NIST curves (FIPS 186-4 D.1.2), for the coordinate range check.
constexpr std::array<std::uint8_t, 32> kP256Prime = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr std::array<std::uint8_t, 48> kP384Prime = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff};

constexpr std::uint8_t kUncompressedPoint = 0x04;  // SEC 1 §2.3.3

bool isEcp(DhGroup group) {
  return group == DhGroup::Ecp256 || group == DhGroup::Ecp384;
}

std::span<const std::uint8_t> fieldPrime(DhGroup group) {
  switch (group) {
    case DhGroup::Modp2048: return kModp2048Prime;
    case DhGroup::Ecp256: return kP256Prime;
    case DhGroup::Ecp384: return kP384Prime;
    case DhGroup::Curve25519: break;
  }
  return {};
}

SECOidTag curveOid(DhGroup group) {
  switch (group) {
    case DhGroup::Ecp256: return SEC_OID_ANSIX962_EC_PRIME256V1;
    case DhGroup::Ecp384: return SEC_OID_SECG_EC_SECP384R1;
    case DhGroup::Curve25519: return SEC_OID_CURVE25519;
    case DhGroup::Modp2048: break;
  }
  return SEC_OID_UNKNOWN;
}

/// Big-endian unsigned comparison of two numbers of the same length: a < b.
bool lessThan(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

std::string groupPrefix(DhGroup group) {
  return "DH group " + std::to_string(static_cast<unsigned>(group)) + " (" + transformName(group) + ")";
}

void appendDerLength(std::vector<std::uint8_t>& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
  } else if (length <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(length));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length & 0xff));
  }
}

std::vector<std::uint8_t> der(std::uint8_t tag, std::span<const std::uint8_t> content) {
  std::vector<std::uint8_t> out{tag};
  appendDerLength(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

std::vector<std::uint8_t> concat(std::initializer_list<std::span<const std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (auto part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

/// The curve's OID as DER (the ECParameters NSS wants for key generation and import).
Result<std::vector<std::uint8_t>> curveParameters(DhGroup group) {
  const SECOidData* oid = SECOID_FindOIDByTag(curveOid(group));
  if (!oid) return fail(groupPrefix(group) + ": NSS does not know the curve's OID: " + nssErrorText());
  return der(0x06, std::span<const std::uint8_t>(oid->oid.data, oid->oid.len));
}

SECItem itemOf(std::span<const std::uint8_t> bytes) {
  // NSS takes non-const items for inputs it only reads.
  return SECItem{siBuffer, const_cast<unsigned char*>(bytes.data()), static_cast<unsigned>(bytes.size())};
}

/// The derived secret's octets, left-padded with zeros to `length` (RFC 7296 §2.14: g^ir is
/// the length of the prime; RFC 5903 §7: the x coordinate at the field's length).
Result<SecureBytes> extractSecret(PK11SymKey* key, std::size_t length, const std::string& prefix) {
  if (PK11_ExtractKeyValue(key) != SECSuccess)
    return fail(prefix + ": reading the shared secret from NSS failed: " + nssErrorText());
  const SECItem* data = PK11_GetKeyData(key);
  if (!data || data->len > length)
    return fail(prefix + ": NSS returned a shared secret of " + std::to_string(data ? data->len : 0) +
                " octets, expected " + std::to_string(length));
  SecureBytes secret(length);
  std::copy(data->data, data->data + data->len,
            secret.begin() + static_cast<std::ptrdiff_t>(length - data->len));
  return secret;
}

/// A copy of `templateKey` (same group parameters) carrying `value` as its public value.
Result<UniquePublicKey> publicKeyWithValue(const SECKEYPublicKey* templateKey,
                                           std::span<const std::uint8_t> value, const std::string& prefix) {
  UniquePublicKey key(SECKEY_CopyPublicKey(templateKey));
  if (!key) return fail(prefix + ": copying a public key failed: " + nssErrorText());
  SECItem valueItem = itemOf(value);
  SECItem* target = key->keyType == dhKey ? &key->u.dh.publicValue : &key->u.ec.publicValue;
  if (SECITEM_CopyItem(key->arena, target, &valueItem) != SECSuccess)
    return fail(prefix + ": copying a public value failed: " + nssErrorText());
  return key;
}

/// Raw ECDH / X25519 with the KDF "null" (the bare x coordinate / u-coordinate).
UniqueSymKey deriveEc(SECKEYPrivateKey* privateKey, SECKEYPublicKey* peer) {
  return UniqueSymKey(PK11_PubDeriveWithKDF(privateKey, peer, PR_FALSE, nullptr, nullptr, CKM_ECDH1_DERIVE,
                                            CKM_GENERIC_SECRET_KEY_GEN, CKA_DERIVE, 0, CKD_NULL, nullptr,
                                            nullptr));
}

bool allZero(std::span<const std::uint8_t> bytes) {
  std::uint8_t accumulated = 0;
  for (std::uint8_t byte : bytes) accumulated |= byte;  // no early exit: constant time
  return accumulated == 0;
}

}  // namespace

KeyExchange::KeyExchange(DhGroup group, UniquePrivateKey privateKey, UniquePublicKey publicKey,
                         std::vector<std::uint8_t> publicValue)
    : group_(group),
      privateKey_(std::move(privateKey)),
      publicKey_(std::move(publicKey)),
      publicValue_(std::move(publicValue)) {
  ++live;
}

KeyExchange::~KeyExchange() {
  --live;
}

std::size_t KeyExchange::liveCount() noexcept {
  return live.load();
}

Result<std::unique_ptr<KeyExchange>> KeyExchange::create(DhGroup group) {
  const std::string prefix = groupPrefix(group);
  if (!dhGroupFromId(static_cast<std::uint16_t>(group))) return fail(prefix + " is not supported");
  UniqueSlot slot(PK11_GetInternalSlot());
  if (!slot) return fail(prefix + ": no NSS internal slot (is NSS initialised?): " + nssErrorText());

  SECKEYPublicKey* rawPublic = nullptr;
  SECKEYPrivateKey* rawPrivate = nullptr;
  if (group == DhGroup::Modp2048) {
    SECKEYDHParams params{};
    params.prime = itemOf(kModp2048Prime);
    params.base = itemOf(kModpGenerator);
    rawPrivate = PK11_GenerateKeyPair(slot.get(), CKM_DH_PKCS_KEY_PAIR_GEN, &params, &rawPublic, PR_FALSE,
                                      PR_FALSE, nullptr);
  } else {
    auto parameters = curveParameters(group);
    if (!parameters) return std::move(parameters).error();
    SECItem paramsItem = itemOf(*parameters);
    rawPrivate = PK11_GenerateKeyPair(slot.get(), CKM_EC_KEY_PAIR_GEN, &paramsItem, &rawPublic, PR_FALSE,
                                      PR_FALSE, nullptr);
  }
  UniquePrivateKey privateKey(rawPrivate);
  UniquePublicKey publicKey(rawPublic);
  if (!privateKey || !publicKey) return fail(prefix + ": key pair generation failed: " + nssErrorText());

  const std::size_t length = keyExchangeLength(group);
  std::vector<std::uint8_t> publicValue;
  if (group == DhGroup::Modp2048) {
    const SECItem& y = publicKey->u.dh.publicValue;
    if (y.len > length)
      return fail(prefix + ": NSS produced a public value of " + std::to_string(y.len) + " octets");
    publicValue.assign(length - y.len, 0);  // RFC 7296 §3.4: zero-padded to the prime's length
    publicValue.insert(publicValue.end(), y.data, y.data + y.len);
  } else {
    const SECItem& point = publicKey->u.ec.publicValue;
    if (group == DhGroup::Curve25519) {
      if (point.len != length)
        return fail(prefix + ": NSS produced a public value of " + std::to_string(point.len) + " octets");
      publicValue.assign(point.data, point.data + point.len);
    } else {
      // RFC 5903 §7: x | y, dropping SEC 1's point-format octet.
      if (point.len != length + 1 || point.data[0] != kUncompressedPoint)
        return fail(prefix + ": NSS produced a public point of " + std::to_string(point.len) +
                    " octets, not an uncompressed point");
      publicValue.assign(point.data + 1, point.data + point.len);
    }
  }
  return std::unique_ptr<KeyExchange>(
      new KeyExchange(group, std::move(privateKey), std::move(publicKey), std::move(publicValue)));
}

Result<std::unique_ptr<KeyExchange>> KeyExchange::createFromKnownKeyPairForTesting(
    DhGroup group, std::span<const std::uint8_t> privateKey, std::span<const std::uint8_t> publicValue) {
  const std::string prefix = groupPrefix(group) + " known key pair";
  if (!isEcp(group) && group != DhGroup::Curve25519)
    return fail(prefix + ": only ECP and Curve25519 groups can import a private key");
  const std::size_t scalarLength = group == DhGroup::Curve25519 ? 32 : keyExchangeLength(group) / 2;
  if (privateKey.size() != scalarLength)
    return fail(prefix + ": private key is " + std::to_string(privateKey.size()) + " octets, expected " +
                std::to_string(scalarLength));
  if (publicValue.size() != keyExchangeLength(group))
    return fail(prefix + ": public value is " + std::to_string(publicValue.size()) + " octets, expected " +
                std::to_string(keyExchangeLength(group)));

  // PKCS#8 PrivateKeyInfo (RFC 5208) around an ECPrivateKey (RFC 5915) that carries the public
  // point too: NSS's import needs it to name the key.
  auto parameters = curveParameters(group);
  if (!parameters) return std::move(parameters).error();
  std::vector<std::uint8_t> point;
  if (isEcp(group)) point.push_back(kUncompressedPoint);
  point.insert(point.end(), publicValue.begin(), publicValue.end());
  std::vector<std::uint8_t> bitString{0x00};  // no unused bits
  bitString.insert(bitString.end(), point.begin(), point.end());
  constexpr std::uint8_t kVersion0[] = {0x00};
  constexpr std::uint8_t kVersion1[] = {0x01};
  constexpr std::uint8_t kIdEcPublicKey[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
  const auto ecPrivateKey =
      der(0x30, concat({der(0x02, kVersion1), der(0x04, privateKey), der(0xa1, der(0x03, bitString))}));
  const auto algorithm = der(0x30, concat({kIdEcPublicKey, *parameters}));
  const auto privateKeyInfo = der(0x30, concat({der(0x02, kVersion0), algorithm, der(0x04, ecPrivateKey)}));

  UniqueSlot slot(PK11_GetInternalSlot());
  if (!slot) return fail(prefix + ": no NSS internal slot (is NSS initialised?): " + nssErrorText());
  SECItem derItem = itemOf(privateKeyInfo);
  SECKEYPrivateKey* rawPrivate = nullptr;
  if (PK11_ImportDERPrivateKeyInfoAndReturnKey(slot.get(), &derItem, nullptr, nullptr, PR_FALSE, PR_FALSE,
                                               KU_KEY_AGREEMENT | KU_DIGITAL_SIGNATURE, &rawPrivate,
                                               nullptr) != SECSuccess)
    return fail(prefix + ": NSS refused the private key: " + nssErrorText());
  UniquePrivateKey importedPrivate(rawPrivate);
  UniquePublicKey importedPublic(SECKEY_ConvertToPublicKey(importedPrivate.get()));
  if (!importedPublic) return fail(prefix + ": NSS gave no public key for it: " + nssErrorText());

  // Prove that the vector's public value belongs to its private key.
  if (group == DhGroup::Curve25519) {
    std::array<std::uint8_t, 32> basePoint{9};  // RFC 7748 §4.1: u = 9
    auto base = publicKeyWithValue(importedPublic.get(), basePoint, prefix);
    if (!base) return std::move(base).error();
    UniqueSymKey derived = deriveEc(importedPrivate.get(), base->get());
    if (!derived) return fail(prefix + ": X25519(k, 9) failed: " + nssErrorText());
    auto computed = extractSecret(derived.get(), 32, prefix);
    if (!computed) return std::move(computed).error();
    if (!std::equal(computed->begin(), computed->end(), publicValue.begin(), publicValue.end()))
      return fail(prefix + ": the public value is not X25519(private key, 9)");
  } else {
    std::array<std::uint8_t, 32> digest{};
    for (std::size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<std::uint8_t>(i * 7 + 1);
    const int signatureLength = PK11_SignatureLen(importedPrivate.get());
    if (signatureLength <= 0) return fail(prefix + ": NSS cannot sign with the key: " + nssErrorText());
    std::vector<std::uint8_t> signature(static_cast<std::size_t>(signatureLength));
    SECItem signatureItem = itemOf(signature);
    SECItem digestItem = itemOf(digest);
    if (PK11_Sign(importedPrivate.get(), &signatureItem, &digestItem) != SECSuccess)
      return fail(prefix + ": signing the consistency check failed: " + nssErrorText());
    if (PK11_Verify(importedPublic.get(), &signatureItem, &digestItem, nullptr) != SECSuccess)
      return fail(prefix + ": the public value does not belong to the private key (ECDSA check failed)");
  }
  return std::unique_ptr<KeyExchange>(
      new KeyExchange(group, std::move(importedPrivate), std::move(importedPublic),
                      std::vector<std::uint8_t>(publicValue.begin(), publicValue.end())));
}

Result<void> KeyExchange::validatePeerValue(std::span<const std::uint8_t> peer) const {
  const std::string prefix = groupPrefix(group_) + ": peer public value";
  const std::size_t expected = keyExchangeLength(group_);
  // RFC 7296 §3.4 / RFC 5903 §7 / RFC 8031 §3: one length per group, nothing else accepted.
  if (peer.size() != expected)
    return fail(prefix + " is " + std::to_string(peer.size()) + " octets, expected " +
                std::to_string(expected));

  if (group_ == DhGroup::Modp2048) {
    // 1 < y < p-1 (NIST SP 800-56A 5.6.2.3.1): 0, 1 and p-1 give a predictable secret.
    const bool atMostOne = allZero(peer.first(peer.size() - 1)) && peer.back() <= 1;
    if (atMostOne) return fail(prefix + " is " + std::to_string(peer.back()) + ", must be greater than 1");
    std::array<std::uint8_t, 256> primeMinusOne = kModp2048Prime;
    primeMinusOne.back() -= 1;  // p ends in 0xff: no borrow
    if (!lessThan(peer, primeMinusOne)) return fail(prefix + " is not less than p-1 (RFC 3526 prime)");
    return success();
  }

  if (isEcp(group_)) {
    // RFC 6989 §2.3: coordinates must be field elements; NSS then checks the curve equation.
    const std::size_t coordinate = expected / 2;
    const auto prime = fieldPrime(group_);
    if (!lessThan(peer.first(coordinate), prime))
      return fail(prefix + ": x coordinate is not less than the field prime");
    if (!lessThan(peer.last(coordinate), prime))
      return fail(prefix + ": y coordinate is not less than the field prime");
  }
  return success();
}

Result<SecureBytes> KeyExchange::sharedSecret(std::span<const std::uint8_t> peerPublicValue) const {
  const std::string prefix = groupPrefix(group_);
  if (auto valid = validatePeerValue(peerPublicValue); !valid) return std::move(valid).error();
  const std::size_t length = group_ == DhGroup::Modp2048     ? 256
                             : group_ == DhGroup::Curve25519 ? 32
                                                             : keyExchangeLength(group_) / 2;

  if (group_ == DhGroup::Modp2048) {
    auto peer = publicKeyWithValue(publicKey_.get(), peerPublicValue, prefix);
    if (!peer) return std::move(peer).error();
    UniqueSymKey derived(PK11_PubDerive(privateKey_.get(), peer->get(), PR_FALSE, nullptr, nullptr,
                                        CKM_DH_PKCS_DERIVE, CKM_GENERIC_SECRET_KEY_GEN, CKA_DERIVE, 0,
                                        nullptr));
    if (!derived) return fail(prefix + ": NSS refused the peer public value: " + nssErrorText());
    return extractSecret(derived.get(), length, prefix);
  }

  std::vector<std::uint8_t> point;
  if (isEcp(group_)) point.push_back(kUncompressedPoint);
  point.insert(point.end(), peerPublicValue.begin(), peerPublicValue.end());
  auto peer = publicKeyWithValue(publicKey_.get(), point, prefix);
  if (!peer) return std::move(peer).error();
  UniqueSymKey derived = deriveEc(privateKey_.get(), peer->get());
  if (!derived) {
    if (group_ == DhGroup::Curve25519)
      return fail(prefix +
                  ": X25519 with the peer public value failed (NSS refuses a low-order point, "
                  "whose result is all zero, RFC 8031 §2.3): " +
                  nssErrorText());
    return fail(prefix + ": peer public value is not a point on the curve (NSS: " + nssErrorText() + ")");
  }
  auto secret = extractSecret(derived.get(), length, prefix);
  if (!secret) return secret;
  // RFC 8031 §2.3: an all-zero X25519 result means a low-order peer point; MUST be rejected.
  if (group_ == DhGroup::Curve25519 && allZero(*secret))
    return fail(prefix + ": shared secret is all zero (peer sent a low-order point, RFC 8031 §2.3)");
  return secret;
}

}  // namespace ikemesh::ike
