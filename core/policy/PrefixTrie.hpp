// SPDX-License-Identifier: GPL-2.0-or-later
// A binary prefix trie for one address family: each node is one bit of the address, and a
// prefix of length L lives at depth L. A lookup walks the address's bits from the root and
// sees every stored prefix that contains the address, shortest first; the walk stops where
// the trie ends, so it costs at most 32 (IPv4) or 128 (IPv6) steps whatever the table size.
//
// Lookups mostly end in the first 16 levels, where every step would be a dependent memory
// load. So once the trie is complete, buildIndex() adds a table indexed by the address's
// first 16 bits (level compression): for each such block, the node at depth 16 and the slots
// on the path above it. longestMatch() then starts at depth 16 and needs a handful of loads.
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
  /// Drops the index; call buildIndex() again after the last insertion.
  std::uint32_t slotFor(const IpPrefix& prefix);

  /// Builds the first-16-bits index that speeds up longestMatch(). Optional: without it,
  /// longestMatch() walks from the root.
  void buildIndex();

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
    int depth = 0;
    const IndexEntry* block = nullptr;
    if (!index_.empty()) {
      block = &index_[key[0] >> (64 - kIndexBits)];
      node = block->node;
      depth = kIndexBits;
    }
    if (node != 0 || block == nullptr) best = walkFrom(key, node, depth, accept);
    if (best != kNoSlot || block == nullptr) return best;
    // Nothing below depth 16: the longest accepted prefix on the path above it.
    if (block->pathCount == 0) return kNoSlot;
    if (accept(block->deepestSlot)) return block->deepestSlot;
    for (std::uint32_t i = block->pathCount - 1; i > 0; --i) {
      std::uint32_t slot = indexSlots_[block->pathBegin + i - 1];
      if (accept(slot)) return slot;
    }
    return kNoSlot;
  }

  std::size_t nodeCount() const { return nodes_.size(); }
  std::size_t slotCount() const { return slots_; }
  std::size_t memoryBytes() const {
    return nodes_.capacity() * sizeof(Node) + index_.capacity() * sizeof(IndexEntry) +
           indexSlots_.capacity() * sizeof(std::uint32_t);
  }

 private:
  static constexpr int kIndexBits = 16;

  struct Node {
    std::array<std::uint32_t, 2> child{0, 0};
    std::uint32_t slot = kNoSlot;
  };
  // One block of addresses sharing their first 16 bits.
  struct IndexEntry {
    std::uint32_t node = 0;               // the trie node at depth 16, or 0 when the trie ends above
    std::uint32_t pathBegin = 0;          // the slots at depths 0..15 on the way, in indexSlots_,
    std::uint32_t pathCount = 0;          // shortest prefix first
    std::uint32_t deepestSlot = kNoSlot;  // the last of them, kept here to spare a load
  };
  // The address as two big-endian 64-bit words, so a bit is one shift away.
  using Key = std::array<std::uint64_t, 2>;

  template <typename Accept>
  std::uint32_t walkFrom(const Key& key, std::uint32_t node, int depth, Accept& accept) const {
    std::uint32_t best = kNoSlot;
    for (;; ++depth) {
      const Node& n = nodes_[node];
      if (n.slot != kNoSlot && accept(n.slot)) best = n.slot;
      if (depth == bits_) return best;
      node = n.child[bitOf(key, depth)];
      if (node == 0) return best;
    }
  }

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

  void indexSubtree(std::uint32_t node, int depth, std::uint32_t block, std::vector<std::uint32_t>& path);

  int bits_;
  std::vector<Node> nodes_;
  std::uint32_t slots_ = 0;
  std::vector<IndexEntry> index_;  // 2^16 entries once built
  std::vector<std::uint32_t> indexSlots_;
};

}  // namespace ikemesh::policy
