// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/KeyExchange.hpp"

#include <openssl/core_names.h>
#include <openssl/dh.h>

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

/// Big-endian unsigned comparison of two numbers of the same length: a < b.
bool lessThan(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

std::string groupPrefix(DhGroup group) {
  return "DH group " + std::to_string(static_cast<unsigned>(group)) + " (" + transformName(group) + ")";
}

bool allZero(std::span<const std::uint8_t> bytes) {
  std::uint8_t accumulated = 0;
  for (std::uint8_t byte : bytes) accumulated |= byte;  // no early exit: constant time
  return accumulated == 0;
}

/// How libcrypto names the group: its key type, and the group within it (OpenSSL 3 knows RFC
/// 3526's group 14 as "modp_2048").
struct LibcryptoName {
  const char* keyType;
  const char* group;
};

LibcryptoName libcryptoName(DhGroup group) {
  switch (group) {
    case DhGroup::Modp2048: return {"DH", "modp_2048"};
    case DhGroup::Ecp256: return {"EC", "P-256"};
    case DhGroup::Ecp384: return {"EC", "P-384"};
    case DhGroup::Curve25519: return {"X25519", "X25519"};
  }
  return {"", ""};
}

/// The length of g^ir: MODP the prime's (RFC 7296 §2.14), ECP the x coordinate's (RFC 5903 §7),
/// Curve25519 32 octets (RFC 8031 §2).
std::size_t secretLength(DhGroup group) {
  return isEcp(group) ? keyExchangeLength(group) / 2 : keyExchangeLength(group);
}

/// A MODP or ECP group's domain parameters as a libcrypto key without a key pair. Key pairs are
/// generated from it and peer keys copied from it, which skips libcrypto's look-up of the group
/// by name (P-256: a key pair 24 µs instead of 39, a peer key 6 µs instead of 24).
struct DomainParameters {
  UniqueEvpPkey key;  // null when libcrypto could not make it; then `error` says why
  std::string error;
};

/// libcrypto's group 14 must be the one validatePeerValue checks peer values against.
Result<void> checkModpGroup(EVP_PKEY* parameters) {
  BIGNUM* rawPrime = nullptr;
  BIGNUM* rawGenerator = nullptr;
  EVP_PKEY_get_bn_param(parameters, OSSL_PKEY_PARAM_FFC_P, &rawPrime);
  EVP_PKEY_get_bn_param(parameters, OSSL_PKEY_PARAM_FFC_G, &rawGenerator);
  UniqueBignum prime(rawPrime), generator(rawGenerator);
  std::array<std::uint8_t, kModp2048Prime.size()> primeBytes{};
  if (!prime || !generator || BN_bn2binpad(prime.get(), primeBytes.data(), primeBytes.size()) < 0 ||
      primeBytes != kModp2048Prime || !BN_is_word(generator.get(), 2))
    return fail("libcrypto's modp_2048 is not the RFC 3526 group (p, g = 2)");
  return success();
}

DomainParameters makeDomainParameters(DhGroup group) {
  const LibcryptoName name = libcryptoName(group);
  UniqueEvpPkeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, name.keyType, nullptr));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(name.group), 0),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* made = nullptr;
  if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &made, EVP_PKEY_KEY_PARAMETERS, params) != 1 || !made)
    return {nullptr,
            std::string("libcrypto cannot make the group ") + name.group + ": " + opensslErrorText()};
  UniqueEvpPkey key(made);
  if (group == DhGroup::Modp2048) {
    if (auto same = checkModpGroup(key.get()); !same) return {nullptr, std::move(same).error().message};
  }
  return {std::move(key), {}};
}

/// The three are made together on first use (C++ initialises each static once, thread-safely)
/// and only read after: an EVP_PKEY may be read by several threads at once.
const DomainParameters& domainParameters(DhGroup group) {
  static const DomainParameters modp2048 = makeDomainParameters(DhGroup::Modp2048);
  static const DomainParameters p256 = makeDomainParameters(DhGroup::Ecp256);
  static const DomainParameters p384 = makeDomainParameters(DhGroup::Ecp384);
  static const DomainParameters none{nullptr, "the group has no domain parameters"};
  switch (group) {
    case DhGroup::Modp2048: return modp2048;
    case DhGroup::Ecp256: return p256;
    case DhGroup::Ecp384: return p384;
    case DhGroup::Curve25519: break;
  }
  return none;
}

