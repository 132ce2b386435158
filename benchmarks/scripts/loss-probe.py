#!/usr/bin/env python3
"""Where a UDP benchmark's datagrams are lost, and how busy the CPUs were: iperf-tun.sh's LOSS_DETAIL helper.

  loss-probe.py snap UE_NS PC_NS [PID] > a.json               # as root; reads /proc and /sys in both namespaces
  loss-probe.py diff a.json b.json                              # one line: what changed between the two snapshots
  ip netns exec NS loss-probe.py watch PORT SECONDS INTERVAL_MS # how a socket's queue and drops move over time

A snapshot holds, per namespace, the kernel's UDP and IP counters (/proc/net/snmp), every UDP socket's drop count by
local port (/proc/net/udp, /proc/net/udp6: the iperf3 server's socket and the ESP-in-UDP carrier's are told apart),
each link's packet and drop counts (/sys/class/net), the qdisc drops of each link (tc -s qdisc), and the CPUs'
jiffies (/proc/stat, the whole machine) and, with PID (the benchmark script's), the CPU time (/proc/*/stat) of the
benchmark's processes (PID, its descendants and the reaped ones, and the processes in the two namespaces), of the
kernel's threads and of every other process. `diff` prints the share of the CPUs that was busy, how much of one CPU
other processes took (the CPUs' user, system, irq and softirq time less the benchmark's and the kernel threads': on
a shared machine other people's builds and scripts, which take the CPUs from the benchmark's threads) and the
busiest of those still alive, and every drop or error count that moved, by where it happened. `watch` samples one
UDP socket (local PORT, in the namespace it runs in) every INTERVAL_MS for SECONDS and prints how full its receive
queue was (bytes, percentiles) and in how many of the intervals it dropped datagrams: loss in a few intervals is
bursts, loss in most is a steady overload.
"""
import json
import subprocess
import sys

SNMP_KEYS = {
    "Udp": ("InDatagrams", "InErrors", "RcvbufErrors", "SndbufErrors", "NoPorts", "InCsumErrors", "MemErrors"),
    "Ip": ("InDiscards", "OutDiscards", "InHdrErrors", "ReasmFails"),
}


def in_ns(ns, *cmd):
    return subprocess.run(("ip", "netns", "exec", ns) + cmd, capture_output=True, text=True).stdout


def snmp(ns):
    lines = in_ns(ns, "cat", "/proc/net/snmp").splitlines()
    out = {}
    for names, values in zip(lines[0::2], lines[1::2]):
        group, names = names.split(":", 1)
        values = values.split(":", 1)[1].split()
        for name, value in zip(names.split(), values):
            if name in SNMP_KEYS.get(group, ()):
                out["%s%s" % (group, name)] = int(value)
    return out


def socket_drops(ns):
    out = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in in_ns(ns, "cat", table).splitlines()[1:]:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            key = "sock%d.drops" % port
            out[key] = out.get(key, 0) + int(fields[-1])
    return out


def links(ns):
    out = {}
    script = ("for d in /sys/class/net/*; do n=${d##*/}; for s in rx_packets tx_packets rx_dropped tx_dropped; do "
              "echo $n $s $(cat $d/statistics/$s); done; done")
    for line in in_ns(ns, "sh", "-c", script).splitlines():
        dev, stat, value = line.split()
        if dev != "lo":
            out["%s.%s" % (dev, stat)] = int(value)
    dev = None
    for line in in_ns(ns, "tc", "-s", "qdisc", "show").splitlines():
        words = line.split()
        if words[:1] == ["qdisc"] and "dev" in words:
            dev = words[words.index("dev") + 1]
        elif dev and "dropped" in line and words[:1] == ["Sent"]:
            key = "%s.qdisc_dropped" % dev
            out[key] = out.get(key, 0) + int(line.split("dropped")[1].split(",")[0])
    return out


def cpu():
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return {"busy": user + nice + system + irq + softirq + steal, "idle": idle + iowait, "softirq": softirq,
            "system": system,
            # with tick-based accounting a task's stime also holds the irq and softirq ticks taken in its context
            "process": user + nice + system + irq + softirq}


