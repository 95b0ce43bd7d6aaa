// SPDX-License-Identifier: GPL-2.0-or-later
#include "DnssecAuthPlugin.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ikemesh::authdnssec {

namespace {

constexpr const char* kDefaultDatabase = "sql:/var/lib/ikemesh/nss";
constexpr const char* kDefaultResolver = "127.0.0.1";

std::string databaseDirectory() {
  if (const char* fromDaemon = std::getenv("IKEMESH_NSSDIR"); fromDaemon && *fromDaemon) return fromDaemon;
  return kDefaultDatabase;
}

}  // namespace

Result<LookupSettings> DnssecAuthPlugin::settingsFrom(const Host& host) {
  LookupSettings settings;
  if (auto enable = host.configValue("", "dnssec-enable")) settings.enabled = *enable != "no";
  const std::string resolver = host.configValue("", "dnssec-resolver").value_or(kDefaultResolver);
  auto address = IpAddress::parse(resolver);
  if (!address) return fail("dnssec-resolver=" + resolver + ": not an IPv4 or IPv6 address");
  settings.resolver = *address;
  if (auto port = host.configValue("", "dnssec-resolver-port")) {
    const long value = std::strtol(port->c_str(), nullptr, 10);
    if (value <= 0 || value > 65535) return fail("dnssec-resolver-port=" + *port + ": not a port (1-65535)");
    settings.port = static_cast<std::uint16_t>(value);
  }
  if (!settings.enabled) return settings;
  auto anchors = host.configValue("", "dnssec-anchors");
  if (!anchors || anchors->empty())
    return fail(
        "config setup has no dnssec-anchors=: keys from DNS are validated from a trust anchor "
        "(a file of DS or DNSKEY records), and none is configured");
  std::ifstream file(*anchors);
  if (!file) return fail("dnssec-anchors=" + *anchors + ": cannot read the file");
  std::stringstream text;
  text << file.rdbuf();
  auto parsed = parseTrustAnchors(text.str(), *anchors);
  if (!parsed) return parsed.error();
  settings.anchorsSource = *anchors;
  settings.anchors = std::shared_ptr<const ldns_rr_list>(parsed->release(), LdnsRrListDeepFree{});
  return settings;
}

DnssecAuthPlugin::DnssecAuthPlugin(Host& host) {
  auto settings = settingsFrom(host);
  if (!settings) throw std::runtime_error(settings.error().message);
  auto database = authx509::NssDatabase::open(databaseDirectory());
  if (!database) throw std::runtime_error(database.error().message);
  host.log(LogLevel::Info,
           "host key '" + std::string(kHostKeyNickname) + "' from " + (*database)->directory() +
               "; IPSECKEY lookups through " + settings->resolver.toString() + " port " +
               std::to_string(settings->port) +
               (settings->enabled ? ", trust anchors from " + settings->anchorsSource : ", DNSSEC disabled"));
  method_ =
      std::make_unique<DnssecAuthMethod>(host, std::shared_ptr<authx509::NssDatabase>(std::move(*database)),
                                         std::make_shared<const LookupSettings>(std::move(*settings)));
}

AuthMethod* DnssecAuthPlugin::authMethod(std::string_view feature) {
  return feature == "auth.dnssec" ? method_.get() : nullptr;
}

}  // namespace ikemesh::authdnssec

IKEMESH_PLUGIN_FACTORY(IKEMESH_PLUGIN_IDENT, ikemesh::authdnssec::DnssecAuthPlugin)
