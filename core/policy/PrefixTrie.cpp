// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/PrefixTrie.hpp"

namespace ikemesh::policy {

PrefixTrie::PrefixTrie(IpAddress::Family family) : bits_(family == IpAddress::Family::V4 ? 32 : 128) {
  nodes_.emplace_back();  // the root: the prefix of length 0
}

std::uint32_t PrefixTrie::slotFor(const IpPrefix& prefix) {
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
