#!/usr/bin/env python3
"""Unsolicited TCP segments to a SIP port, for SipTcpFloodEndToEndTest (no handshake, no answer awaited).

Usage: sip-tcp-flood.py SRC DST DPORT FIRST_SPORT PORTS SEGMENTS SEGMENT_BYTES [syn|rst|fin]
From each of PORTS source ports (FIRST_SPORT, FIRST_SPORT + 1, ...) it sends SEGMENTS in-sequence segments of
SEGMENT_BYTES: the first starts a SIP REGISTER whose header announces a 200,000-byte body, the rest carry body bytes,
so a watcher that reassembles SIP over TCP must buffer them. The ports are served in turn, a port's segments one
after another (the first port's all, then the second's, ...). IPv6 raw socket; the kernel adds the IPv6 header and
the TCP checksum (IPV6_CHECKSUM at offset 16). It paces itself (a short sleep every 32 segments) so that a sniffer on
a loaded host keeps up, and prints "sent N" at the end. With a last argument, each port's segments are followed by
one segment without data (not counted in N): a SYN (a new connection on the same ports, another initial sequence
number), a RST or a FIN (at the next sequence number), so that the message each port left half sent is never
completed (SipTcpPartialDropsEndToEndTest).
"""
import socket
import struct
import sys
import time

IPV6_CHECKSUM = 7


def main():
    src, dst, dport, first, ports, segments, size = sys.argv[1:8]
    end = sys.argv[8] if len(sys.argv) > 8 else None
    end_flags = {None: None, "syn": 0x02, "rst": 0x14, "fin": 0x11}[end]
    dport, first, ports, segments, size = int(dport), int(first), int(ports), int(segments), int(size)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_IPV6, IPV6_CHECKSUM, 16)
    sock.bind((src, 0))
    sent = 0
    for sport in range(first, first + ports):
        sequence = 1000
        for index in range(segments):
            if index == 0:
                head = ("REGISTER sip:ims.example.net SIP/2.0\r\nVia: SIP/2.0/TCP [%s]:%d;branch=z9hG4bKflood%d\r\n"
                        "Call-ID: flood-%d\r\nCSeq: 1 REGISTER\r\nContent-Length: 200000\r\n\r\n"
                        % (src, sport, sport, sport)).encode("ascii")
                payload = head + b"x" * max(0, size - len(head))
            else:
                payload = b"x" * size
            header = struct.pack("!HHIIBBHHH", sport, dport, sequence, 0, 5 << 4, 0x18, 65535, 0, 0)
            sock.sendto(header + payload, (dst, 0))
            sequence = (sequence + len(payload)) & 0xFFFFFFFF
            sent += 1
            if sent % 32 == 0:
                time.sleep(0.0005)
        if end_flags is not None:
            end_sequence = 0x70000000 if end == "syn" else sequence
            header = struct.pack("!HHIIBBHHH", sport, dport, end_sequence, 0, 5 << 4, end_flags, 65535, 0, 0)
            sock.sendto(header, (dst, 0))
    print("sent %d" % sent, flush=True)


if __name__ == "__main__":
    main()
