// SPDX-License-Identifier: GPL-2.0-or-later
// The NETLINK_XFRM messages of kernel-xfrm, field by field, without a kernel.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <cstring>
#include <map>

#include "XfrmMessages.hpp"

namespace ikemesh::xfrm {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}
IpPrefix prefix(const char* text) {
  return *IpPrefix::parse(text);
}

/// A built message taken apart: header, fixed part, attributes by type.
struct Parsed {
  nlmsghdr header{};
  std::vector<std::uint8_t> fixed;
  std::map<std::uint16_t, std::vector<std::uint8_t>> attributes;
};

template <typename Fixed>
Parsed parse(const std::vector<std::uint8_t>& message) {
  Parsed parsed;
  std::memcpy(&parsed.header, message.data(), sizeof parsed.header);
  EXPECT_EQ(parsed.header.nlmsg_len, message.size());
  std::size_t offset = NLMSG_HDRLEN;
  parsed.fixed.assign(message.begin() + static_cast<long>(offset),
                      message.begin() + static_cast<long>(offset + sizeof(Fixed)));
  offset += NLMSG_ALIGN(sizeof(Fixed));
  while (offset + NLA_HDRLEN <= message.size()) {
    nlattr attribute;
    std::memcpy(&attribute, message.data() + offset, sizeof attribute);
    parsed.attributes[attribute.nla_type].assign(
        message.begin() + static_cast<long>(offset + NLA_HDRLEN),
        message.begin() + static_cast<long>(offset + attribute.nla_len));
    offset += NLA_ALIGN(attribute.nla_len);
  }
  EXPECT_EQ(offset, message.size());
  return parsed;
}

template <typename Fixed>
Fixed as(const std::vector<std::uint8_t>& bytes) {
  Fixed fixed{};
  std::memcpy(&fixed, bytes.data(), std::min(sizeof fixed, bytes.size()));
  return fixed;
}

SaParams gcmOutbound() {
  SaParams p;
  p.ref = {0xc0ffee01, ip("192.0.2.2")};
  p.direction = SaDirection::Outbound;
  p.source = ip("192.0.2.1");
  p.encryption = EncryptionId::AesGcm16;
  p.encryptionKey = std::vector<std::uint8_t>(20, 0x11);
  p.replayWindow = 1024;
  p.localSelectors = {TrafficSelector::forHost(ip("192.0.2.1"))};
  p.remoteSelectors = {TrafficSelector::forHost(ip("192.0.2.2"))};
  p.soft.time = std::chrono::seconds(3000);
  p.hard.time = std::chrono::seconds(3600);
  return p;
}

TEST(XfrmMessages, GcmStateCarriesRfc4106KeyWithSaltAndA128BitIcv) {
  auto message = buildState(gcmOutbound(), kReqidBase + 7, false, 0, 42);
  ASSERT_TRUE(message) << message.error().message;
  auto parsed = parse<xfrm_usersa_info>(*message);
  EXPECT_EQ(parsed.header.nlmsg_type, XFRM_MSG_NEWSA);
  EXPECT_EQ(parsed.header.nlmsg_seq, 42u);
  auto info = as<xfrm_usersa_info>(parsed.fixed);
  EXPECT_EQ(ntohl(info.id.spi), 0xc0ffee01u);
  EXPECT_EQ(info.id.proto, IPPROTO_ESP);
  EXPECT_EQ(info.family, AF_INET);
  EXPECT_EQ(info.reqid, kReqidBase + 7);
  EXPECT_EQ(info.mode, XFRM_MODE_TRANSPORT);
  EXPECT_EQ(addressOf(info.id.daddr, AF_INET), ip("192.0.2.2"));
  EXPECT_EQ(addressOf(info.saddr, AF_INET), ip("192.0.2.1"));
  EXPECT_EQ(info.sel.prefixlen_d, 32);
  EXPECT_EQ(info.lft.soft_add_expires_seconds, 3000u);
  EXPECT_EQ(info.lft.hard_add_expires_seconds, 3600u);
  EXPECT_EQ(info.lft.hard_byte_limit, XFRM_INF);
  ASSERT_TRUE(parsed.attributes.contains(XFRMA_ALG_AEAD));
  auto aead = as<xfrm_algo_aead>(parsed.attributes[XFRMA_ALG_AEAD]);
  EXPECT_STREQ(aead.alg_name, "rfc4106(gcm(aes))");
  EXPECT_EQ(aead.alg_key_len, 160u);
  EXPECT_EQ(aead.alg_icv_len, 128u);
  EXPECT_EQ(parsed.attributes[XFRMA_ALG_AEAD].size(), sizeof(xfrm_algo_aead) + 20);
  EXPECT_FALSE(parsed.attributes.contains(XFRMA_ALG_CRYPT));
  EXPECT_FALSE(parsed.attributes.contains(XFRMA_ENCAP));
}

