// SPDX-License-Identifier: GPL-2.0-or-later
// One lookup per name in flight, joined by every caller; secure answers kept for their TTL,
// refusals not kept; results delivered on the main thread (the FakeHost's posted work).
#include <gtest/gtest.h>

#include <ikemesh/testkit/FakeHost.hpp>
#include "IpsecKeyCache.hpp"

namespace ikemesh::authdnssec {
namespace {

Validation answer(Verdict verdict, std::uint32_t ttl) {
  Validation v;
  v.verdict = verdict;
  v.ttl = ttl;
  v.reason = std::string(verdictName(verdict));
  if (verdict == Verdict::Secure) v.rdatas = {{10, 0, 3}};
  return v;
}

TEST(IpsecKeyCache, CallersWhileALookupRunsShareIt) {
  testkit::FakeHost host;
  IpsecKeyCache cache(host);
  int lookups = 0;
  auto lookup = [&lookups] {
    ++lookups;
    return answer(Verdict::Secure, 300);
  };
  std::vector<Verdict> seen;
  cache.fetch("7.1.15.10.in-addr.arpa.", lookup, {});  // the prefetch of IKE_SA_INIT
  cache.fetch("7.1.15.10.in-addr.arpa.", lookup, [&](const Validation& v) { seen.push_back(v.verdict); });
  cache.fetch("7.1.15.10.in-addr.arpa.", lookup, [&](const Validation& v) { seen.push_back(v.verdict); });
  EXPECT_TRUE(seen.empty());  // nothing completes before the main loop runs
  host.runPosted();
  EXPECT_EQ(lookups, 1);
  EXPECT_EQ(seen, (std::vector<Verdict>{Verdict::Secure, Verdict::Secure}));
  // Within the TTL, from the cache at once.
  cache.fetch("7.1.15.10.in-addr.arpa.", lookup, [&](const Validation& v) { seen.push_back(v.verdict); });
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(cache.lookupsStarted(), 1u);
}

TEST(IpsecKeyCache, RefusalsAndZeroTtlsAreAskedAgain) {
  testkit::FakeHost host;
  IpsecKeyCache cache(host);
  int lookups = 0;
  std::vector<Verdict> seen;
  auto record = [&](const Validation& v) { seen.push_back(v.verdict); };
  cache.fetch(
      "a.", [&] { return ++lookups, answer(Verdict::Expired, 300); }, record);
  host.runPosted();
  cache.fetch(
      "a.", [&] { return ++lookups, answer(Verdict::Secure, 0); }, record);
  host.runPosted();
  cache.fetch(
      "a.", [&] { return ++lookups, answer(Verdict::Secure, 60); }, record);
  host.runPosted();
  EXPECT_EQ(lookups, 3);
  EXPECT_EQ(seen, (std::vector<Verdict>{Verdict::Expired, Verdict::Secure, Verdict::Secure}));
}

TEST(IpsecKeyCache, ALookupThatEndsAfterTheCacheIsGoneDoesNothing) {
  testkit::FakeHost host;
  bool called = false;
  {
    IpsecKeyCache cache(host);
    cache.fetch(
        "a.", [] { return answer(Verdict::Secure, 60); }, [&](const Validation&) { called = true; });
  }
  host.runPosted();
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace ikemesh::authdnssec