/// A fresh key pair: from the group's domain parameters, or by name for Curve25519, which has
/// none. For group 14 libcrypto draws a 224-bit private exponent, twice the group's strength of
/// 112 bits (RFC 3526 §1 asks for double the strength).
Result<UniqueEvpPkey> generateKeyPair(DhGroup group, const std::string& prefix) {
  UniqueEvpPkeyContext context;
  if (group == DhGroup::Curve25519) {
    context.reset(EVP_PKEY_CTX_new_from_name(nullptr, libcryptoName(group).keyType, nullptr));
  } else {
    const DomainParameters& parameters = domainParameters(group);
    if (!parameters.key) return fail(prefix + ": " + parameters.error);
    context.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, parameters.key.get(), nullptr));
  }
  EVP_PKEY* generated = nullptr;
  if (!context || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_generate(context.get(), &generated) != 1 || !generated)
    return fail(prefix + ": key pair generation failed: " + opensslErrorText());
  return UniqueEvpPkey(generated);
}

/// `key`'s public value in the group's wire format (RFC 7296 §3.4). libcrypto's encoded public
/// key is that already for MODP (left-padded to the prime's length) and Curve25519; for ECP it
/// is SEC 1's uncompressed point, whose point-format octet RFC 5903 §7 drops.
Result<std::vector<std::uint8_t>> wirePublicValue(EVP_PKEY* key, DhGroup group, const std::string& prefix) {
  const std::size_t length = keyExchangeLength(group);
  std::vector<std::uint8_t> encoded(length + 1);  // room for the point-format octet
  std::size_t written = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, encoded.data(), encoded.size(),
                                      &written) != 1)
    return fail(prefix + ": reading our public value from libcrypto failed: " + opensslErrorText());
  encoded.resize(written);
  if (isEcp(group)) {
    if (written != length + 1 || encoded.front() != kUncompressedPoint)
      return fail(prefix + ": libcrypto produced a public point of " + std::to_string(written) +
                  " octets, not an uncompressed point");
    encoded.erase(encoded.begin());
  } else if (written != length) {
    return fail(prefix + ": libcrypto produced a public value of " + std::to_string(written) + " octets");
  }
  return encoded;
}

/// libcrypto's key for the peer's public value, which validatePeerValue has checked already.
Result<UniqueEvpPkey> peerKey(DhGroup group, std::span<const std::uint8_t> value, const std::string& prefix) {
  if (group == DhGroup::Curve25519) {
    UniqueEvpPkey key(EVP_PKEY_new_raw_public_key_ex(nullptr, libcryptoName(group).keyType, nullptr,
                                                     value.data(), value.size()));
    if (!key) return fail(prefix + ": libcrypto refused the peer public value: " + opensslErrorText());
    return key;
  }
  const DomainParameters& parameters = domainParameters(group);
  if (!parameters.key) return fail(prefix + ": " + parameters.error);
  UniqueEvpPkey key(EVP_PKEY_dup(parameters.key.get()));
  if (!key) return fail(prefix + ": copying the group's parameters failed: " + opensslErrorText());
  std::vector<std::uint8_t> encoded;
  if (isEcp(group)) encoded.push_back(kUncompressedPoint);
  encoded.insert(encoded.end(), value.begin(), value.end());
  auto notOnCurve = [&] {
    return fail(prefix + ": peer public value is not a point on the curve (libcrypto: " + opensslErrorText() +
                ")");
  };
  if (EVP_PKEY_set1_encoded_public_key(key.get(), encoded.data(), encoded.size()) != 1) {
    if (isEcp(group)) return notOnCurve();
    return fail(prefix + ": libcrypto refused the peer public value: " + opensslErrorText());
  }
  if (isEcp(group)) {
    // RFC 6989 §2.3: the point must be on the curve. libcrypto's quick check covers that, the
    // point at infinity and the coordinates' range; its full check adds n × Q = O, which every
    // point on these curves (cofactor 1) satisfies, at the cost of a second scalar multiplication.
    UniqueEvpPkeyContext check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) return notOnCurve();
  }
  return key;
}

}  // namespace

