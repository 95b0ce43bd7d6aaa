// SPDX-License-Identifier: GPL-2.0-or-later
#include "XfrmSocket.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ikemesh::xfrm {

namespace {

Result<UniqueFd> openNetlink(int flags) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_XFRM));
  if (!fd)
    return fail(std::string("kernel-xfrm: cannot open a NETLINK_XFRM socket: ") + std::strerror(errno));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) < 0)
    return fail(std::string("kernel-xfrm: cannot bind the NETLINK_XFRM socket: ") + std::strerror(errno));
  return fd;
}

}  // namespace

Result<XfrmSocket> XfrmSocket::open() {
  auto fd = openNetlink(0);
  if (!fd) return std::move(fd).error();
  // Dumps of many states arrive in large datagrams; and a failed request names its cause.
  int one = 1;
  (void)::setsockopt(fd->get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  return XfrmSocket(std::move(*fd));
}

Result<XfrmSocket> XfrmSocket::openEvents() {
  auto fd = openNetlink(SOCK_NONBLOCK);
  if (!fd) return std::move(fd).error();
  for (int group : {XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE, XFRMNLGRP_MAPPING})
    if (::setsockopt(fd->get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
      return fail("kernel-xfrm: cannot join XFRM multicast group " + std::to_string(group) + ": " +
                  std::strerror(errno));
  // Bursts of acquires (a scan of a large group) must not overflow the default buffer.
  int size = 1 << 20;
  (void)::setsockopt(fd->get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return XfrmSocket(std::move(*fd));
}

Result<void> XfrmSocket::send(const std::vector<std::uint8_t>& message, const char* what) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_.get(), message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0)
    return fail(std::string("kernel-xfrm: ") + what + ": sendto: " + std::strerror(errno));
  return success();
}

Result<std::vector<std::uint8_t>> XfrmSocket::receive(const char* what) {
  std::vector<std::uint8_t> buffer(1 << 16);
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::string("kernel-xfrm: ") + what + ": recv: " + std::strerror(errno));
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }
}

Result<int> XfrmSocket::execute(std::vector<std::uint8_t> message, const char* what) {
  auto reply = query(std::move(message), NLMSG_ERROR, what);
  if (!reply) return std::move(reply).error();
  return parseError(*reply);
}

template <typename OnReply>
Result<void> XfrmSocket::readReplies(std::uint32_t sequence, const char* what, OnReply onReply) {
  for (;;) {
    auto datagram = receive(what);
    if (!datagram) return std::move(datagram).error();
    auto messages = splitMessages(*datagram);
    if (!messages) return std::move(messages).error();
    for (const auto& reply : *messages) {
      if (reply.sequence != sequence) continue;  // an answer to an earlier, abandoned request
      Result<bool> done = onReply(reply);
      if (!done) return std::move(done).error();
      if (*done) return success();
    }
  }
}

Result<std::vector<std::uint8_t>> XfrmSocket::query(std::vector<std::uint8_t> message,
                                                    std::uint16_t replyType, const char* what) {
  const std::uint32_t sequence = sequence_++;
  nlmsghdr header;
  std::memcpy(&header, message.data(), sizeof header);
  header.nlmsg_seq = sequence;
  std::memcpy(message.data(), &header, sizeof header);
  if (auto sent = send(message, what); !sent) return std::move(sent).error();
  std::vector<std::uint8_t> payload;
  auto read = readReplies(sequence, what, [&](const NetlinkView& reply) -> Result<bool> {
    if (reply.type == NLMSG_ERROR && replyType != NLMSG_ERROR) {
      auto error = parseError(reply.payload);
      if (!error) return std::move(error).error();
      if (*error != 0) return fail(std::string("kernel-xfrm: ") + what + ": " + std::strerror(*error));
      return false;
    }
    if (reply.type != replyType) return false;
    payload.assign(reply.payload.begin(), reply.payload.end());
    return true;
  });
  if (!read) return std::move(read).error();
  return payload;
}

Result<std::vector<std::vector<std::uint8_t>>> XfrmSocket::dump(std::uint16_t type, std::uint16_t replyType) {
  const std::uint32_t sequence = sequence_++;
  const char* what = type == XFRM_MSG_GETSA ? "dump of states" : "dump of policies";
  if (auto sent = send(buildDump(type, sequence), what); !sent) return std::move(sent).error();
  std::vector<std::vector<std::uint8_t>> out;
  auto read = readReplies(sequence, what, [&](const NetlinkView& reply) -> Result<bool> {
    if (reply.type == NLMSG_DONE) return true;
    if (reply.type == NLMSG_ERROR) {
      auto error = parseError(reply.payload);
      if (!error) return std::move(error).error();
      return fail(std::string("kernel-xfrm: ") + what + ": " + std::strerror(*error));
    }
    if (reply.type == replyType) out.emplace_back(reply.payload.begin(), reply.payload.end());
    return false;
  });
  if (!read) return std::move(read).error();
  return out;
}

Result<std::vector<std::uint8_t>> XfrmSocket::receiveEvents() {
  std::vector<std::uint8_t> buffer(1 << 16);
  ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return std::vector<std::uint8_t>{};
  if (n < 0) return fail(std::string("kernel-xfrm: reading XFRM events: ") + std::strerror(errno));
  buffer.resize(static_cast<std::size_t>(n));
  return buffer;
}

}  // namespace ikemesh::xfrm
