#!/usr/bin/env python3
"""CPU and system calls per datagram of each esp4j daemon of a running iperf-tun.sh, per side and per thread.

Run as root beside `iperf-tun.sh TESTS=udp` (any MODES): for each UDP iperf3 run it sees in the UE namespace, it waits
DELAY seconds into the run, then for SECONDS seconds samples both daemons (utime and stime of every thread from
/proc/PID/task/*/stat, and with --syscalls `perf stat -e 'syscalls:sys_enter_*'` per daemon, with --perf DIR
`perf record -g` per daemon, JIT symbols through `jcmd PID Compiler.perfmap` when the daemons run with
-XX:+PreserveFramePointer), and divides by the datagrams the UE's TUN handed its daemon in the same window (the TUN's
tx_packets: one per datagram, as iperf3 sends without UDP_SEGMENT). One JSON line per run on stdout:

  side -> {us: CPU µs per datagram of the whole JVM, threads: {name: [user µs, sys µs]}, syscalls: {name: per datagram}}

    sudo benchmarks/scripts/daemon-sides.py --runs 2 --syscalls > sides.jsonl &
    sudo MODES="esp esp:udp.checksum=kernel" TESTS=udp UDP_RATE=300M DURATION=14 benchmarks/scripts/iperf-tun.sh

Namespaces are found by iperf-tun.sh's names (esp4j-bue-TAG, esp4j-bpc-TAG); the daemons by their command line.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def namespaces():
    names = [line.split()[0] for line in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
             .stdout.splitlines() if line.strip()]
    ue = [n for n in names if n.startswith("esp4j-bue-")]
    pc = [n for n in names if n.startswith("esp4j-bpc-")]
    return (ue[0], pc[0]) if ue and pc else (None, None)


def ns_pids(ns):
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def cmdline(pid):
    try:
        return open("/proc/%d/cmdline" % pid, "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def daemon_pid(ns):
    for pid in ns_pids(ns):
        if "Esp4jMain run" in cmdline(pid):
            return pid
    return None


def udp_client(ns):
    for pid in ns_pids(ns):
        line = cmdline(pid)
        if line.startswith("iperf3 ") and " -u " in line and " -c " in line and " -J" in line:  # not the warm-up
            return pid
    return None


def tun_tx(ns):
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/sys/class/net/esp4j0/statistics/tx_packets"],
                         capture_output=True, text=True).stdout.strip()
    return int(out) if out else 0


def threads(pid):
    """name -> [utime, stime] ticks, threads of one name summed."""
    result = {}
    for stat in glob.glob("/proc/%d/task/*/stat" % pid):
        try:
            text = open(stat).read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        name = re.sub(r"[0-9]+$", "", name)  # one row for the JVM's numbered threads (GC, C2 CompilerThread0..)
        ticks = result.setdefault(name, [0, 0])
        ticks[0] += int(fields[11])
        ticks[1] += int(fields[12])
    return result


def sample(args, ue, pc):
    pids = {"ue": daemon_pid(ue), "pc": daemon_pid(pc)}
    if None in pids.values():
        return {"daemons": None}  # a mode without esp4j daemons (the kernel path, libipsec): nothing to sample
    stats = {}
    records = []
    for side, pid in pids.items():
        if args.syscalls:
            path = "/tmp/daemon-sides-%s-%d.stat" % (side, os.getpid())
            stats[side] = (path, subprocess.Popen(
                ["perf", "stat", "-x", ",", "-e", "syscalls:sys_enter_*", "-p", str(pid), "-o", path, "--", "sleep",
                 str(args.seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if args.perf:
            out = os.path.join(args.perf, "perf-%s-%d.data" % (side, args.run))
            records.append(subprocess.Popen(["perf", "record", "-q", "-F", "999", "-g", "-p", str(pid), "-o", out,
                                             "--", "sleep", str(args.seconds)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    before = {side: threads(pid) for side, pid in pids.items()}
    tx0 = tun_tx(ue)
    time.sleep(args.seconds)
    tx1 = tun_tx(ue)
    after = {side: threads(pid) for side, pid in pids.items()}
    datagrams = max(tx1 - tx0, 1)
    row = {"datagrams": tx1 - tx0, "seconds": args.seconds,
           "jar": next((word for word in cmdline(pids["ue"]).split() if word.endswith(".jar")), None)}
    for side in pids:
        per = lambda t: t * 1e6 / HZ / datagrams
        names = {}
        total = 0
        for name, (u, s) in after[side].items():
            u0, s0 = before[side].get(name, [0, 0])
            if u - u0 or s - s0:
                names[name] = [round(per(u - u0), 2), round(per(s - s0), 2)]
                total += u - u0 + s - s0
        row[side] = {"us": round(per(total), 2), "threads": names}
    for side, (path, proc) in stats.items():
        proc.wait()
        calls = {}
        for line in open(path):
            parts = line.strip().split(",")
            if len(parts) > 2 and parts[2].startswith("syscalls:sys_enter_") and parts[0].isdigit():
                if int(parts[0]):
                    calls[parts[2][len("syscalls:sys_enter_"):]] = round(int(parts[0]) / datagrams, 3)
        os.unlink(path)
        row[side]["syscalls"] = dict(sorted(calls.items(), key=lambda kv: -kv[1]))
    for proc in records:
        proc.wait()
    if args.perf:
        for side, pid in pids.items():
            subprocess.run(["jcmd", str(pid), "Compiler.perfmap"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="UDP runs to sample, then exit (1)")
    parser.add_argument("--delay", type=float, default=4.0, help="seconds into each UDP run before sampling (4)")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds sampled (4)")
    parser.add_argument("--syscalls", action="store_true", help="count system calls with perf stat")
    parser.add_argument("--perf", metavar="DIR", help="perf record -g of each daemon into DIR")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds (600)")
    args = parser.parse_args()
    deadline = time.time() + args.timeout
    for args.run in range(1, args.runs + 1):
        client = None
        while client is None and time.time() < deadline:
            ue, pc = namespaces()
            client = udp_client(ue) if ue else None
            if client is None:
                time.sleep(0.2)
        if client is None:
            sys.exit("no UDP iperf3 run seen")
        time.sleep(args.delay)
        row = sample(args, ue, pc)
        row["run"] = args.run
        print(json.dumps(row), flush=True)
        while os.path.exists("/proc/%d" % client) and time.time() < deadline:
            time.sleep(0.2)


if __name__ == "__main__":
    main()
