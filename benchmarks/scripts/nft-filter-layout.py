#!/usr/bin/env python3
"""Issue 14 (h9): time one element add / delete in the inbound filter's old layout (a verdict map whose drop elements
say `goto drop_tmpl_mismatch`) and its new one (one plain set per verdict), at 0 and N elements, interleaved; first
through an `nft -f` child per change, then through libnftables in this process with one context (one netlink socket,
as the daemon does). Run as root; makes and removes the namespace h9nft.

    sudo /usr/bin/python3 benchmarks/scripts/nft-filter-layout.py [N=40000] [ROUNDS=30]
"""
import ctypes, subprocess, sys, time, statistics, os
N = int(sys.argv[1]) if len(sys.argv) > 1 else 40000
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
NS = "h9nft"
K6 = "ipv6_addr . ipv6_addr . inet_proto . inet_service . inet_service"
def nft(script):
    p = subprocess.run(["ip", "netns", "exec", NS, "nft", "-f", "-"], input=script.encode(), capture_output=True)
    if p.returncode: raise SystemExit(p.stderr.decode())
def key(i):
    return f"2001:db8:1::1 . 2001:db8:2::{i // 60000:x}:{i % 60000:x} . 17 . 5064 . 5066"
def old(t):
    return (f"table inet {t} {{\n counter tmpl_mismatch {{ }}\n counter pol_block {{ }}\n"
            f" map exact6 {{ type {K6} : verdict; }}\n"
            " chain drop_tmpl_mismatch { counter name \"tmpl_mismatch\" drop; }\n"
            " chain drop_pol_block { counter name \"pol_block\" drop; }\n"
            " chain input { type filter hook input priority filter; policy accept;\n"
            "  ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport vmap @exact6\n }\n}\n")
def new(t):
    sets = "".join(f" set {v}6 {{ type {K6}; }}\n" for v in ("accept", "mismatch", "block"))
    return (f"table inet {t} {{\n counter tmpl_mismatch {{ }}\n counter pol_block {{ }}\n{sets}"
            " chain input { type filter hook input priority filter; policy accept;\n"
            "  ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @accept6 accept\n"
            "  ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @mismatch6 counter name \"tmpl_mismatch\" drop\n"
            "  ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport @block6 counter name \"pol_block\" drop\n }\n}\n")
def fill(t, where, n, verdict):
    s = ""
    for lo in range(0, n, 500):
        ks = [key(i) + verdict for i in range(lo, min(n, lo + 500))]
        s += f"add element inet {t} {where} {{ " + ", ".join(ks) + " }\n"
    return s
subprocess.run(["ip", "netns", "add", NS], check=True)
lib = ctypes.CDLL("libnftables.so.1")
lib.nft_ctx_new.restype = ctypes.c_void_p
for f in ("nft_ctx_buffer_output", "nft_ctx_buffer_error"):
    getattr(lib, f).argtypes = [ctypes.c_void_p]
lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
ctx = None
def inprocess(script):
    global ctx
    if ctx is None:  # a context opened inside the namespace keeps its socket there
        fd = os.open(f"/run/netns/{NS}", os.O_RDONLY)
        if ctypes.CDLL("libc.so.6", use_errno=True).setns(fd, 0x40000000): raise SystemExit("setns")  # CLONE_NEWNET
        ctx = lib.nft_ctx_new(0); lib.nft_ctx_buffer_output(ctx); lib.nft_ctx_buffer_error(ctx)
    if lib.nft_run_cmd_from_buffer(ctx, script.encode()): raise SystemExit("libnftables refused: " + script)
try:
    layouts = {}
    for size in (0, N):
        t = f"h9old{size}"; nft(old(t) + fill(t, "exact6", size, " : goto drop_tmpl_mismatch"))
        layouts[("old", size)] = (t, "exact6", " : goto drop_tmpl_mismatch")
        t = f"h9new{size}"; nft(new(t) + fill(t, "mismatch6", size, ""))
        layouts[("new", size)] = (t, "mismatch6", "")
    res = {(m,) + k: {"add": [], "del": []} for k in layouts for m in ("nft -f", "libnftables")}
    probe = "2001:db8:9::1 . 2001:db8:9::2 . 17 . 5064 . 5066"
    # the two ways one after the other: a child's socket close waits for the release an in-process delete deferred
    for mode, run in (("nft -f", nft), ("libnftables", inprocess)):
      for r in range(REPS):
        for k, (t, where, verdict) in layouts.items():
            if True:
                for op in ("add", "del"):
                    s = (f"add element inet {t} {where} {{ {probe}{verdict} }}\n" if op == "add"
                         else f"delete element inet {t} {where} {{ {probe} }}\n")
                    t0 = time.perf_counter_ns(); run(s); res[(mode,) + k][op].append((time.perf_counter_ns() - t0) / 1e6)
    print(f"| via | layout | elements | add ms p50 / p90 | delete ms p50 / p90 |  ({REPS} interleaved rounds)")
    print("|---|---|---|---|---|")
    for k, v in res.items():
        q = lambda xs: f"{statistics.median(xs):.1f} / {sorted(xs)[int(len(xs) * 0.9)]:.1f}"
        print(f"| {k[0]} | {k[1]} | {k[2]:,} | {q(v['add'])} | {q(v['del'])} |")
finally:
    subprocess.run(["ip", "netns", "del", NS])
