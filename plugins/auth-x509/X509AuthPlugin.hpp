// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>
#include <string>

#include <ikemesh/plugin.hpp>

#include "NssDatabase.hpp"
#include "X509AuthMethod.hpp"

namespace ikemesh::authx509 {

/// The auth-x509 plugin: provides "auth.rsasig" and "auth.ecdsa" over one NSS database.
class X509AuthPlugin final : public Plugin {
 public:
  /// Opens the database databaseDirectory() names, read-only; throws std::runtime_error with
  /// the reason when it cannot (the factory turns that into the loader's error).
  explicit X509AuthPlugin(Host& host);

  AuthMethod* authMethod(std::string_view feature) override;

  /// Where the database is: $IKEMESH_NSSDIR (ikemeshd sets it from --nssdir), else
  /// `nssdir=` in config setup, else sql:/var/lib/ikemesh/nss.
  static std::string databaseDirectory(const Host& host);

 private:
  std::shared_ptr<NssDatabase> database_;
  X509AuthMethod rsa_;
  X509AuthMethod ecdsa_;
};

}  // namespace ikemesh::authx509
