// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer harness for the ipsec.conf parser and loader and the policy group file parser.
// The same bytes are read as an ipsec.conf and as a policy file; when both parse, a policy
// table is built from them and looked up, so the lookup and explain() are exercised too.
// No file is touched: includes are disabled.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/ConfigLoader.hpp"
#include "policy/PolicyTable.hpp"
#include "policy/RequiredFeatures.hpp"

using namespace ikemesh;
using namespace ikemesh::policy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ConfigSchema schema = [] {
    ConfigSchema s = ConfigSchema::standard();
    (void)s.declare({"tun-mtu", "int", {}, "conn", "", "fuzz"});
    (void)s.declare({"tun-queue", "enum", {"single", "multi"}, "conn", "", "fuzz"});
    return s;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto config = ConfigLoader(schema, ParseOptions{.followIncludes = false}).loadText(text, "fuzz.conf");
  if (config) {
    for (const auto& connection : config->connections) (void)requiredFeatures(connection, size % 2 == 0);
    (void)checkProviders(config->connections, {"auth.null", "dataplane.tun"}, true);
  } else {
    for (const auto& error : config.errors()) (void)error.toString();
  }

  auto group = parsePolicyGroup(text, "private", "policies/private");
  if (!group) return 0;

  // A fixed config binds the parsed group, so that its entries reach the tries.
  static const Config mesh = [] {
    auto loaded =
        ConfigLoader(schema, ParseOptions{.followIncludes = false})
            .loadText("conn private\n\tauto=ondemand\n\tleft=%defaultroute\n\tright=%opportunisticgroup\n",
                      "mesh.conf");
    return std::move(loaded).value();
  }();
  std::vector<PolicyGroup> groups{std::move(group).value()};
  auto table = PolicyTable::build(mesh, std::move(groups));
  if (!table) return 0;
  const auto& entries = table->groups().front().entries;
  std::vector<IpAddress> own;
  for (std::size_t i = 0; i < entries.size() && i < 2; ++i) own.push_back(entries[i].prefix.address());
  table->setLocalAddresses(own);
  (void)table->ownAddressesToExclude();
  for (const auto& entry : entries) {
    TrafficQuery query{IpAddress::parse("192.0.2.1").value(), entry.prefix.address(), entry.protocol,
                       entry.localPort, entry.peerPort};
    PolicyMatch match = table->lookup(query);
    auto explanation = table->explain(query);
    (void)explanation.toString();
    // The table must find what it holds (unless the address is one of "ours").
    if (!match && !explanation.peerIsOwnAddress) __builtin_trap();
  }
  return 0;
}
