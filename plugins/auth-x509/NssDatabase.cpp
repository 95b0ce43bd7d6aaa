// SPDX-License-Identifier: GPL-2.0-or-later
#include "NssDatabase.hpp"

#include <certdb.h>
#include <secmod.h>

#include <atomic>

namespace ikemesh::authx509 {

namespace {

/// Every open gets its own token name, so that two plugins (two test nodes) on one NSS do not
/// collide and nicknames can be qualified as "token:nickname".
std::string nextTokenName() {
  static std::atomic<unsigned> counter{0};
  return "ikemesh auth-x509 " + std::to_string(++counter);
}

}  // namespace

Result<std::unique_ptr<NssDatabase>> NssDatabase::open(const std::string& directory) {
  std::string dir = directory;
  if (dir.rfind("sql:", 0) != 0) dir = "sql:" + dir;
  // Our own reference on NSS, without a database of its own: the database is opened below as a
  // user token, which works whether or not someone else initialised NSS already. (Not
  // NSS_INIT_OPTIMIZESPACE, for the reason NssContext::initWithoutDatabase() gives.)
  const PRUint32 flags =
      NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT;
  NSSInitContext* context = NSS_InitContext("", "", "", "", nullptr, flags);
  if (!context) return fail("NSS initialisation failed: " + nssErrorText());
  const std::string token = nextTokenName();
  const std::string spec = "configdir='" + dir + "' tokenDescription='" + token + "' flags=readOnly";
  PK11SlotInfo* slot = SECMOD_OpenUserDB(spec.c_str());
  if (!slot || !PK11_IsPresent(slot)) {
    const std::string why = nssErrorText();
    if (slot) {
      SECMOD_CloseUserDB(slot);
      PK11_FreeSlot(slot);
    }
    NSS_ShutdownContext(context);
    return fail("cannot open the NSS database " + dir + ": " + why);
  }
  // An empty-password database (what `ikemesh initnss` makes) needs no login; one with a
  // password would fail here, which names the problem instead of failing at the first signature.
  if (PK11_NeedLogin(slot) && PK11_Authenticate(slot, PR_TRUE, nullptr) != SECSuccess) {
    SECMOD_CloseUserDB(slot);
    PK11_FreeSlot(slot);
    NSS_ShutdownContext(context);
    return fail("the NSS database " + dir + " has a password; auth-x509 needs one without");
  }
  return std::unique_ptr<NssDatabase>(new NssDatabase(context, slot, dir, token));
}

NssDatabase::NssDatabase(NSSInitContext* context, PK11SlotInfo* slot, std::string directory,
                         std::string token)
    : context_(context), slot_(slot), directory_(std::move(directory)), token_(std::move(token)) {}

NssDatabase::~NssDatabase() {
  SECMOD_CloseUserDB(slot_.get());
  slot_.reset();
  NSS_ShutdownContext(context_);
}

Result<UniqueCertificate> NssDatabase::certificate(const std::string& nickname) const {
  const std::string qualified = token_ + ":" + nickname;
  if (UniqueCertificate cert(PK11_FindCertFromNickname(qualified.c_str(), nullptr)); cert) return cert;
  // When the same database is open elsewhere in the process too (the daemon's own context),
  // NSS keeps one certificate object under the other token's name: find it among ours.
  UniqueCertificateList certs(PK11_ListCertsInSlot(slot_.get()));
  if (certs)
    for (CERTCertListNode* node = CERT_LIST_HEAD(certs.get()); !CERT_LIST_END(node, certs.get());
         node = CERT_LIST_NEXT(node)) {
      if (!node->cert->nickname) continue;
      const std::string name = node->cert->nickname;
      const auto colon = name.find(':');
      if (name == nickname || (colon != std::string::npos && name.substr(colon + 1) == nickname))
        return UniqueCertificate(CERT_DupCertificate(node->cert));
    }
  return fail("no certificate for nickname '" + nickname + "' in " + directory_);
}

Result<UniquePrivateKey> NssDatabase::privateKey(CERTCertificate* certificate) const {
  UniquePrivateKey key(PK11_FindPrivateKeyFromCert(slot_.get(), certificate, nullptr));
  if (!key)
    return fail("no private key for certificate '" + std::string(certificate->subjectName) + "' in " +
                directory_);
  return key;
}

Result<UniquePrivateKey> NssDatabase::privateKey(const std::string& nickname) const {
  UniquePrivateKey found = findPrivateKey(slot_.get(), nickname.c_str());
  if (!found)
    return fail("no private key with nickname '" + nickname + "' in " + directory_ +
                " (ikemesh newhostkey makes one)");
  return found;
}

std::vector<std::vector<std::uint8_t>> NssDatabase::intermediates(CERTCertificate* leaf) const {
  std::vector<std::vector<std::uint8_t>> out;
  CERTCertificateList* chain = CERT_CertChainFromCert(leaf, certUsageSSLClient, PR_FALSE);
  if (!chain) return out;
  // Element 0 is the leaf itself; the root is left out (includeRoot = false).
  for (int i = 1; i < chain->len; ++i)
    out.emplace_back(chain->certs[i].data, chain->certs[i].data + chain->certs[i].len);
  CERT_DestroyCertificateList(chain);
  return out;
}

std::vector<std::uint8_t> subjectPublicKeyInfoHash(CERTCertificate* certificate) {
  UniqueArena arena(PORT_NewArena(DER_DEFAULT_CHUNKSIZE));
  if (!arena) return {};
  SECItem* spki = SEC_ASN1EncodeItem(arena.get(), nullptr, &certificate->subjectPublicKeyInfo,
                                     SEC_ASN1_GET(CERT_SubjectPublicKeyInfoTemplate));
  if (!spki) return {};
  std::vector<std::uint8_t> hash(20);
  if (PK11_HashBuf(SEC_OID_SHA1, hash.data(), spki->data, static_cast<PRInt32>(spki->len)) != SECSuccess)
    return {};
  return hash;
}

std::vector<std::uint8_t> NssDatabase::trustedAuthorityHashes() const {
  std::vector<std::uint8_t> out;
  UniqueCertificateList certs(PK11_ListCertsInSlot(slot_.get()));
  if (!certs) return out;
  for (CERTCertListNode* node = CERT_LIST_HEAD(certs.get()); !CERT_LIST_END(node, certs.get());
       node = CERT_LIST_NEXT(node)) {
    CERTCertTrust trust;
    if (CERT_GetCertTrust(node->cert, &trust) != SECSuccess) continue;
    const unsigned anyCa = trust.sslFlags | trust.emailFlags | trust.objectSigningFlags;
    if (!(anyCa & CERTDB_TRUSTED_CA)) continue;
    auto hash = subjectPublicKeyInfoHash(node->cert);
    out.insert(out.end(), hash.begin(), hash.end());
  }
  return out;
}

}  // namespace ikemesh::authx509
