// SPDX-License-Identifier: GPL-2.0-or-later
#include "IpsecKeyRecord.hpp"

#include <cstdio>

namespace ikemesh::authdnssec {

namespace {

using Bytes = std::vector<std::uint8_t>;

/// RFC 4025 §2.5: a wire-encoded domain name (uncompressed): labels up to the root label.
Result<std::size_t> domainNameLength(std::span<const std::uint8_t> data) {
  std::size_t at = 0;
  while (true) {
    if (at >= data.size()) return fail("IPSECKEY gateway: domain name runs past the RDATA (RFC 4025 §2.5)");
    const std::uint8_t label = data[at];
    if (label == 0) return at + 1;
    if (label > 63)
      return fail("IPSECKEY gateway: label length " + std::to_string(label) +
                  " (compression is not allowed here, RFC 4025 §2.5)");
    at += 1u + label;
    if (at > 255) return fail("IPSECKEY gateway: domain name longer than 255 octets");
  }
}

// Minimal DER (X.690) for the two SubjectPublicKeyInfo shapes we build.
void appendLength(Bytes& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
    return;
  }
  Bytes digits;
  for (std::size_t l = length; l; l >>= 8) digits.insert(digits.begin(), static_cast<std::uint8_t>(l & 0xff));
  out.push_back(static_cast<std::uint8_t>(0x80 | digits.size()));
  out.insert(out.end(), digits.begin(), digits.end());
}

Bytes tlv(std::uint8_t tag, std::span<const std::uint8_t> value) {
  Bytes out{tag};
  appendLength(out, value.size());
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

/// A positive INTEGER: leading zeros dropped, a zero put back when the top bit is set.
Bytes derUnsigned(std::span<const std::uint8_t> magnitude) {
  std::size_t skip = 0;
  while (skip + 1 < magnitude.size() && magnitude[skip] == 0) ++skip;
  Bytes value(magnitude.begin() + static_cast<std::ptrdiff_t>(skip), magnitude.end());
  if (value.empty() || value.front() & 0x80) value.insert(value.begin(), 0);
  return tlv(0x02, value);
}

Bytes bitString(std::span<const std::uint8_t> content) {
  Bytes value{0};  // no unused bits
  value.insert(value.end(), content.begin(), content.end());
  return tlv(0x03, value);
}

const Bytes kRsaEncryption = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                              0xf7, 0x0d, 0x01, 0x01, 0x01};  // 1.2.840.113549.1.1.1
const Bytes kDerNull = {0x05, 0x00};
const Bytes kEcPublicKey = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};  // 1.2.840.10045.2.1
const Bytes kPrime256v1 = {0x06, 0x08, 0x2a, 0x86, 0x48,
                           0xce, 0x3d, 0x03, 0x01, 0x07};             // 1.2.840.10045.3.1.7
const Bytes kSecp384r1 = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};  // 1.3.132.0.34

/// RFC 3110 §2: one octet of exponent length (or zero and two octets), exponent, modulus.
Result<Bytes> rsaSubjectPublicKeyInfo(std::span<const std::uint8_t> key) {
  if (key.empty()) return fail("IPSECKEY RSA key: empty public key field (RFC 3110 §2)");
  std::size_t exponentLength = key[0];
  std::size_t at = 1;
  if (exponentLength == 0) {
    if (key.size() < 3) return fail("IPSECKEY RSA key: truncated exponent length (RFC 3110 §2)");
    exponentLength = (std::size_t{key[1]} << 8) | key[2];
    at = 3;
  }
  if (exponentLength == 0 || key.size() < at + exponentLength + 1)
    return fail("IPSECKEY RSA key: exponent of " + std::to_string(exponentLength) + " octets in a field of " +
                std::to_string(key.size()) + " leaves no modulus (RFC 3110 §2)");
  auto exponent = key.subspan(at, exponentLength);
  auto modulus = key.subspan(at + exponentLength);
  if (modulus.size() < 128)
    return fail("IPSECKEY RSA key: modulus of " + std::to_string(modulus.size() * 8) +
                " bits; at least 1024 are required");
  const Bytes rsaPublicKey = tlv(0x30, concat({derUnsigned(modulus), derUnsigned(exponent)}));
  return tlv(0x30, concat({tlv(0x30, concat({kRsaEncryption, kDerNull})), bitString(rsaPublicKey)}));
}

