// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel-tun plugin: one `dataplane.tun` provider built from the `config setup` options of
// plugin.json.
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include <ikemesh/plugin.hpp>

#include "TunDataplane.hpp"
#include "util/NssContext.hpp"

namespace ikemesh::tun {

namespace {

std::uint32_t numberOption(Host& host, const char* key, std::uint32_t fallback) {
  auto text = host.configValue("", key);
  if (!text) return fallback;
  errno = 0;
  char* end = nullptr;
  const unsigned long value = std::strtoul(text->c_str(), &end, 0);  // decimal or 0x hex
  if (text->empty() || *end != '\0' || errno != 0 || value > 0xffffffffu)
    throw std::runtime_error("kernel-tun: " + std::string(key) + "=" + *text + " is not a 32-bit number");
  return static_cast<std::uint32_t>(value);
}

class KernelTunPlugin final : public Plugin {
 public:
  explicit KernelTunPlugin(Host& host) {
    // NSS stays initialised while this reference lives, whatever the core does with its own.
    auto nss = NssContext::initWithoutDatabase();
    if (!nss) throw std::runtime_error("kernel-tun: " + nss.error().message);
    nss_ = std::move(*nss);
    TunOptions options;
    if (auto device = host.configValue("", "tun-device")) options.device = *device;
    options.mtu = static_cast<int>(numberOption(host, "tun-mtu", static_cast<std::uint32_t>(options.mtu)));
    if (auto offloads = host.configValue("", "tun-offloads")) options.offloads = *offloads != "no";
    options.routing.table = numberOption(host, "tun-routing-table", options.routing.table);
    options.routing.priority = numberOption(host, "tun-rule-priority", options.routing.priority);
    options.routing.fwmark = numberOption(host, "tun-fwmark", options.routing.fwmark);
    auto dataplane = TunDataplane::create(host, options);
    if (!dataplane) throw std::runtime_error(dataplane.error().message);
    dataplane_ = std::move(*dataplane);
  }
  ~KernelTunPlugin() override {
    dataplane_.reset();  // every NSS object goes before the NSS reference
    nss_.reset();
  }

  Dataplane* dataplane(std::string_view feature) override {
    return feature == "dataplane.tun" ? dataplane_.get() : nullptr;
  }

 private:
  std::unique_ptr<NssContext> nss_;
  std::unique_ptr<TunDataplane> dataplane_;
};

}  // namespace

}  // namespace ikemesh::tun

IKEMESH_PLUGIN_FACTORY(IKEMESH_PLUGIN_IDENT, ikemesh::tun::KernelTunPlugin)
