// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the SK payload decrypt-and-verify path (SkCipher::decrypt) with fixed keys over
// attacker-controlled bytes, for every suite. Input layout:
//   octet 0: bits 0-2 pick the suite, bit 3 the mode;
//   octet 1: length of the associated data (IKE header .. SK header) taken from the rest;
//   rest:    associated data, then the protected body (IV | ciphertext | ICV).
// Mode 0 decrypts the body as received: it must fail cleanly (no forged ICV is expected).
// Mode 1 first encrypts the body bytes as plaintext (cut to the suite's block), then decrypts
// that and aborts unless the round trip gives back the same octets, so the code after a
// successful ICV check is fuzzed too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "ike/crypto/SkCipher.hpp"
#include "util/NssContext.hpp"

using namespace ikemesh;
using namespace ikemesh::ike;

namespace {

struct Suite {
  EncryptionTransform encryption;
  IntegAlgorithm integrity;
};

constexpr Suite kSuites[] = {
    {{EncrAlgorithm::AesGcm16, 128}, IntegAlgorithm::None},
    {{EncrAlgorithm::AesGcm16, 256}, IntegAlgorithm::None},
    {{EncrAlgorithm::AesCbc, 128}, IntegAlgorithm::HmacSha2_256_128},
    {{EncrAlgorithm::AesCbc, 256}, IntegAlgorithm::HmacSha2_384_192},
    {{EncrAlgorithm::AesCbc, 256}, IntegAlgorithm::HmacSha2_512_256},
};
constexpr std::size_t kSuiteCount = sizeof(kSuites) / sizeof(kSuites[0]);

struct Fixture {
  std::unique_ptr<NssContext> nss;
  std::unique_ptr<SkCipher> ciphers[kSuiteCount];
};

Fixture& fixture() {
  static Fixture* instance = [] {
    auto* f = new Fixture;
    auto nss = NssContext::initWithoutDatabase();
    if (!nss) std::abort();
    f->nss = std::move(*nss);
    for (std::size_t i = 0; i < kSuiteCount; ++i) {
      const std::vector<std::uint8_t> encryptionKey(encryptionKeyLength(kSuites[i].encryption), 0x42);
      const std::vector<std::uint8_t> integrityKey(integrityKeyLength(kSuites[i].integrity), 0x24);
      auto cipher =
          SkCipher::create(kSuites[i].encryption, kSuites[i].integrity, encryptionKey, integrityKey);
      if (!cipher) std::abort();
      f->ciphers[i] = std::move(*cipher);
    }
    return f;
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  SkCipher& cipher = *fixture().ciphers[(data[0] & 0x07) % kSuiteCount];
  const bool roundTrip = (data[0] & 0x08) != 0;
  const std::span<const std::uint8_t> rest(data + 2, size - 2);
  const std::size_t aadLength = std::min<std::size_t>(data[1], rest.size());
  const auto aad = rest.first(aadLength);
  const auto body = rest.subspan(aadLength);

  if (!roundTrip) {
    auto plaintext = cipher.decrypt(aad, body);
    // Without the key nothing should verify; an accepted forgery is a bug worth a crash.
    if (plaintext.ok()) std::abort();
    return 0;
  }
  const auto plaintext = body.first(body.size() - body.size() % cipher.blockLength());
  auto encrypted = cipher.encrypt(aad, plaintext);
  if (!encrypted) std::abort();
  auto decrypted = cipher.decrypt(aad, *encrypted);
  if (!decrypted || decrypted->size() != plaintext.size() ||
      !std::equal(decrypted->begin(), decrypted->end(), plaintext.begin()))
    std::abort();
  return 0;
}
