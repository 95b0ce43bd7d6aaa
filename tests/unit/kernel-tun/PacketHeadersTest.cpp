// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <vector>

#include "EspVectors.hpp"
#include "PacketHeaders.hpp"

using namespace ikemesh;
using namespace ikemesh::tun;

TEST(PacketHeaders, ReadsAddressesAndProtocolOfIpv4) {
  auto headers = PacketHeaders::parse(esp_vectors::kInnerPacket);
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->source, *IpAddress::parse("192.0.2.1"));
  EXPECT_EQ(headers->destination, *IpAddress::parse("198.51.100.2"));
  EXPECT_EQ(headers->protocol, 1);
  EXPECT_EQ(headers->headerLength, 20u);
  EXPECT_EQ(headers->sourcePort, 0);  // ICMP has no ports
}

TEST(PacketHeaders, ReadsPortsOfUdpOverIpv6) {
  std::vector<std::uint8_t> packet(48, 0);
  packet[0] = 0x60;
  packet[6] = 17;
  packet[8] = 0x20, packet[9] = 0x01, packet[10] = 0x0d, packet[11] = 0xb8, packet[23] = 1;
  packet[24] = 0x20, packet[25] = 0x01, packet[26] = 0x0d, packet[27] = 0xb8, packet[39] = 2;
  packet[40] = 0x11, packet[41] = 0x94, packet[42] = 0x00, packet[43] = 0x35;
  auto headers = PacketHeaders::parse(packet);
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->source, *IpAddress::parse("2001:db8::1"));
  EXPECT_EQ(headers->destination, *IpAddress::parse("2001:db8::2"));
  EXPECT_EQ(headers->sourcePort, 4500);
  EXPECT_EQ(headers->destinationPort, 53);
}

TEST(PacketHeaders, LaterFragmentsCarryNoPorts) {
  auto packet = esp_vectors::kInnerPacket;
  packet[9] = 17;
  packet[6] = 0x00, packet[7] = 0x10;  // fragment offset 16
  auto headers = PacketHeaders::parse(packet);
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->sourcePort, 0);
}

TEST(PacketHeaders, RefusesWhatIsNotAnIpPacket) {
  EXPECT_FALSE(PacketHeaders::parse({}));
  EXPECT_FALSE(PacketHeaders::parse(std::vector<std::uint8_t>(19, 0x45)));
  EXPECT_FALSE(PacketHeaders::parse(std::vector<std::uint8_t>(60, 0x20)));
  auto badLength = esp_vectors::kInnerPacket;
  badLength[0] = 0x44;  // a 16-octet IPv4 header
  EXPECT_FALSE(PacketHeaders::parse(badLength));
}

TEST(PacketHeaders, RestoredIpv4HeaderHasAValidChecksum) {
  std::vector<std::uint8_t> buffer(64 + 8, 0xaa);
  const auto length = writeIpHeader(buffer.data() + 64, 8, *IpAddress::parse("192.0.2.1"),
                                    *IpAddress::parse("192.0.2.2"), 17);
  ASSERT_EQ(length, 20u);
  std::uint32_t sum = 0;
  for (std::size_t i = 44; i < 64; i += 2)
    sum += static_cast<std::uint32_t>((buffer[i] << 8) | buffer[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
  auto headers = PacketHeaders::parse({buffer.data() + 44, 28});
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->protocol, 17);
  EXPECT_EQ(headers->destination, *IpAddress::parse("192.0.2.2"));
  EXPECT_EQ(buffer[46] << 8 | buffer[47], 28);
}

TEST(PacketHeaders, RestoredIpv6HeaderCarriesThePayloadLength) {
  std::vector<std::uint8_t> buffer(64 + 10, 0);
  ASSERT_EQ(writeIpHeader(buffer.data() + 64, 10, *IpAddress::parse("2001:db8::1"),
                          *IpAddress::parse("2001:db8::2"), 6),
            40u);
  auto headers = PacketHeaders::parse({buffer.data() + 24, 50});
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->protocol, 6);
  EXPECT_EQ(buffer[28] << 8 | buffer[29], 10);
}
