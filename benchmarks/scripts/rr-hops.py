#!/usr/bin/env python3
"""Per-hop timeline of udp-rr.py round trips through two esp4j daemons, from a perf trace of system calls.

Record while an rr run goes (as root; perf's own events are kept out by the common_pid filters), for a second or less:

    bash -c 'exec perf record -a -k CLOCK_MONOTONIC -m 2048 -o trace.data \
      -e raw_syscalls:sys_enter --filter "common_pid != $$" -e raw_syscalls:sys_exit --filter "common_pid != $$" \
      -e sched:sched_switch -e sched:sched_wakeup -- sleep 0.5' &
    MODES=esp:profile=latency TESTS=rr benchmarks/scripts/iperf-tun.sh      # started before, still in its rr run
    perf script -i trace.data --ns -F comm,pid,tid,cpu,time,event,trace | benchmarks/scripts/rr-hops.py

It matches each round trip of the client (the python3 process whose first send/receive is a send) step by step:
client send -> UE agent's TUN read -> UE carrier send -> P-CSCF TUN write -> server recv -> server send -> P-CSCF
TUN read -> P-CSCF carrier send -> UE TUN write -> client recv (the times of the calls' returns, calls that returned
more than 0), and prints the median, p90 and mean of each step. With the entries of the calls and the scheduler's
events in the trace, it also splits each step's mean over what the step's thread did in it (the parts add up to the
mean): its system calls (on the CPU), its own code, and the time it was off the CPU (asleep until woken, woken and
waiting to run, or runnable behind another thread after a yield or a preemption); and it gives, per daemon packet
thread, its system calls per round trip. A trace of exits alone (an older recording filtered on ret > 0) gives the
step times only. Needs one rr run in the trace (one client, one server, two daemons' packet threads, named
esp4j-outbound/-inbound or, with packet.threads=one, [esp4j-outbound, ...]). Tracing every call slows every step
(about 1 us per traced event): compare modes traced alike, not with untraced figures.
"""
import bisect
import collections
import re
import statistics
import sys

LINE = re.compile(r'^\s*(.+?)\s+(\d+)/(\d+)\s+(?:\[(\d+)\]\s+)?([\d.]+):\s+(\S+):\s*(.*)$')
ENTER = re.compile(r'NR (\d+) ')
EXIT = re.compile(r'NR (\d+) = (-?\d+)')
SWITCH = re.compile(r'prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=.* next_pid=(\d+)')
WAKEUP = re.compile(r'pid=(\d+) ')
NAMES = {0: 'read', 1: 'write', 7: 'poll', 20: 'writev', 23: 'select', 24: 'sched_yield', 44: 'sendto',
         45: 'recvfrom', 46: 'sendmsg', 47: 'recvmsg', 202: 'futex', 232: 'epoll_wait', 271: 'ppoll',
         299: 'recvmmsg', 307: 'sendmmsg', 426: 'io_uring_enter'}
READ = {0, 19}
WRITE = {1, 20}
SEND = {44, 46, 307}
RECV = {45, 47, 299}
# the steps whose process is known by then: (process, calls)
LATER = {'UE send carrier': ('ue', SEND), 'server recv': ('server', RECV), 'server send': ('server', SEND),
         'PC read TUN': ('pc', READ), 'PC send carrier': ('pc', SEND), 'UE write TUN': ('ue', WRITE),
         'client recv': ('client', RECV)}
STEPS = ['client send', 'UE read TUN', 'UE send carrier', 'PC write TUN', 'server recv', 'server send',
         'PC read TUN', 'PC send carrier', 'UE write TUN', 'client recv']


def name(nr):
    return NAMES.get(nr, 'nr%d' % nr)


class Thread:
    """One thread's system calls and times off the CPU, as sorted intervals."""

    def __init__(self, tid, pid, comm):
        self.tid, self.pid, self.comm = tid, pid, comm
        self.calls = []      # (enter, exit, nr, ret)
        self.off = []        # (out, in, state, woken): off the CPU from out to in
        self.open_call = None
        self.out_at = None
        self.out_state = None
        self.woken = None

    def finish(self):
        self.calls.sort()
        self.off.sort()
        self.call_starts = [c[0] for c in self.calls]
        self.off_starts = [o[0] for o in self.off]


