#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Independent expected values for tests/unit/ike-crypto/KeyDerivationTest.cpp and SkCipherTest.cpp.

Written straight from RFC 7296 §2.13, §2.14, §2.17, §2.18 and §3.14 with Python's hmac/hashlib
(and, for AES, the `cryptography` package: OpenSSL, not NSS), so that the C++ code under test is
checked against a second implementation. Run once; its output was pasted into the tests:

    python3 tests/unit/ike-crypto/vectors/ike_kdf_vectors.py

It also recomputes the RFC 3526 2048-bit MODP prime from pi and checks it against the constant
in core/ike/crypto/KeyExchange.cpp.
"""
import hashlib
import hmac
import re
import sys
from decimal import Decimal, getcontext
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def prf(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def prf_plus(key: bytes, seed: bytes, length: int) -> bytes:
    # RFC 7296 §2.13: T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n)
    out, previous, n = b"", b"", 1
    while len(out) < length:
        previous = prf(key, previous + seed + bytes([n]))
        out += previous
        n += 1
    return out[:length]


def cut(material: bytes, lengths):
    keys, offset = [], 0
    for length in lengths:
        keys.append(material[offset:offset + length])
        offset += length
    return keys


def show(name: str, value: bytes) -> None:
    print(f"{name} = {value.hex()}")


# Inputs (shared with the C++ tests).
ni = bytes(range(0x10, 0x30))                      # 32 octets
nr = bytes(range(0xa0, 0xc0))                      # 32 octets
gir = bytes.fromhex("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE")  # RFC 5903 §8.1 girx
spi_i = bytes.fromhex("0102030405060708")
spi_r = bytes.fromhex("1112131415161718")

print("# prf+ alone: key = 0x0b * 32, seed = 'ikemesh prf+', 100 octets")
show("prfplus", prf_plus(bytes([0x0b]) * 32, b"ikemesh prf+", 100))

skeyseed = prf(ni + nr, gir)
print("# RFC 7296 §2.14, PRF-HMAC-SHA2-256")
show("skeyseed", skeyseed)
seed = ni + nr + spi_i + spi_r

print("# AES-GCM-16-256 (SK_e = 32 + 4 salt), no integrity")
gcm = dict(zip(["d", "ai", "ar", "ei", "er", "pi", "pr"], cut(prf_plus(skeyseed, seed, 32 + 0 + 0 + 36 + 36 + 32 + 32), [32, 0, 0, 36, 36, 32, 32])))
for name, value in gcm.items():
    show(f"gcm_sk_{name}", value)

print("# AES-CBC-128 + HMAC-SHA2-256-128 (SK_a = 32)")
cbc = dict(zip(["d", "ai", "ar", "ei", "er", "pi", "pr"], cut(prf_plus(skeyseed, seed, 32 + 32 + 32 + 16 + 16 + 32 + 32), [32, 32, 32, 16, 16, 32, 32])))
for name, value in cbc.items():
    show(f"cbc_sk_{name}", value)

print("# RFC 7296 §2.18 rekey: prf(SK_d(old) = gcm_sk_d, g^ir(new) | Ni' | Nr')")
gir_new = bytes([0x5a]) * 32
ni2 = bytes([0x21]) * 16
nr2 = bytes([0x42]) * 16
show("rekey_skeyseed", prf(gcm["d"], gir_new + ni2 + nr2))

print("# RFC 7296 §2.17 CHILD SA, SK_d = gcm_sk_d, no PFS, ESP AES-GCM-16-128 (16 + 4 salt)")
keymat = prf_plus(gcm["d"], ni + nr, 2 * 20)
show("child_gcm_i2r_encr", keymat[0:20])
show("child_gcm_r2i_encr", keymat[20:40])

print("# CHILD SA with PFS (g^ir new = 0x5a * 32), ESP AES-CBC-256 + HMAC-SHA2-512-256 (32 + 64)")
keymat = prf_plus(gcm["d"], gir_new + ni + nr, 2 * (32 + 64))
i2r_e, i2r_a, r2i_e, r2i_a = cut(keymat, [32, 64, 32, 64])
show("child_cbc_i2r_encr", i2r_e)
show("child_cbc_i2r_integ", i2r_a)
show("child_cbc_r2i_encr", r2i_e)
show("child_cbc_r2i_integ", r2i_a)

print("# RFC 7296 §3.14 SK payload, AES-CBC-128 + HMAC-SHA2-256-128 with cbc_sk_ei / cbc_sk_ai")
# IKE header (length 96) | SK payload header (Next Payload IDi, length 68), as for the CBC body
aad = spi_i + spi_r + bytes([0x2e, 0x20, 0x23, 0x08]) + bytes(4) + bytes([0, 0, 0, 0x60]) + bytes([0x23, 0, 0, 0x44])
iv = bytes(range(0x30, 0x40))
plaintext = b"IKEv2 SK payload test data.." + bytes([0, 1, 2, 3])  # 32 octets, padding and Pad Length 3
assert len(plaintext) == 32
encryptor = Cipher(algorithms.AES(cbc["ei"]), modes.CBC(iv)).encryptor()
ciphertext = encryptor.update(plaintext) + encryptor.finalize()
icv = hmac.new(cbc["ai"], aad + iv + ciphertext, hashlib.sha256).digest()[:16]
show("sk_aad", aad)
show("sk_cbc_iv", iv)
show("sk_plaintext", plaintext)
show("sk_cbc_body", iv + ciphertext + icv)

print("# RFC 5282 SK payload, AES-GCM-16-256 with gcm_sk_ei (key | salt), explicit IV 0x0000000000000001")
iv = bytes.fromhex("0000000000000001")
key, salt = gcm["ei"][:32], gcm["ei"][32:]
show("sk_gcm_body", iv + AESGCM(key).encrypt(salt + iv, plaintext, aad))

print("# RFC 7296 §3.14 SK payload, AES-CBC-256 + HMAC-SHA2-512-256 (RFC 4868: ICV = first 32 octets)")
key, integ = bytes(range(0x40, 0x60)), bytes(range(0x80, 0xc0))
iv = bytes(range(0x30, 0x40))
encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
ciphertext = encryptor.update(plaintext) + encryptor.finalize()
show("sk_cbc256_ei", key)
show("sk_cbc256_ai", integ)
show("sk_cbc256_body", iv + ciphertext + hmac.new(integ, aad + iv + ciphertext, hashlib.sha512).digest()[:32])

# RFC 3526 §3: p = 2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi] + 124476)
getcontext().prec = 700


def arctan_inverse(x: int) -> Decimal:
    x = Decimal(x)
    total = term = 1 / x
    n, sign = 1, -1
    while True:
        term /= x * x
        n += 2
        if term / n < Decimal(10) ** -690:
            return total
        total += sign * term / n
        sign = -sign


pi = 16 * arctan_inverse(5) - 4 * arctan_inverse(239)
prime = 2**2048 - 2**1984 - 1 + 2**64 * (int(Decimal(2) ** 1918 * pi) + 124476)
source = Path(__file__).resolve().parents[4] / "core/ike/crypto/KeyExchange.cpp"
text = source.read_text()
block = text[text.index("kModp2048Prime = {"):text.index("};", text.index("kModp2048Prime = {"))]
constant = bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", block))
print("# MODP-2048 constant in KeyExchange.cpp matches RFC 3526:", constant == prime.to_bytes(256, "big"))
sys.exit(0 if constant == prime.to_bytes(256, "big") else 1)
