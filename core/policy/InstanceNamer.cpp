// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/InstanceNamer.hpp"

namespace ikemesh::policy {

std::string InstanceName::connectionName() const {
  return templateName + "#" + groupPrefix.toString();
}

std::string InstanceName::toString() const {
  std::string text(1, '"');  // appended, not "\"" + ...: GCC 12 -O3 warns falsely (-Wrestrict)
  text += connectionName();
  text += "\"[";
  text += std::to_string(serial);
  text += "] ...";
  text += peer.toString();
  return text;
}

InstanceName InstanceNamer::next(std::string_view templateName, const IpPrefix& groupPrefix,
                                 const IpAddress& peer) {
  auto it = lastSerial_.find(templateName);
  if (it == lastSerial_.end()) it = lastSerial_.emplace(std::string(templateName), 0u).first;
  return InstanceName{std::string(templateName), groupPrefix, ++it->second, peer};
}

}  // namespace ikemesh::policy
