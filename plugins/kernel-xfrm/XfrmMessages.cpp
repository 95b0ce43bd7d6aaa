// SPDX-License-Identifier: GPL-2.0-or-later
#include "XfrmMessages.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace ikemesh::xfrm {

namespace {

constexpr char kAeadGcm[] = "rfc4106(gcm(aes))";  // RFC 4106 with the 4-octet salt after the key
constexpr char kCipherCbc[] = "cbc(aes)";         // RFC 3602

void fillInfinite(xfrm_lifetime_cfg& lifetime) {
  lifetime.soft_byte_limit = XFRM_INF;
  lifetime.hard_byte_limit = XFRM_INF;
  lifetime.soft_packet_limit = XFRM_INF;
  lifetime.hard_packet_limit = XFRM_INF;
}

std::uint64_t limitOrInfinite(std::uint64_t value) {
  return value == 0 ? XFRM_INF : value;
}

std::string hexSpi(std::uint32_t spi) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", spi);
  return text;
}

template <typename Fixed>
Result<Fixed> readFixed(std::span<const std::uint8_t> payload, const char* what) {
  if (payload.size() < sizeof(Fixed))
    return fail(std::string("kernel-xfrm: ") + what + ": " + std::to_string(payload.size()) +
                " octets, shorter than its fixed part (" + std::to_string(sizeof(Fixed)) + ")");
  Fixed fixed;
  std::memcpy(&fixed, payload.data(), sizeof fixed);
  return fixed;
}

StateMessage stateOf(const xfrm_usersa_info& info) {
  StateMessage state;
  state.spi = ntohl(info.id.spi);
  state.destination = addressOf(info.id.daddr, info.family);
  state.source = addressOf(info.saddr, info.family);
  state.reqid = info.reqid;
  state.protocol = info.id.proto;
  state.acquireSequence = info.seq;
  state.counters.bytes = info.curlft.bytes;
  state.counters.packets = info.curlft.packets;
  state.counters.addTime = std::chrono::system_clock::time_point(std::chrono::seconds(info.curlft.add_time));
  if (info.curlft.use_time != 0)
    state.counters.lastUse =
        std::chrono::system_clock::time_point(std::chrono::seconds(info.curlft.use_time));
  state.counters.replayErrors = info.stats.replay;
  state.counters.integrityErrors = info.stats.integrity_failed;
  return state;
}

}  // namespace

bool operator==(const PolicyRequest& a, const PolicyRequest& b) {
  auto sameTemplate = [](const std::optional<EspTemplate>& x, const std::optional<EspTemplate>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (x->mode == y->mode && x->reqid == y->reqid && x->source == y->source &&
                  x->destination == y->destination);
  };
  return std::memcmp(&a.selector, &b.selector, sizeof a.selector) == 0 && a.direction == b.direction &&
         a.action == b.action && a.priority == b.priority && sameTemplate(a.esp, b.esp);
}

int familyOf(const IpAddress& address) {
  return address.isV4() ? AF_INET : AF_INET6;
}

xfrm_address_t kernelAddress(const IpAddress& address) {
  xfrm_address_t out{};
  std::memcpy(&out, address.data(), address.isV4() ? 4 : 16);
  return out;
}

IpAddress addressOf(const xfrm_address_t& address, std::uint16_t family) {
  if (family == AF_INET) {
    std::array<std::uint8_t, 4> octets;
    std::memcpy(octets.data(), &address, 4);
    return IpAddress::v4(octets);
  }
  std::array<std::uint8_t, 16> octets;
  std::memcpy(octets.data(), &address, 16);
  return IpAddress::v6(octets);
}

std::uint32_t policyPriority(const xfrm_selector& selector, PolicyKind kind) {
  if (kind == PolicyKind::IkeBypass) return kPriorityBase;
  const unsigned specificity = selector.prefixlen_d + selector.prefixlen_s;  // at most 256
  unsigned slot = (256 - specificity) * 4;
  if (selector.proto == 0) slot += 2;
  if (selector.sport_mask == 0 && selector.dport_mask == 0) slot += 1;
  return kPriorityBase + 16 + slot * 4 + static_cast<unsigned>(kind);
}

