#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Independent ESP known-answer vectors for tests/unit/kernel-tun/EspSaTest.cpp, computed with the
# Python `cryptography` package (OpenSSL), not with NSS: RFC 4303 framing, RFC 4106 AES-GCM-16,
# RFC 3602 AES-CBC with RFC 4868 HMAC-SHA2. Run: python3 esp_vectors.py
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def pad(payload, next_header, block):
    # RFC 4303 §2.4: padding 1, 2, 3, ...; payload | pad | pad length | next header aligned.
    n = (-(len(payload) + 2)) % block
    return payload + bytes(range(1, n + 1)) + bytes([n, next_header])


def esp_gcm(key_and_salt, spi, seq, iv, payload, next_header, esn=False, plaintext=None):
    key, salt = key_and_salt[:-4], key_and_salt[-4:]
    header = struct.pack(">II", spi, seq & 0xFFFFFFFF)
    # RFC 4106 §5: AAD = SPI | seq, or SPI | ESN high | ESN low
    aad = struct.pack(">IQ", spi, seq) if esn else header
    if plaintext is None:
        plaintext = pad(payload, next_header, 4)
    sealed = AESGCM(key).encrypt(salt + iv, plaintext, aad)
    return header + iv + sealed


def esp_cbc(key, integ_key, hash_name, icv_len, spi, seq, iv, payload, next_header, esn=False):
    header = struct.pack(">II", spi, seq & 0xFFFFFFFF)
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    body = header + iv + enc.update(pad(payload, next_header, 16)) + enc.finalize()
    # RFC 4303 §2.2.1: with ESN the high half is appended to the ICV input only
    covered = body + (struct.pack(">I", seq >> 32) if esn else b"")
    return body + hmac.new(integ_key, covered, getattr(hashlib, hash_name)).digest()[:icv_len]


def ipv4_packet():
    # An ICMP echo request 192.0.2.1 -> 198.51.100.2 (checksums are not checked by ESP).
    icmp = bytes([8, 0, 0, 0, 0x12, 0x34, 0, 1]) + bytes(range(40))
    total = 20 + len(icmp)
    return bytes([0x45, 0, total >> 8, total & 0xFF, 0, 1, 0x40, 0, 64, 1, 0, 0,
                  192, 0, 2, 1, 198, 51, 100, 2]) + icmp


def c_array(name, data):
    lines = []
    for i in range(0, len(data), 16):
        lines.append("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",")
    return "const std::vector<std::uint8_t> %s = {\n%s\n};" % (name, "\n".join(lines))


key128 = bytes(range(0x00, 0x10)) + bytes([0xCA, 0xFE, 0xBA, 0xBE])
key256 = bytes(range(0x20, 0x40)) + bytes([0xDE, 0xAD, 0xBE, 0xEF])
cbc_key = bytes(range(0x40, 0x50))
sha256_key = bytes(range(0x60, 0x80))
sha512_key = bytes(range(0x80, 0xC0))
iv8 = bytes([0, 0, 0, 0, 0, 0, 0, 1])
iv16 = bytes(range(0xA0, 0xB0))
packet = ipv4_packet()
transport_payload = b"transport mode payload: a UDP datagram"

print(c_array("kInnerPacket", packet))
print(c_array("kTransportPayload", transport_payload))
print(c_array("kGcm128Key", key128))
print(c_array("kGcm256Key", key256))
print(c_array("kCbcKey", cbc_key))
print(c_array("kSha256Key", sha256_key))
print(c_array("kSha512Key", sha512_key))
print(c_array("kGcm128Tunnel", esp_gcm(key128, 0x11223344, 1, iv8, packet, 4)))
print(c_array("kGcm256Transport", esp_gcm(key256, 0x00001000, 1, iv8, transport_payload, 17)))
seq_esn = (5 << 32) | 7
print(c_array("kGcm128TunnelEsn",
              esp_gcm(key128, 0x11223344, seq_esn, struct.pack(">Q", seq_esn), packet, 4, esn=True)))
print(c_array("kCbcSha256Tunnel", esp_cbc(cbc_key, sha256_key, "sha256", 16, 0xABCDEF01, 1, iv16, packet, 4)))
print(c_array("kCbcSha512TransportEsn",
              esp_cbc(cbc_key, sha512_key, "sha512", 32, 0xABCDEF01, seq_esn, iv16, transport_payload, 6,
                      esn=True)))
# Authentic (valid ICV) but with padding 0, 0 instead of 1, 2: the receiver must refuse it.
print(c_array("kGcm128BadPadding",
              esp_gcm(key128, 0x11223344, 1, iv8, None, None, plaintext=packet + bytes([0, 0, 2, 4]))))
# Authentic, but the pad length octet says more padding than there is plaintext.
print(c_array("kGcm128PadTooLong",
              esp_gcm(key128, 0x11223344, 1, iv8, None, None, plaintext=bytes([1, 2, 200, 4]))))
