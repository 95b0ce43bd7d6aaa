// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <sys/uio.h>
#include "VirtioNetHeader.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ikemesh::tun {

/// Receive-side coalescing (what GRO does in a NIC driver) of decrypted packets before they
/// are written to a TUN device opened with IFF_VNET_HDR: consecutive TCP segments of one flow
/// become one TSO packet (VirtioNetHeader::kGsoTcpV4/6) and, when the device took USO (Linux
/// 6.2), consecutive UDP datagrams of one flow become one USO packet (kGsoUdpL4), both with a
/// partial checksum, so the kernel runs its receive path once per up to 64 KiB instead of once
/// per packet.
///
/// Both: the packet is IPv4 without options and not a fragment, or IPv6 without extension
/// headers; its IP and transport checksums verify (the coalesced packet carries a partial
/// checksum the kernel will not verify again, so a corrupt packet must not get in); its IPv4
/// TOS, TTL and DF or IPv6 traffic class, flow label and hop limit equal the group's; its
/// payload is no longer than the group's first and the result stays within 65535 octets and
/// 64 packets. A shorter packet joins as the group's last.
///
/// TCP: a segment joins the open group of its flow (addresses, ports, acknowledgment number)
/// when only ACK and PSH are set, its header length and options equal the group's and its
/// sequence number follows the group's end. A group also ends after a segment with PSH (the
/// kernel's TSO puts PSH on the last segment only; the coalesced header carries it).
///
/// UDP (as Linux's UDP GRO, udp_gro_receive_segment): a datagram joins the open group of its
/// flow (addresses, ports) when its UDP length is its IP payload and it has a checksum (an
/// IPv4 datagram with checksum 0 has none and is written alone). The kernel gives each segment
/// the first one's IP ID plus its index, as its own USO does.
///
/// Everything else is written alone, in order within its flow: a packet that does not join
/// closes its flow's open group.
///
/// The packets are the caller's and are not copied: each output is an iovec list (the virtio
/// header, the first packet whole, then the payloads of the rest) for one writev(). The first
/// packet's IP length, IPv4 header checksum, TCP PSH flag or UDP length, and transport checksum
/// field are rewritten in place when flush() finishes its group.
///
/// Threading: one thread. No allocation after construction.
class GroCoalescer {
 public:
  /// Holds up to `maxPackets` packets between flushes; coalesces UDP only with `udp` (the
  /// device took TUN_F_USO4 and TUN_F_USO6).
  explicit GroCoalescer(std::size_t maxPackets = 2048, bool udp = false);

  /// Adds a packet that stays valid and otherwise untouched until flush(). Returns false when
  /// full (flush first) or the packet is empty; a packet that cannot be coalesced is still
  /// taken and will be written alone.
  bool add(std::span<std::uint8_t> packet) noexcept;
  bool full() const noexcept { return packets_.size() == packets_.capacity(); }
  bool empty() const noexcept { return packets_.empty(); }

  /// Calls `write(const iovec*, int count)` once per output packet in arrival order of the
  /// groups' first packets, then forgets everything.
  template <class Write>
  void flush(Write&& write) {
    for (Group& group : groups_) {
      const int count = finish(group);
      write(iovecs_.data(), count);
    }
    packets_.clear();
    groups_.clear();
  }

  /// Packets written as part of a group of two or more, since construction (tests, statistics).
  std::uint64_t coalesced() const noexcept { return coalesced_; }

 private:
  struct Packet {
    std::uint8_t* data;
    std::uint32_t length;
    std::uint32_t next;  // the next packet of its group, or kNone
  };
  struct Group {
    std::uint32_t first;
    std::uint32_t last;
    std::uint32_t segments;
    std::uint32_t nextSequence;    // TCP
    std::uint32_t totalLength;     // the first packet's length plus the payloads joined
    std::uint16_t ipHeaderLength;  // 0: not coalescable, written as it is
    std::uint16_t headersLength;   // IP + TCP or UDP
    std::uint16_t segmentSize;     // payload of the first packet: gso_size
    std::uint8_t protocol;         // 6 (TCP) or 17 (UDP) when coalescable
    bool open;
    bool push;
    VirtioNetHeader header;
  };
  static constexpr std::uint32_t kNone = 0xffffffff;

  /// IP header length when `p` may be coalesced (see the class comment), else 0.
  std::size_t coalescableIpHeader(std::span<const std::uint8_t> p) const noexcept;
  static bool sameFlow(const std::uint8_t* a, const std::uint8_t* b, std::size_t ipHeader,
                       std::uint8_t protocol) noexcept;
  static bool sameFiveTuple(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;
  bool tryJoin(Group& group, std::uint32_t index, std::size_t ipHeader) noexcept;
  /// Rewrites the first packet's headers, fills iovecs_; returns the iovec count.
  int finish(Group& group) noexcept;

  std::vector<Packet> packets_;
  std::vector<Group> groups_;
  std::vector<iovec> iovecs_;
  std::uint64_t coalesced_ = 0;
  bool udp_;
};

}  // namespace ikemesh::tun