Result<xfrm_selector> makeSelector(const IpPrefix& local, const IpPrefix& remote, std::uint8_t protocol,
                                   std::uint16_t localPort, std::uint16_t remotePort) {
  if (local.address().family() != remote.address().family())
    return fail("kernel-xfrm: selector " + local.toString() + " -> " + remote.toString() +
                " mixes address families");
  xfrm_selector selector{};
  selector.family = static_cast<std::uint16_t>(familyOf(remote.address()));
  selector.saddr = kernelAddress(local.address());
  selector.daddr = kernelAddress(remote.address());
  selector.prefixlen_s = static_cast<std::uint8_t>(local.length());
  selector.prefixlen_d = static_cast<std::uint8_t>(remote.length());
  selector.proto = protocol;
  if (localPort != 0) {
    selector.sport = htons(localPort);
    selector.sport_mask = 0xffff;
  }
  if (remotePort != 0) {
    selector.dport = htons(remotePort);
    selector.dport_mask = 0xffff;
  }
  return selector;
}

xfrm_selector reversed(const xfrm_selector& selector) {
  xfrm_selector out = selector;
  std::swap(out.saddr, out.daddr);
  std::swap(out.prefixlen_s, out.prefixlen_d);
  std::swap(out.sport, out.dport);
  std::swap(out.sport_mask, out.dport_mask);
  return out;
}

std::optional<IpPrefix> prefixOf(const TrafficSelector& selector) {
  if (selector.start.family() != selector.end.family()) return std::nullopt;
  for (int length = selector.start.bits(); length >= 0; --length) {
    IpPrefix prefix(selector.start, length);
    if (prefix.address() != selector.start) return std::nullopt;
    IpAddress last = selector.start;  // the start with every host bit set
    for (int i = length; i < last.bits(); ++i)
      last.data()[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    if (last == selector.end) return prefix;
    if (last > selector.end) return std::nullopt;
  }
  return std::nullopt;
}

NetlinkMessage::NetlinkMessage(std::uint16_t type, std::uint16_t flags) : bytes_(NLMSG_HDRLEN, 0) {
  nlmsghdr header{};
  header.nlmsg_type = type;
  header.nlmsg_flags = static_cast<std::uint16_t>(flags | NLM_F_REQUEST);
  std::memcpy(bytes_.data(), &header, sizeof header);
}

void NetlinkMessage::appendBytes(const void* data, std::size_t length) {
  const auto* begin = static_cast<const std::uint8_t*>(data);
  bytes_.insert(bytes_.end(), begin, begin + length);
  bytes_.resize(NLMSG_ALIGN(bytes_.size()), 0);
}

void NetlinkMessage::addAttribute(std::uint16_t type, const void* data, std::size_t length) {
  nlattr attribute{};
  attribute.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + length);
  attribute.nla_type = type;
  const auto* header = reinterpret_cast<const std::uint8_t*>(&attribute);
  bytes_.insert(bytes_.end(), header, header + sizeof attribute);
  const auto* begin = static_cast<const std::uint8_t*>(data);
  bytes_.insert(bytes_.end(), begin, begin + length);
  bytes_.resize(NLA_ALIGN(bytes_.size()), 0);
}

std::vector<std::uint8_t> NetlinkMessage::finish(std::uint32_t sequence) {
  nlmsghdr header;
  std::memcpy(&header, bytes_.data(), sizeof header);
  header.nlmsg_len = static_cast<std::uint32_t>(bytes_.size());
  header.nlmsg_seq = sequence;
  std::memcpy(bytes_.data(), &header, sizeof header);
  return std::move(bytes_);
}

