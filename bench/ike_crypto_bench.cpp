// SPDX-License-Identifier: GPL-2.0-or-later
// IKE crypto suite throughput: key exchanges per second for each DH group (our key pair plus
// the shared secret, the work one side does per IKE_SA_INIT), and SK payload protection with
// AES-GCM in ns per 1424-octet packet. SkCipher makes a libcrypto cipher context from SK_e for
// every message (it keeps none between messages, for the memory of idle IKE SAs: SkCipher.hpp);
// the one-shot PK11_Encrypt row is NSS with its key imported once, no import per packet, for
// comparison. The PRF rows time prf and prf+ with a new key each. Run:
// build/bench/ike_crypto_bench [seconds per row]
#include <blapit.h>
#include <pk11pub.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "ike/crypto/KeyExchange.hpp"
#include "ike/crypto/Prf.hpp"
#include "ike/crypto/SkCipher.hpp"
#include "util/NssContext.hpp"

using namespace ikemesh;
using namespace ikemesh::ike;
using Clock = std::chrono::steady_clock;

namespace {

struct Measurement {
  std::size_t iterations;
  double seconds;
};

/// Runs `operation` until `budget` seconds have passed (at least 3 times); false from it aborts.
Measurement measure(double budget, const std::function<bool()>& operation) {
  const auto start = Clock::now();
  std::size_t iterations = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 8; ++i) {
      if (!operation()) {
        std::fprintf(stderr, "operation failed\n");
        std::exit(1);
      }
      ++iterations;
    }
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < budget);
  return {iterations, elapsed};
}

}  // namespace

int main(int argc, char** argv) {
  const double budget = argc > 1 ? std::atof(argv[1]) : 1.0;
  auto nss = NssContext::initWithoutDatabase();
  if (!nss) {
    std::fprintf(stderr, "%s\n", nss.error().message.c_str());
    return 1;
  }

  std::printf("%-34s %12s %14s\n", "key exchange (key pair + g^ir)", "ops/s", "us/op");
  for (DhGroup group : {DhGroup::Modp2048, DhGroup::Ecp256, DhGroup::Ecp384, DhGroup::Curve25519}) {
    auto peer = KeyExchange::create(group);
    if (!peer) {
      std::fprintf(stderr, "%s\n", peer.error().message.c_str());
      return 1;
    }
    const std::vector<std::uint8_t> peerValue((*peer)->publicValue().begin(), (*peer)->publicValue().end());
    const auto m = measure(budget, [&] {
      auto ours = KeyExchange::create(group);
      return ours.ok() && (*ours)->sharedSecret(peerValue).ok();
    });
    const std::string name = "group " + std::to_string(static_cast<int>(group)) + " " + transformName(group);
    std::printf("%-34s %12.1f %14.1f\n", name.c_str(), m.iterations / m.seconds,
                1e6 * m.seconds / m.iterations);
  }

  // The PRF as a handshake uses it: a new key each time (SKEYSEED, the AUTH octets), and prf+
  // for the seven SK_* keys of an AES-GCM-256 suite with HMAC-SHA2-256 (RFC 7296 §2.14).
  std::printf("\n%-34s %12s %14s\n", "PRF HMAC-SHA2-256", "ops/s", "us/op");
  const std::vector<std::uint8_t> prfKey(32, 0x3c);
  const std::vector<std::uint8_t> prfData(64, 0x77);
  const auto prfRuns = measure(budget, [&] { return prf(PrfAlgorithm::HmacSha2_256, prfKey, prfData).ok(); });
  const auto prfPlusRuns = measure(
      budget, [&] { return prfPlus(PrfAlgorithm::HmacSha2_256, prfKey, prfData, 3 * 32 + 4 * 36).ok(); });
  for (const auto& [name, m] :
       {std::pair{"prf, new key, 64 octets", prfRuns}, std::pair{"prf+, new key, 236 octets", prfPlusRuns}})
    std::printf("%-34s %12.1f %14.2f\n", name, m.iterations / m.seconds, 1e6 * m.seconds / m.iterations);

  constexpr std::size_t kPacket = 1424;
  const std::vector<std::uint8_t> aad(32, 0xaa);  // IKE header + SK payload header
  const std::vector<std::uint8_t> plaintext(kPacket, 0x5c);
  std::printf("\n%-34s %12s %14s\n", "AES-GCM-16, 1424-octet packets", "ns/packet", "MB/s");
  for (std::uint16_t bits : {128, 256}) {
    const std::vector<std::uint8_t> key(bits / 8 + 4, 0x42);
    auto cipher = SkCipher::create({EncrAlgorithm::AesGcm16, bits}, IntegAlgorithm::None, key, {});
    if (!cipher) {
      std::fprintf(stderr, "%s\n", cipher.error().message.c_str());
      return 1;
    }
    auto& sk = **cipher;
    const auto encrypt = measure(budget, [&] { return sk.encrypt(aad, plaintext).ok(); });
    auto body = sk.encrypt(aad, plaintext);
    const auto decrypt = measure(budget, [&] { return sk.decrypt(aad, *body).ok(); });

    // Baseline: one-shot PK11_Encrypt with the key imported once (a context per packet).
    SECItem keyItem{siBuffer, const_cast<unsigned char*>(key.data()), static_cast<unsigned>(bits / 8)};
    UniqueSlot slot(PK11_GetInternalSlot());
    UniqueSymKey symKey(
        PK11_ImportSymKey(slot.get(), CKM_AES_GCM, PK11_OriginUnwrap, CKA_ENCRYPT, &keyItem, nullptr));
    std::vector<std::uint8_t> nonce(12, 0), out(kPacket + 16);
    CK_GCM_PARAMS params{};
    params.pIv = nonce.data();
    params.ulIvLen = nonce.size();
    params.ulIvBits = 96;
    params.pAAD = const_cast<unsigned char*>(aad.data());
    params.ulAADLen = aad.size();
    params.ulTagBits = 128;
    SECItem paramItem{siBuffer, reinterpret_cast<unsigned char*>(&params), sizeof(params)};
    const auto oneShot = measure(budget, [&] {
      unsigned written = 0;
      return PK11_Encrypt(symKey.get(), CKM_AES_GCM, &paramItem, out.data(), &written, out.size(),
                          plaintext.data(), plaintext.size()) == SECSuccess;
    });

    auto row = [&](const std::string& name, const Measurement& m) {
      const double ns = 1e9 * m.seconds / m.iterations;
      std::printf("%-34s %12.0f %14.1f\n", name.c_str(), ns, kPacket * 1e3 / ns);
    };
    const std::string suffix = "-" + std::to_string(bits);
    row("SkCipher::encrypt" + suffix, encrypt);
    row("SkCipher::decrypt" + suffix, decrypt);
    row("one-shot PK11_Encrypt" + suffix, oneShot);
  }
  return 0;
}
