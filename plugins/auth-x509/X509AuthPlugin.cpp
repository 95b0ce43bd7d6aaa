// SPDX-License-Identifier: GPL-2.0-or-later
#include "X509AuthPlugin.hpp"

#include <cstdlib>
#include <stdexcept>

namespace ikemesh::authx509 {

namespace {

constexpr const char* kDefaultDatabase = "sql:/var/lib/ikemesh/nss";

std::shared_ptr<NssDatabase> openDatabase(Host& host) {
  auto database = NssDatabase::open(X509AuthPlugin::databaseDirectory(host));
  if (!database) throw std::runtime_error(database.error().message);
  host.log(LogLevel::Info, "certificates and keys from " + (*database)->directory());
  return std::shared_ptr<NssDatabase>(std::move(*database));
}

}  // namespace

std::string X509AuthPlugin::databaseDirectory(const Host& host) {
  if (const char* fromDaemon = std::getenv("IKEMESH_NSSDIR"); fromDaemon && *fromDaemon) return fromDaemon;
  if (auto configured = host.configValue("", "nssdir"); configured && !configured->empty())
    return *configured;
  return kDefaultDatabase;
}

X509AuthPlugin::X509AuthPlugin(Host& host)
    : database_(openDatabase(host)),
      rsa_(host, database_, "auth.rsasig"),
      ecdsa_(host, database_, "auth.ecdsa") {}

AuthMethod* X509AuthPlugin::authMethod(std::string_view feature) {
  if (feature == "auth.rsasig") return &rsa_;
  if (feature == "auth.ecdsa") return &ecdsa_;
  return nullptr;
}

}  // namespace ikemesh::authx509

IKEMESH_PLUGIN_FACTORY(IKEMESH_PLUGIN_IDENT, ikemesh::authx509::X509AuthPlugin)