std::vector<std::uint8_t> buildUpdatePolicy(const PolicyRequest& request, std::uint32_t sequence) {
  NetlinkMessage message(XFRM_MSG_UPDPOLICY, NLM_F_ACK);
  xfrm_userpolicy_info info{};
  info.sel = request.selector;
  fillInfinite(info.lft);
  info.priority = request.priority;
  info.dir = request.direction;
  info.action = request.action;
  message.append(info);
  if (request.esp) {
    xfrm_user_tmpl tmpl{};
    tmpl.id.proto = IPPROTO_ESP;
    tmpl.family = request.selector.family;
    tmpl.reqid = request.esp->reqid;
    tmpl.mode = request.esp->mode == IpsecMode::Tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
    if (request.esp->source && request.esp->destination) {
      tmpl.family = static_cast<std::uint16_t>(familyOf(*request.esp->destination));
      tmpl.saddr = kernelAddress(*request.esp->source);
      tmpl.id.daddr = kernelAddress(*request.esp->destination);
    }
    // Any algorithm the state has (the SA, not the policy, was negotiated).
    tmpl.aalgos = tmpl.ealgos = tmpl.calgos = ~0u;
    message.addAttribute(XFRMA_TMPL, tmpl);
  }
  return message.finish(sequence);
}

std::vector<std::uint8_t> buildDeletePolicy(const xfrm_selector& selector, std::uint8_t direction,
                                            std::uint32_t sequence) {
  NetlinkMessage message(XFRM_MSG_DELPOLICY, NLM_F_ACK);
  xfrm_userpolicy_id id{};
  id.sel = selector;
  id.dir = direction;
  message.append(id);
  return message.finish(sequence);
}

std::vector<std::uint8_t> buildAllocateSpi(const IpAddress& source, const IpAddress& destination,
                                           std::uint32_t acquireSequence, std::uint32_t sequence) {
  NetlinkMessage message(XFRM_MSG_ALLOCSPI, 0);
  xfrm_userspi_info spi{};
  spi.info.family = static_cast<std::uint16_t>(familyOf(destination));
  spi.info.saddr = kernelAddress(source);
  spi.info.id.daddr = kernelAddress(destination);
  spi.info.id.proto = IPPROTO_ESP;
  spi.info.reqid = kReqidBase;  // ours, should the larval state outlive the daemon
  spi.info.seq = acquireSequence;
  spi.min = 0x100;  // RFC 4303 §2.1: 1-255 are reserved by IANA, 0 is local use
  spi.max = 0xffffffff;
  message.append(spi);
  return message.finish(sequence);
}

