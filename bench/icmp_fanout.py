#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One ICMP echo request to each target at once, then wait for the replies.

Usage: icmp_fanout.py [--go FILE] TIMEOUT_SECONDS ADDRESS...

Prints one line per target, `ADDRESS RTT_MS` or `ADDRESS lost`, and exits 0 when every target
answered within the timeout. No retries: in an opportunistic mesh the first packet to a peer is
held while IKE runs and must come back by itself. bench/mesh_bench.sh runs one per node (a raw
socket needs root); one process per node instead of one `ping` per pair keeps the process
start-up cost out of the mesh bring-up time. With --go FILE it opens its socket, writes
`ready` to stderr and sends only once FILE exists, so that many of them start at one moment.
"""
import os
import select
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(ident: int, sequence: int) -> bytes:
    payload = bytes(56)
    header = struct.pack("!BBHHH", 8, 0, 0, ident, sequence)
    return struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, sequence) + payload


def main() -> int:
    arguments = sys.argv[1:]
    go = None
    if arguments[:1] == ["--go"] and len(arguments) > 1:
        go, arguments = arguments[1], arguments[2:]
    if len(arguments) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    timeout = float(arguments[0])
    targets = arguments[1:]
    ident = os.getpid() & 0xFFFF
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if go:
        print("ready", file=sys.stderr, flush=True)
        while not os.path.exists(go):
            time.sleep(0.001)
    sent_at = {}
    for sequence, address in enumerate(targets):
        sent_at[address] = time.monotonic()
        sock.sendto(echo_request(ident, sequence), (address, 0))
    rtt = {}
    deadline = time.monotonic() + timeout
    while len(rtt) < len(targets):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            break
        packet, (source, _) = sock.recvfrom(2048)
        header_length = (packet[0] & 0x0F) * 4
        kind, _, _, reply_ident, sequence = struct.unpack("!BBHHH", packet[header_length:header_length + 8])
        if kind != 0 or reply_ident != ident or sequence >= len(targets):
            continue
        address = targets[sequence]
        if source == address and address not in rtt:
            rtt[address] = (time.monotonic() - sent_at[address]) * 1000
    for address in targets:
        print(f"{address} {rtt[address]:.3f}" if address in rtt else f"{address} lost")
    return 0 if len(rtt) == len(targets) else 1


if __name__ == "__main__":
    sys.exit(main())
