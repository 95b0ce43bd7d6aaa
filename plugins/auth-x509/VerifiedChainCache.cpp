// SPDX-License-Identifier: GPL-2.0-or-later
#include "VerifiedChainCache.hpp"

#include <algorithm>

#include "util/OpensslDigest.hpp"

namespace ikemesh::authx509 {

VerifiedChainCache::VerifiedChainCache(Clock::duration lifetime, std::size_t capacity)
    : lifetime_(lifetime), capacity_(std::max<std::size_t>(capacity, 1)) {}

std::optional<VerifiedChainCache::Digest> VerifiedChainCache::digestOf(
    std::span<const Certificate> certificates) {
  UniqueEvpMdContext context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), fetchedDigest(DigestAlgorithm::Sha2_256), nullptr) != 1)
    return std::nullopt;
  for (const auto& certificate : certificates) {
    // The encoding and the length go in too: two lists that concatenate to the same octets are
    // still different lists.
    const auto size = static_cast<std::uint32_t>(certificate.data.size());
    const std::array<std::uint8_t, 5> header{
        certificate.encoding, static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
        static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
    if (EVP_DigestUpdate(context.get(), header.data(), header.size()) != 1 ||
        EVP_DigestUpdate(context.get(), certificate.data.data(), size) != 1)
      return std::nullopt;
  }
  Digest digest{};
  unsigned length = 0;
  if (EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1 || length != digest.size())
    return std::nullopt;
  return digest;
}

std::shared_ptr<const VerifiedChainCache::Chain> VerifiedChainCache::find(
    std::span<const Certificate> certificates, Clock::time_point now) const {
  const auto digest = digestOf(certificates);
  if (!digest) return nullptr;
  std::shared_ptr<const Chain> chain;
  {
    std::lock_guard lock(mutex_);
    auto found = chains_.find(*digest);
    if (found == chains_.end()) return nullptr;
    chain = found->second;
  }
  if (now - chain->validatedAt >= lifetime_) return nullptr;
  // The leaf may expire between two validations (its CA too, which the lifetime bounds).
  if (CERT_CheckCertValidTimes(chain->leaf.get(), PR_Now(), PR_FALSE) != secCertTimeValid) return nullptr;
  return chain;
}

void VerifiedChainCache::insert(std::span<const Certificate> certificates,
                                std::shared_ptr<const Chain> chain) {
  const auto digest = digestOf(certificates);
  if (!digest || !chain) return;
  std::lock_guard lock(mutex_);
  if (chains_.size() >= capacity_ && !chains_.contains(*digest)) {
    const auto now = chain->validatedAt;
    std::erase_if(chains_, [&](const auto& entry) { return now - entry.second->validatedAt >= lifetime_; });
    if (chains_.size() >= capacity_)
      chains_.erase(std::min_element(chains_.begin(), chains_.end(), [](const auto& x, const auto& y) {
        return x.second->validatedAt < y.second->validatedAt;
      }));
  }
  chains_[*digest] = std::move(chain);
}

std::size_t VerifiedChainCache::size() const {
  std::lock_guard lock(mutex_);
  return chains_.size();
}

}  // namespace ikemesh::authx509
