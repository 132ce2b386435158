#!/usr/bin/env python3
"""Time of one small nftables change, as an `nft -f -` child and in process through libnftables on one context.

Why: each nft process closes its nf_tables netlink socket when it exits, and the kernel makes that close wait for
an RCU grace period (the deferred destruction of committed transactions). The daemon used to run nft as a child per
change; it now keeps one libnftables context (NftCommand). Run as root (best beside `stress-ng --cpu 2`, under the
heavy-run lock):

    /usr/bin/python3 benchmarks/scripts/nft-close-wait.py [SECONDS]

It makes a namespace esp4j-nftcw-PID with one table and set, then adds and deletes set elements for SECONDS
(default 20), alternating child and in-process runs (interleaved pairs), and prints p50/p90/p99/max per way and the
ratio child/in-process of the medians. It removes the namespace at the end.
"""
import ctypes
import os
import subprocess
import sys
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
NS = 'esp4j-nftcw-%d' % os.getpid()
TABLE = ('table inet nftcw {\n set s { type ipv6_addr . inet_service; }\n'
         ' chain input { type filter hook input priority 0; policy accept; ip6 saddr . udp dport @s counter drop; }\n}\n')


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p))]


def main():
    subprocess.run(['ip', 'netns', 'del', NS], stderr=subprocess.DEVNULL)
    subprocess.run(['ip', 'netns', 'add', NS], check=True)
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        fd = os.open('/var/run/netns/' + NS, os.O_RDONLY)
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET: this process, and the nft children, in the namespace
            raise OSError(ctypes.get_errno(), 'setns')
        lib = ctypes.CDLL('libnftables.so.1')
        lib.nft_ctx_new.restype = ctypes.c_void_p
        lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
        lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        ctx = lib.nft_ctx_new(0)
        lib.nft_ctx_buffer_error(ctx)
        if lib.nft_run_cmd_from_buffer(ctx, TABLE.encode()) != 0:
            raise RuntimeError(lib.nft_ctx_get_error_buffer(ctx))
        child, in_process = [], []
        end = time.time() + SECONDS
        rounds = 0
        while time.time() < end:
            # one element added by one way and deleted by the other, the order swapped each round
            element = '2001:db8::%x . 5060' % (rounds % 4096 + 1)
            ways = ('child', 'in-process') if rounds % 2 == 0 else ('in-process', 'child')
            for way, verb in zip(ways, ('add', 'delete')):
                script = verb + ' element inet nftcw s { ' + element + ' }\n'
                start = time.monotonic()
                if way == 'child':
                    subprocess.run(['nft', '-f', '-'], input=script.encode(), check=True)
                    child.append(time.monotonic() - start)
                else:
                    if lib.nft_run_cmd_from_buffer(ctx, script.encode()) != 0:
                        raise RuntimeError(lib.nft_ctx_get_error_buffer(ctx))
                    in_process.append(time.monotonic() - start)
            rounds += 1
            time.sleep(0.02)
        for name, values in (('nft child', child), ('libnftables', in_process)):
            values.sort()
            print('%-12s n=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.1f ms' % (
                name, len(values), pct(values, .5) * 1e3, pct(values, .9) * 1e3, pct(values, .99) * 1e3,
                values[-1] * 1e3))
        print('child/in-process median ratio: %.0f' % (pct(sorted(child), .5) / pct(sorted(in_process), .5)))
    finally:
        subprocess.run(['ip', 'netns', 'del', NS])


if __name__ == '__main__':
    main()
