// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for `ikemesh import FILE.p12`. The CLI hands the file to NSS's pk12util
// (as the guide's `ipsec import` does), so the PKCS#12 parser that reads it is NSS's decoder in
// libsmime3: this harness drives that decoder the way pk12util does (start, update with the
// file, MAC verification with the password, bag validation, iteration over the bags) but
// imports nothing. Then it reads what the CLI reads back, `certutil -L`'s listing, whose
// nicknames come from the file's friendlyName attributes.
// Input: the first octet picks the target. 0: the rest is a PKCS#12 file (the seeds are real
// ones, password "mesh-demo-secret", made by tests/lib/make-mesh-certs.sh and by openssl).
// 1: the rest is a certutil listing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <p12.h>
#include <p12plcy.h>
#include <pk11pub.h>
#include <secport.h>

#include "CertutilListing.hpp"
#include "util/NssContext.hpp"

namespace {

using namespace ikemesh;

/// PKCS#12 passwords are BMPStrings with a terminating zero (RFC 7292 appendix B.1), as
/// pk12util makes them from what the user typed.
SECItem* bmpPassword(const std::string& ascii) {
  SECItem* item = SECITEM_AllocItem(nullptr, nullptr, static_cast<unsigned>(2 * ascii.size() + 2));
  for (std::size_t i = 0; i < ascii.size(); ++i) {
    item->data[2 * i] = 0;
    item->data[2 * i + 1] = static_cast<unsigned char>(ascii[i]);
  }
  item->data[2 * ascii.size()] = 0;
  item->data[2 * ascii.size() + 1] = 0;
  return item;
}

/// pk12util keeps the nickname the file proposes, or makes one; never called on a fresh slot
/// without collisions, but the decoder requires it.
SECItem* keepNickname(SECItem* /*oldNickname*/, PRBool* cancel, void* /*wincx*/) {
  *cancel = PR_TRUE;
  return nullptr;
}

void decodePkcs12(const std::uint8_t* data, std::size_t size) {
  static SECItem* password = bmpPassword("mesh-demo-secret");
  PK11SlotInfo* slot = PK11_GetInternalKeySlot();
  SEC_PKCS12DecoderContext* decoder =
      SEC_PKCS12DecoderStart(password, slot, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (decoder) {
    if (SEC_PKCS12DecoderUpdate(decoder, const_cast<unsigned char*>(data),
                                static_cast<unsigned long>(size)) == SECSuccess &&
        SEC_PKCS12DecoderVerify(decoder) == SECSuccess &&
        SEC_PKCS12DecoderValidateBags(decoder, keepNickname) == SECSuccess &&
        SEC_PKCS12DecoderIterateInit(decoder) == SECSuccess) {
      const SEC_PKCS12DecoderItem* item = nullptr;
      // What pk12util reads of each bag to name it and list it.
      while (SEC_PKCS12DecoderIterateNext(decoder, &item) == SECSuccess && item) {
        if (item->friendlyName)
          (void)std::string(reinterpret_cast<const char*>(item->friendlyName->data), item->friendlyName->len);
      }
    }
    SEC_PKCS12DecoderFinish(decoder);
  }
  PK11_FreeSlot(slot);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto nss = [] {
    auto context = NssContext::initWithoutDatabase();
    if (!context) std::abort();
    // What pk12util enables before it reads a file (cmd/pk12util P12U_Init).
    for (long cipher : {PKCS12_RC2_CBC_40, PKCS12_RC2_CBC_128, PKCS12_RC4_40, PKCS12_RC4_128, PKCS12_DES_56,
                        PKCS12_DES_EDE3_168})
      SEC_PKCS12EnableCipher(cipher, PR_TRUE);
    SEC_PKCS12SetPreferredCipher(PKCS12_DES_EDE3_168, PR_TRUE);
    return std::move(*context);
  }();
  if (size < 1) return 0;
  if (data[0] % 2 == 0) {
    decodePkcs12(data + 1, size - 1);
    return 0;
  }
  const auto listed =
      cli::parseCertutilListing(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  for (const auto& certificate : listed)
    if (certificate.nickname.empty() || certificate.trust.empty()) std::abort();
  return 0;
}
