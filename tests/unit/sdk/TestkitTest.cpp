// SPDX-License-Identifier: GPL-2.0-or-later
// The test kit's conformance checks find what they are meant to find: a conformant method and
// dataplane pass, and each kind of broken one fails with the check that names its fault.
#include <gtest/gtest.h>

#include <map>

#include <ikemesh/testkit/AuthConformance.hpp>
#include <ikemesh/testkit/DataplaneConformance.hpp>

namespace ikemesh::testkit {
namespace {

/// A MIC over the signed octets with the signer's SK_p, as NULL authentication computes it.
class MicMethod : public AuthMethod {
 public:
  Result<LocalCredential> localCredential(const std::string&) override { return LocalCredential{}; }
  void sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) override {
    done(AuthPayload{AuthMethodId::Null, exchange.prf(exchange.skP, exchange.signedOctets)});
  }
  void verify(const AuthExchange& exchange, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override {
    if (claim.auth.method != AuthMethodId::Null) return done(fail("wrong method"));
    if (claim.auth.data != exchange.prf(exchange.skP, exchange.signedOctets)) return done(fail("bad MIC"));
    done(VerifiedPeer{"ID_NULL"});
  }
};

/// Accepts every claim.
class TrustingMethod final : public MicMethod {
  void verify(const AuthExchange&, const PeerClaim&,
              std::function<void(Result<VerifiedPeer>)> done) override {
    done(VerifiedPeer{"anyone"});
  }
};

/// Answers twice.
class ChattyMethod final : public MicMethod {
  void verify(const AuthExchange& exchange, const PeerClaim& claim,
              std::function<void(Result<VerifiedPeer>)> done) override {
    MicMethod::verify(exchange, claim, done);
    MicMethod::verify(exchange, claim, done);
  }
};

std::string checkAuth(AuthMethod& method) {
  FakeHost host;
  return joinFailures(checkAuthConformance({&method, &host, "a", *IpAddress::parse("192.0.2.1")},
                                           {&method, &host, "b", *IpAddress::parse("192.0.2.2")}));
}

TEST(Testkit, AConformantAuthMethodPasses) {
  MicMethod method;
  EXPECT_EQ(checkAuth(method), "");
}

TEST(Testkit, AMethodThatAcceptsEverythingFails) {
  TrustingMethod method;
  const auto failures = checkAuth(method);
  EXPECT_NE(failures.find("initiator -> responder: an AUTH with one flipped bit was accepted"),
            std::string::npos)
      << failures;
  EXPECT_NE(failures.find("an AUTH over another exchange's octets was accepted"), std::string::npos);
}

TEST(Testkit, AMethodThatAnswersTwiceFails) {
  ChattyMethod method;
  EXPECT_NE(checkAuth(method).find("verify() completed 2 times, not once"), std::string::npos);
}

/// A dataplane in memory; `reuseIds` and `lowSpis` break it on purpose.
class MemoryDataplane final : public Dataplane {
 public:
  bool reuseIds = false;
  bool lowSpis = false;
  void setEvents(DataplaneEvents*) override {}
  Result<PolicyId> installTrap(const PolicySpec&) override { return newPolicy(); }
  Result<PolicyId> installShunt(const PolicySpec&, ShuntAction) override { return newPolicy(); }
  Result<void> removePolicy(PolicyId id) override {
    if (policies_.erase(id) == 0) return fail("no policy " + std::to_string(id));
    return success();
  }
  Result<std::uint32_t> allocateSpi(const IpAddress&, const IpAddress&) override {
    return lowSpis ? nextSpi_++ % 200 : nextSpi_++;
  }
  Result<void> addSa(const SaParams& params) override {
    if (params.encryptionKey.size() != 20) return fail("AES-GCM-16/128 wants 20 octets of key and salt");
    sas_[params.ref.spi] = SaCounters{0, 0, std::chrono::system_clock::now(), {}, 0, 0};
    return success();
  }
  Result<void> deleteSa(const SaRef& sa) override {
    if (sas_.erase(sa.spi) == 0) return fail("no SA");
    return success();
  }
  Result<SaCounters> counters(const SaRef& sa) override {
    auto it = sas_.find(sa.spi);
    if (it == sas_.end()) return fail("no SA");
    return it->second;
  }

 private:
  Result<PolicyId> newPolicy() {
    PolicyId id = reuseIds ? 1 : nextPolicy_++;
    policies_.insert(id);
    return id;
  }
  PolicyId nextPolicy_ = 1;
  std::uint32_t nextSpi_ = 0x1000;
  std::set<PolicyId> policies_;
  std::map<std::uint32_t, SaCounters> sas_;
};

std::string checkDataplane(MemoryDataplane& dataplane) {
  FakeHost host;
  CountingEvents events;
  return joinFailures(checkDataplaneConformance(
      dataplane, host, {*IpAddress::parse("192.0.2.1"), *IpAddress::parse("192.0.2.2"), true}, events));
}

TEST(Testkit, AConformantDataplanePasses) {
  MemoryDataplane dataplane;
  EXPECT_EQ(checkDataplane(dataplane), "");
}

TEST(Testkit, ReusedPolicyIdsAndReservedSpisFail) {
  MemoryDataplane dataplane;
  dataplane.reuseIds = true;
  dataplane.lowSpis = true;
  const auto failures = checkDataplane(dataplane);
  EXPECT_NE(failures.find("installShunt() gave id 1, zero or already used"), std::string::npos) << failures;
  EXPECT_NE(failures.find("reserved by RFC 4303 §2.1"), std::string::npos) << failures;
}

}  // namespace
}  // namespace ikemesh::testkit
