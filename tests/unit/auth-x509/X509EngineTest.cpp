// SPDX-License-Identifier: GPL-2.0-or-later
// Two engines authenticating each other with auth-x509 (RFC 7296 §2.15, RFC 7427), end to end
// through the in-process harness: RSA, ECDSA, CERTREQ, every rejection the issue lists (no SA,
// one log line with the reason), and a certificate chain that needs IKE fragmentation.
#include "EngineHarness.hpp"
#include "X509AuthPlugin.hpp"
#include "X509Fixtures.hpp"
#include "ike/message/MessageDecoder.hpp"

namespace ikemesh::testkit {
namespace {

using authx509::X509AuthPlugin;
using authx509::testing::fixtureDatabase;

const std::string kEast = "C=US, ST=NC, O=Example Organization, CN=east";
const std::string kWest = "C=US, ST=NC, O=Example Organization, CN=west";

/// Signs with the real method, then flips one bit of the signature: what a peer without the
/// certificate's key (or a tampering path) would produce.
class CorruptingSigner final : public AuthMethod {
 public:
  explicit CorruptingSigner(AuthMethod& real) : real_(real) {}
  Result<LocalCredential> localCredential(const std::string& connection) override {
    return real_.localCredential(connection);
  }
  void sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) override {
    real_.sign(exchange, [done = std::move(done)](Result<AuthPayload> signature) {
      if (signature) signature->data.back() ^= 0x01;
      done(std::move(signature));
    });
  }
  void verify(const AuthExchange& exchange, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override {
    real_.verify(exchange, claim, std::move(done));
  }

 private:
  AuthMethod& real_;
};

/// Presents its own certificate and signs with its own key, but claims another node's ID
/// (IDi): a member of the mesh posing as another member. The signature is genuine (it covers
/// the claimed ID, RFC 7296 §2.15); only the ID-to-certificate check can catch it.
class IdentityThief final : public AuthMethod {
 public:
  IdentityThief(AuthMethod& real, Identity stolen) : real_(real), stolen_(std::move(stolen)) {}
  Result<LocalCredential> localCredential(const std::string& connection) override {
    auto credential = real_.localCredential(connection);
    if (credential) credential->id = stolen_;
    return credential;
  }
  void sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) override {
    real_.sign(exchange, std::move(done));
  }
  void verify(const AuthExchange& exchange, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override {
    real_.verify(exchange, claim, std::move(done));
  }

 private:
  AuthMethod& real_;
  Identity stolen_;
};

class X509EngineTest : public EngineTest {
 protected:
  void SetUp() override {
    use(a, pluginA, "east");
    use(b, pluginB, "west");
  }

  /// `node` authenticates with `nickname` through `provider` of its own auth-x509 plugin.
  void use(Node& node, std::unique_ptr<X509AuthPlugin>& plugin, const std::string& nickname,
           const std::string& provider = "auth.rsasig") {
    node.host.setConfig("", "nssdir", fixtureDatabase());
    node.host.setConfig("private", "leftcert", nickname);
    if (!plugin) plugin = std::make_unique<X509AuthPlugin>(node.host);
    node.connection.localAuth = node.connection.remoteAuth = provider;
    node.authOverride = plugin->authMethod(provider);
    ASSERT_NE(node.authOverride, nullptr);
  }

  void expectNoSa() {
    EXPECT_TRUE(a.established.empty());
    EXPECT_TRUE(b.established.empty());
    EXPECT_TRUE(a.recorder.installed.empty());
    EXPECT_TRUE(b.recorder.installed.empty());
    EXPECT_EQ(a.establishedIkeSas() + b.establishedIkeSas(), 0u);
  }

  /// How many log lines of `node` contain `text`.
  static std::size_t linesWith(const Node& node, const std::string& text) {
    std::size_t n = 0;
    for (const auto& line : node.host.lines()) n += line.find(text) != std::string::npos ? 1 : 0;
    return n;
  }

