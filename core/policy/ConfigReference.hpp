// SPDX-License-Identifier: GPL-2.0-or-later
// ikemesh.conf(5), written from the same key declarations the parser checks values against
// (the core's and every plugin's), so that the manual cannot drift from the code.
#pragma once

#include <string>

#include "policy/ConfigSchema.hpp"

namespace ikemesh::policy {

/// The configuration reference as a man page (troff, man macros): every key of `schema`
/// under `config setup` or `conn`, with its value type, allowed values, who declares it
/// and its doc string. `version` goes into the page's footer.
std::string configReferenceManPage(const ConfigSchema& schema, const std::string& version);

}  // namespace ikemesh::policy
