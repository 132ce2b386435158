#!/usr/bin/env python3
"""How long the receiving application waited for a CPU, and what ran instead: iperf-tun.sh's SCHED_TRACE helper.

  sched-waits.py DATA SERVER_PID [UE_PID PC_PID]  # DATA: `perf sched record -a` during a UDP run (as root)

At the best UDP rate every datagram lost is lost at the receiving application's socket, whose default buffer holds
about a millisecond of traffic (RESULTS.md), so what decides the loss is how long that application waits for a CPU
once it is runnable. From the scheduler's switch and waking events this prints one line:

  * the iperf3 server's waits, from each waking (or preemption) to its next switch-in: count and percentiles in us,
    and how many were over 0.5 ms;
  * for those waits over 0.5 ms, which threads ran on the CPU the server then ran on, during the wait (by thread
    name, iperf3's client apart from its server, with the daemons' PIDs each daemon's threads marked ue or pc, the
    busiest first, in % of that waiting time): the benchmark's own threads (iperf3, the daemons' esp4j-* packet threads
    and JVM threads) or other people's processes on a shared machine;
  * each busy thread's share of a CPU over the trace (switch-in to switch-out, so softirq work done in a thread's
    context counts as the thread's).
"""
import collections
import re
import subprocess
import sys

SWITCH = re.compile(r"prev_comm=(.*?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)")
WAKING = re.compile(r"comm=(.*?) pid=(\d+) ")
EVENT = re.compile(r"\s*(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)")


def main():
    data, server = sys.argv[1], int(sys.argv[2])
    daemons = {int(sys.argv[3]): "ue ", int(sys.argv[4]): "pc "} if len(sys.argv) > 4 else {}
    process = {}  # tid -> pid, for the threads seen running
    script = subprocess.run(["perf", "script", "-i", data, "-F", "pid,tid,cpu,time,event,trace"],
                            capture_output=True, text=True).stdout
    names = {}
    runnable_since = {}          # tid -> when it became runnable (waking, or switched out while runnable)
    waits = []                   # the server's: (wait s, from, to, cpu)
    on_cpu = {}                  # cpu -> (tid, since)
    stretches = collections.defaultdict(list)  # cpu -> [(start, end, tid)]
    first = last = None
    for line in script.splitlines():
        m = EVENT.match(line)
        if not m:
            continue
        process[int(m.group(2))] = int(m.group(1))
        cpu, t, event, rest = int(m.group(3)), float(m.group(4)), m.group(5), m.group(6)
        first = t if first is None else first
        last = t
        if event in ("sched:sched_waking", "sched:sched_wakeup", "sched:sched_wakeup_new"):
            w = WAKING.search(rest)
            if w:
                runnable_since.setdefault(int(w.group(2)), t)
        elif event == "sched:sched_switch":
            s = SWITCH.search(rest)
            if not s:
                continue
            prev_comm, prev, state = s.group(1), int(s.group(2)), s.group(3)
            next_comm, nxt = s.group(4), int(s.group(5))
            names[prev], names[nxt] = prev_comm, next_comm
            if cpu in on_cpu:
                tid, since = on_cpu[cpu]
                stretches[cpu].append((since, t, tid))
            on_cpu[cpu] = (nxt, t)
            since = runnable_since.pop(nxt, None)
            if nxt == server and since is not None:
                waits.append((t - since, since, t, cpu))
            if state.startswith("R") and prev != 0:
                runnable_since[prev] = t  # preempted or yielded: runnable from now
    span = (last - first) if first is not None else 0

    def label(tid):
        if tid == server:
            return "iperf3 server"
        return "idle" if tid == 0 else daemons.get(process.get(tid), "") + names.get(tid, str(tid))

    us = sorted(w[0] * 1e6 for w in waits)
    pct = lambda q: us[min(len(us) - 1, int(q * len(us)))] if us else 0
    long_waits = [w for w in waits if w[0] > 0.0005]
    instead = collections.Counter()
    for _, since, until, cpu in long_waits:
        for start, end, tid in stretches[cpu]:
            overlap = min(end, until) - max(start, since)
            if overlap > 0:
                instead[label(tid)] += overlap
    waited = sum(w[0] for w in long_waits)
    busy = collections.Counter()
    for cpu, runs in stretches.items():
        for start, end, tid in runs:
            if tid != 0:
                busy[label(tid)] += end - start
    print("%.1f s traced; iperf3 server waits: %d, p50 %.0f / p90 %.0f / p99 %.0f / max %.0f us, %d over 0.5 ms "
          "(%.1f ms in all); during those, on its CPU: %s; CPU shares: %s" % (
              span, len(us), pct(0.5), pct(0.9), pct(0.99), us[-1] if us else 0, len(long_waits), waited * 1e3,
              ", ".join("%s %.0f %%" % (k, 100 * v / waited) for k, v in instead.most_common(5)) if waited else "-",
              ", ".join("%s %.0f %%" % (k, 100 * v / span) for k, v in busy.most_common(8)) if span else "-"))


if __name__ == "__main__":
    main()