def other_processes(benchmark_pid, namespaces):
    """The CPU ticks (utime + stime) of the processes outside the benchmark, and of the benchmark's own processes
    and of the kernel's threads as sums: the benchmark is its process tree and the processes in its network
    namespaces (where the daemons run after their starting subshell has gone); its sum includes the children it
    reaped (cutime + cstime: iperf3's clients)."""
    import os
    benchmark_nets = set()
    for ns in namespaces:
        try:
            benchmark_nets.add("net:[%d]" % os.stat("/run/netns/" + ns).st_ino)
        except OSError:
            pass
    stats = {}
    benchmark_members = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                raw = f.read()
        except OSError:
            continue  # exited meanwhile
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()  # fields[0] is the state, field 3 of stat(5)
        ppid, flags = int(fields[1]), int(fields[6])
        own, children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        try:
            in_benchmark_net = os.readlink("/proc/%s/ns/net" % name) in benchmark_nets
        except OSError:
            in_benchmark_net = False
        stats[int(name)] = (ppid, flags, comm, own, children)
        if in_benchmark_net:
            benchmark_members.add(int(name))
    ours = {benchmark_pid} | benchmark_members
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _, _, _, _) in stats.items():
            if ppid in ours and pid not in ours:
                ours.add(pid)
                changed = True
    kthread = 0x00200000  # PF_KTHREAD: the kernel's own threads (softirq, workers) are not other people's work
    return {
        "ours": sum(own + children for pid, (_, _, _, own, children) in stats.items() if pid in ours),
        "kernel": sum(own for _, (_, flags, _, own, _) in stats.items() if flags & kthread),
        "others": {str(pid): [comm, own] for pid, (_, flags, comm, own, _) in stats.items()
                   if pid not in ours and not flags & kthread}}


def snap(ue, pc, benchmark_pid=None):
    out = {"cpu": cpu()}
    if benchmark_pid is not None:
        import os
        out["hz"] = os.sysconf("SC_CLK_TCK")
        out["processes"] = other_processes(benchmark_pid, (ue, pc))
    for side, ns in (("ue", ue), ("pc", pc)):
        data = {}
        data.update(snmp(ns))
        data.update(socket_drops(ns))
        data.update(links(ns))
        out[side] = data
    return out


def diff(a, b):
    ca, cb = a["cpu"], b["cpu"]
    busy = cb["busy"] - ca["busy"]
    total = busy + cb["idle"] - ca["idle"]
    parts = ["CPUs busy %.0f %% (softirq %.0f %%)" % (
        100.0 * busy / total if total else 0, 100.0 * (cb["softirq"] - ca["softirq"]) / total if total else 0)]
    if "processes" in a and "processes" in b:
        # what the CPUs spent in processes, less the benchmark's own and the kernel threads': other people's work,
        # short-lived processes that exited within the interval included (a sum of live processes' times would miss
        # them, and a parent's reaped-children time counts a whole long life at once)
        pa, pb = a["processes"], b["processes"]
        cpus = len([line for line in open("/proc/stat") if line[:3] == "cpu" and line[3:4].isdigit()])
        wall_ticks = total / cpus if cpus else 0  # USER_HZ ticks per CPU over the interval
        share = lambda ticks: 100.0 * max(ticks, 0) / wall_ticks if wall_ticks else 0
        others = (cb["process"] - ca["process"]) - (pb["ours"] - pa["ours"]) - (pb["kernel"] - pa["kernel"])
        by_comm = {}
        for pid, (comm, ticks) in pb["others"].items():
            before = pa["others"].get(pid)
            delta = ticks - (before[1] if before and before[0] == comm else 0)
            if delta > 0:
                by_comm[comm] = by_comm.get(comm, 0) + delta
        top = sorted(by_comm.items(), key=lambda kv: -kv[1])[:3]
        parts.append("other processes %.0f %% of a CPU%s" % (
            share(others),
            " (the busiest alive: " + ", ".join("%s %.0f %%" % (c, share(t)) for c, t in top) + ")" if top else ""))
    for side in ("ue", "pc"):
        moved = []
        for key in sorted(b[side]):
            if not any(word in key for word in ("drop", "Errors", "Discards", "NoPorts", "Fails")):
                continue
            delta = b[side][key] - a[side].get(key, 0)
            if delta:
                moved.append("%s %d" % (key, delta))
        parts.append("%s: %s" % (side, ", ".join(moved) if moved else "no drops"))
    return "; ".join(parts)


def watch(port, seconds, interval_ms):
    import time
    samples, lossy, intervals = [], [], 0
    last = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        queue, now, moved = 0, {}, 0
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port:
                        queue += int(fields[4].split(":")[1], 16)
                        now[fields[9]] = int(fields[-1])  # by inode: iperf3 opens a socket per test
        for inode, drops in now.items():
            if inode in last:
                moved += drops - last[inode]
        if last:
            intervals += 1
            if moved:
                lossy.append(moved)
        last = now
        samples.append(queue)
        time.sleep(interval_ms / 1000.0)
    samples.sort()
    pct = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))] if samples else 0
    print("port %d, %d samples every %d ms: rx queue p50 %d / p90 %d / p99 %d / max %d B; drops %d in %d of %d "
          "intervals (largest %d)" % (port, len(samples), interval_ms, pct(0.5), pct(0.9), pct(0.99),
                                       samples[-1] if samples else 0, sum(lossy), len(lossy), intervals,
                                       max(lossy) if lossy else 0))


def main():
    if sys.argv[1] == "snap":
        json.dump(snap(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None), sys.stdout)
    elif sys.argv[1] == "watch":
        watch(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "diff":
        print(diff(json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))))
    else:
        sys.exit("usage: loss-probe.py snap UE_NS PC_NS [PID] | diff A.json B.json | watch PORT SECONDS INTERVAL_MS")


if __name__ == "__main__":
    main()