TEST(XfrmMessages, LargeReplayWindowUsesTheEsnReplayStateAndZeroLegacyWindow) {
  auto params = gcmOutbound();
  params.extendedSequenceNumbers = true;
  auto parsed = parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, false, 0, 1));
  auto info = as<xfrm_usersa_info>(parsed.fixed);
  EXPECT_EQ(info.replay_window, 0);
  EXPECT_TRUE(info.flags & XFRM_STATE_ESN);
  ASSERT_TRUE(parsed.attributes.contains(XFRMA_REPLAY_ESN_VAL));
  auto esn = as<xfrm_replay_state_esn>(parsed.attributes[XFRMA_REPLAY_ESN_VAL]);
  EXPECT_EQ(esn.replay_window, 1024u);
  EXPECT_EQ(esn.bmp_len, 32u);
  EXPECT_EQ(parsed.attributes[XFRMA_REPLAY_ESN_VAL].size(), sizeof(xfrm_replay_state_esn) + 32 * 4);
}

TEST(XfrmMessages, SmallWindowWithoutEsnStaysInTheLegacyField) {
  auto params = gcmOutbound();
  params.replayWindow = 32;
  auto parsed = parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, false, 0, 1));
  EXPECT_EQ(as<xfrm_usersa_info>(parsed.fixed).replay_window, 32);
  EXPECT_FALSE(parsed.attributes.contains(XFRMA_REPLAY_ESN_VAL));
}

TEST(XfrmMessages, CbcStateHasCipherAndHmacTruncatedToHalf) {
  auto params = gcmOutbound();
  params.encryption = EncryptionId::AesCbc;
  params.encryptionKey = std::vector<std::uint8_t>(32, 0x22);
  params.integrity = IntegrityId::HmacSha2_384_192;
  params.integrityKey = std::vector<std::uint8_t>(48, 0x33);
  auto parsed = parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, false, 0, 1));
  auto crypt = as<xfrm_algo>(parsed.attributes[XFRMA_ALG_CRYPT]);
  EXPECT_STREQ(crypt.alg_name, "cbc(aes)");
  EXPECT_EQ(crypt.alg_key_len, 256u);
  auto auth = as<xfrm_algo_auth>(parsed.attributes[XFRMA_ALG_AUTH_TRUNC]);
  EXPECT_STREQ(auth.alg_name, "hmac(sha384)");
  EXPECT_EQ(auth.alg_key_len, 384u);
  EXPECT_EQ(auth.alg_trunc_len, 192u);  // RFC 4868 §2.6
  EXPECT_EQ(
      std::vector<std::uint8_t>(parsed.attributes[XFRMA_ALG_AUTH_TRUNC].begin() + sizeof(xfrm_algo_auth),
                                parsed.attributes[XFRMA_ALG_AUTH_TRUNC].end()),
      std::vector<std::uint8_t>(48, 0x33));
  EXPECT_FALSE(parsed.attributes.contains(XFRMA_ALG_AEAD));
}

TEST(XfrmMessages, CbcWithoutIntegrityIsRefusedWithTheReason) {
  auto params = gcmOutbound();
  params.encryption = EncryptionId::AesCbc;
  params.encryptionKey = std::vector<std::uint8_t>(16, 0x22);
  auto message = buildState(params, kReqidBase + 1, false, 0, 1);
  ASSERT_FALSE(message);
  EXPECT_NE(message.error().message.find("AES-CBC needs an integrity algorithm"), std::string::npos);
  EXPECT_NE(message.error().message.find("0xc0ffee01"), std::string::npos);
}

