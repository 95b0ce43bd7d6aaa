#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make-load-certs.py OUTDIR COUNT: certificates for bench/ike_load.sh's "many peers" runs.

The generator shows COUNT distinct certificates, so that every handshake brings the responder a
certificate it has not validated yet (no cache helps). NSS's certutil needs about 0.4 s per
certificate here; this makes them all in a second, with python3-cryptography:

  OUTDIR/p12-password     the password of both PKCS#12 files
  OUTDIR/responder.p12    the responder's key and certificate (CN=responder) and the CA
  OUTDIR/generator.p12    one ECDSA P-256 key, COUNT certificates for it (nicknames generator,
                          generator-2 ... generator-COUNT, subjects CN=generator-N) and the CA
  OUTDIR/swanctl/         the responder's certificate, key and the CA in PEM, for charon

Subjects and extensions are those of tests/lib/make-mesh-certs.sh (ECDSA P-256, SHA-256,
keyUsage digitalSignature, extKeyUsage serverAuth and clientAuth, 60 months).
"""
import datetime
import os
import secrets
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "NC"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Organization"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def issue(subject, public_key, issuer, issuer_key, serial, ca=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(public_key).serial_number(serial)
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=60 * 30)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                          crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or int(sys.argv[2]) < 1:
        sys.exit("usage: make-load-certs.py OUTDIR COUNT")
    out, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    password = secrets.token_hex(12)
    with open(os.path.join(out, "p12-password"), "w") as f:
        f.write(password + "\n")
    encryption = serialization.BestAvailableEncryption(password.encode())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("Load peers CA")
    ca = issue(ca_name, ca_key.public_key(), ca_name, ca_key, 1, ca=True)
    ca_bag = pkcs12.PKCS12Certificate(ca, b"Load peers CA")

    responder_key = ec.generate_private_key(ec.SECP256R1())
    responder = issue(name("responder"), responder_key.public_key(), ca_name, ca_key, 2)
    with open(os.path.join(out, "responder.p12"), "wb") as f:
        f.write(pkcs12.serialize_key_and_certificates(b"responder", responder_key, responder, [ca_bag],
                                                      encryption))

    generator_key = ec.generate_private_key(ec.SECP256R1())
    first = issue(name("generator"), generator_key.public_key(), ca_name, ca_key, 100)
    others = [pkcs12.PKCS12Certificate(
        issue(name(f"generator-{i}"), generator_key.public_key(), ca_name, ca_key, 100 + i),
        f"generator-{i}".encode()) for i in range(2, count + 1)]
    with open(os.path.join(out, "generator.p12"), "wb") as f:
        f.write(pkcs12.serialize_key_and_certificates(b"generator", generator_key, first,
                                                      others + [ca_bag], encryption))

    pem = serialization.Encoding.PEM
    for folder, file, data in (
            ("x509", "responder.pem", responder.public_bytes(pem)),
            ("x509ca", "ca.pem", ca.public_bytes(pem)),
            ("private", "responder.pem",
             responder_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))):
        os.makedirs(os.path.join(out, "swanctl", folder), exist_ok=True)
        with open(os.path.join(out, "swanctl", folder, file), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
