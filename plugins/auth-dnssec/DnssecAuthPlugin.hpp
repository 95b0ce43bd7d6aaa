// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>

#include <ikemesh/plugin.hpp>

#include "DnssecAuthMethod.hpp"

namespace ikemesh::authdnssec {

/// The auth-dnssec plugin: provides "auth.dnssec" over the NSS database that holds the host
/// key ($IKEMESH_NSSDIR, which ikemeshd sets from --nssdir).
class DnssecAuthPlugin final : public Plugin {
 public:
  explicit DnssecAuthPlugin(Host& host);
  AuthMethod* authMethod(std::string_view feature) override;

 private:
  std::unique_ptr<DnssecAuthMethod> method_;
};

}  // namespace ikemesh::authdnssec
