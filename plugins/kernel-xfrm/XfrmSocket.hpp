// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <ikemesh/result.hpp>

#include "XfrmMessages.hpp"
#include "util/UniqueFd.hpp"

namespace ikemesh::xfrm {

/// One NETLINK_XFRM socket: requests answered synchronously, or (opened with groups) the
/// multicast events ACQUIRE, EXPIRE and MAPPING. Main thread only; owns its descriptor.
class XfrmSocket {
 public:
  /// A request socket in the calling thread's network namespace.
  static Result<XfrmSocket> open();
  /// An event socket joined to the XFRMNLGRP_ACQUIRE, _EXPIRE and _MAPPING groups, non-blocking.
  static Result<XfrmSocket> openEvents();

  int fd() const noexcept { return fd_.get(); }

  /// Sends `message` (built with NLM_F_ACK) and returns the kernel's errno (0 = done).
  Result<int> execute(std::vector<std::uint8_t> message, const char* what);
  /// Sends `message` and returns the payload of the one reply of `replyType`, or the errno.
  Result<std::vector<std::uint8_t>> query(std::vector<std::uint8_t> message, std::uint16_t replyType,
                                          const char* what);
  /// Sends a dump request and returns the payload of every message of `replyType`.
  Result<std::vector<std::vector<std::uint8_t>>> dump(std::uint16_t type, std::uint16_t replyType);
  /// Reads one datagram of events without blocking; empty when none is waiting.
  Result<std::vector<std::uint8_t>> receiveEvents();

 private:
  explicit XfrmSocket(UniqueFd fd) : fd_(std::move(fd)) {}
  Result<void> send(const std::vector<std::uint8_t>& message, const char* what);
  Result<std::vector<std::uint8_t>> receive(const char* what);
  /// Reads datagrams and passes each message answering `sequence` to `onReply` (returning
  /// Result<bool>: true when it was the last one wanted).
  template <typename OnReply>
  Result<void> readReplies(std::uint32_t sequence, const char* what, OnReply onReply);

  UniqueFd fd_;
  std::uint32_t sequence_ = 1;
};

}  // namespace ikemesh::xfrm
