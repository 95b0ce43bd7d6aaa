// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel-xfrm plugin: one `dataplane.xfrm` provider on the kernel's XFRM.
#include <memory>
#include <stdexcept>

#include <ikemesh/plugin.hpp>

#include "XfrmDataplane.hpp"

namespace ikemesh::xfrm {

namespace {

class KernelXfrmPlugin final : public Plugin {
 public:
  explicit KernelXfrmPlugin(Host& host) {
    auto dataplane = XfrmDataplane::create(host);
    if (!dataplane) throw std::runtime_error(dataplane.error().message);
    dataplane_ = std::move(*dataplane);
  }

  Dataplane* dataplane(std::string_view feature) override {
    return feature == "dataplane.xfrm" ? dataplane_.get() : nullptr;
  }

 private:
  std::unique_ptr<XfrmDataplane> dataplane_;
};

}  // namespace

}  // namespace ikemesh::xfrm

IKEMESH_PLUGIN_FACTORY(IKEMESH_PLUGIN_IDENT, ikemesh::xfrm::KernelXfrmPlugin)
