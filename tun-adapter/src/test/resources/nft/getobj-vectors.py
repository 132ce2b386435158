#!/usr/bin/python3
"""Independent vectors for NftNamedCounterTest: an NFT_MSG_GETOBJ request for counter "tmpl_mismatch" of
table inet "esp4j_esp4j0" built with struct from linux/netlink.h, linux/netfilter/nfnetlink.h and
linux/netfilter/nf_tables.h, and the kernel's answer to it (captured as root in a scratch namespace, after 3 packets
of 99 bytes counted). Run: ip netns add v; ip netns exec v ./getobj-vectors.py; ip netns del v"""
import socket, struct, subprocess

NETLINK_NETFILTER, NLM_F_REQUEST, NLM_F_ACK = 12, 1, 4
NFNL_SUBSYS_NFTABLES, NFT_MSG_GETOBJ, NFPROTO_INET = 10, 19, 1
NFTA_OBJ_TABLE, NFTA_OBJ_NAME, NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER = 1, 2, 3, 1

def attr(kind, payload):
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)

def request(seq, table, name):
    body = struct.pack("=BBH", NFPROTO_INET, 0, 0) + attr(NFTA_OBJ_TABLE, table + b"\0") + \
        attr(NFTA_OBJ_NAME, name + b"\0") + attr(NFTA_OBJ_TYPE, struct.pack(">I", NFT_OBJECT_COUNTER))
    return struct.pack("=IHHII", 16 + len(body), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETOBJ,
                       NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body

if __name__ == "__main__":
    subprocess.run(["nft", "-f", "-"], check=True, input=b"table inet esp4j_esp4j0 {\n"
                   b"  counter tmpl_mismatch { packets 3 bytes 297 }\n}\n")
    req = request(7, b"esp4j_esp4j0", b"tmpl_mismatch")
    print("request", req.hex())
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.sendto(req, (0, 0))
    for _ in range(2):
        print("reply", s.recv(8192).hex())
    subprocess.run(["nft", "delete", "table", "inet", "esp4j_esp4j0"], check=True)