Result<std::vector<std::uint8_t>> buildState(const SaParams& params, std::uint32_t reqid, bool update,
                                             std::uint32_t acquireSequence, std::uint32_t sequence) {
  const std::string sa = "SA " + hexSpi(params.ref.spi) + " to " + params.ref.destination.toString();
  if (params.source.family() != params.ref.destination.family())
    return fail("kernel-xfrm: " + sa + ": the outer addresses mix families");
  NetlinkMessage message(update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA, NLM_F_ACK);
  xfrm_usersa_info info{};
  info.family = static_cast<std::uint16_t>(familyOf(params.ref.destination));
  info.id.daddr = kernelAddress(params.ref.destination);
  info.id.spi = htonl(params.ref.spi);
  info.id.proto = IPPROTO_ESP;
  info.saddr = kernelAddress(params.source);
  info.reqid = reqid;
  info.seq = acquireSequence;
  info.mode = params.mode == IpsecMode::Tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
  if (params.mode == IpsecMode::Transport) {
    // The state carries only the traffic between its two hosts, in its own direction (the
    // kernel checks a decrypted packet against it).
    auto selector =
        makeSelector(IpPrefix::host(params.source), IpPrefix::host(params.ref.destination), 0, 0, 0);
    if (!selector) return std::move(selector).error();
    info.sel = *selector;
  }
  info.lft.soft_byte_limit = limitOrInfinite(params.soft.bytes);
  info.lft.hard_byte_limit = limitOrInfinite(params.hard.bytes);
  info.lft.soft_packet_limit = limitOrInfinite(params.soft.packets);
  info.lft.hard_packet_limit = limitOrInfinite(params.hard.packets);
  info.lft.soft_add_expires_seconds = static_cast<std::uint64_t>(params.soft.time.count());
  info.lft.hard_add_expires_seconds = static_cast<std::uint64_t>(params.hard.time.count());
  // RFC 4303 §3.4.3: a window beyond 32 packets or 64-bit sequence numbers need the ESN
  // replay state; the fixed `replay_window` must then be 0.
  const bool esnState = params.extendedSequenceNumbers || params.replayWindow > 32;
  if (params.extendedSequenceNumbers) info.flags |= XFRM_STATE_ESN;
  if (!esnState) info.replay_window = static_cast<std::uint8_t>(params.replayWindow);
  message.append(info);

  if (params.encryption == EncryptionId::AesGcm16) {
    if (params.encryptionKey.size() != 20 && params.encryptionKey.size() != 36)
      return fail("kernel-xfrm: " + sa + ": an AES-GCM key with its salt is 20 or 36 octets, not " +
                  std::to_string(params.encryptionKey.size()));
    if (params.integrity != IntegrityId::None)
      return fail("kernel-xfrm: " + sa + ": AES-GCM takes no integrity algorithm (RFC 4106 §8)");
    std::vector<std::uint8_t> aead(sizeof(xfrm_algo_aead) + params.encryptionKey.size(), 0);
    xfrm_algo_aead header{};
    std::strncpy(header.alg_name, kAeadGcm, sizeof header.alg_name - 1);
    header.alg_key_len = static_cast<unsigned>(params.encryptionKey.size() * 8);
    header.alg_icv_len = 128;  // the 16-octet ICV of ENCR_AES_GCM_16
    std::memcpy(aead.data(), &header, sizeof header);
    std::memcpy(aead.data() + sizeof header, params.encryptionKey.data(), params.encryptionKey.size());
    message.addAttribute(XFRMA_ALG_AEAD, aead.data(), aead.size());
  } else if (params.encryption == EncryptionId::AesCbc) {
    const std::size_t keyLength = params.encryptionKey.size();
    if (keyLength != 16 && keyLength != 24 && keyLength != 32)
      return fail("kernel-xfrm: " + sa + ": an AES-CBC key is 16, 24 or 32 octets, not " +
                  std::to_string(keyLength));
    std::vector<std::uint8_t> crypt(sizeof(xfrm_algo) + keyLength, 0);
    xfrm_algo header{};
    std::strncpy(header.alg_name, kCipherCbc, sizeof header.alg_name - 1);
    header.alg_key_len = static_cast<unsigned>(keyLength * 8);
    std::memcpy(crypt.data(), &header, sizeof header);
    std::memcpy(crypt.data() + sizeof header, params.encryptionKey.data(), keyLength);
    message.addAttribute(XFRMA_ALG_CRYPT, crypt.data(), crypt.size());

    const char* hmac = nullptr;
    unsigned truncation = 0;  // RFC 4868 §2.6: half of the hash
    switch (params.integrity) {
      case IntegrityId::HmacSha2_256_128: hmac = "hmac(sha256)", truncation = 128; break;
      case IntegrityId::HmacSha2_384_192: hmac = "hmac(sha384)", truncation = 192; break;
      case IntegrityId::HmacSha2_512_256: hmac = "hmac(sha512)", truncation = 256; break;
      case IntegrityId::None: break;
    }
    if (!hmac)
      return fail("kernel-xfrm: " + sa + ": AES-CBC needs an integrity algorithm (RFC 4303 §3.2.2), got " +
                  std::to_string(static_cast<unsigned>(params.integrity)));
    if (params.integrityKey.size() * 8 != truncation * 2)
      return fail("kernel-xfrm: " + sa + ": the " + hmac + " key is " +
                  std::to_string(params.integrityKey.size()) + " octets, expected " +
                  std::to_string(truncation / 4));
    std::vector<std::uint8_t> auth(sizeof(xfrm_algo_auth) + params.integrityKey.size(), 0);
    xfrm_algo_auth authHeader{};
    std::strncpy(authHeader.alg_name, hmac, sizeof authHeader.alg_name - 1);
    authHeader.alg_key_len = static_cast<unsigned>(params.integrityKey.size() * 8);
    authHeader.alg_trunc_len = truncation;
    std::memcpy(auth.data(), &authHeader, sizeof authHeader);
    std::memcpy(auth.data() + sizeof authHeader, params.integrityKey.data(), params.integrityKey.size());
    message.addAttribute(XFRMA_ALG_AUTH_TRUNC, auth.data(), auth.size());
  } else {
    return fail("kernel-xfrm: " + sa + ": encryption transform " +
                std::to_string(static_cast<unsigned>(params.encryption)) + " is not supported");
  }

  if (esnState) {
    // The kernel wants a window even on an outbound ESN state; 32 is its smallest bitmap.
    const std::uint32_t window = std::max<std::uint32_t>(params.replayWindow, 32);
    const std::uint32_t words = (window + 31) / 32;
    std::vector<std::uint8_t> replay(sizeof(xfrm_replay_state_esn) + words * 4, 0);
    xfrm_replay_state_esn esn{};
    esn.bmp_len = words;
    esn.replay_window = params.replayWindow == 0 ? 1 : params.replayWindow;
    std::memcpy(replay.data(), &esn, sizeof esn);
    message.addAttribute(XFRMA_REPLAY_ESN_VAL, replay.data(), replay.size());
  }
  if (params.encapsulation) {
    // RFC 3948: ESP in UDP, the ports of the IKE SA.
    xfrm_encap_tmpl encap{};
    encap.encap_type = 2;  // UDP_ENCAP_ESPINUDP (linux/udp.h)
    encap.encap_sport = htons(params.encapsulation->sourcePort);
    encap.encap_dport = htons(params.encapsulation->destinationPort);
    message.addAttribute(XFRMA_ENCAP, encap);
    if (params.direction == SaDirection::Inbound) {
      // Without it the kernel sends XFRM_MSG_MAPPING for every packet from a peer's new NAT
      // port until the SA is replaced; with it, once per new port and then at most every
      // kMappingReportSeconds (Linux 5.17; older kernels ignore the attribute).
      message.addAttribute(XFRMA_MTIMER_THRESH, kMappingReportSeconds);
    }
  }
  return message.finish(sequence);
}

