// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/HmacContext.hpp"

#include <openssl/core_names.h>

#include <string>

namespace ikemesh::ike {

namespace {

const char* digestOf(HmacContext::Hash hash) {
  switch (hash) {
    case HmacContext::Hash::Sha256: return "SHA2-256";
    case HmacContext::Hash::Sha384: return "SHA2-384";
    case HmacContext::Hash::Sha512: return "SHA2-512";
  }
  return "SHA2-256";
}

/// libcrypto's HMAC, fetched once for the process (fetching is a look-up under a lock).
EVP_MAC* hmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

std::size_t outputLengthOf(HmacContext::Hash hash) {
  switch (hash) {
    case HmacContext::Hash::Sha256: return 32;
    case HmacContext::Hash::Sha384: return 48;
    case HmacContext::Hash::Sha512: return 64;
  }
  return 0;
}

}  // namespace

HmacContext::Hash HmacContext::hashOf(PrfAlgorithm algorithm) {
  switch (algorithm) {
    case PrfAlgorithm::HmacSha2_256: return Hash::Sha256;
    case PrfAlgorithm::HmacSha2_384: return Hash::Sha384;
    case PrfAlgorithm::HmacSha2_512: return Hash::Sha512;
  }
  return Hash::Sha256;
}

HmacContext::Hash HmacContext::hashOf(IntegAlgorithm algorithm) {
  switch (algorithm) {
    case IntegAlgorithm::HmacSha2_256_128: return Hash::Sha256;
    case IntegAlgorithm::HmacSha2_384_192: return Hash::Sha384;
    case IntegAlgorithm::HmacSha2_512_256: return Hash::Sha512;
    case IntegAlgorithm::None: break;
  }
  return Hash::Sha256;
}

Result<HmacContext> HmacContext::create(Hash hash, std::span<const std::uint8_t> key) {
  if (key.empty()) return fail("HMAC key is empty");
  EVP_MAC* mac = hmacAlgorithm();
  if (!mac) return fail("libcrypto has no HMAC: " + opensslErrorText());
  UniqueEvpMacContext context(EVP_MAC_CTX_new(mac));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digestOf(hash)), 0),
      OSSL_PARAM_construct_end()};
  if (!context || EVP_MAC_init(context.get(), key.data(), key.size(), params) != 1)
    return fail("setting up HMAC with its key failed: " + opensslErrorText());
  return HmacContext(std::move(context), outputLengthOf(hash));
}

Result<void> HmacContext::begin() {
  // No key: the one create() set is used again (EVP_MAC_init(3)).
  if (EVP_MAC_init(context_.get(), nullptr, 0, nullptr) != 1)
    return fail("HMAC begin failed: " + opensslErrorText());
  return success();
}

Result<void> HmacContext::update(std::span<const std::uint8_t> data) {
  if (EVP_MAC_update(context_.get(), data.data(), data.size()) != 1)
    return fail("HMAC update failed: " + opensslErrorText());
  return success();
}

Result<void> HmacContext::finish(std::span<std::uint8_t> out) {
  if (out.size() < outputLength_)
    return fail("HMAC output buffer of " + std::to_string(out.size()) + " octets is shorter than " +
                std::to_string(outputLength_));
  std::size_t written = 0;
  if (EVP_MAC_final(context_.get(), out.data(), &written, out.size()) != 1)
    return fail("HMAC finish failed: " + opensslErrorText());
  if (written != outputLength_)
    return fail("HMAC produced " + std::to_string(written) + " octets, expected " +
                std::to_string(outputLength_));
  return success();
}

Result<SecureBytes> HmacContext::compute(std::span<const std::uint8_t> data) {
  SecureBytes out(outputLength_);
  if (auto r = begin(); !r) return std::move(r).error();
  if (auto r = update(data); !r) return std::move(r).error();
  if (auto r = finish(out.mutableSpan()); !r) return std::move(r).error();
  return out;
}

}  // namespace ikemesh::ike
