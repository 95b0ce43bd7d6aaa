// SPDX-License-Identifier: GPL-2.0-or-later
// Where make-fixtures.sh put the certificates of this test run (ctest runs it first, as the
// fixture auth-x509.fixtures), and one database handle for the tests that need no engine.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "NssDatabase.hpp"

namespace ikemesh::authx509::testing {

inline std::string fixtureDirectory() {
  return IKEMESH_X509_FIXTURES;
}
inline std::string fixtureDatabase() {
  return "sql:" + fixtureDirectory() + "/db";
}

/// The fixture database, opened once per test program.
inline NssDatabase& database() {
  static std::unique_ptr<NssDatabase> db = [] {
    auto opened = NssDatabase::open(fixtureDatabase());
    if (!opened) {
      ADD_FAILURE() << opened.error().message << " (run ctest, or make-fixtures.sh " << fixtureDirectory()
                    << ")";
      std::abort();
    }
    return std::move(*opened);
  }();
  return *db;
}

inline UniqueCertificate certificate(const std::string& nickname) {
  auto cert = database().certificate(nickname);
  EXPECT_TRUE(cert) << cert.error().message;
  return cert ? std::move(*cert) : nullptr;
}

}  // namespace ikemesh::authx509::testing