TEST(XfrmMessages, GcmKeyWithoutSaltIsRefused) {
  auto params = gcmOutbound();
  params.encryptionKey = std::vector<std::uint8_t>(16, 0x11);
  auto message = buildState(params, kReqidBase + 1, false, 0, 1);
  ASSERT_FALSE(message);
  EXPECT_NE(message.error().message.find("20 or 36 octets, not 16"), std::string::npos);
}

TEST(XfrmMessages, UdpEncapsulationCarriesBothPortsInNetworkOrder) {
  auto params = gcmOutbound();
  params.encapsulation = UdpEncapsulation{4500, 14500};
  auto parsed = parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, false, 0, 1));
  auto encap = as<xfrm_encap_tmpl>(parsed.attributes[XFRMA_ENCAP]);
  EXPECT_EQ(encap.encap_type, 2);  // UDP_ENCAP_ESPINUDP
  EXPECT_EQ(ntohs(encap.encap_sport), 4500);
  EXPECT_EQ(ntohs(encap.encap_dport), 14500);
}

TEST(XfrmMessages, AnInboundEncapsulatedStateRateLimitsItsMappingReports) {
  auto params = gcmOutbound();
  params.encapsulation = UdpEncapsulation{4500, 4500};
  auto outbound = parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, false, 0, 1));
  EXPECT_FALSE(outbound.attributes.contains(XFRMA_MTIMER_THRESH));
  params.direction = SaDirection::Inbound;
  auto inbound = parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, false, 0, 1));
  ASSERT_TRUE(inbound.attributes.contains(XFRMA_MTIMER_THRESH));
  EXPECT_EQ(as<std::uint32_t>(inbound.attributes[XFRMA_MTIMER_THRESH]), kMappingReportSeconds);
  params.encapsulation.reset();
  auto plain = parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, false, 0, 1));
  EXPECT_FALSE(plain.attributes.contains(XFRMA_MTIMER_THRESH));
}

TEST(XfrmMessages, AnAllocatedInboundSpiIsUpdatedAndAnAcquiredOneCarriesTheAcquireSequence) {
  auto parsed = parse<xfrm_usersa_info>(*buildState(gcmOutbound(), kReqidBase + 1, true, 77, 1));
  EXPECT_EQ(parsed.header.nlmsg_type, XFRM_MSG_UPDSA);
  EXPECT_EQ(as<xfrm_usersa_info>(parsed.fixed).seq, 77u);
}

TEST(XfrmMessages, TransportStateSelectorRunsFromSourceToDestinationInBothDirections) {
  auto params = gcmOutbound();
  params.direction = SaDirection::Inbound;
  params.ref.destination = ip("192.0.2.1");
  params.source = ip("192.0.2.2");
  auto info =
      as<xfrm_usersa_info>(parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, true, 0, 1)).fixed);
  EXPECT_EQ(addressOf(info.sel.saddr, AF_INET), ip("192.0.2.2"));
  EXPECT_EQ(addressOf(info.sel.daddr, AF_INET), ip("192.0.2.1"));
  EXPECT_EQ(info.sel.prefixlen_s, 32);
}

TEST(XfrmMessages, TunnelStateHasNoHostSelector) {
  auto params = gcmOutbound();
  params.mode = IpsecMode::Tunnel;
  auto info =
      as<xfrm_usersa_info>(parse<xfrm_usersa_info>(*buildState(params, kReqidBase + 1, false, 0, 1)).fixed);
  EXPECT_EQ(info.mode, XFRM_MODE_TUNNEL);
  EXPECT_EQ(info.sel.family, 0);
}

TEST(XfrmMessages, AllocateSpiAsksOutsideTheReservedRangeWithOurReqid) {
  auto parsed = parse<xfrm_userspi_info>(buildAllocateSpi(ip("192.0.2.2"), ip("192.0.2.1"), 5, 3));
  EXPECT_EQ(parsed.header.nlmsg_type, XFRM_MSG_ALLOCSPI);
  auto spi = as<xfrm_userspi_info>(parsed.fixed);
  EXPECT_EQ(spi.min, 0x100u);  // RFC 4303 §2.1
  EXPECT_EQ(spi.max, 0xffffffffu);
  EXPECT_TRUE(isOurReqid(spi.info.reqid));
  EXPECT_EQ(spi.info.seq, 5u);
  EXPECT_EQ(addressOf(spi.info.id.daddr, AF_INET), ip("192.0.2.1"));
}

