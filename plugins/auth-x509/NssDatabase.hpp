// SPDX-License-Identifier: GPL-2.0-or-later
// The plugin's view of the NSS database: its own reference on NSS (NSS_InitContext, which
// coexists with the daemon's and a test's contexts) and the database opened read-only as a
// user token, so that every lookup names exactly this database whoever initialised NSS first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ikemesh/result.hpp>

#include "util/NssHandles.hpp"

namespace ikemesh::authx509 {

/// One open NSS database. Thread-safe after construction (NSS serialises its token access);
/// destroy it after every certificate and key taken from it.
class NssDatabase {
 public:
  /// Opens `directory` ("sql:/var/lib/ikemesh/nss" or a plain path, which means sql:) read-only.
  static Result<std::unique_ptr<NssDatabase>> open(const std::string& directory);
  ~NssDatabase();
  NssDatabase(const NssDatabase&) = delete;
  NssDatabase& operator=(const NssDatabase&) = delete;

  /// "sql:/path" as opened.
  const std::string& directory() const { return directory_; }

  /// Our certificate by nickname (as `certutil -L` lists it), or an error naming the nickname.
  Result<UniqueCertificate> certificate(const std::string& nickname) const;
  /// The private key that belongs to `certificate` in this database.
  Result<UniquePrivateKey> privateKey(CERTCertificate* certificate) const;
  /// A private key without certificate by its nickname: the node's raw host key that
  /// `ikemesh newhostkey` made (auth-dnssec shares this class).
  Result<UniquePrivateKey> privateKey(const std::string& nickname) const;
  /// The certificates above `leaf` up to, not including, the root, when the database holds them
  /// (RFC 7296 §3.6: the peer may need the intermediates to build the path).
  std::vector<std::vector<std::uint8_t>> intermediates(CERTCertificate* leaf) const;
  /// SHA-1 of the SubjectPublicKeyInfo of every CA this database trusts, concatenated: the
  /// Certification Authority field of a CERTREQ payload (RFC 7296 §3.7).
  std::vector<std::uint8_t> trustedAuthorityHashes() const;

 private:
  NssDatabase(NSSInitContext* context, PK11SlotInfo* slot, std::string directory, std::string token);
  NSSInitContext* context_;
  UniqueSlot slot_;
  std::string directory_;
  std::string token_;
};

/// SHA-1 over the DER SubjectPublicKeyInfo of `certificate` (RFC 7296 §3.7); empty on failure.
std::vector<std::uint8_t> subjectPublicKeyInfoHash(CERTCertificate* certificate);

}  // namespace ikemesh::authx509
