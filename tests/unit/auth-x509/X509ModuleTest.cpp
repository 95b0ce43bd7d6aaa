// SPDX-License-Identifier: GPL-2.0-or-later
// The built ikemesh-auth-x509.so goes through the daemon's plugin loader: its descriptor (with
// the nssdir and rsasigscheme options) is accepted, the factory opens the NSS database from
// inside the dlopen'ed module, and both providers are there; a missing database is a refusal
// that names the directory, and the loader carries on.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <ikemesh/testkit/FakeHost.hpp>
#include "plugin/PluginLoader.hpp"

namespace ikemesh::testkit {
namespace {

namespace fs = std::filesystem;

class X509ModuleTest : public ::testing::Test {
 protected:
  X509ModuleTest() {
    char pattern[] = "/tmp/ikemesh-x509-module-XXXXXX";
    directory_ = ::mkdtemp(pattern);
    fs::create_symlink(std::string(IKEMESH_X509_MODULE), directory_ + "/ikemesh-auth-x509.so");
    logger_.addSink([this](LogLevel, std::string_view tag, std::string_view text) {
      log_.push_back(std::string(tag) + ": " + std::string(text));
    });
  }
  ~X509ModuleTest() override { fs::remove_all(directory_); }

  /// A loader whose hosts answer `nssdir` with `database`.
  std::unique_ptr<PluginLoader> loadWithDatabase(const std::string& database) {
    ::unsetenv("IKEMESH_NSSDIR");
    auto loader = std::make_unique<PluginLoader>(logger_, [database](const PluginDescriptor& d) {
      auto host = std::make_unique<FakeHost>(d.name);
      host->setConfig("", "nssdir", database);
      return std::unique_ptr<Host>(std::move(host));
    });
    loader->load({directory_});
    return loader;
  }

  std::string directory_;
  Logger logger_;
  std::vector<std::string> log_;
};

TEST_F(X509ModuleTest, LoaderAcceptsTheModuleAndItProvidesRsaSigAndEcdsa) {
  auto loader = loadWithDatabase("sql:" + std::string(IKEMESH_X509_FIXTURES) + "/db");
  ASSERT_EQ(loader->records().size(), 1u);
  const auto& record = loader->records().front();
  EXPECT_EQ(record.verdict, PluginRecord::Verdict::Loaded) << record.reason;
  ASSERT_TRUE(record.descriptor);
  EXPECT_EQ(record.descriptor->name, "auth-x509");
  ASSERT_EQ(record.descriptor->options.size(), 2u);
  EXPECT_EQ(record.descriptor->options[0].key, "nssdir");
  EXPECT_EQ(record.descriptor->options[0].scope, "setup");
  EXPECT_EQ(record.descriptor->options[0].defaultValue, "sql:/var/lib/ikemesh/nss");
  EXPECT_NE(loader->authMethod("auth.rsasig"), nullptr);
  EXPECT_NE(loader->authMethod("auth.ecdsa"), nullptr);
  auto credential = loader->authMethod("auth.rsasig")->localCredential("private");
  ASSERT_FALSE(credential) << "the FakeHost sets no leftcert=";
  EXPECT_NE(credential.error().message.find("leftcert="), std::string::npos) << credential.error().message;
}

TEST_F(X509ModuleTest, MissingDatabaseIsARefusalNamingTheDirectory) {
  auto loader = loadWithDatabase("sql:/nonexistent/ikemesh-x509-db");
  ASSERT_EQ(loader->records().size(), 1u);
  const auto& record = loader->records().front();
  EXPECT_EQ(record.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_NE(record.reason.find("/nonexistent/ikemesh-x509-db"), std::string::npos) << record.reason;
  EXPECT_EQ(loader->authMethod("auth.rsasig"), nullptr);
}

}  // namespace
}  // namespace ikemesh::testkit