threads = {}
exits = []  # (time, comm, pid, tid, nr) of calls that returned > 0
detailed = False  # the trace has the calls' entries and the scheduler's events


def thread(tid, pid, comm):
    t = threads.get(tid)
    if t is None:
        t = threads[tid] = Thread(tid, pid, comm)
    return t


for line in sys.stdin:
    m = LINE.match(line)
    if not m:
        continue
    comm, pid, tid, cpu, ts, event, rest = m.groups()
    pid, tid, ts = int(pid), int(tid), float(ts)
    if event == 'raw_syscalls:sys_enter':
        detailed = True
        e = ENTER.search(rest)
        if e:
            thread(tid, pid, comm).open_call = (ts, int(e.group(1)))
    elif event == 'raw_syscalls:sys_exit':
        e = EXIT.search(rest)
        if not e:
            continue
        nr, ret = int(e.group(1)), int(e.group(2))
        t = thread(tid, pid, comm)
        if t.open_call and t.open_call[1] == nr:
            t.calls.append((t.open_call[0], ts, nr, ret))
        t.open_call = None
        if ret > 0:
            exits.append((ts, comm.strip(), pid, tid, nr))
    elif event == 'sched:sched_switch':
        s = SWITCH.search(rest)
        if not s:
            continue
        prev, state, nxt = int(s.group(1)), s.group(2), int(s.group(3))
        if prev in threads:
            p = threads[prev]
            p.out_at, p.out_state, p.woken = ts, state, None
        if nxt in threads:
            n = threads[nxt]
            if n.out_at is not None:
                n.off.append((n.out_at, ts, n.out_state, n.woken))
            n.out_at = None
    elif event == 'sched:sched_wakeup':
        w = WAKEUP.search(rest)
        if w and int(w.group(1)) in threads:
            t = threads[int(w.group(1))]
            if t.out_at is not None and t.woken is None:
                t.woken = ts

for t in threads.values():
    t.finish()
exits.sort()

count = collections.Counter((e[1], e[2]) for e in exits)
py = [p for (c, p), k in count.most_common() if c.startswith('python') and k > 500][:2]
jv = {p for (c, p), k in count.most_common()
      if c.startswith('[esp4j') or c.startswith('esp4j-outbound') or c.startswith('esp4j-inbound')}
# client: the python process that polls (its socket has a timeout), else the one whose first send/receive is a send
polls = collections.Counter(e[2] for e in exits if e[2] in py and e[4] == 7)
first = {}
for ts, c, p, tid, nr in exits:
    if p in py and p not in first and (nr in SEND or nr in RECV):
        first[p] = nr
client = polls.most_common(1)[0][0] if polls else [p for p in py if first.get(p) in SEND][0]
server = [p for p in py if p != client][0]


def account(t, t0, t1, out):
    """Add what thread t did in [t0, t1] to out: 'off: ...' times, system call times on the CPU, 'own code'."""
    offs = []
    i = max(0, bisect.bisect_right(t.off_starts, t0) - 1)
    while i < len(t.off) and t.off[i][0] < t1:
        o_out, o_in, state, woken = t.off[i]
        a, b = max(o_out, t0), min(o_in, t1)
        if b > a:
            offs.append((a, b))
            if state.startswith('R'):
                out['off: runnable (yield/preempted)'] += b - a
            else:
                w = woken if woken is not None else o_in
                sa, sb = a, min(b, max(w, a))
                out['off: asleep'] += sb - sa
                out['off: woken, waiting to run'] += b - sb
        i += 1
    on_calls = 0.0
    i = max(0, bisect.bisect_right(t.call_starts, t0) - 1)
    while i < len(t.calls) and t.calls[i][0] < t1:
        c_in, c_out, nr, ret = t.calls[i]
        a, b = max(c_in, t0), min(c_out, t1)
        if b > a:
            d = b - a
            for oa, ob in offs:
                d -= max(0.0, min(b, ob) - max(a, oa))
            label = name(nr) + (' (nothing)' if ret <= 0 and nr in READ | RECV else '')
            out['call ' + label] += d
            on_calls += d
        i += 1
    out['own code (user)'] += (t1 - t0) - sum(b - a for a, b in offs) - on_calls