TEST(XfrmMessages, LongerPrefixesGetLowerPrioritiesInsideOurBand) {
  auto group = *makeSelector(prefix("0.0.0.0/0"), prefix("10.15.0.0/16"), 0, 0, 0);
  auto host = *makeSelector(prefix("0.0.0.0/0"), prefix("10.15.1.2/32"), 0, 0, 0);
  auto pair = *makeSelector(prefix("10.15.1.1/32"), prefix("10.15.1.2/32"), 0, 0, 0);
  auto port = *makeSelector(prefix("10.15.1.1/32"), prefix("10.15.1.2/32"), IPPROTO_TCP, 0, 22);
  EXPECT_LT(policyPriority(host, PolicyKind::Trap), policyPriority(group, PolicyKind::Trap));
  EXPECT_LT(policyPriority(pair, PolicyKind::Shunt), policyPriority(host, PolicyKind::Sa));
  EXPECT_LT(policyPriority(port, PolicyKind::Trap), policyPriority(pair, PolicyKind::Sa));
  EXPECT_LT(policyPriority(pair, PolicyKind::Sa), policyPriority(pair, PolicyKind::Shunt));
  EXPECT_LT(policyPriority(pair, PolicyKind::Shunt), policyPriority(pair, PolicyKind::Trap));
  EXPECT_EQ(policyPriority(group, PolicyKind::IkeBypass), kPriorityBase);
  for (auto* s : {&group, &host, &pair, &port})
    for (auto kind : {PolicyKind::IkeBypass, PolicyKind::Sa, PolicyKind::Shunt, PolicyKind::Trap})
      EXPECT_TRUE(isOurPriority(policyPriority(*s, kind)));
}

TEST(XfrmMessages, SelectorsMixingFamiliesAreRefused) {
  auto selector = makeSelector(prefix("::/0"), prefix("10.15.0.0/16"), 0, 0, 0);
  ASSERT_FALSE(selector);
  EXPECT_NE(selector.error().message.find("mixes address families"), std::string::npos);
}

TEST(XfrmMessages, ReversedSelectorSwapsAddressesAndPorts) {
  auto out = *makeSelector(prefix("10.15.1.1/32"), prefix("10.15.0.0/16"), IPPROTO_UDP, 500, 0);
  auto in = reversed(out);
  EXPECT_EQ(addressOf(in.saddr, AF_INET), ip("10.15.0.0"));
  EXPECT_EQ(in.prefixlen_s, 16);
  EXPECT_EQ(in.prefixlen_d, 32);
  EXPECT_EQ(ntohs(in.dport), 500);
  EXPECT_EQ(in.dport_mask, 0xffff);
  EXPECT_EQ(in.sport_mask, 0);
}

TEST(XfrmMessages, TrapPolicyHasAnEspTemplateWithOurReqid) {
  PolicyRequest request{*makeSelector(prefix("0.0.0.0/0"), prefix("10.15.0.0/16"), 0, 0, 0), XFRM_POLICY_OUT,
                        XFRM_POLICY_ALLOW, kPriorityBase + 100,
                        EspTemplate{IpsecMode::Transport, kReqidBase, std::nullopt, std::nullopt}};
  auto parsed = parse<xfrm_userpolicy_info>(buildUpdatePolicy(request, 9));
  EXPECT_EQ(parsed.header.nlmsg_type, XFRM_MSG_UPDPOLICY);
  EXPECT_TRUE(parsed.header.nlmsg_flags & NLM_F_ACK);
  auto info = as<xfrm_userpolicy_info>(parsed.fixed);
  EXPECT_EQ(info.dir, XFRM_POLICY_OUT);
  EXPECT_EQ(info.priority, kPriorityBase + 100);
  EXPECT_EQ(info.sel.prefixlen_d, 16);
  auto tmpl = as<xfrm_user_tmpl>(parsed.attributes[XFRMA_TMPL]);
  EXPECT_EQ(tmpl.id.proto, IPPROTO_ESP);
  EXPECT_EQ(tmpl.reqid, kReqidBase);
  EXPECT_EQ(tmpl.mode, XFRM_MODE_TRANSPORT);
}

