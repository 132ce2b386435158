#!/usr/bin/env python3
"""Sequential UDP request/response: the round-trip time of one small datagram at a time.

    udp-rr.py server ADDRESS PORT                        echo every datagram back to its sender, until killed
    udp-rr.py client ADDRESS PORT [--count 10000] [--size 200] [--interval-us 0] [--json FILE]
    (both: [--cpu N] to run on CPU N only, e.g. to keep the application off the daemons' packet.cpus)

The client sends a datagram of --size bytes (a sequence number in the first 8 bytes), waits for its echo, and only
then sends the next one: --count round trips, each timed with the monotonic clock. With --interval-us, request n
leaves no earlier than n intervals after the first (sparse traffic, as RTP every 20,000 us: every hop then starts
from an idle daemon); the client sleeps between them. A reply that does not come within
--timeout seconds counts as lost (and a late reply of an earlier request is ignored), so a lost packet costs the
timeout, not the run; --give-up requests in a row without a reply end the run (a dead server or path). It prints one line, the percentiles of the round-trip time in microseconds:

    count 10000 lost 0 p50 41.2 p90 48.0 p99 77.5 p99.9 190.1 max 5312.0 slow(>1ms) 3 clusters 1

"slow" counts round trips over 1 ms, "clusters" groups them by start time (slow round trips less than 200 ms apart
form one cluster), and --json writes every figure, the slow round trips' start times and the clusters' bounds, so a
stall (a GC pause, a blocked agent, a descheduled thread) shows as one cluster with its time in the run (the
JSON's start_monotonic_ns is CLOCK_MONOTONIC at the first measured request, to line clusters up with a trace taken
with `perf sched record -k CLOCK_MONOTONIC`).
Python's own cost is in every figure (about 10 us per round trip here): compare modes measured with the same client.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def serve(address, port):
    sock = socket.socket(family_of(address), socket.SOCK_DGRAM)
    sock.bind((address, port))
    buf = bytearray(65536)
    view = memoryview(buf)
    recvfrom_into, sendto = sock.recvfrom_into, sock.sendto
    print("ready", flush=True)
    failed = {}
    while True:
        n, peer = recvfrom_into(buf)
        try:
            sendto(view[:n], peer)
        except OSError as ex:
            # an echo the kernel refuses (no route while a daemon's steering changes) is a lost reply the client
            # counts; the server must outlive it, or every later request of every mode waits out its timeout
            failed[ex.errno] = failed.get(ex.errno, 0) + 1
            if failed[ex.errno] == 1 or failed[ex.errno] % 1000 == 0:
                print("echo to %s failed (%d so far): %s" % (peer, failed[ex.errno], ex), file=sys.stderr, flush=True)


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def client(args):
    sock = socket.socket(family_of(args.address), socket.SOCK_DGRAM)
    sock.connect((args.address, args.port))
    sock.settimeout(args.timeout)
    payload = bytearray(args.size)
    buf = bytearray(65536)
    send, recv_into = sock.send, sock.recv_into
    clock = time.perf_counter_ns
    rtts = []
    slow = []
    lost = 0
    lost_in_a_row = 0
    for warm in range(args.warmup):
        struct.pack_into("!Q", payload, 0, (1 << 63) | warm)
        send(payload)
        try:
            recv_into(buf)
            lost_in_a_row = 0
        except (socket.timeout, ConnectionRefusedError):
            lost_in_a_row += 1
            if lost_in_a_row >= args.give_up:
                print("no reply to %d requests in a row during the warm-up: is the server (or the path) down?" %
                      lost_in_a_row, file=sys.stderr)
                return 1
    interval_ns = args.interval_us * 1000
    start = clock()
    for seq in range(args.count):
        struct.pack_into("!Q", payload, 0, seq)
        if interval_ns:
            wait_ns = start + seq * interval_ns - clock()
            if wait_ns > 0:
                time.sleep(wait_ns / 1e9)
        t0 = clock()
        send(payload)
        while True:
            try:
                n = recv_into(buf)
            except (socket.timeout, ConnectionRefusedError):
                lost += 1
                lost_in_a_row += 1
                break
            if n >= 8 and struct.unpack_from("!Q", buf, 0)[0] == seq:
                lost_in_a_row = 0
                t1 = clock()
                rtt = (t1 - t0) / 1000.0
                rtts.append(rtt)
                if rtt > 1000.0:
                    slow.append(((t0 - start) / 1e6, rtt))
                break
        if lost_in_a_row >= args.give_up:
            print("no reply to %d requests in a row: is the server (or the path) down?" % lost_in_a_row,
                  file=sys.stderr)
            break
    clusters = []
    for at_ms, rtt in slow:
        if clusters and at_ms - clusters[-1]["end_ms"] < 200.0:
            cluster = clusters[-1]
            cluster["end_ms"] = at_ms + rtt / 1000.0
            cluster["count"] += 1
            cluster["worst_us"] = max(cluster["worst_us"], rtt)
        else:
            clusters.append({"start_ms": at_ms, "end_ms": at_ms + rtt / 1000.0, "count": 1, "worst_us": rtt})
    ordered = sorted(rtts)
    result = {
        "count": len(rtts), "lost": lost, "size": args.size, "interval_us": args.interval_us,
        "p50": percentile(ordered, 0.50), "p90": percentile(ordered, 0.90), "p99": percentile(ordered, 0.99),
        "p999": percentile(ordered, 0.999), "max": ordered[-1] if ordered else float("nan"),
        "slow": len(slow), "clusters": clusters, "slow_rtts": slow[:1000],
        "duration_s": (clock() - start) / 1e9,
        # CLOCK_MONOTONIC at the first measured request: lines the clusters up with `perf record -k CLOCK_MONOTONIC`
        "start_monotonic_ns": start,
    }
    print("count %d lost %d p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f slow(>1ms) %d clusters %d" % (
        result["count"], lost, result["p50"], result["p90"], result["p99"], result["p999"], result["max"],
        len(slow), len(clusters)))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out)
    return 0 if rtts else 1


def main():
    parser = argparse.ArgumentParser(description="sequential UDP request/response round-trip times")
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("address")
    parser.add_argument("port", type=int)
    parser.add_argument("--count", type=int, default=10000, help="round trips (10000)")
    parser.add_argument("--size", type=int, default=200, help="UDP payload bytes (200)")
    parser.add_argument("--interval-us", type=int, default=0,
                        help="pace the requests: one every this many microseconds (0: back to back)")
    parser.add_argument("--warmup", type=int, default=200, help="round trips not measured first (200)")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds before a request counts as lost (1)")
    parser.add_argument("--give-up", type=int, default=20,
                        help="stop after this many requests in a row without a reply (20); the figures so far are kept")
    parser.add_argument("--json", help="write all figures to this file")
    parser.add_argument("--cpu", type=int, help="run on this CPU only (sched_setaffinity; default: any)")
    args = parser.parse_args()
    if args.size < 8 or args.size > 65507:
        parser.error("--size must be 8..65507")
    if args.interval_us < 0 or args.interval_us > 10_000_000:
        parser.error("--interval-us must be 0..10000000")
    if args.give_up < 1:
        parser.error("--give-up must be at least 1")
    if args.count < 1 or args.count > 10_000_000:
        parser.error("--count must be 1..10000000")
    if args.cpu is not None:
        try:
            os.sched_setaffinity(0, {args.cpu})
        except (OSError, ValueError) as ex:
            parser.error("--cpu %d: %s" % (args.cpu, ex))
    if args.role == "server":
        serve(args.address, args.port)
        return 0
    return client(args)


if __name__ == "__main__":
    sys.exit(main())