std::vector<std::uint8_t> buildStateId(std::uint16_t type, std::uint32_t spi, const IpAddress& destination,
                                       std::uint32_t sequence) {
  NetlinkMessage message(type, type == XFRM_MSG_DELSA ? NLM_F_ACK : 0);
  xfrm_usersa_id id{};
  id.daddr = kernelAddress(destination);
  id.spi = htonl(spi);
  id.family = static_cast<std::uint16_t>(familyOf(destination));
  id.proto = IPPROTO_ESP;
  message.append(id);
  return message.finish(sequence);
}

std::vector<std::uint8_t> buildDump(std::uint16_t type, std::uint32_t sequence) {
  NetlinkMessage message(type, NLM_F_DUMP);
  if (type == XFRM_MSG_GETSA) {
    xfrm_usersa_id id{};
    message.append(id);
  } else {
    xfrm_userpolicy_id id{};
    message.append(id);
  }
  return message.finish(sequence);
}

Result<std::vector<NetlinkView>> splitMessages(std::span<const std::uint8_t> datagram) {
  std::vector<NetlinkView> messages;
  std::size_t offset = 0;
  while (offset < datagram.size()) {
    if (datagram.size() - offset < sizeof(nlmsghdr))
      return fail("kernel-xfrm: netlink datagram: " + std::to_string(datagram.size() - offset) +
                  " octets at offset " + std::to_string(offset) + " are shorter than a header");
    nlmsghdr header;
    std::memcpy(&header, datagram.data() + offset, sizeof header);
    if (header.nlmsg_len < sizeof header || header.nlmsg_len > datagram.size() - offset)
      return fail("kernel-xfrm: netlink datagram: nlmsg_len " + std::to_string(header.nlmsg_len) +
                  " at offset " + std::to_string(offset) + " does not fit the " +
                  std::to_string(datagram.size()) + " octets");
    messages.push_back({header.nlmsg_type, header.nlmsg_seq,
                        datagram.subspan(offset + NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN)});
    offset += NLMSG_ALIGN(header.nlmsg_len);
  }
  return messages;
}

