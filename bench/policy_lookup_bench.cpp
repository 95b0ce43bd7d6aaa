// SPDX-License-Identifier: GPL-2.0-or-later
// Policy lookup speed: 100,000 random CIDRs (/8 to /32; 1% with "tcp 0 443") in four groups,
// 1,000,000 lookups of random IPv4 addresses on one core, best of 5 rounds. Goal: at least
// 5 M lookups/s.
//
//   policy_lookup_bench [prefixes] [lookups] [seed]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "policy/ConfigLoader.hpp"
#include "policy/PolicyTable.hpp"

using namespace ikemesh;
using namespace ikemesh::policy;
using Clock = std::chrono::steady_clock;

namespace {

IpAddress v4(std::uint32_t value) {
  return IpAddress::v4({static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                        static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of this thread: on a shared machine, time spent descheduled is not counted.
double threadCpuSeconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t prefixCount = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const std::size_t lookupCount = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000000;
  const unsigned seed = argc > 3 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 42;
  std::mt19937 random(seed);

  const std::vector<std::string> names = {"private", "private-or-clear", "clear", "block"};
  const ConfigSchema schema = ConfigSchema::standard();
  std::string text;
  for (const auto& name : names) {
    const char* type = name == "clear" ? "passthrough" : name == "block" ? "drop" : "transport";
    text += "conn " + name + "\n\tauto=ondemand\n\ttype=" + type + "\n\tleft=%defaultroute\n\tright=%group\n";
  }
  auto config = ConfigLoader(schema, ParseOptions{.followIncludes = false}).loadText(text, "bench.conf");
  if (!config) {
    std::fprintf(stderr, "%s\n", config.toError().message.c_str());
    return 1;
  }

  // Distinct random prefixes, lengths uniform in 8..32, spread over the groups.
  std::vector<PolicyGroup> groups;
  for (const auto& name : names) groups.push_back({name, "policies/" + name, true, {}});
  std::set<std::pair<std::uint32_t, int>> seen;
  std::uniform_int_distribution<int> lengths(8, 32);
  std::uniform_int_distribution<std::size_t> groupOf(0, names.size() - 1);
  while (seen.size() < prefixCount) {
    IpPrefix prefix(v4(static_cast<std::uint32_t>(random())), lengths(random));
    const std::uint8_t* b = prefix.address().data();
    std::uint32_t network = (std::uint32_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    if (!seen.emplace(network, prefix.length()).second) continue;
    auto& group = groups[groupOf(random)];
    // One entry in a hundred names a protocol and port, as exceptions for one service do.
    const bool withPort = seen.size() % 100 == 0;
    group.entries.push_back({prefix,
                             static_cast<std::uint8_t>(withPort ? 6 : 0),
                             0,
                             static_cast<std::uint16_t>(withPort ? 443 : 0),
                             {group.file, static_cast<int>(group.entries.size() + 1)}});
  }

  auto buildStart = Clock::now();
  auto table = PolicyTable::build(*config, std::move(groups));
  const double buildSeconds = secondsSince(buildStart);
  if (!table) {
    std::fprintf(stderr, "%s\n", table.toError().message.c_str());
    return 1;
  }
  table->setLocalAddresses({v4(0x0a0f0207)});

  std::vector<IpAddress> peers;
  peers.reserve(lookupCount);
  for (std::size_t i = 0; i < lookupCount; ++i) peers.push_back(v4(static_cast<std::uint32_t>(random())));
  const IpAddress local = v4(0x0a0f0207);

  // The machine is shared: rounds are timed in thread CPU time, and each figure is the best
  // of a few rounds (the least disturbed), with the median beside it. One round warms the
  // caches first.
  constexpr int kRounds = 5;
  auto measure = [&](std::uint8_t protocol, std::uint16_t port, std::size_t& matched) {
    std::vector<double> seconds;
    for (int round = 0; round <= kRounds; ++round) {
      matched = 0;
      const double start = threadCpuSeconds();
      for (const auto& peer : peers) matched += table->lookup({local, peer, protocol, 40000, port}) ? 1 : 0;
      if (round > 0) seconds.push_back(threadCpuSeconds() - start);
    }
    std::sort(seconds.begin(), seconds.end());
    return std::make_pair(seconds.front(), seconds[seconds.size() / 2]);
  };
  std::size_t matched = 0;
  std::size_t matchedTcp = 0;
  const auto [lookupSeconds, lookupMedian] = measure(0, 0, matched);
  const auto [tcpSeconds, tcpMedian] = measure(6, 443, matchedTcp);

  std::printf("policy lookup benchmark (one core, thread CPU time)\n");
  std::printf("  %-34s %12zu\n", "entries (/8../32, 1% tcp, 4 groups)", table->entryCount());
  std::printf("  %-34s %12zu\n", "lookups", lookupCount);
  std::printf("  %-34s %12.1f ms\n", "build time", buildSeconds * 1000);
  auto rate = [&](double seconds) { return static_cast<double>(lookupCount) / seconds / 1e6; };
  std::printf("  %-34s %12.2f M/s   (median %.2f M/s; best %.0f ns each; %zu matched)\n",
              "lookups/s, address only", rate(lookupSeconds), rate(lookupMedian),
              lookupSeconds * 1e9 / lookupCount, matched);
  std::printf("  %-34s %12.2f M/s   (median %.2f M/s; best %.0f ns each; %zu matched)\n",
              "lookups/s, tcp to port 443", rate(tcpSeconds), rate(tcpMedian), tcpSeconds * 1e9 / lookupCount,
              matchedTcp);
  std::printf("  %-34s %12.1f MiB\n", "memory estimate",
              static_cast<double>(table->memoryBytes()) / (1 << 20));
  return 0;
}
