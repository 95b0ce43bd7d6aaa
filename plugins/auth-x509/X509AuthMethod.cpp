// SPDX-License-Identifier: GPL-2.0-or-later
#include "X509AuthMethod.hpp"

#include <certdb.h>

#include "CertificateIdentity.hpp"
#include "SignatureScheme.hpp"

namespace ikemesh::authx509 {

namespace {

constexpr std::uint8_t kX509Signature = 4;  // RFC 7296 §3.6 Cert Encoding

/// How long our certificate, key and the trusted CAs are used before the database is read
/// again: a certificate imported or re-trusted while the daemon runs is used from then on.
constexpr std::chrono::seconds kDatabaseRereadInterval{10};
/// Peers whose validated chains are kept (VerifiedChainCache): a certificate and a key of a few
/// KiB each, a bound on what many peers can make the daemon hold.
constexpr std::size_t kVerifiedChainCapacity = 1024;

std::vector<std::uint8_t> derOf(const CERTCertificate* certificate) {
  return {certificate->derCert.data, certificate->derCert.data + certificate->derCert.len};
}

/// Why NSS refused the path, in the words the issue asks for first.
std::string pathFailure(PRErrorCode code) {
  switch (code) {
    case SEC_ERROR_UNKNOWN_ISSUER:
    case SEC_ERROR_UNTRUSTED_ISSUER:
    case SEC_ERROR_UNTRUSTED_CERT:
    case SEC_ERROR_CA_CERT_INVALID:
    case SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID: return "unknown CA";
    case SEC_ERROR_EXPIRED_CERTIFICATE:
    case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE: return "expired";
    case SEC_ERROR_REVOKED_CERTIFICATE:
    case SEC_ERROR_REVOKED_KEY: return "revoked";
    case SEC_ERROR_INADEQUATE_KEY_USAGE:
    case SEC_ERROR_INADEQUATE_CERT_TYPE: return "key usage";
    default: return "invalid certificate";
  }
}

/// NSS path validation against the database's trusted CAs: validity, key usage and CRLs of
/// the database (classic verification: no network fetches). IKE has no usage of its own in NSS;
/// like Libreswan we take a TLS client or, failing its key usage, a TLS server certificate.
Result<void> validatePath(CERTCertificate* leaf) {
  CERTCertDBHandle* handle = CERT_GetDefaultCertDB();
  PRErrorCode error = 0;
  for (SECCertificateUsage usage : {certificateUsageSSLClient, certificateUsageSSLServer}) {
    SECCertificateUsage returned = 0;
    if (CERT_VerifyCertificate(handle, leaf, PR_TRUE, usage, PR_Now(), nullptr, nullptr, &returned) ==
        SECSuccess)
      return success();
    error = PORT_GetError();
    if (error != SEC_ERROR_INADEQUATE_KEY_USAGE && error != SEC_ERROR_INADEQUATE_CERT_TYPE) break;
  }
  PORT_SetError(error);
  return fail(pathFailure(error) + ": the peer's certificate '" + displayName(leaf->subject) + "' (issuer '" +
              displayName(leaf->issuer) + "') does not validate: " + nssErrorText());
}

}  // namespace

X509AuthMethod::X509AuthMethod(Host& host, std::shared_ptr<NssDatabase> database, std::string provider)
    : host_(host),
      database_(std::move(database)),
      provider_(std::move(provider)),
      chains_(std::make_shared<VerifiedChainCache>(kDatabaseRereadInterval, kVerifiedChainCapacity)) {}

Result<const X509AuthMethod::OurCredential*> X509AuthMethod::ourCredential(const std::string& connection) {
  auto nickname = host_.configValue(connection, "leftcert");
  if (!nickname || nickname->empty())
    return fail("no certificate for nickname: connection '" + connection + "' has no leftcert= (" +
                provider_ + " needs the nickname of our certificate in " + database_->directory() + ")");
  const auto now = std::chrono::steady_clock::now();
  auto cached = credentials_.find(*nickname);
  if (cached != credentials_.end() && now - cached->second.readAt < kDatabaseRereadInterval)
    return &cached->second;
  auto certificate = database_->certificate(*nickname);
  if (!certificate) return certificate.error();
  auto key = database_->privateKey(certificate->get());
  if (!key) return key.error();
  auto intermediates = database_->intermediates(certificate->get());
  // A session copy of the key signs without the database: every operation on the token key
  // reads its attributes through SQLite (a sixth of the CPU of an ECDSA handshake, measured
  // with bench/ike_load.sh). C_CopyObject within the token works for a sensitive key too; when
  // the token refuses, the token key still signs, only slower. libcrypto signs with a copy of
  // it when it may (SigningKey.hpp says when, and why).
  std::shared_ptr<SECKEYPrivateKey> nssKey(
      PK11_CopyTokenPrivKeyToSessionPrivKey((*key)->pkcs11Slot, key->get()), PrivateKeyDeleter{});
  if (!nssKey) nssKey.reset(key->release(), PrivateKeyDeleter{});
  auto signingKey = std::make_shared<const SigningKey>(SigningKey::preferLibcrypto(std::move(nssKey)));
  if (cached == credentials_.end() && host_.logEnabled(LogLevel::Info))
    host_.log(LogLevel::Info, "our key for certificate '" + *nickname + "' " + signingKey->why());
  auto& entry = credentials_[*nickname];
  entry = OurCredential{std::move(*certificate), std::move(signingKey), std::move(intermediates), now};
  return &entry;
}

Result<LocalCredential> X509AuthMethod::localCredential(const std::string& connection) {
  auto credential = ourCredential(connection);
  if (!credential) return credential.error();
  CERTCertificate* certificate = (*credential)->certificate.get();
  auto id = localIdentity(certificate, host_.configValue(connection, "leftid"));
  if (!id) return id.error();
  LocalCredential local{std::move(*id), {{kX509Signature, derOf(certificate)}}};
  for (const auto& der : (*credential)->intermediates) local.certificates.push_back({kX509Signature, der});
  return local;
}

std::vector<Certificate> X509AuthMethod::certificateRequests(const std::string& connection) {
  (void)connection;
  const auto now = std::chrono::steady_clock::now();
  if (authorityHashesReadAt_ == std::chrono::steady_clock::time_point{} ||
      now - authorityHashesReadAt_ >= kDatabaseRereadInterval) {
    authorityHashes_ = database_->trustedAuthorityHashes();
    authorityHashesReadAt_ = now;
  }
  if (authorityHashes_.empty()) return {};
  return {{kX509Signature, authorityHashes_}};
}

void X509AuthMethod::sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) {
  auto credential = ourCredential(exchange.connection);
  if (!credential) {
    done(credential.error());
    return;
  }
  // The worker signs with its own reference on the key: the cache may re-read it meanwhile.
  std::shared_ptr<const SigningKey> sharedKey = (*credential)->key;
  const auto scheme = host_.configValue(exchange.connection, "rsasigscheme");
  const RsaScheme rsa = scheme && *scheme == "pkcs1" ? RsaScheme::Pkcs1 : RsaScheme::Pss;
  Host* host = &host_;
  host_.submitWork([host, database = database_, sharedKey, rsa, octets = exchange.signedOctets,
                    done = std::move(done)]() mutable {
    auto signature = signAuthOctets(*sharedKey, rsa, octets);
    sharedKey.reset();
    host->postToMain(
        [signature = std::move(signature), done = std::move(done)]() mutable { done(std::move(signature)); });
    (void)database;  // kept alive until the key is gone
  });
}