  std::unique_ptr<X509AuthPlugin> pluginA;
  std::unique_ptr<X509AuthPlugin> pluginB;
};

TEST_F(X509EngineTest, RsaCertificatesEstablishAndThePeerIsItsSubject) {
  connect();
  ASSERT_EQ(a.established.size(), 1u);
  ASSERT_EQ(b.established.size(), 1u);
  EXPECT_EQ(a.established[0].peerId, kWest);
  EXPECT_EQ(b.established[0].peerId, kEast);
  EXPECT_EQ(a.recorder.installed.size(), 2u);
  EXPECT_EQ(b.recorder.installed.size(), 2u);
  EXPECT_EQ(a.engine.counters().rejected + b.engine.counters().rejected, 0u);
}

TEST_F(X509EngineTest, EcdsaCertificatesEstablish) {
  use(a, pluginA, "north", "auth.ecdsa");
  use(b, pluginB, "south", "auth.ecdsa");
  connect();
  ASSERT_EQ(a.established.size(), 1u);
  ASSERT_EQ(b.established.size(), 1u);
  EXPECT_EQ(a.established[0].peerId, "C=US, ST=NC, O=Example Organization, CN=south");
  EXPECT_EQ(b.established[0].peerId, "C=US, ST=NC, O=Example Organization, CN=north");
  EXPECT_EQ(b.recorder.installed.size(), 2u);
}

TEST_F(X509EngineTest, RsaAndEcdsaNodesAuthenticateEachOther) {
  use(b, pluginB, "north", "auth.ecdsa");
  connect();
  ASSERT_EQ(a.established.size(), 1u);
  EXPECT_EQ(a.established[0].peerId, "C=US, ST=NC, O=Example Organization, CN=north");
  EXPECT_EQ(b.established[0].peerId, kEast);
}

TEST_F(X509EngineTest, Pkcs1AuthMethod1IsSentAndAccepted) {
  a.host.setConfig("private", "rsasigscheme", "pkcs1");
  connect();
  ASSERT_EQ(b.established.size(), 1u);
  EXPECT_EQ(b.established[0].peerId, kEast);
}

TEST_F(X509EngineTest, ExplicitRightIdMatchingTheCertificateIsAccepted) {
  b.host.setConfig("private", "rightid", "CN=east, O=Example Organization, ST=NC, C=US");
  a.host.setConfig("private", "rightid", "@west.example.com");
  connect();
  ASSERT_EQ(a.established.size(), 1u);
  ASSERT_EQ(b.established.size(), 1u);
}

TEST_F(X509EngineTest, CertificateRequestNamesTheTrustedCaByItsKeyHash) {
  auto ca = authx509::testing::certificate("ca");
  const auto caHash = authx509::subjectPublicKeyInfoHash(ca.get());
  ASSERT_EQ(caHash.size(), 20u);
  std::vector<std::uint8_t> requested;
  network.filter = [&](const Datagram& d) {
    if (d.is(ike::ExchangeType::IkeSaInit, true))
      if (auto message = ike::decode(d.bytes))
        if (const auto* p = message->find(ike::PayloadType::CertificateRequest))
          requested = p->as<ike::CertificateRequestPayload>()->authorities;
    return Fate::Deliver;
  };
  connect();
  // RFC 7296 §3.7: the SHA-1 of the SubjectPublicKeyInfo of each trusted CA, only "ca" here.
  EXPECT_EQ(requested, caHash);
  EXPECT_EQ(a.established.size(), 1u);
}

TEST_F(X509EngineTest, SignatureHashAlgorithmsAreAnnouncedInBothIkeSaInitMessages) {
  std::vector<std::vector<std::uint8_t>> announced;  // request, then response
  network.filter = [&](const Datagram& d) {
    if (d.is(ike::ExchangeType::IkeSaInit, false) || d.is(ike::ExchangeType::IkeSaInit, true))
      if (auto message = ike::decode(d.bytes))
        if (const auto* n = message->findNotify(ike::NotifyType::SignatureHashAlgorithms))
          announced.push_back(n->data);
    return Fate::Deliver;
  };
  connect();
  // RFC 7427 §4: SHA2-256, SHA2-384, SHA2-512 as 16-bit numbers.
  const std::vector<std::uint8_t> sha2 = {0, 2, 0, 3, 0, 4};
  ASSERT_EQ(announced.size(), 2u);
  EXPECT_EQ(announced[0], sha2);
  EXPECT_EQ(announced[1], sha2);
  EXPECT_EQ(a.established.size(), 1u);
}

TEST_F(X509EngineTest, CertificateOfAnUnknownCaIsRejected) {
  use(a, pluginA, "mallory");
  connect();
  expectNoSa();
  EXPECT_EQ(linesWith(b, "rejected: AUTH: unknown CA"), 1u);
  EXPECT_TRUE(b.host.logged("CN=mallory"));
}

TEST_F(X509EngineTest, ExpiredCertificateIsRejected) {
  use(a, pluginA, "expired");
  connect();
  expectNoSa();
  EXPECT_EQ(linesWith(b, "rejected: AUTH: expired"), 1u);
}

TEST_F(X509EngineTest, RevokedCertificateIsRejectedFromTheDatabaseCrl) {
  use(a, pluginA, "revoked");
  connect();
  expectNoSa();
  EXPECT_EQ(linesWith(b, "rejected: AUTH: revoked"), 1u);
}

TEST_F(X509EngineTest, CertificateWithoutSigningKeyUsageIsRejected) {
  use(a, pluginA, "nosign");
  connect();
  expectNoSa();
  EXPECT_EQ(linesWith(b, "rejected: AUTH: key usage"), 1u);
}

TEST_F(X509EngineTest, RightIdOtherThanTheCertificateIsAnIdMismatch) {
  b.host.setConfig("private", "rightid", kWest);
  connect();
  expectNoSa();
  EXPECT_EQ(linesWith(b, "rejected: AUTH: ID mismatch"), 1u);
}

TEST_F(X509EngineTest, NodeClaimingAnotherNodesIdWithItsOwnCertificateIsRefused) {
  use(a, pluginA, "north");
  auto north = a.authOverride->localCredential("private");
  ASSERT_TRUE(north) << north.error().message;
  use(a, pluginA, "east");
  IdentityThief thief(*a.authOverride, north->id);
  a.authOverride = &thief;
  connect();
  expectNoSa();
  EXPECT_EQ(linesWith(b,
                      "message from 192.0.2.1:500 rejected: AUTH: ID mismatch: the peer's ID "
                      "'C=US, ST=NC, O=Example Organization, CN=north' is not in its certificate "
                      "'C=US, ST=NC, O=Example Organization, CN=east'"),
            1u);
  // RFC 7296 §2.21.2: the impostor is told, and gets nothing either.
  EXPECT_TRUE(a.failures.size() == 1u);
}

TEST_F(X509EngineTest, CorruptedSignatureIsABadSignature) {
  CorruptingSigner corrupting(*a.authOverride);
  a.authOverride = &corrupting;
  connect();
  expectNoSa();
  EXPECT_EQ(linesWith(b, "rejected: AUTH: bad signature"), 1u);
}

TEST_F(X509EngineTest, ResponderWithAnExpiredCertificateIsRejectedByTheInitiator) {
  use(b, pluginB, "expired");
  connect();
  EXPECT_TRUE(a.established.empty());
  EXPECT_TRUE(a.recorder.installed.empty());
  EXPECT_EQ(linesWith(a, "rejected: AUTH: expired"), 1u);
  // RFC 7296 §2.21.2: the responder, which had established, hears of it and removes its SAs.
  EXPECT_EQ(b.establishedIkeSas(), 0u);
  EXPECT_TRUE(b.recorder.installed.empty());
  EXPECT_EQ(linesWith(b, "rejected: AUTH: the peer refused our authentication (AUTHENTICATION_FAILED)"), 1u);
  ASSERT_EQ(b.deleted.size(), 1u);
  EXPECT_EQ(b.deleted[0].second, "the peer refused our authentication");
}

TEST_F(X509EngineTest, MissingNicknameStopsTheInitiatorWithItsName) {
  use(a, pluginA, "nobody");
  connect();
  expectNoSa();
  EXPECT_TRUE(a.host.logged("no certificate for nickname 'nobody'"));
}

TEST_F(X509EngineTest, MissingNicknameOnTheResponderFailsAuthentication) {
  use(b, pluginB, "nobody");
  connect();
  expectNoSa();
  EXPECT_TRUE(b.host.logged("rejected: AUTH: local credential: no certificate for nickname 'nobody'"));
}

TEST_F(X509EngineTest, CredentialCarriesTheIntermediatesOfTheDatabaseButNotTheRoot) {
  use(a, pluginA, "far");
  auto credential = a.authOverride->localCredential("private");
  ASSERT_TRUE(credential) << credential.error().message;
  auto far = authx509::testing::certificate("far");
  auto intermediate = authx509::testing::certificate("intermediate");
  ASSERT_EQ(credential->certificates.size(), 2u);
  EXPECT_EQ(credential->certificates[0].encoding, 4);  // X.509 Certificate - Signature
  EXPECT_EQ(credential->certificates[0].data,
            std::vector<std::uint8_t>(far->derCert.data, far->derCert.data + far->derCert.len));
  EXPECT_EQ(credential->certificates[1].data,
            std::vector<std::uint8_t>(intermediate->derCert.data,
                                      intermediate->derCert.data + intermediate->derCert.len));
  use(a, pluginA, "east");
  auto east = a.authOverride->localCredential("private");
  ASSERT_TRUE(east);
  EXPECT_EQ(east->certificates.size(), 1u) << "the self-signed CA is not sent";
}

TEST_F(X509EngineTest, LargeChainIsFragmentedBelow1280OctetsAndEstablishes) {
  use(a, pluginA, "far");
  std::size_t largest = 0, authOctets = 0;
  network.filter = [&](const Datagram& d) {
    if (d.is(ike::ExchangeType::IkeAuth, false)) {
      largest = std::max(largest, d.bytes.size());
      authOctets += d.bytes.size();
    }
    return Fate::Deliver;
  };
  connect();
  EXPECT_GT(authOctets, 1280u) << "leaf + intermediate, both RSA-4096";
  EXPECT_LE(largest, 1280u);
  EXPECT_GT(a.engine.counters().fragmentsSent, 1u);
  ASSERT_EQ(b.established.size(), 1u);
  EXPECT_EQ(b.established[0].peerId, "C=US, ST=NC, O=Example Organization, CN=far");
  EXPECT_EQ(a.recorder.installed.size(), 2u);
}

TEST(X509AuthPlugin, DatabaseComesFromTheEnvironmentThenConfigSetupThenTheDefault) {
  VirtualClock clock;
  VirtualTimeHost host(clock, "x509");
  ::unsetenv("IKEMESH_NSSDIR");
  EXPECT_EQ(X509AuthPlugin::databaseDirectory(host), "sql:/var/lib/ikemesh/nss");
  host.setConfig("", "nssdir", "sql:/etc/other");
  EXPECT_EQ(X509AuthPlugin::databaseDirectory(host), "sql:/etc/other");
  ::setenv("IKEMESH_NSSDIR", fixtureDatabase().c_str(), 1);
  EXPECT_EQ(X509AuthPlugin::databaseDirectory(host), fixtureDatabase());
  X509AuthPlugin plugin(host);
  EXPECT_NE(plugin.authMethod("auth.rsasig"), nullptr);
  EXPECT_NE(plugin.authMethod("auth.ecdsa"), nullptr);
  EXPECT_EQ(plugin.authMethod("auth.null"), nullptr);
  ::unsetenv("IKEMESH_NSSDIR");
}

TEST(X509AuthPlugin, MissingDatabaseFailsConstructionNamingTheDirectory) {
  VirtualClock clock;
  VirtualTimeHost host(clock, "x509");
  host.setConfig("", "nssdir", "sql:/nonexistent/ikemesh-nss");
  try {
    X509AuthPlugin plugin(host);
    FAIL() << "opened a database that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ikemesh-nss"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ikemesh::testkit
