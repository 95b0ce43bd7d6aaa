// SPDX-License-Identifier: GPL-2.0-or-later
// The plugin object: what the daemon constructs through the factory below.
#include <ikemesh/plugin.hpp>

#include "AllowlistAuthMethod.hpp"

namespace allowlist {

/// Provides "auth.allowlist", which the daemon turns into authby=allowlist.
class AllowlistAuthPlugin final : public ikemesh::Plugin {
 public:
  explicit AllowlistAuthPlugin(ikemesh::Host& host) : method_(host) {}

  ikemesh::AuthMethod* authMethod(std::string_view feature) override {
    return feature == "auth.allowlist" ? &method_ : nullptr;
  }

 private:
  AllowlistAuthMethod method_;
};

}  // namespace allowlist

IKEMESH_PLUGIN_FACTORY(IKEMESH_PLUGIN_IDENT, allowlist::AllowlistAuthPlugin)
