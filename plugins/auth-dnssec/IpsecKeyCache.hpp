// SPDX-License-Identifier: GPL-2.0-or-later
// Validated IPSECKEY answers by owner name: one lookup in flight per name, which every caller
// that asks meanwhile joins; a secure answer kept for its TTL (RFC 1035 §3.2.1, the smallest
// TTL of the records and their RRSIGs). Refusals are not kept: the next exchange asks again.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ikemesh/host.hpp>

#include "DnssecValidator.hpp"

namespace ikemesh::authdnssec {

/// Threading: members on the main thread; the blocking lookup runs on Host::submitWork() and
/// its result comes back through Host::postToMain().
class IpsecKeyCache {
 public:
  using Callback = std::function<void(const Validation&)>;
  /// Blocking, run on a worker: validates the IPSECKEY records of the name it was made for.
  using BlockingLookup = std::function<Validation()>;
  using Clock = std::chrono::steady_clock;

  explicit IpsecKeyCache(Host& host);

  /// Calls `done` (on the main thread, possibly before fetch returns) with the answer for
  /// `name`: from the cache, from the lookup in flight, or from `lookup` started now. An empty
  /// `done` only starts the lookup (a prefetch).
  void fetch(const std::string& name, BlockingLookup lookup, Callback done);

  /// How many lookups have been started: what tests and the log count.
  std::size_t lookupsStarted() const { return started_; }

 private:
  struct Entry {
    std::optional<Validation> answer;
    Clock::time_point expires;
    std::vector<Callback> waiters;
    bool inFlight = false;
  };
  void finished(const std::string& name, Validation answer);

  Host& host_;
  std::map<std::string, Entry> entries_;
  std::size_t started_ = 0;
  /// Lookups that finish after the cache is gone find this expired and do nothing.
  std::shared_ptr<IpsecKeyCache*> self_;
};

}  // namespace ikemesh::authdnssec
