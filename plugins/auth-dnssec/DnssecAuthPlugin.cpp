// SPDX-License-Identifier: GPL-2.0-or-later
#include "DnssecAuthPlugin.hpp"

#include <cstdlib>
#include <stdexcept>

namespace ikemesh::authdnssec {

namespace {

constexpr const char* kDefaultDatabase = "sql:/var/lib/ikemesh/nss";

std::string databaseDirectory() {
  if (const char* fromDaemon = std::getenv("IKEMESH_NSSDIR"); fromDaemon && *fromDaemon) return fromDaemon;
  return kDefaultDatabase;
}

}  // namespace

DnssecAuthPlugin::DnssecAuthPlugin(Host& host) {
  auto database = authx509::NssDatabase::open(databaseDirectory());
  if (!database) throw std::runtime_error(database.error().message);
  host.log(LogLevel::Info,
           "host key '" + std::string(kHostKeyNickname) + "' from " + (*database)->directory());
  method_ =
      std::make_unique<DnssecAuthMethod>(host, std::shared_ptr<authx509::NssDatabase>(std::move(*database)));
}

AuthMethod* DnssecAuthPlugin::authMethod(std::string_view feature) {
  return feature == "auth.dnssec" ? method_.get() : nullptr;
}

}  // namespace ikemesh::authdnssec

IKEMESH_PLUGIN_FACTORY(IKEMESH_PLUGIN_IDENT, ikemesh::authdnssec::DnssecAuthPlugin)
