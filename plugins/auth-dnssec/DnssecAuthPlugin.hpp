// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>

#include <ikemesh/plugin.hpp>

#include "DnssecAuthMethod.hpp"

namespace ikemesh::authdnssec {

/// The auth-dnssec plugin: provides "auth.dnssec". Reads dnssec-enable=, dnssec-anchors=,
/// dnssec-resolver= and dnssec-resolver-port= from config setup at construction; a missing or
/// unreadable anchor file is a construction error (the loader logs it, naming the file).
class DnssecAuthPlugin final : public Plugin {
 public:
  explicit DnssecAuthPlugin(Host& host);
  AuthMethod* authMethod(std::string_view feature) override;

  /// The settings config setup gives, or the reason they cannot work (file:line of an anchor).
  static Result<LookupSettings> settingsFrom(const Host& host);

 private:
  std::unique_ptr<DnssecAuthMethod> method_;
};

}  // namespace ikemesh::authdnssec
