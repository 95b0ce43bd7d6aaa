// SPDX-License-Identifier: GPL-2.0-or-later
#include "IpsecKeyCache.hpp"

namespace ikemesh::authdnssec {

IpsecKeyCache::IpsecKeyCache(Host& host) : host_(host), self_(std::make_shared<IpsecKeyCache*>(this)) {}

void IpsecKeyCache::fetch(const std::string& name, BlockingLookup lookup, Callback done) {
  Entry& entry = entries_[name];
  if (entry.answer && Clock::now() < entry.expires) {
    if (done) done(*entry.answer);
    return;
  }
  entry.answer.reset();
  if (done) entry.waiters.push_back(std::move(done));
  if (entry.inFlight) return;
  entry.inFlight = true;
  ++started_;
  std::weak_ptr<IpsecKeyCache*> alive = self_;
  Host* host = &host_;
  host_.submitWork([host, alive, name, lookup = std::move(lookup)] {
    Validation answer = lookup();
    host->postToMain([alive, name, answer = std::move(answer)]() mutable {
      if (auto self = alive.lock()) (*self)->finished(name, std::move(answer));
    });
  });
}

void IpsecKeyCache::finished(const std::string& name, Validation answer) {
  Entry& entry = entries_[name];
  entry.inFlight = false;
  auto waiters = std::move(entry.waiters);
  entry.waiters.clear();
  if (answer.secure() && answer.ttl > 0) {
    entry.answer = answer;
    entry.expires = Clock::now() + std::chrono::seconds(answer.ttl);
  } else {
    entries_.erase(name);
  }
  for (auto& waiter : waiters) waiter(answer);
}

}  // namespace ikemesh::authdnssec
