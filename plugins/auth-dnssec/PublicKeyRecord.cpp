// SPDX-License-Identifier: GPL-2.0-or-later
#include "PublicKeyRecord.hpp"

#include <keyhi.h>

namespace ikemesh::authdnssec {

Result<IpsecKeyRecord> ipsecKeyRecordOf(SECKEYPublicKey* key, std::uint8_t precedence) {
  IpsecKeyRecord record;
  record.precedence = precedence;
  switch (SECKEY_GetPublicKeyType(key)) {
    case rsaKey:
      record.algorithm = IpsecKeyAlgorithm::Rsa;
      record.publicKey = rsaPublicKeyField({key->u.rsa.modulus.data, key->u.rsa.modulus.len},
                                           {key->u.rsa.publicExponent.data, key->u.rsa.publicExponent.len});
      return record;
    case ecKey: {
      // SEC 1 §2.3.3 uncompressed point 04|x|y; RFC 6605 §4 publishes x|y.
      const SECItem& point = key->u.ec.publicValue;
      if ((point.len != 65 && point.len != 97) || point.data[0] != 0x04)
        return fail("an EC key whose point has " + std::to_string(point.len) +
                    " octets: IPSECKEY carries P-256 and P-384 keys (RFC 6605 §4)");
      record.algorithm = IpsecKeyAlgorithm::Ecdsa;
      record.publicKey.assign(point.data + 1, point.data + point.len);
      return record;
    }
    default: return fail("the key is neither RSA nor ECDSA");
  }
}

std::string base64(std::span<const std::uint8_t> data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const unsigned n = (unsigned{data[i]} << 16) | (i + 1 < data.size() ? unsigned{data[i + 1]} << 8 : 0) |
                       (i + 2 < data.size() ? unsigned{data[i + 2]} : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string presentationOf(const IpsecKeyRecord& record) {
  return std::to_string(record.precedence) + " 0 " + std::to_string(static_cast<int>(record.algorithm)) +
         " . " + base64(record.publicKey);
}

}  // namespace ikemesh::authdnssec
