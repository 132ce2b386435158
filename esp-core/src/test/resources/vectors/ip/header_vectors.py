#!/usr/bin/python3
"""Independent vectors for esp-core's header flyweights (org.esp4j.core.ip, EspTrailer).

scapy builds each packet and computes its checksums; the field values are read back from scapy's own dissection,
so nothing here comes from esp4j. Run with /usr/bin/python3 (python3-scapy 2.5.0):

    /usr/bin/python3 header_vectors.py > header_vectors.json
"""
import json

from scapy.all import IP, IPv6, UDP, TCP, ICMP, Raw, raw
from scapy.layers.inet6 import IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment
from scapy.layers.inet6 import PadN


def hexof(packet):
    return raw(packet).hex()


def ipv4_vector(name, packet):
    p = IP(raw(packet))
    return {"name": name, "packet": hexof(p), "version": p.version, "headerLength": p.ihl * 4, "tos": p.tos,
            "totalLength": p.len, "identification": p.id, "flagsAndFragmentOffset": (int(p.flags) << 13) | p.frag,
            "fragment": bool(int(p.flags) & 1 or p.frag), "fragmentOffset": p.frag, "ttl": p.ttl, "protocol": p.proto,
            "checksum": p.chksum, "source": p.src, "destination": p.dst}


def walk_vector(name, packet, protocol, upper_offset, field_offset, truncated=False, cut=None):
    data = raw(packet)
    if cut is not None:
        data = data[:cut]
    return {"name": name, "packet": data.hex(), "protocol": protocol, "upperOffset": upper_offset,
            "nextHeaderFieldOffset": field_offset, "truncated": truncated}


def main():
    ipv4 = [
        ipv4_vector("udp", IP(src="192.0.2.1", dst="198.51.100.7", tos=0xb8, id=0x1234, ttl=63, flags="DF") /
                    UDP(sport=5060, dport=5062) / Raw(b"REGISTER")),
        ipv4_vector("options", IP(src="10.1.2.3", dst="10.3.2.1", id=7, ttl=1, options=b"\x94\x04\x00\x00") /
                    TCP(sport=1, dport=2)),
        ipv4_vector("first fragment", IP(src="192.0.2.9", dst="192.0.2.10", id=0xfedc, flags="MF", proto=17) /
                    Raw(b"\x00" * 16)),
        ipv4_vector("last fragment", IP(src="192.0.2.9", dst="192.0.2.10", id=0xfedc, frag=185, proto=17) /
                    Raw(b"\x01" * 8)),
    ]

    src6, dst6 = "2001:db8::1", "2001:db8:0:1::2"
    udp = UDP(sport=5060, dport=5060) / Raw(b"SIP/2.0 200 OK")
    hbh = IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00" * 4)])
    rt = IPv6ExtHdrRouting(addresses=[])
    dst_opt = IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 12)])  # 16 bytes
    atomic = IPv6ExtHdrFragment(offset=0, m=0, id=0x11223344)
    first = IPv6ExtHdrFragment(offset=0, m=1, id=0x55667788)
    later = IPv6ExtHdrFragment(offset=100, m=0, id=0x55667788)
    walks = [
        walk_vector("no extension headers", IPv6(src=src6, dst=dst6) / udp, 17, 40, 6),
        walk_vector("hop-by-hop, routing", IPv6(src=src6, dst=dst6) / hbh / rt / udp, 17, 56, 48),
        walk_vector("destination options (16 bytes) then TCP", IPv6(src=src6, dst=dst6) / dst_opt /
                    TCP(sport=5060, dport=5061), 6, 56, 40),
        walk_vector("atomic fragment is walked", IPv6(src=src6, dst=dst6) / atomic / udp, 17, 48, 40),
        walk_vector("first fragment stops the walk", IPv6(src=src6, dst=dst6) / hbh / first / udp, 44, 48, 40),
        walk_vector("later fragment stops the walk", IPv6(src=src6, dst=dst6) / later / Raw(b"\x00" * 8), 44, 40, 6),
        walk_vector("ESP after hop-by-hop", IPv6(src=src6, dst=dst6, nh=0) / hbh /
                    Raw(b"\x00\x00\x10\x00\x00\x00\x00\x01"), 0, 40, 6),
        walk_vector("destination options cut short", IPv6(src=src6, dst=dst6) / dst_opt / udp, 17, 56, 40,
                    truncated=True, cut=50),
        walk_vector("extension header with no room", IPv6(src=src6, dst=dst6) / hbh / udp, 0, 40, 6,
                    truncated=True, cut=44),
    ]
    # ESP after hop-by-hop: scapy's HopByHop takes nh from the payload; write 50 by hand in the hop-by-hop header
    esp_after = IPv6(src=src6, dst=dst6) / IPv6ExtHdrHopByHop(nh=50, options=[PadN(optdata=b"\x00" * 4)]) / \
        Raw(b"\x00\x00\x10\x00\x00\x00\x00\x01")
    walks[6] = walk_vector("ESP after hop-by-hop", esp_after, 50, 48, 40)
    stop_at_final = IPv6(src=src6, dst=dst6) / hbh / dst_opt / udp
    stop_vectors = [
        walk_vector("final destination options: ESP goes in front", stop_at_final, 60, 48, 40),
        walk_vector("destination options before routing are walked", IPv6(src=src6, dst=dst6) / dst_opt / rt / udp,
                    17, 64, 56),
    ]

    transport = []
    for name, packet in [
        ("udp over ipv4", IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=4500, dport=4500) / Raw(b"\x01" * 31)),
        ("tcp over ipv4", IP(src="192.0.2.1", dst="192.0.2.2") /
         TCP(sport=5060, dport=40000, seq=0xfedcba98, ack=0x01234567, flags="PA", window=512, urgptr=3,
             options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2))]) / Raw(b"INVITE sip:x SIP/2.0\r\n")),
        ("udp over ipv6", IPv6(src=src6, dst=dst6) / UDP(sport=5060, dport=5060) / Raw(b"\xff" * 17)),
        ("tcp over ipv6", IPv6(src=src6, dst=dst6) / TCP(sport=443, dport=51000, seq=1, ack=2, flags="SEC",
                                                       window=65535) / Raw(b"abc")),
    ]:
        p = packet.__class__(raw(packet))
        layer = p[UDP] if UDP in p else p[TCP]
        offset = len(raw(p)) - len(raw(layer))
        vector = {"name": name, "packet": hexof(p), "ipv6": IPv6 in p, "protocol": 17 if UDP in p else 6,
                  "transportOffset": offset, "checksum": layer.chksum, "sourcePort": layer.sport,
                  "destinationPort": layer.dport}
        if TCP in p:
            vector.update({"sequence": layer.seq, "acknowledgment": layer.ack, "headerLength": layer.dataofs * 4,
                           "flags": int(layer.flags), "window": layer.window, "urgentPointer": layer.urgptr})
        else:
            vector.update({"length": layer.len})
        transport.append(vector)

    icmp = IP(src="192.0.2.1", dst="192.0.2.2") / ICMP(type=3, code=4, nexthopmtu=1400) / Raw(b"\x45" + b"\x00" * 27)
    p = IP(raw(icmp))
    transport.append({"name": "icmp fragmentation needed", "packet": hexof(p), "ipv6": False, "protocol": 1,
                      "transportOffset": 20, "checksum": p[ICMP].chksum})

    print(json.dumps({"generator": "header_vectors.py (scapy 2.5.0)", "ipv4": ipv4, "walks": walks,
                      "walksStoppingAtFinalDestinationOptions": stop_vectors, "transport": transport}, indent=1))


if __name__ == "__main__":
    main()
