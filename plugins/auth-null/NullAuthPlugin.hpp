// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <ikemesh/plugin.hpp>

#include "NullAuthMethod.hpp"

namespace ikemesh::authnull {

/// The auth-null plugin: provides "auth.null". Owns its one NullAuthMethod.
class NullAuthPlugin final : public Plugin {
 public:
  /// NULL authentication needs no configuration, key or service from the host.
  explicit NullAuthPlugin(Host& host) { (void)host; }

  AuthMethod* authMethod(std::string_view feature) override {
    return feature == "auth.null" ? &method_ : nullptr;
  }

 private:
  NullAuthMethod method_;
};

}  // namespace ikemesh::authnull