/// RFC 6605 §4: Q = x|y, 64 octets for P-256, 96 for P-384; SPKI wants 04|x|y (SEC 1 §2.3.3).
Result<Bytes> ecdsaSubjectPublicKeyInfo(std::span<const std::uint8_t> key) {
  const Bytes* curve = key.size() == 64 ? &kPrime256v1 : key.size() == 96 ? &kSecp384r1 : nullptr;
  if (!curve)
    return fail("IPSECKEY ECDSA key: " + std::to_string(key.size()) +
                " octets, not a P-256 (64) or P-384 (96) point (RFC 6605 §4)");
  Bytes point{0x04};
  point.insert(point.end(), key.begin(), key.end());
  return tlv(0x30, concat({tlv(0x30, concat({kEcPublicKey, *curve})), bitString(point)}));
}

}  // namespace

Result<IpsecKeyRecord> parseIpsecKeyRdata(std::span<const std::uint8_t> rdata) {
  // RFC 4025 §2.1: precedence, gateway type, algorithm, gateway, public key.
  if (rdata.size() < 3)
    return fail("IPSECKEY RDATA of " + std::to_string(rdata.size()) +
                " octets: shorter than its 3 fixed octets");
  IpsecKeyRecord record;
  record.precedence = rdata[0];
  record.gatewayType = rdata[1];
  record.algorithm = static_cast<IpsecKeyAlgorithm>(rdata[2]);
  auto rest = rdata.subspan(3);
  std::size_t gatewayLength = 0;
  switch (record.gatewayType) {
    case 0: break;
    case 1: gatewayLength = 4; break;
    case 2: gatewayLength = 16; break;
    case 3: {
      auto length = domainNameLength(rest);
      if (!length) return length.error();
      gatewayLength = *length;
      break;
    }
    default:
      return fail("IPSECKEY gateway type " + std::to_string(record.gatewayType) +
                  " (RFC 4025 §2.3 knows 0-3)");
  }
  if (rest.size() < gatewayLength)
    return fail("IPSECKEY gateway: " + std::to_string(gatewayLength) + " octets expected, " +
                std::to_string(rest.size()) + " left (RFC 4025 §2.5)");
  record.gateway.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(gatewayLength));
  rest = rest.subspan(gatewayLength);
  record.publicKey.assign(rest.begin(), rest.end());
  return record;
}

std::vector<std::uint8_t> encodeIpsecKeyRdata(const IpsecKeyRecord& record) {
  Bytes out{record.precedence, 0, static_cast<std::uint8_t>(record.algorithm)};
  out.insert(out.end(), record.publicKey.begin(), record.publicKey.end());
  return out;
}

Result<std::vector<std::uint8_t>> subjectPublicKeyInfo(const IpsecKeyRecord& record) {
  switch (record.algorithm) {
    case IpsecKeyAlgorithm::Rsa: return rsaSubjectPublicKeyInfo(record.publicKey);
    case IpsecKeyAlgorithm::Ecdsa: return ecdsaSubjectPublicKeyInfo(record.publicKey);
    case IpsecKeyAlgorithm::None: return fail("IPSECKEY without a public key (algorithm 0, RFC 4025 §2.4)");
    case IpsecKeyAlgorithm::Dsa: return fail("IPSECKEY with a DSA key (algorithm 1): DSA is not supported");
  }
  return fail("IPSECKEY public key algorithm " + std::to_string(static_cast<int>(record.algorithm)) +
              " is not supported (RSA 2 and ECDSA 3 are)");
}

std::vector<std::uint8_t> rsaPublicKeyField(std::span<const std::uint8_t> modulus,
                                            std::span<const std::uint8_t> exponent) {
  while (!exponent.empty() && exponent.front() == 0) exponent = exponent.subspan(1);
  while (!modulus.empty() && modulus.front() == 0) modulus = modulus.subspan(1);
  Bytes out;
  if (exponent.size() < 256) {
    out.push_back(static_cast<std::uint8_t>(exponent.size()));
  } else {
    out = {0, static_cast<std::uint8_t>(exponent.size() >> 8),
           static_cast<std::uint8_t>(exponent.size() & 0xff)};
  }
  out.insert(out.end(), exponent.begin(), exponent.end());
  out.insert(out.end(), modulus.begin(), modulus.end());
  return out;
}

std::string reverseName(std::span<const std::uint8_t> address) {
  std::string name;
  char buffer[8];
  if (address.size() == 4) {
    for (auto it = address.rbegin(); it != address.rend(); ++it) {
      std::snprintf(buffer, sizeof buffer, "%u.", unsigned{*it});
      name += buffer;
    }
    return name + "in-addr.arpa.";
  }
  for (auto it = address.rbegin(); it != address.rend(); ++it) {
    std::snprintf(buffer, sizeof buffer, "%x.%x.", unsigned{*it} & 0xf, unsigned{*it} >> 4);
    name += buffer;
  }
  return name + "ip6.arpa.";
}

}  // namespace ikemesh::authdnssec
