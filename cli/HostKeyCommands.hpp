// SPDX-License-Identifier: GPL-2.0-or-later
// The host key verbs of `ikemesh` for keys published in DNS (auth-dnssec, DESIGN.md §5), as
// Libreswan's `ipsec newhostkey` and `ipsec showhostkey --ipseckey`: a raw key pair in the NSS
// database, and the IPSECKEY records (RFC 4025) that publish its public half.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ikemesh::cli {

/// Runs `arguments` when its first word is newhostkey or showhostkey and returns the exit
/// status (0 done, 1 failed, 2 usage); nullopt for another command.
std::optional<int> runHostKeyCommand(const std::vector<std::string>& arguments);

/// The usage lines of the verbs, for `ikemesh --help`.
std::string hostKeyCommandsUsage();

}  // namespace ikemesh::cli
