// SPDX-License-Identifier: GPL-2.0-or-later
// A binary prefix trie for one address family: each node is one bit of the address, and a
// prefix of length L lives at depth L. A lookup walks the address's bits from the root and
// sees every stored prefix that contains the address, shortest first; the walk stops where
// the trie ends, so it costs at most 32 (IPv4) or 128 (IPv6) steps whatever the table size.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <ikemesh/net.hpp>

namespace ikemesh::policy {

class PrefixTrie {
 public:
  /// What a node holds when no prefix ends there.
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;

  /// `family` is the family of every prefix and address given to this trie.
  explicit PrefixTrie(IpAddress::Family family);

  /// The slot of `prefix`: a number the caller attaches its data to. Creates the prefix's
  /// node if needed, and gives it the next free slot number (0, 1, 2, ...) when it has none.
  std::uint32_t slotFor(const IpPrefix& prefix);

  /// The slot of exactly `prefix`, or kNoSlot.
  std::uint32_t findSlot(const IpPrefix& prefix) const;

  /// Calls `visit(prefixLength, slot)` for every stored prefix that contains `address`, from
  /// the shortest to the longest.
  template <typename Visitor>
  void walk(const IpAddress& address, Visitor&& visit) const {
    const Key key = keyOf(address);
    std::uint32_t node = 0;
    for (int depth = 0;; ++depth) {
      const Node& n = nodes_[node];
      if (n.slot != kNoSlot) visit(depth, n.slot);
      if (depth == bits_) return;
      node = n.child[bitOf(key, depth)];
      if (node == 0) return;  // node 0 is the root, never a child: 0 means "no child"
    }
  }

  /// The slot of the longest stored prefix containing `address` for which `accept(slot)`
  /// is true, or kNoSlot. The common lookup, without a callback per level.
  template <typename Accept>
  std::uint32_t longestMatch(const IpAddress& address, Accept&& accept) const {
    const Key key = keyOf(address);
    std::uint32_t best = kNoSlot;
    std::uint32_t node = 0;
    for (int depth = 0;; ++depth) {
      const Node& n = nodes_[node];
      if (n.slot != kNoSlot && accept(n.slot)) best = n.slot;
      if (depth == bits_) return best;
      node = n.child[bitOf(key, depth)];
      if (node == 0) return best;
    }
  }

  std::size_t nodeCount() const { return nodes_.size(); }
  std::size_t slotCount() const { return slots_; }
  std::size_t memoryBytes() const { return nodes_.capacity() * sizeof(Node); }

 private:
  struct Node {
    std::array<std::uint32_t, 2> child{0, 0};
    std::uint32_t slot = kNoSlot;
  };
  // The address as two big-endian 64-bit words, so a bit is one shift away.
  using Key = std::array<std::uint64_t, 2>;

  static Key keyOf(const IpAddress& address) {
    Key key{0, 0};
    const std::uint8_t* bytes = address.data();
    for (std::size_t i = 0; i < address.size(); ++i)
      key[i / 8] |= std::uint64_t{bytes[i]} << (56 - 8 * (i % 8));
    return key;
  }
  static unsigned bitOf(const Key& key, int depth) {
    return static_cast<unsigned>((key[static_cast<unsigned>(depth) >> 6] >> (63 - (depth & 63))) & 1u);
  }

  int bits_;
  std::vector<Node> nodes_;
  std::uint32_t slots_ = 0;
};

}  // namespace ikemesh::policy
