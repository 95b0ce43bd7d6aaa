// SPDX-License-Identifier: GPL-2.0-or-later
#include "CertutilListing.hpp"

#include <sstream>

namespace ikemesh::cli {

bool ListedCertificate::trustedCa() const {
  const auto ssl = trust.substr(0, trust.find(','));
  return ssl.find_first_of("CT") != std::string::npos;
}

std::vector<ListedCertificate> parseCertutilListing(const std::string& listing) {
  std::vector<ListedCertificate> out;
  std::istringstream lines(listing);
  std::string line;
  bool body = false;
  while (std::getline(lines, line)) {
    if (line.find("SSL,S/MIME,JAR/XPI") != std::string::npos) {
      body = true;  // the second header line; one certificate per line follows
      continue;
    }
    const auto end = line.find_last_not_of(' ');
    if (!body || end == std::string::npos) continue;
    const auto split = line.find_last_of(' ', end);
    if (split == std::string::npos) continue;
    const auto nameEnd = line.find_last_not_of(' ', split);
    if (nameEnd == std::string::npos) continue;  // a trust word alone: no nickname
    out.push_back({line.substr(0, nameEnd + 1), line.substr(split + 1, end - split)});
  }
  return out;
}

}  // namespace ikemesh::cli