namespace {

/// The peer's certificate chain validated by NSS (validatePath()): the leaf and its key.
Result<std::shared_ptr<VerifiedChainCache::Chain>> validateChain(const PeerClaim& claim) {
  if (claim.certificates.empty())
    return fail("no certificate: the peer sent no CERT payload (RFC 7296 §3.6)");
  // Every X.509 CERT becomes a temporary certificate, so that NSS finds the intermediates
  // when it builds the path; the first one is the peer's own (RFC 7296 §3.6).
  std::vector<UniqueCertificate> sent;
  for (const auto& certificate : claim.certificates) {
    if (certificate.encoding != kX509Signature) continue;
    SECItem der{siBuffer, const_cast<unsigned char*>(certificate.data.data()),
                static_cast<unsigned>(certificate.data.size())};
    UniqueCertificate decoded(
        CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, nullptr, PR_FALSE, PR_TRUE));
    if (!decoded && sent.empty())
      return fail("invalid certificate: the peer's CERT is not X.509 DER: " + nssErrorText());
    if (decoded) sent.push_back(std::move(decoded));
  }
  if (sent.empty() || claim.certificates.front().encoding != kX509Signature)
    return fail("no certificate: the peer's first CERT has encoding " +
                std::to_string(claim.certificates.front().encoding) + ", not X.509 signature (4)");
  CERTCertificate* leaf = sent.front().get();
  if (auto valid = validatePath(leaf); !valid) return valid.error();
  UniquePublicKey nssKey(CERT_ExtractPublicKey(leaf));
  if (!nssKey)
    return fail("invalid certificate: no usable public key in '" + displayName(leaf->subject) +
                "': " + nssErrorText());
  auto key = PeerPublicKey::from(std::move(nssKey));
  if (!key)
    return fail("invalid certificate: no usable public key in '" + displayName(leaf->subject) +
                "': " + key.error().message);
  return std::make_shared<VerifiedChainCache::Chain>(
      VerifiedChainCache::Chain{std::move(sent.front()), std::move(*key), VerifiedChainCache::Clock::now()});
}

