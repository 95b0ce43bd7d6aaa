// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/PrefixTrie.hpp"

namespace ikemesh::policy {

PrefixTrie::PrefixTrie(IpAddress::Family family) : bits_(family == IpAddress::Family::V4 ? 32 : 128) {
  nodes_.emplace_back();  // the root: the prefix of length 0
}

std::uint32_t PrefixTrie::slotFor(const IpPrefix& prefix) {
  index_.clear();
  indexSlots_.clear();
  const Key key = keyOf(prefix.address());
  std::uint32_t node = 0;
  for (int depth = 0; depth < prefix.length(); ++depth) {
    unsigned bit = bitOf(key, depth);
    std::uint32_t next = nodes_[node].child[bit];
    if (next == 0) {
      next = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();  // may reallocate: index again below
      nodes_[node].child[bit] = next;
    }
    node = next;
  }
  if (nodes_[node].slot == kNoSlot) nodes_[node].slot = slots_++;
  return nodes_[node].slot;
}

void PrefixTrie::buildIndex() {
  index_.clear();
  indexSlots_.clear();
  if (nodes_.size() == 1) return;  // an empty trie (often the IPv6 one) is not worth 1 MiB
  // Renumber the nodes in depth-first order, so that a subtree lies in one stretch of memory
  // and the steps of a walk below depth 16 mostly stay in cache lines already loaded.
  std::vector<Node> ordered;
  ordered.reserve(nodes_.size());
  std::vector<std::uint32_t> newIndex(nodes_.size(), 0);
  std::vector<std::uint32_t> stack{0};
  while (!stack.empty()) {
    std::uint32_t old = stack.back();
    stack.pop_back();
    newIndex[old] = static_cast<std::uint32_t>(ordered.size());
    ordered.push_back(nodes_[old]);
    for (std::uint32_t bit : {1u, 0u}) {
      if (nodes_[old].child[bit] != 0) stack.push_back(nodes_[old].child[bit]);
    }
  }
  for (Node& node : ordered) {
    for (auto& child : node.child) child = child == 0 ? 0 : newIndex[child];
  }
  nodes_ = std::move(ordered);

  index_.assign(std::size_t{1} << kIndexBits, IndexEntry{});
  indexSlots_.clear();
  std::vector<std::uint32_t> path;
  indexSubtree(0, 0, 0, path);
}

// Depth-first over the nodes above depth 16, `path` holding the slots seen so far. Where the
// trie ends early, every block below shares one copy of the path.
void PrefixTrie::indexSubtree(std::uint32_t node, int depth, std::uint32_t block,
                              std::vector<std::uint32_t>& path) {
  if (depth == kIndexBits) {
    index_[block].node = node;
    index_[block].pathBegin = static_cast<std::uint32_t>(indexSlots_.size());
    index_[block].pathCount = static_cast<std::uint32_t>(path.size());
    index_[block].deepestSlot = path.empty() ? kNoSlot : path.back();
    indexSlots_.insert(indexSlots_.end(), path.begin(), path.end());
    return;
  }
  const Node& n = nodes_[node];
  if (n.slot != kNoSlot) path.push_back(n.slot);
  std::uint32_t sharedBegin = kNoSlot;
  for (std::uint32_t bit = 0; bit < 2; ++bit) {
    const std::uint32_t childBlock = (block << 1) | bit;
    const std::uint32_t child = nodes_[node].child[bit];
    if (child != 0) {
      indexSubtree(child, depth + 1, childBlock, path);
      continue;
    }
    if (sharedBegin == kNoSlot) {
      sharedBegin = static_cast<std::uint32_t>(indexSlots_.size());
      indexSlots_.insert(indexSlots_.end(), path.begin(), path.end());
    }
    const int remaining = kIndexBits - depth - 1;
    const std::uint32_t first = childBlock << remaining;
    for (std::uint32_t b = first; b < first + (1u << remaining); ++b)
      index_[b] = IndexEntry{0, sharedBegin, static_cast<std::uint32_t>(path.size()),
                             path.empty() ? kNoSlot : path.back()};
  }
  if (n.slot != kNoSlot) path.pop_back();
}

std::uint32_t PrefixTrie::findSlot(const IpPrefix& prefix) const {
  const Key key = keyOf(prefix.address());
  std::uint32_t node = 0;
  for (int depth = 0; depth < prefix.length(); ++depth) {
    node = nodes_[node].child[bitOf(key, depth)];
    if (node == 0) return kNoSlot;
  }
  return nodes_[node].slot;
}

}  // namespace ikemesh::policy
