#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""replay-ip.py PCAP [--mark N] [--set OFFSET=BYTE]: sends the first IPv4 packet of an
Ethernet capture again through a raw socket, optionally with one octet of the IP packet
changed (the UDP checksum is computed anew). The firewall mark lets it bypass a TUN
dataplane's routing table."""
import argparse
import socket
import struct

parser = argparse.ArgumentParser()
parser.add_argument("pcap")
parser.add_argument("--mark", type=lambda v: int(v, 0), default=0)
parser.add_argument("--set", default=None, help="OFFSET=BYTE in the IP packet, e.g. 28=0x7f")
args = parser.parse_args()

with open(args.pcap, "rb") as f:
    data = f.read()
magic = struct.unpack("<I", data[:4])[0]
endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
included = struct.unpack(endian + "I", data[24 + 8:24 + 12])[0]
frame = bytearray(data[24 + 16:24 + 16 + included])
packet = frame[14:]
if args.set:
    offset, value = args.set.split("=")
    packet[int(offset, 0)] = int(value, 0)
# A capture taken on the sender holds the UDP checksum before offload filled it in: compute
# it again, as whoever replays the packet would (RFC 768).
header_length = (packet[0] & 0x0F) * 4
if packet[9] == 17:
    udp = packet[header_length:]
    udp[6:8] = b"\0\0"
    pseudo = bytes(packet[12:20]) + bytes([0, 17]) + struct.pack("!H", len(udp))
    blob = pseudo + bytes(udp) + (b"\0" if len(udp) % 2 else b"")
    total = sum(struct.unpack("!%dH" % (len(blob) // 2), blob))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    checksum = (~total & 0xFFFF) or 0xFFFF
    packet[header_length + 6:header_length + 8] = struct.pack("!H", checksum)
destination = socket.inet_ntoa(bytes(packet[16:20]))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
if args.mark:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, args.mark)
s.sendto(bytes(packet), (destination, 0))
print(f"sent {len(packet)} octets to {destination}")
