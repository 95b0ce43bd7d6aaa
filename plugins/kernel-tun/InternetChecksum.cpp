// SPDX-License-Identifier: GPL-2.0-or-later
#include "InternetChecksum.hpp"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ikemesh::tun {

namespace {

// RFC 1071 §2(B): the one's complement sum does not depend on byte order and may use wider
// words (§2(C)), so the octets are summed as native 32-bit words into 64-bit accumulators (no
// carries to propagate: 64 KiB add up to less than 2^46); only the folded result is swapped
// into network order. Every path below sums the same words, in whatever order suits it.

/// The words of `left` octets from `p` (the last one zero-padded), eight octets per step.
std::uint64_t sumWords(const std::uint8_t* p, std::size_t left) noexcept {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  for (; left >= 8; p += 8, left -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    low += static_cast<std::uint32_t>(word);
    high += word >> 32;
  }
  // The remaining 1-7 octets as a 32-bit, a 16-bit and an 8-bit word: 2^16 = 1 in this sum,
  // so narrower words at even offsets add up to the same. (Headers and pseudo-headers of 4, 16
  // and 20 octets end here, several per packet.) An odd last octet is padded with zero (§1).
  if (left >= 4) {
    std::uint32_t word;
    std::memcpy(&word, p, 4);
    low += word;
    p += 4;
    left -= 4;
  }
  if (left >= 2) {
    std::uint16_t word;
    std::memcpy(&word, p, 2);
    low += word;
    p += 2;
    left -= 2;
  }
  if (left > 0) {
    std::uint16_t word = 0;
    std::memcpy(&word, p, 1);
    low += word;
  }
  return low + high;
}

#if defined(__x86_64__)
/// Sixty-four octets per step in AVX2 registers: each 32-bit word is widened to a 64-bit lane
/// (interleaved with zeros) and added there. The checksum of every ESP segment covers its
/// whole payload, on both ends of a tunnel; GCC does not vectorise sumWords() at -O2, and this
/// loop runs several times as fast (bench/tun_esp_bench: the checksum rows).
[[gnu::target("avx2")]] std::uint64_t sumWordsAvx2(const std::uint8_t* p, std::size_t left) noexcept {
  const __m256i zero = _mm256_setzero_si256();
  __m256i even = zero;
  __m256i odd = zero;
  for (; left >= 64; p += 64, left -= 64) {
    const __m256i first = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i second = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    even = _mm256_add_epi64(even, _mm256_unpacklo_epi32(first, zero));
    odd = _mm256_add_epi64(odd, _mm256_unpackhi_epi32(first, zero));
    even = _mm256_add_epi64(even, _mm256_unpacklo_epi32(second, zero));
    odd = _mm256_add_epi64(odd, _mm256_unpackhi_epi32(second, zero));
  }
  alignas(32) std::array<std::uint64_t, 4> lanes{};
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes.data()), _mm256_add_epi64(even, odd));
  // GCC leaves the registers' upper halves set on return from a target("avx2") function. Until
  // they are cleared, every SSE instruction that follows (the struct copies of the coalescer,
  // say) waits on them: in perf, one such instruction had 6.5 % of the receiving thread.
  _mm256_zeroupper();
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + sumWords(p, left);
}

const bool kHaveAvx2 = [] {
  __builtin_cpu_init();  // this may run before libgcc's own constructor has
  return __builtin_cpu_supports("avx2") != 0;
}();
#endif

}  // namespace

std::uint64_t InternetChecksum::add(std::span<const std::uint8_t> data, std::uint64_t sum) noexcept {
#if defined(__x86_64__)
  const std::uint64_t words = kHaveAvx2 && data.size() >= 64 ? sumWordsAvx2(data.data(), data.size())
                                                             : sumWords(data.data(), data.size());
#else
  const std::uint64_t words = sumWords(data.data(), data.size());
#endif
  return sum + swappedFold(words);
}

std::uint64_t InternetChecksum::addPortable(std::span<const std::uint8_t> data, std::uint64_t sum) noexcept {
  return sum + swappedFold(sumWords(data.data(), data.size()));
}

std::uint64_t InternetChecksum::pseudoHeader(std::span<const std::uint8_t> source,
                                             std::span<const std::uint8_t> destination, std::uint8_t protocol,
                                             std::uint32_t length) noexcept {
  std::uint64_t sum = add(source);
  sum = add(destination, sum);
  return sum + protocol + (length >> 16) + (length & 0xffff);
}

std::uint64_t InternetChecksum::swappedFold(std::uint64_t words) noexcept {
  std::uint16_t folded = fold(words);
  if constexpr (std::endian::native == std::endian::little)
    folded = static_cast<std::uint16_t>((folded >> 8) | (folded << 8));
  return folded;
}

std::uint16_t InternetChecksum::fold(std::uint64_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace ikemesh::tun