/// The checks every handshake makes, on a validated chain: the ID payload and rightid= against
/// the certificate, the AUTH signature with its key.
Result<VerifiedPeer> checkClaim(const VerifiedChainCache::Chain& chain, const PeerClaim& claim,
                                std::span<const std::uint8_t> signedOctets,
                                const std::optional<std::string>& rightid) {
  CERTCertificate* leaf = chain.leaf.get();
  // RFC 7296 §3.5, RFC 4945 §3.1: the ID must be the certificate's subject or subjectAltName.
  if (!identityMatchesCertificate(claim.id, leaf))
    return fail("ID mismatch: the peer's ID '" + displayIdentity(claim.id) + "' is not in its certificate '" +
                displayName(leaf->subject) + "'");
  if (!configuredIdMatchesCertificate(rightid, leaf))
    return fail("ID mismatch: rightid='" + *rightid + "' but the peer's certificate is '" +
                displayName(leaf->subject) + "'");
  if (auto verified = verifyAuthOctets(chain.key, claim.auth, signedOctets); !verified)
    return verified.error();
  return VerifiedPeer{displayIdentity(claim.id)};
}

}  // namespace

Result<VerifiedPeer> verifyPeer(const PeerClaim& claim, std::span<const std::uint8_t> signedOctets,
                                const std::optional<std::string>& rightid, VerifiedChainCache* chains) {
  if (chains && !claim.certificates.empty())
    if (auto known = chains->find(claim.certificates, VerifiedChainCache::Clock::now()))
      return checkClaim(*known, claim, signedOctets, rightid);
  auto chain = validateChain(claim);
  if (!chain) return chain.error();
  auto verified = checkClaim(**chain, claim, signedOctets, rightid);
  // Only a chain whose key has verified a signature is kept: that check imported the key into
  // a token, which later checks then share (an import on several threads at once would race).
  if (verified && chains) chains->insert(claim.certificates, std::move(*chain));
  return verified;
}

void X509AuthMethod::verify(const AuthExchange& exchange, const PeerClaim& claim,
                            std::function<void(Result<VerifiedPeer>)> done) {
  Host* host = &host_;
  host_.submitWork([host, database = database_, chains = chains_, claim, octets = exchange.signedOctets,
                    rightid = host_.configValue(exchange.connection, "rightid"),
                    done = std::move(done)]() mutable {
    auto verified = verifyPeer(claim, octets, rightid, chains.get());
    host->postToMain(
        [verified = std::move(verified), done = std::move(done)]() mutable { done(std::move(verified)); });
    (void)database;  // NSS and the trust anchors stay up until the check is done
  });
}

}  // namespace ikemesh::authx509
