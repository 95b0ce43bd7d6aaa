// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/crypto/HmacContext.hpp"

#include <algorithm>
#include <climits>
#include <string>

namespace ikemesh::ike {

namespace {

CK_MECHANISM_TYPE mechanismOf(HmacContext::Hash hash) {
  switch (hash) {
    case HmacContext::Hash::Sha256: return CKM_SHA256_HMAC;
    case HmacContext::Hash::Sha384: return CKM_SHA384_HMAC;
    case HmacContext::Hash::Sha512: return CKM_SHA512_HMAC;
  }
  return CKM_SHA256_HMAC;
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
  if (key.size() > UINT_MAX) return fail("HMAC key of " + std::to_string(key.size()) + " octets is too long");
  UniqueSlot slot(PK11_GetInternalSlot());
  if (!slot) return fail("no NSS internal slot (is NSS initialised?): " + nssErrorText());
  // NSS takes a non-const item but only reads it.
  SECItem keyItem{siBuffer, const_cast<unsigned char*>(key.data()), static_cast<unsigned>(key.size())};
  const CK_MECHANISM_TYPE mechanism = mechanismOf(hash);
  UniqueSymKey symKey(
      PK11_ImportSymKey(slot.get(), mechanism, PK11_OriginUnwrap, CKA_SIGN, &keyItem, nullptr));
  if (!symKey) return fail("importing the HMAC key into NSS failed: " + nssErrorText());
  SECItem noParams{siBuffer, nullptr, 0};
  UniqueContext context(PK11_CreateContextBySymKey(mechanism, CKA_SIGN, symKey.get(), &noParams));
  if (!context) return fail("creating the NSS HMAC context failed: " + nssErrorText());
  return HmacContext(std::move(symKey), std::move(context), outputLengthOf(hash));
}

Result<void> HmacContext::begin() {
  if (PK11_DigestBegin(context_.get()) != SECSuccess) return fail("HMAC begin failed: " + nssErrorText());
  return success();
}

Result<void> HmacContext::update(std::span<const std::uint8_t> data) {
  // PK11_DigestOp takes an unsigned length; feed huge inputs in pieces.
  constexpr std::size_t maxChunk = UINT_MAX;
  for (std::size_t offset = 0; offset < data.size(); offset += maxChunk) {
    const std::size_t chunk = std::min(maxChunk, data.size() - offset);
    if (PK11_DigestOp(context_.get(), data.data() + offset, static_cast<unsigned>(chunk)) != SECSuccess)
      return fail("HMAC update failed: " + nssErrorText());
  }
  return success();
}

Result<void> HmacContext::finish(std::span<std::uint8_t> out) {
  if (out.size() < outputLength_)
    return fail("HMAC output buffer of " + std::to_string(out.size()) + " octets is shorter than " +
                std::to_string(outputLength_));
  unsigned written = 0;
  if (PK11_DigestFinal(context_.get(), out.data(), &written, static_cast<unsigned>(out.size())) != SECSuccess)
    return fail("HMAC finish failed: " + nssErrorText());
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
