// SPDX-License-Identifier: GPL-2.0-or-later
// A Dataplane that installs nothing and remembers everything: the SPIs it handed out, the SAs
// it holds now, and every call in order. For engine and daemon tests.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <ikemesh/dataplane.hpp>

namespace ikemesh::testkit {

class RecordingDataplane final : public Dataplane {
 public:
  /// `firstSpi` lets two nodes of one test hand out distinguishable SPIs.
  explicit RecordingDataplane(std::uint32_t firstSpi = 0x1000) : nextSpi_(firstSpi) {}

  void setEvents(DataplaneEvents* events) override { events_ = events; }
  Result<PolicyId> installTrap(const PolicySpec&) override { return nextPolicy_++; }
  Result<PolicyId> installShunt(const PolicySpec&, ShuntAction) override { return nextPolicy_++; }
  Result<void> removePolicy(PolicyId) override { return success(); }

  Result<std::uint32_t> allocateSpi(const IpAddress&, const IpAddress&) override {
    calls.push_back("allocateSpi " + std::to_string(nextSpi_));
    allocated.push_back(nextSpi_);
    return nextSpi_++;
  }
  Result<void> addSa(const SaParams& params) override {
    for (const auto& sa : installed)
      if (sa.ref == params.ref) return fail("SA " + std::to_string(params.ref.spi) + " exists");
    calls.push_back(std::string("addSa ") + (params.direction == SaDirection::Inbound ? "in " : "out ") +
                    std::to_string(params.ref.spi));
    installed.push_back(params);
    ++added;
    return success();
  }
  Result<void> deleteSa(const SaRef& ref) override {
    auto it =
        std::find_if(installed.begin(), installed.end(), [&](const SaParams& p) { return p.ref == ref; });
    if (it == installed.end()) return fail("no SA " + std::to_string(ref.spi));
    calls.push_back(std::string("deleteSa ") + std::to_string(ref.spi));
    installed.erase(it);
    ++deleted;
    return success();
  }
  Result<SaCounters> counters(const SaRef& ref) override {
    for (const auto& sa : installed)
      if (sa.ref == ref) return SaCounters{};
    return fail("no SA " + std::to_string(ref.spi));
  }

  DataplaneEvents* events() const { return events_; }

  /// The installed SA with `spi` in `direction`, or nullptr.
  const SaParams* find(std::uint32_t spi, SaDirection direction) const {
    for (const auto& sa : installed)
      if (sa.ref.spi == spi && sa.direction == direction) return &sa;
    return nullptr;
  }
  std::vector<const SaParams*> inDirection(SaDirection direction) const {
    std::vector<const SaParams*> out;
    for (const auto& sa : installed)
      if (sa.direction == direction) out.push_back(&sa);
    return out;
  }

  std::vector<SaParams> installed;
  std::vector<std::uint32_t> allocated;
  std::vector<std::string> calls;
  std::size_t added = 0;
  std::size_t deleted = 0;

 private:
  DataplaneEvents* events_ = nullptr;
  std::uint32_t nextSpi_;
  PolicyId nextPolicy_ = 1;
};

}  // namespace ikemesh::testkit
