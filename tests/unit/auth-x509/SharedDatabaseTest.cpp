// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon may open the same NSS database itself before the plugin does (DESIGN.md §2 step
// 1). NSS then files the certificates under the daemon's token; the plugin must still find its
// certificate and key by nickname and sign with them. One test per program: NSS must be
// initialised with the database first, as in the daemon.
#include <gtest/gtest.h>

#include "VirtualTimeHost.hpp"
#include "X509AuthPlugin.hpp"

namespace ikemesh::testkit {
namespace {

TEST(SharedNssDatabase, PluginFindsCertificateAndKeyInADatabaseTheDaemonOpenedFirst) {
  const std::string database = "sql:" + std::string(IKEMESH_X509_FIXTURES) + "/db";
  NSSInitContext* daemon = NSS_InitContext(database.c_str(), "", "", "", nullptr, NSS_INIT_READONLY);
  ASSERT_NE(daemon, nullptr) << nssErrorText();
  {
    VirtualClock clock;
    VirtualTimeHost host(clock, "auth-x509");
    host.setConfig("", "nssdir", database);
    host.setConfig("private", "leftcert", "west");
    authx509::X509AuthPlugin plugin(host);
    AuthMethod* method = plugin.authMethod("auth.rsasig");
    auto credential = method->localCredential("private");
    ASSERT_TRUE(credential) << credential.error().message;

    AuthExchange exchange;
    exchange.connection = "private";
    exchange.signedOctets = {1, 2, 3, 4};
    std::optional<Result<AuthPayload>> signature;
    method->sign(exchange, [&](Result<AuthPayload> r) { signature = std::move(r); });
    EXPECT_FALSE(signature) << "signing completes later, through the worker and the main thread";
    clock.runPosted();
    ASSERT_TRUE(signature && *signature) << (signature ? signature->error().message : "never completed");

    PeerClaim claim{credential->id, credential->certificates, signature->value()};
    auto verified = authx509::verifyPeer(claim, exchange.signedOctets, std::nullopt);
    ASSERT_TRUE(verified) << verified.error().message;
    EXPECT_EQ(verified->displayId, "C=US, ST=NC, O=Example Organization, CN=west");
  }
  EXPECT_EQ(NSS_ShutdownContext(daemon), SECSuccess);
}

}  // namespace
}  // namespace ikemesh::testkit