Result<AcquireMessage> parseAcquire(std::span<const std::uint8_t> payload) {
  auto fixed = readFixed<xfrm_user_acquire>(payload, "XFRM_MSG_ACQUIRE");
  if (!fixed) return std::move(fixed).error();
  const xfrm_user_acquire& acquire = *fixed;
  if (acquire.sel.family != AF_INET && acquire.sel.family != AF_INET6)
    return fail("kernel-xfrm: XFRM_MSG_ACQUIRE: selector family " + std::to_string(acquire.sel.family) +
                " is neither IPv4 nor IPv6");
  AcquireMessage out;
  out.policySelector = acquire.policy.sel;
  out.policyPriority = acquire.policy.priority;
  out.source = addressOf(acquire.sel.saddr, acquire.sel.family);
  out.destination = addressOf(acquire.sel.daddr, acquire.sel.family);
  out.protocol = acquire.sel.proto;
  out.sourcePort = ntohs(acquire.sel.sport);
  out.destinationPort = ntohs(acquire.sel.dport);
  out.sequence = acquire.seq;
  return out;
}

Result<MappingMessage> parseMapping(std::span<const std::uint8_t> payload) {
  auto fixed = readFixed<xfrm_user_mapping>(payload, "XFRM_MSG_MAPPING");
  if (!fixed) return std::move(fixed).error();
  const auto family = fixed->id.family;
  if (family != AF_INET && family != AF_INET6)
    return fail("kernel-xfrm: XFRM_MSG_MAPPING: id.family " + std::to_string(family) +
                " is neither AF_INET nor AF_INET6");
  MappingMessage out;
  out.spi = ntohl(fixed->id.spi);
  out.destination = addressOf(fixed->id.daddr, family);
  out.reqid = fixed->reqid;
  out.oldSource = addressOf(fixed->old_saddr, family);
  out.oldPort = ntohs(fixed->old_sport);
  out.newSource = addressOf(fixed->new_saddr, family);
  out.newPort = ntohs(fixed->new_sport);
  return out;
}

Result<StateMessage> parseExpire(std::span<const std::uint8_t> payload) {
  auto fixed = readFixed<xfrm_user_expire>(payload, "XFRM_MSG_EXPIRE");
  if (!fixed) return std::move(fixed).error();
  StateMessage state = stateOf(fixed->state);
  state.hard = fixed->hard != 0;
  return state;
}

Result<StateMessage> parseState(std::span<const std::uint8_t> payload) {
  auto fixed = readFixed<xfrm_usersa_info>(payload, "XFRM_MSG_NEWSA");
  if (!fixed) return std::move(fixed).error();
  return stateOf(*fixed);
}

Result<PolicyMessage> parsePolicy(std::span<const std::uint8_t> payload) {
  auto fixed = readFixed<xfrm_userpolicy_info>(payload, "XFRM_MSG_NEWPOLICY");
  if (!fixed) return std::move(fixed).error();
  return PolicyMessage{fixed->sel, fixed->dir, fixed->priority, fixed->index};
}

Result<int> parseError(std::span<const std::uint8_t> payload) {
  auto fixed = readFixed<nlmsgerr>(payload, "NLMSG_ERROR");
  if (!fixed) return std::move(fixed).error();
  return -fixed->error;
}

}  // namespace ikemesh::xfrm