TEST(XfrmMessages, ShuntPolicyHasNoTemplate) {
  PolicyRequest request{*makeSelector(prefix("0.0.0.0/0"), prefix("10.15.0.1/32"), 0, 0, 0), XFRM_POLICY_OUT,
                        XFRM_POLICY_BLOCK, kPriorityBase + 100, std::nullopt};
  auto parsed = parse<xfrm_userpolicy_info>(buildUpdatePolicy(request, 9));
  EXPECT_EQ(as<xfrm_userpolicy_info>(parsed.fixed).action, XFRM_POLICY_BLOCK);
  EXPECT_TRUE(parsed.attributes.empty());
}

TEST(XfrmMessages, TunnelTemplateCarriesTheOuterAddresses) {
  PolicyRequest request{*makeSelector(prefix("198.18.1.0/24"), prefix("198.18.2.0/24"), 0, 0, 0),
                        XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, kPriorityBase + 100,
                        EspTemplate{IpsecMode::Tunnel, kReqidBase + 3, ip("192.0.2.1"), ip("192.0.2.2")}};
  auto tmpl =
      as<xfrm_user_tmpl>(parse<xfrm_userpolicy_info>(buildUpdatePolicy(request, 1)).attributes[XFRMA_TMPL]);
  EXPECT_EQ(tmpl.mode, XFRM_MODE_TUNNEL);
  EXPECT_EQ(addressOf(tmpl.saddr, AF_INET), ip("192.0.2.1"));
  EXPECT_EQ(addressOf(tmpl.id.daddr, AF_INET), ip("192.0.2.2"));
}

TEST(XfrmMessages, AcquireNamesTheFlowThePolicyAndTheSequence) {
  xfrm_user_acquire acquire{};
  acquire.sel = *makeSelector(prefix("10.15.1.1/32"), prefix("10.15.1.2/32"), IPPROTO_ICMP, 0, 0);
  acquire.policy.sel = *makeSelector(prefix("0.0.0.0/0"), prefix("10.15.0.0/16"), 0, 0, 0);
  acquire.policy.priority = kPriorityBase + 200;
  acquire.seq = 1234;
  std::vector<std::uint8_t> payload(sizeof acquire);
  std::memcpy(payload.data(), &acquire, sizeof acquire);
  auto parsed = parseAcquire(payload);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->source, ip("10.15.1.1"));
  EXPECT_EQ(parsed->destination, ip("10.15.1.2"));
  EXPECT_EQ(parsed->protocol, IPPROTO_ICMP);
  EXPECT_EQ(parsed->sequence, 1234u);
  EXPECT_EQ(parsed->policyPriority, kPriorityBase + 200);
  EXPECT_EQ(parsed->policySelector.prefixlen_d, 16);
}

TEST(XfrmMessages, ShortAcquireIsAnErrorNamingTheSizes) {
  std::vector<std::uint8_t> payload(20, 0);
  auto parsed = parseAcquire(payload);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("XFRM_MSG_ACQUIRE: 20 octets"), std::string::npos);
}

TEST(XfrmMessages, ExpireReportsSpiDestinationReqidAndHardness) {
  xfrm_user_expire expire{};
  expire.state.family = AF_INET;
  expire.state.id.spi = htonl(0x12345678);
  expire.state.id.daddr = kernelAddress(ip("192.0.2.9"));
  expire.state.reqid = kReqidBase + 4;
  expire.hard = 1;
  std::vector<std::uint8_t> payload(sizeof expire);
  std::memcpy(payload.data(), &expire, sizeof expire);
  auto parsed = parseExpire(payload);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->spi, 0x12345678u);
  EXPECT_EQ(parsed->destination, ip("192.0.2.9"));
  EXPECT_TRUE(isOurReqid(parsed->reqid));
  EXPECT_TRUE(parsed->hard);
}