KeyExchange::KeyExchange(DhGroup group, UniqueEvpPkey keyPair, std::vector<std::uint8_t> publicValue)
    : group_(group), keyPair_(std::move(keyPair)), publicValue_(std::move(publicValue)) {
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
  ERR_clear_error();  // so that an error message carries this call's errors only
  auto keyPair = generateKeyPair(group, prefix);
  if (!keyPair) return std::move(keyPair).error();
  auto publicValue = wirePublicValue(keyPair->get(), group, prefix);
  if (!publicValue) return std::move(publicValue).error();
  return std::unique_ptr<KeyExchange>(new KeyExchange(group, std::move(*keyPair), std::move(*publicValue)));
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
  ERR_clear_error();
  const LibcryptoName name = libcryptoName(group);

  if (group == DhGroup::Curve25519) {
    UniqueEvpPkey keyPair(EVP_PKEY_new_raw_private_key_ex(nullptr, name.keyType, nullptr, privateKey.data(),
                                                          privateKey.size()));
    if (!keyPair) return fail(prefix + ": libcrypto refused the private key: " + opensslErrorText());
    // libcrypto computed the public value from the private key: X25519(k, 9), RFC 7748 §6.1.
    auto computed = wirePublicValue(keyPair.get(), group, prefix);
    if (!computed) return std::move(computed).error();
    if (!std::equal(computed->begin(), computed->end(), publicValue.begin(), publicValue.end()))
      return fail(prefix + ": the public value is not X25519(private key, 9)");
    return std::unique_ptr<KeyExchange>(new KeyExchange(group, std::move(keyPair), std::move(*computed)));
  }

  // ECP: libcrypto takes the scalar d with the vector's point Q (as RFC 5915 keeps both), and
  // EVP_PKEY_pairwise_check computes d × G and compares it with Q.
  UniqueBignum scalar(BN_secure_new());  // secure: OSSL_PARAM_free clears the array's copy
  if (!scalar || !BN_bin2bn(privateKey.data(), static_cast<int>(privateKey.size()), scalar.get()))
    return fail(prefix + ": libcrypto cannot hold the private key: " + opensslErrorText());
  std::vector<std::uint8_t> point{kUncompressedPoint};
  point.insert(point.end(), publicValue.begin(), publicValue.end());
  UniqueParamBuilder builder(OSSL_PARAM_BLD_new());
  // The pushes return 1 or 0.
  const bool pushed =
      builder && OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, name.group, 0) &&
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) &&
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  UniqueOsslParams params(pushed ? OSSL_PARAM_BLD_to_param(builder.get()) : nullptr);
  if (!params) return fail(prefix + ": building libcrypto's parameters failed: " + opensslErrorText());
  UniqueEvpPkeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, name.keyType, nullptr));
  EVP_PKEY* imported = nullptr;
  if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &imported, EVP_PKEY_KEYPAIR, params.get()) != 1 || !imported)
    return fail(prefix + ": libcrypto refused the key pair: " + opensslErrorText());
  UniqueEvpPkey keyPair(imported);
  UniqueEvpPkeyContext check(EVP_PKEY_CTX_new_from_pkey(nullptr, keyPair.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
    ERR_clear_error();
    return fail(prefix + ": the public value does not belong to the private key (it is not d × G)");
  }
  return std::unique_ptr<KeyExchange>(new KeyExchange(
      group, std::move(keyPair), std::vector<std::uint8_t>(publicValue.begin(), publicValue.end())));
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
    // RFC 6989 §2.3: coordinates must be field elements; libcrypto then checks the curve
    // equation (peerKey).
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
  ERR_clear_error();
  auto peer = peerKey(group_, peerPublicValue, prefix);
  if (!peer) return std::move(peer).error();

  UniqueEvpPkeyContext context(EVP_PKEY_CTX_new_from_pkey(nullptr, keyPair_.get(), nullptr));
  if (!context || EVP_PKEY_derive_init(context.get()) != 1)
    return fail(prefix + ": libcrypto cannot derive with our key: " + opensslErrorText());
  // RFC 7296 §2.14: g^ir keeps its leading zero octets.
  if (group_ == DhGroup::Modp2048 && EVP_PKEY_CTX_set_dh_pad(context.get(), 1) != 1)
    return fail(prefix + ": libcrypto cannot pad the shared secret: " + opensslErrorText());
  // No further check of the peer's key here (validate_peer 0): validatePeerValue and peerKey
  // did the checks RFC 6989 asks for. For MODP, libcrypto's full check (y^q mod p = 1) would
  // cost 3 ms, eight times the derivation, and a safe-prime group such as 14 needs no more than
  // 1 < y < p-1.
  if (EVP_PKEY_derive_set_peer_ex(context.get(), peer->get(), 0) != 1)
    return fail(prefix + ": libcrypto refused the peer public value: " + opensslErrorText());
  const std::size_t length = secretLength(group_);
  SecureBytes secret(length);
  std::size_t written = length;
  if (EVP_PKEY_derive(context.get(), secret.data(), &written) != 1) {
    if (group_ == DhGroup::Curve25519)
      return fail(prefix +
                  ": X25519 with the peer public value failed (libcrypto refuses a low-order point, "
                  "whose result is all zero, RFC 8031 §2.3): " +
                  opensslErrorText());
    return fail(prefix + ": deriving the shared secret failed: " + opensslErrorText());
  }
  if (written != length)
    return fail(prefix + ": libcrypto returned a shared secret of " + std::to_string(written) +
                " octets, expected " + std::to_string(length));
  // RFC 8031 §2.3: an all-zero X25519 result means a low-order peer point; MUST be rejected.
  if (group_ == DhGroup::Curve25519 && allZero(secret))
    return fail(prefix + ": shared secret is all zero (peer sent a low-order point, RFC 8031 §2.3)");
  return secret;
}

}  // namespace ikemesh::ike
