// SPDX-License-Identifier: GPL-2.0-or-later
// The NSS database verbs of `ikemesh` (DESIGN.md §5), which work without the daemon, as the
// mesh guide uses Libreswan's: initnss, import FILE.p12, listcerts, checknss. They run NSS's own
// tools (certutil, pk12util), so the database stays exactly what `certutil -L -d sql:DIR` reads.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ikemesh::cli {

/// The database every verb uses without --nssdir.
inline constexpr const char* kDefaultNssDirectory = "sql:/var/lib/ikemesh/nss";

/// Runs `arguments` (without the program name) when its first word is one of the NSS verbs and
/// returns the exit status (0 done, 1 failed, 2 usage); nullopt when it is another command.
/// Needs a QCoreApplication (the tools run through QProcess).
std::optional<int> runNssCommand(const std::vector<std::string>& arguments);

/// The usage lines of the NSS verbs, for `ikemesh --help`.
std::string nssCommandsUsage();

}  // namespace ikemesh::cli
