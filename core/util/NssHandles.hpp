// SPDX-License-Identifier: GPL-2.0-or-later
// Owning wrappers for NSS handles, one per handle kind, in one place (STYLE.md, house style).
// Each is a std::unique_ptr with a deleter that calls the NSS function releasing that kind, so
// a handle is released on every path out of a scope, error returns included. Header-only: the
// target that includes it links NSS (PkgConfig::NSS).
#pragma once

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>
#include <secitem.h>
#include <secport.h>

#include <memory>
#include <string>

namespace ikemesh {

struct SymKeyDeleter {
  void operator()(PK11SymKey* key) const noexcept { PK11_FreeSymKey(key); }
};
struct ContextDeleter {
  void operator()(PK11Context* context) const noexcept { PK11_DestroyContext(context, PR_TRUE); }
};
struct SlotDeleter {
  void operator()(PK11SlotInfo* slot) const noexcept { PK11_FreeSlot(slot); }
};
struct PrivateKeyDeleter {
  void operator()(SECKEYPrivateKey* key) const noexcept { SECKEY_DestroyPrivateKey(key); }
};
struct PublicKeyDeleter {
  void operator()(SECKEYPublicKey* key) const noexcept { SECKEY_DestroyPublicKey(key); }
};
/// Items NSS allocated for us (SECITEM_AllocItem and friends); zeroed before they are freed,
/// because the items we own mostly hold key material or signatures over it.
struct SecItemDeleter {
  void operator()(SECItem* item) const noexcept { SECITEM_ZfreeItem(item, PR_TRUE); }
};
struct CertificateDeleter {
  void operator()(CERTCertificate* certificate) const noexcept { CERT_DestroyCertificate(certificate); }
};
struct CertificateListDeleter {
  void operator()(CERTCertList* list) const noexcept { CERT_DestroyCertList(list); }
};
/// Arenas are zeroed on free (PR_TRUE) for the same reason as SECItems.
struct ArenaDeleter {
  void operator()(PLArenaPool* arena) const noexcept { PORT_FreeArena(arena, PR_TRUE); }
};

using UniqueSymKey = std::unique_ptr<PK11SymKey, SymKeyDeleter>;
using UniqueContext = std::unique_ptr<PK11Context, ContextDeleter>;
using UniqueSlot = std::unique_ptr<PK11SlotInfo, SlotDeleter>;
using UniquePrivateKey = std::unique_ptr<SECKEYPrivateKey, PrivateKeyDeleter>;
using UniquePublicKey = std::unique_ptr<SECKEYPublicKey, PublicKeyDeleter>;
using UniqueSecItem = std::unique_ptr<SECItem, SecItemDeleter>;
using UniqueCertificate = std::unique_ptr<CERTCertificate, CertificateDeleter>;
using UniqueCertificateList = std::unique_ptr<CERTCertList, CertificateListDeleter>;
using UniqueArena = std::unique_ptr<PLArenaPool, ArenaDeleter>;

/// The thread's last NSS/NSPR error as "NAME (code): text", for error messages that must say
/// why NSS refused. Call it right after the failing NSS function, before any other NSS call.
inline std::string nssErrorText() {
  const PRErrorCode code = PORT_GetError();
  if (code == 0) return "no NSS error code was set";
  const char* name = PR_ErrorToName(code);
  const char* text = PR_ErrorToString(code, PR_LANGUAGE_I_DEFAULT);
  std::string result = name ? name : "unknown NSS error";
  result += " (" + std::to_string(code) + ")";
  if (text && *text) result += std::string(": ") + text;
  return result;
}

/// The first private key in `slot` with nickname `nickname`; empty when there is none.
inline UniquePrivateKey findPrivateKey(PK11SlotInfo* slot, const char* nickname) {
  UniquePrivateKey found;
  SECKEYPrivateKeyList* keys = PK11_ListPrivKeysInSlot(slot, const_cast<char*>(nickname), nullptr);
  if (!keys) return found;
  SECKEYPrivateKeyListNode* node = PRIVKEY_LIST_HEAD(keys);
  if (!PRIVKEY_LIST_END(node, keys)) found.reset(SECKEY_CopyPrivateKey(node->key));
  SECKEY_DestroyPrivateKeyList(keys);
  return found;
}

}  // namespace ikemesh
