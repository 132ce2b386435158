#!/usr/bin/env python3
"""Where a farm registration's time goes, from the two daemons' logs (ue-farm.sh, KEEP_LOGS=1).

    farm-timeline.py DAEMON-UE.LOG DAEMON-PC.LOG [NFT-UE.LOG NFT-PC.LOG]

Every sip-bridge event line carries a timestamp and the UE's IMPI. For each UE this takes the first time of each step
of the registration as the two daemons saw it, in the order the messages pass them, and prints, per step, the p50 /
p99 / max of the time since the step before over all UEs that reached both:

    ue  SECURITY_CLIENT_RECORDED   REGISTER (unprotected) leaves the UE side
    pc  SECURITY_CLIENT_RECORDED   ... reaches the P-CSCF side
    pc  TEMPORARY_SET_CREATED      the 401 leaves the P-CSCF sim; its SAs are in the P-CSCF daemon's SAD (then held
                                   until the host enforces them)
    ue  TEMPORARY_SET_CREATED      the 401 reaches the UE side; its SAs are in the UE daemon's SAD (held likewise)
    ue  DIGEST_VERIFIED            the protected REGISTER leaves the UE side (the farm got the 401 and answered)
    pc  DIGEST_VERIFIED            ... reaches the P-CSCF side
    pc  SET_ESTABLISHED            the 200 OK leaves the P-CSCF sim
    ue  SET_ESTABLISHED            ... reaches the UE side

and the same for the de-registration (ue/pc SECURITY_CLIENT_RECORDED "re-registration", pc then ue DEREGISTERED).
Also the events per second of each side over the run, and, with the nft trace logs of ue-farm.sh's TRACE_NFT=1
(one line per `nft -f` run: start and end in ns since the epoch, script lines), the number of runs, their durations
and the share of the wall time an nft process was running on each side: the host changes one conductor batch costs.
"""
import re
import sys
from datetime import datetime

LINE = re.compile(r"^(\S+) esp4j\[[^]]*\] sip-bridge: ([A-Z_]+): (.*)\[impi=([^ @]+)")
REGISTER_STEPS = [("ue", "SECURITY_CLIENT_RECORDED"), ("pc", "SECURITY_CLIENT_RECORDED"),
                  ("pc", "TEMPORARY_SET_CREATED"), ("ue", "TEMPORARY_SET_CREATED"),
                  ("ue", "DIGEST_VERIFIED"), ("pc", "DIGEST_VERIFIED"),
                  ("pc", "SET_ESTABLISHED"), ("ue", "SET_ESTABLISHED")]
DEREGISTER_STEPS = [("ue", "RE_REGISTER"), ("pc", "RE_REGISTER"), ("pc", "DEREGISTERED"), ("ue", "DEREGISTERED")]


def seconds(stamp):
    # 2026-12-07T06:59:17.397873949Z: keep microseconds for datetime, the date part is the same for a run
    day, frac = stamp.rstrip("Z").split(".")
    return datetime.fromisoformat(day).timestamp() + float("0." + frac)


def read(path, side, first, per_second):
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            t = seconds(m.group(1))
            event = m.group(2)
            if event == "SECURITY_CLIENT_RECORDED" and m.group(3).startswith("re-registration"):
                event = "RE_REGISTER"
            first.setdefault((m.group(4), side, event), t)
            per_second.setdefault(side, {}).setdefault(int(t), 0)
            per_second[side][int(t)] += 1


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def steps(first, impis, names, title):
    print(title)
    print("| step | UEs | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for before, after in zip(names, names[1:]):
        deltas = [(first[(i,) + after] - first[(i,) + before]) * 1000 for i in impis
                  if (i,) + before in first and (i,) + after in first]
        if deltas:
            print("| %s %s -> %s %s | %d | %.1f | %.1f | %.1f |" % (before + after + (len(deltas), pct(deltas, 0.5),
                                                                  pct(deltas, 0.99), max(deltas))))
    total = [(first[(i,) + names[-1]] - first[(i,) + names[0]]) * 1000 for i in impis
             if (i,) + names[0] in first and (i,) + names[-1] in first]
    if total:
        print("| whole | %d | %.1f | %.1f | %.1f |" % (len(total), pct(total, 0.5), pct(total, 0.99), max(total)))
    print()


def nft(path, side):
    runs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                runs.append((int(parts[0]), int(parts[1]), int(parts[2])))
    if not runs:
        print("nft %s: no runs" % side)
        return
    durations = [(end - start) / 1e6 for start, end, _ in runs]
    wall = (max(e for _, e, _ in runs) - min(s for s, _, _ in runs)) / 1e9
    print("nft %s: %d runs over %.1f s, %.1f ms p50 / %.1f ms p99 / %.1f ms max, %.1f s busy (%.0f %% of the wall "
          "time), script lines p50 %d max %d" % (side, len(runs), wall, pct(durations, 0.5), pct(durations, 0.99),
                                                 max(durations), sum(durations) / 1000,
                                                 100 * sum(durations) / 1000 / max(wall, 1e-9),
                                                 pct([n for _, _, n in runs], 0.5), max(n for _, _, n in runs)))


def main(argv):
    first, per_second = {}, {}
    read(argv[1], "ue", first, per_second)
    read(argv[2], "pc", first, per_second)
    impis = sorted({k[0] for k in first})
    steps(first, impis, REGISTER_STEPS, "Registration, per step (time since the step before):")
    steps(first, impis, DEREGISTER_STEPS, "De-registration, per step:")
    for side in ("ue", "pc"):
        counts = sorted(per_second.get(side, {}).values())
        if counts:
            print("%s: sip-bridge events/s over %d busy seconds: p50 %d, max %d" % (side, len(counts),
                                                                                  pct(counts, 0.5), counts[-1]))
    for path, side in zip(argv[3:5], ("ue", "pc")):
        nft(path, side)


if __name__ == "__main__":
    main(sys.argv)
