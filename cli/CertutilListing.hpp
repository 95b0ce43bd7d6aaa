// SPDX-License-Identifier: GPL-2.0-or-later
// Reading `certutil -L`: the CLI learns what a database holds from NSS's own tool. The
// nicknames in it come from the imported files (a PKCS#12 friendlyName), so the text is
// untrusted input and is fuzzed (tests/fuzz/pkcs12_import_fuzz.cpp).
#pragma once

#include <string>
#include <vector>

namespace ikemesh::cli {

/// One line of `certutil -L`: the nickname and the trust attributes "SSL,S/MIME,JAR/XPI".
struct ListedCertificate {
  std::string nickname;
  std::string trust;
  /// certutil(1): u = the database holds the private key too.
  bool hasKey() const { return trust.find('u') != std::string::npos; }
  /// certutil(1): C is a CA trusted for server certificates, T for client certificates.
  bool trustedCa() const;
};

/// The certificates of a `certutil -L` listing, in its order. Lines before the header
/// ("Certificate Nickname ... SSL,S/MIME,JAR/XPI") and blank lines are skipped; the trust
/// attributes are the last word of a line, the nickname everything before it.
std::vector<ListedCertificate> parseCertutilListing(const std::string& listing);

}  // namespace ikemesh::cli
