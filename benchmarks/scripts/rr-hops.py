#!/usr/bin/env python3
"""Per-hop timeline of udp-rr.py round trips through two esp4j daemons, from a perf trace of system call exits.

Record while an rr run goes (as root; perf's own writes are kept out by the common_pid filter):

    bash -c 'exec perf record -a -k CLOCK_MONOTONIC -m 1024 -o trace.data -e raw_syscalls:sys_exit \
      --filter "common_pid != $$ && ret > 0 && (id == 0 || id == 1 || id == 20 || id == 44 || id == 45 || \
      id == 46 || id == 47 || id == 299 || id == 307)" -e sched:sched_switch -e sched:sched_wakeup' &
    MODES=esp:profile=latency TESTS=rr benchmarks/scripts/iperf-tun.sh; kill -INT %1
    perf script -i trace.data --ns -F comm,pid,tid,time,event,trace | benchmarks/scripts/rr-hops.py

It matches each round trip of the client (the python3 process whose first send/receive is a send) step by step:
client send -> UE agent's TUN read -> UE carrier send -> P-CSCF TUN write -> server recv -> server send -> P-CSCF
TUN read -> P-CSCF carrier send -> UE TUN write -> client recv (the times of the calls' returns), and prints the
median and p90 of each step. Needs one rr run in the trace (one client, one server, two daemons' packet threads,
named esp4j-outbound/-inbound or, with packet.threads=one, [esp4j-outbound, ...]). The trace adds about 1 us per
traced event to each step.
"""
import re, sys, statistics, collections
LINE = re.compile(r'^\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+):\s+(.*)$')
NR = re.compile(r'NR (\d+) = (-?\d+)')
READ = {0, 19}; WRITE = {1, 20}; SEND = {44, 46, 307}; RECV = {45, 47, 299}
events = []
for line in sys.stdin:
    m = LINE.match(line)
    if not m or m.group(5) != 'raw_syscalls:sys_exit':
        continue
    n = NR.search(m.group(6))
    if not n:
        continue
    events.append((float(m.group(4)), m.group(1).strip(), int(m.group(2)), int(m.group(3)), int(n.group(1))))
events.sort()
count = collections.Counter((e[1], e[2]) for e in events)
py = [p for (c, p), k in count.most_common() if c.startswith('python') and k > 5000][:2]
jv = [p for (c, p), k in count.most_common() if (c.startswith('[esp4j') or c.startswith('esp4j-outbound') or c.startswith('esp4j-inbound')) and k > 1000]
# client: the python pid whose first event is a send
first = {}
for t, c, p, tid, nr in events:
    if p in py and p not in first and (nr in SEND or nr in RECV):
        first[p] = nr
client = [p for p in py if first.get(p) in SEND][0]
server = [p for p in py if p != client][0]
steps = ['client send', 'UE read TUN', 'UE send carrier', 'PC write TUN', 'server recv', 'server send',
         'PC read TUN', 'PC send carrier', 'UE write TUN', 'client recv']
deltas = collections.defaultdict(list)
total = []
ue = pc = None
i = 0
rts = 0
while i < len(events):
    t, c, p, tid, nr = events[i]
    if p == client and nr in SEND:
        seq = [t]
        want = 1
        j = i + 1
        while j < len(events) and want < len(steps):
            t2, c2, p2, tid2, nr2 = events[j]
            s = steps[want]
            ok = False
            if s == 'UE read TUN' and p2 in jv and nr2 in READ:
                if ue is None: ue = p2
                ok = p2 == ue
            elif s == 'UE send carrier': ok = p2 == ue and nr2 in SEND
            elif s == 'PC write TUN' and p2 in jv and p2 != ue and nr2 in WRITE:
                if pc is None: pc = p2
                ok = p2 == pc
            elif s == 'server recv': ok = p2 == server and nr2 in RECV
            elif s == 'server send': ok = p2 == server and nr2 in SEND
            elif s == 'PC read TUN': ok = p2 == pc and nr2 in READ
            elif s == 'PC send carrier': ok = p2 == pc and nr2 in SEND
            elif s == 'UE write TUN': ok = p2 == ue and nr2 in WRITE
            elif s == 'client recv': ok = p2 == client and nr2 in RECV
            if p2 == client and nr2 in SEND:
                break
            if ok:
                seq.append(t2); want += 1
            j += 1
        if want == len(steps):
            rts += 1
            for k in range(1, len(steps)):
                deltas[k].append((seq[k] - seq[k - 1]) * 1e6)
            total.append((seq[-1] - seq[0]) * 1e6)
        i = j
    else:
        i += 1
print("round trips matched: %d (client %d, server %d, UE daemon %s, PC daemon %s)" % (rts, client, server, ue, pc))
print("| step (sys_exit to sys_exit) | p50 us | p90 us |")
print("|---|---|---|")
for k in range(1, len(steps)):
    d = sorted(deltas[k])
    print("| %s -> %s | %.1f | %.1f |" % (steps[k - 1], steps[k], statistics.median(d), d[int(len(d) * 0.9)]))
d = sorted(total)
print("| client send -> client recv (whole) | %.1f | %.1f |" % (statistics.median(d), d[int(len(d) * 0.9)]))
