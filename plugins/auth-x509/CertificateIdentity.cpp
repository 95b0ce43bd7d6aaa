// SPDX-License-Identifier: GPL-2.0-or-later
#include "CertificateIdentity.hpp"

#include <prprf.h>
#include <secasn1.h>

#include <strings.h>
#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include <ikemesh/net.hpp>

namespace ikemesh::authx509 {

namespace {

std::string attributeName(const CERTAVA* ava) {
  switch (CERT_GetAVATag(const_cast<CERTAVA*>(ava))) {
    case SEC_OID_AVA_COUNTRY_NAME: return "C";
    case SEC_OID_AVA_STATE_OR_PROVINCE: return "ST";
    case SEC_OID_AVA_LOCALITY: return "L";
    case SEC_OID_AVA_ORGANIZATION_NAME: return "O";
    case SEC_OID_AVA_ORGANIZATIONAL_UNIT_NAME: return "OU";
    case SEC_OID_AVA_COMMON_NAME: return "CN";
    case SEC_OID_AVA_STREET_ADDRESS: return "STREET";
    case SEC_OID_AVA_DC: return "DC";
    case SEC_OID_AVA_SERIAL_NUMBER: return "serialNumber";
    case SEC_OID_PKCS9_EMAIL_ADDRESS: return "E";
    default: break;
  }
  char* dotted = CERT_GetOidString(&ava->type);
  std::string out = dotted ? dotted : "OID";
  if (dotted) PR_smprintf_free(dotted);
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

/// "C=US, ST=NC, CN=east" -> {"c=us", "st=nc", "cn=east"}: attribute names case-folded, values
/// compared as written (whitespace around separators dropped). Escaped commas stay in place.
std::vector<std::string> dnComponents(std::string_view dn) {
  std::vector<std::string> out;
  std::string current;
  for (std::size_t i = 0; i < dn.size(); ++i) {
    if (dn[i] == '\\' && i + 1 < dn.size()) {
      current += dn[i + 1];
      ++i;
    } else if (dn[i] == ',' || dn[i] == '/') {
      if (!trim(current).empty()) out.push_back(trim(current));
      current.clear();
    } else {
      current += dn[i];
    }
  }
  if (!trim(current).empty()) out.push_back(trim(current));
  for (auto& component : out) {
    auto eq = component.find('=');
    if (eq == std::string::npos) return {};
    std::string name = trim(std::string_view(component).substr(0, eq));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (name == "email" || name == "emailaddress") name = "e";
    component = name + "=" + trim(std::string_view(component).substr(eq + 1));
  }
  return out;
}

/// A DN written in ipsec.conf names the subject when its attributes are the subject's, in DER
/// order (Libreswan) or reversed (RFC 4514).
bool dnMatches(std::string_view configured, const CERTName& subject) {
  auto want = dnComponents(configured);
  auto have = dnComponents(displayName(subject));
  if (want.empty()) return false;
  if (want == have) return true;
  std::reverse(want.begin(), want.end());
  return want == have;
}

std::optional<CERTName> decodeName(PLArenaPool* arena, const std::vector<std::uint8_t>& der) {
  CERTName name{};
  SECItem item{siBuffer, const_cast<unsigned char*>(der.data()), static_cast<unsigned>(der.size())};
  if (SEC_QuickDERDecodeItem(arena, &name, SEC_ASN1_GET(CERT_NameTemplate), &item) != SECSuccess)
    return std::nullopt;
  return name;
}

/// dNSName and iPAddress subjectAltNames (NSS falls back to the CN without them).
bool hostNameMatches(CERTCertificate* certificate, const std::string& host) {
  return !host.empty() && CERT_VerifyCertName(certificate, host.c_str()) == SECSuccess;
}

/// The address an ID_IPV4_ADDR / ID_IPV6_ADDR payload carries.
std::optional<IpAddress> addressOf(const std::vector<std::uint8_t>& data) {
  if (data.size() == 4) return IpAddress::v4({data[0], data[1], data[2], data[3]});
  if (data.size() != 16) return std::nullopt;
  std::array<std::uint8_t, 16> octets{};
  std::copy(data.begin(), data.end(), octets.begin());
  return IpAddress::v6(octets);
}

bool emailMatches(CERTCertificate* certificate, const std::string& email) {
  for (const char* e = CERT_GetFirstEmailAddress(certificate); e;
       e = CERT_GetNextEmailAddress(certificate, e))
    if (strcasecmp(e, email.c_str()) == 0) return true;
  return false;
}

}  // namespace

std::string displayName(const CERTName& name) {
  std::string out;
  for (CERTRDN** rdn = name.rdns; rdn && *rdn; ++rdn)
    for (CERTAVA** ava = (*rdn)->avas; ava && *ava; ++ava) {
      SECItem* value = CERT_DecodeAVAValue(&(*ava)->value);
      if (!out.empty()) out += ", ";
      out += attributeName(*ava) + "=";
      if (value) {
        out.append(reinterpret_cast<const char*>(value->data), value->len);
        SECITEM_FreeItem(value, PR_TRUE);
      }
    }
  return out;
}

Result<Identity> localIdentity(CERTCertificate* certificate, const std::optional<std::string>& leftid) {
  const Identity subject{
      IdType::DerAsn1Dn,
      {certificate->derSubject.data, certificate->derSubject.data + certificate->derSubject.len}};
  if (!leftid || leftid->empty() || *leftid == "%fromcert") return subject;
  const std::string& id = *leftid;
  if (id[0] == '@') {
    const std::string fqdn = id.substr(id.size() > 1 && id[1] == '#' ? 2 : 1);
    return Identity{IdType::Fqdn, {fqdn.begin(), fqdn.end()}};
  }
  if (auto address = IpAddress::parse(id))
    return Identity{address->isV4() ? IdType::Ipv4Address : IdType::Ipv6Address,
                    {address->data(), address->data() + address->size()}};
  if (id.find('=') != std::string::npos) {
    if (!dnMatches(id, certificate->subject))
      return fail("leftid='" + id + "' is not the subject of our certificate (" +
                  displayName(certificate->subject) + ")");
    return subject;
  }
  if (id.find('@') != std::string::npos) return Identity{IdType::Rfc822Address, {id.begin(), id.end()}};
  return fail("leftid='" + id + "': not a DN, @FQDN, address, user@domain or %fromcert");
}

bool identityMatchesCertificate(const Identity& id, CERTCertificate* certificate) {
  const std::string text(id.data.begin(), id.data.end());
  switch (id.type) {
    case IdType::DerAsn1Dn: {
      UniqueArena arena(PORT_NewArena(DER_DEFAULT_CHUNKSIZE));
      if (!arena) return false;
      auto name = decodeName(arena.get(), id.data);
      return name && CERT_CompareName(&*name, &certificate->subject) == SECEqual;
    }
    case IdType::Fqdn: return hostNameMatches(certificate, text);
    case IdType::Ipv4Address:
    case IdType::Ipv6Address: {
      auto address = addressOf(id.data);
      return address && hostNameMatches(certificate, address->toString());
    }
    case IdType::Rfc822Address: return emailMatches(certificate, text);
    default: return false;
  }
}

bool configuredIdMatchesCertificate(const std::optional<std::string>& rightid, CERTCertificate* certificate) {
  if (!rightid || rightid->empty() || *rightid == "%fromcert" || *rightid == "%any") return true;
  const std::string& id = *rightid;
  if (id[0] == '@') return hostNameMatches(certificate, id.substr(id.size() > 1 && id[1] == '#' ? 2 : 1));
  if (IpAddress::parse(id)) return hostNameMatches(certificate, id);
  if (id.find('=') != std::string::npos) return dnMatches(id, certificate->subject);
  if (id.find('@') != std::string::npos) return emailMatches(certificate, id);
  return false;
}

std::string displayIdentity(const Identity& id) {
  switch (id.type) {
    case IdType::DerAsn1Dn: {
      UniqueArena arena(PORT_NewArena(DER_DEFAULT_CHUNKSIZE));
      auto name = arena ? decodeName(arena.get(), id.data) : std::nullopt;
      return name ? displayName(*name) : "(undecodable DN)";
    }
    case IdType::Fqdn: return "@" + std::string(id.data.begin(), id.data.end());
    case IdType::Rfc822Address: return std::string(id.data.begin(), id.data.end());
    case IdType::Ipv4Address:
    case IdType::Ipv6Address:
      if (auto address = addressOf(id.data)) return address->toString();
      break;
    default: break;
  }
  return "(ID type " + std::to_string(static_cast<int>(id.type)) + ")";
}

}  // namespace ikemesh::authx509