TEST(XfrmMessages, MappingReportsTheInboundStateAndTheOldAndNewSourceInHostOrder) {
  xfrm_user_mapping mapping{};
  mapping.id.family = AF_INET;
  mapping.id.proto = IPPROTO_ESP;
  mapping.id.spi = htonl(0xc0ffee01);
  mapping.id.daddr = kernelAddress(ip("192.0.2.1"));
  mapping.reqid = kReqidBase + 7;
  mapping.old_saddr = kernelAddress(ip("203.0.113.5"));
  mapping.old_sport = htons(4500);
  mapping.new_saddr = kernelAddress(ip("203.0.113.5"));
  mapping.new_sport = htons(31337);
  std::vector<std::uint8_t> payload(sizeof mapping);
  std::memcpy(payload.data(), &mapping, sizeof mapping);
  auto parsed = parseMapping(payload);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->spi, 0xc0ffee01u);
  EXPECT_EQ(parsed->destination, ip("192.0.2.1"));
  EXPECT_EQ(parsed->reqid, kReqidBase + 7);
  EXPECT_EQ(parsed->oldSource, ip("203.0.113.5"));
  EXPECT_EQ(parsed->oldPort, 4500);
  EXPECT_EQ(parsed->newSource, ip("203.0.113.5"));
  EXPECT_EQ(parsed->newPort, 31337);
}

TEST(XfrmMessages, MappingOfIpv6AddressesKeepsAllSixteenOctets) {
  xfrm_user_mapping mapping{};
  mapping.id.family = AF_INET6;
  mapping.id.daddr = kernelAddress(ip("2001:db8::1"));
  mapping.old_saddr = kernelAddress(ip("2001:db8:1::2"));
  mapping.new_saddr = kernelAddress(ip("2001:db8:2::3"));
  std::vector<std::uint8_t> payload(sizeof mapping);
  std::memcpy(payload.data(), &mapping, sizeof mapping);
  auto parsed = parseMapping(payload);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->destination, ip("2001:db8::1"));
  EXPECT_EQ(parsed->oldSource, ip("2001:db8:1::2"));
  EXPECT_EQ(parsed->newSource, ip("2001:db8:2::3"));
}

TEST(XfrmMessages, ShortOrFamilylessMappingIsAnErrorNamingWhy) {
  std::vector<std::uint8_t> shortPayload(12, 0);
  auto parsed = parseMapping(shortPayload);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("XFRM_MSG_MAPPING: 12 octets"), std::string::npos);
  std::vector<std::uint8_t> noFamily(sizeof(xfrm_user_mapping), 0);
  parsed = parseMapping(noFamily);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("id.family 0"), std::string::npos) << parsed.error().message;
}

TEST(XfrmMessages, StateCountersComeFromTheCurrentLifetimeAndStatistics) {
  xfrm_usersa_info info{};
  info.family = AF_INET6;
  info.id.daddr = kernelAddress(ip("2001:db8::1"));
  info.curlft.bytes = 840;
  info.curlft.packets = 10;
  info.curlft.add_time = 1700000000;
  info.stats.replay = 2;
  info.stats.integrity_failed = 3;
  std::vector<std::uint8_t> payload(sizeof info);
  std::memcpy(payload.data(), &info, sizeof info);
  auto state = parseState(payload);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->destination, ip("2001:db8::1"));
  EXPECT_EQ(state->counters.bytes, 840u);
  EXPECT_EQ(state->counters.packets, 10u);
  EXPECT_FALSE(state->counters.lastUse);
  EXPECT_EQ(state->counters.replayErrors, 2u);
  EXPECT_EQ(state->counters.integrityErrors, 3u);
}

TEST(XfrmMessages, TruncatedDatagramIsAnErrorNamingTheOffset) {
  auto message = buildDump(XFRM_MSG_GETSA, 1);
  message.resize(message.size() - 4);
  auto split = splitMessages(message);
  ASSERT_FALSE(split);
  EXPECT_NE(split.error().message.find("at offset 0"), std::string::npos);
}

TEST(XfrmMessages, SelectorRangesThatArePrefixesBecomePrefixes) {
  EXPECT_EQ(prefixOf({ip("10.15.0.0"), ip("10.15.255.255")}), prefix("10.15.0.0/16"));
  EXPECT_EQ(prefixOf(TrafficSelector::forHost(ip("192.0.2.1"))), prefix("192.0.2.1/32"));
  EXPECT_FALSE(prefixOf({ip("10.15.0.1"), ip("10.15.0.2")}));
}

}  // namespace
}  // namespace ikemesh::xfrm