steps_time = collections.defaultdict(list)
parts = collections.defaultdict(lambda: collections.defaultdict(float))
totals = []
ue = pc = None
actors = {}
rts = 0
i = 0
while i < len(exits):
    ts, c, p, tid, nr = exits[i]
    if p == client and nr in SEND:
        seq = [(ts, tid)]
        want = 1
        j = i + 1
        while j < len(exits) and want < len(STEPS):
            t2, c2, p2, tid2, nr2 = exits[j]
            s = STEPS[want]
            ok = False
            if s == 'UE read TUN' and p2 in jv and nr2 in READ:
                ue = ue or p2
                ok = p2 == ue
            elif s == 'PC write TUN' and p2 in jv and p2 != ue and nr2 in WRITE:
                pc = pc or p2
                ok = p2 == pc
            elif s in LATER:
                who, calls = LATER[s]
                ok = p2 == {'ue': ue, 'pc': pc, 'server': server, 'client': client}[who] and nr2 in calls
            if p2 == client and nr2 in SEND:
                break
            if ok:
                seq.append((t2, tid2))
                want += 1
            j += 1
        if want == len(STEPS):
            rts += 1
            for k in range(1, len(STEPS)):
                t0, t1, actor = seq[k - 1][0], seq[k][0], seq[k][1]
                steps_time[k].append(t1 - t0)
                actors.setdefault(k, collections.Counter())[actor] += 1
                if detailed:
                    account(threads[actor], t0, t1, parts[k])
            totals.append(seq[-1][0] - seq[0][0])
        i = j
    else:
        i += 1

if not rts:
    sys.exit('no round trip matched')
print('round trips matched: %d (client %d, server %d, UE daemon %s, PC daemon %s)' % (rts, client, server, ue, pc))
print()
print('| step (sys_exit to sys_exit) | p50 us | p90 us | mean us | of the mean: what the step\'s thread did (us) |')
print('|---|---|---|---|---|')
for k in range(1, len(STEPS) + 1):
    d = sorted(steps_time[k] if k < len(STEPS) else totals)
    split = sorted(parts[k].items(), key=lambda kv: -kv[1]) if k < len(STEPS) else []
    text = ', '.join('%s %.1f' % (label, v / rts * 1e6) for label, v in split if v / rts * 1e6 >= 0.1)
    print('| %s | %.1f | %.1f | %.1f | %s |' % (
        '%s -> %s' % (STEPS[k - 1], STEPS[k]) if k < len(STEPS) else 'whole round trip',
        statistics.median(d) * 1e6, d[int(len(d) * 0.9)] * 1e6, sum(d) / len(d) * 1e6, text))
if not detailed:
    sys.exit(0)

# system calls per round trip of each daemon thread over the matched span
span0 = None
span1 = None
for ts, c, p, tid, nr in exits:
    if p == client and nr in SEND:
        span0 = ts if span0 is None else span0
        span1 = ts
print()
print('| daemon thread | calls per round trip (on-CPU us per call, median) | off the CPU per round trip |')
print('|---|---|---|')
for t in sorted(threads.values(), key=lambda t: (t.pid, t.tid)):
    if t.pid not in (ue, pc) or not t.calls:
        continue
    per = collections.defaultdict(list)
    for c_in, c_out, nr, ret in t.calls:
        if span0 <= c_in <= span1:
            label = name(nr) + (' (nothing)' if ret <= 0 and nr in READ | RECV else '')
            per[label].append(c_out - c_in)
    if sum(len(v) for v in per.values()) < rts:
        continue
    text = ', '.join('%s %.2f (%.1f)' % (label, len(v) / rts, statistics.median(v) * 1e6)
                     for label, v in sorted(per.items(), key=lambda kv: -len(kv[1])))
    inside = [(min(o[1], span1) - max(o[0], span0), o[2].startswith('R')) for o in t.off if o[1] > span0 and
              o[0] < span1]
    asleep = sum(d for d, runnable in inside if not runnable)
    runnable = sum(d for d, runnable in inside if runnable)
    switches = sum(1 for o in t.off if span0 <= o[0] <= span1)
    print('| %s %s (%s) | %s | asleep %.1f us, runnable %.1f us, %.2f switches |' % (
        'UE' if t.pid == ue else 'PC', t.tid, t.comm.strip(), text, asleep / rts * 1e6, runnable / rts * 1e6,
        switches / rts))
