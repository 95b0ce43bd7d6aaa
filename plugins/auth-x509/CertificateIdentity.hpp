// SPDX-License-Identifier: GPL-2.0-or-later
// Identities and certificates: the ID we claim from our certificate (leftid=), whether the
// peer's ID payload and the configured rightid= match its certificate (subject or
// subjectAltName, RFC 7296 §3.5, RFC 4945 §3.1), and how an identity reads in status lines.
#pragma once

#include <optional>
#include <string>

#include <ikemesh/auth.hpp>
#include <ikemesh/result.hpp>

#include "util/NssHandles.hpp"

namespace ikemesh::authx509 {

/// A DN in DER order with ", " between the attributes, as Libreswan shows it:
/// `C=US, ST=NC, O=Example Organization, CN=east`.
std::string displayName(const CERTName& name);

/// Our ID for `leftid` (unset or %fromcert: the subject as ID_DER_ASN1_DN; @fqdn, an address, or
/// the subject DN written out); an error when `leftid` cannot name this certificate.
Result<Identity> localIdentity(CERTCertificate* certificate, const std::optional<std::string>& leftid);

/// Whether the ID payload `id` names `certificate` (its subject, or one of its subjectAltNames).
bool identityMatchesCertificate(const Identity& id, CERTCertificate* certificate);

/// Whether a configured rightid= (a DN, @fqdn, an address or user@domain) names `certificate`.
/// %fromcert, %any and an unset rightid= accept every certificate.
bool configuredIdMatchesCertificate(const std::optional<std::string>& rightid, CERTCertificate* certificate);

/// `id` as status lines show it; a DN in the form of displayName().
std::string displayIdentity(const Identity& id);

}  // namespace ikemesh::authx509
