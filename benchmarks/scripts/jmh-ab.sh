#!/usr/bin/env bash
# Interleaved A/B JMH pairs on a noisy machine: runs the same JMH arguments against a baseline jar (A) and a
# candidate jar (B), alternating A B A B ..., one CSV per run, then prints per benchmark the median, min and max of
# the pairwise throughput ratios B/A and the median B/op (gc.alloc.rate.norm, needs -prof gc) of each side.
#
# usage: benchmarks/scripts/jmh-ab.sh A.jar B.jar PAIRS OUTDIR [JMH arguments...]
# e.g.   benchmarks/scripts/jmh-ab.sh /tmp/base/benchmarks.jar benchmarks/target-bench/benchmarks.jar 3 /tmp/ab \
#            'ProtectBenchmark.protect$' -p suite=HMAC_SHA1_96_NULL -p payload=64 -f 1 -wi 4 -w 1s -i 3 -r 1s -prof gc
# JAVA selects the JVM (default: java on the PATH). Run it under the shared lock: flock /tmp/esp4j-heavy.lock ...
set -euo pipefail
if [ $# -lt 4 ]; then
    sed -n '2,9p' "$0" >&2
    exit 2
fi
a=$1 b=$2 pairs=$3 out=$4
shift 4
java=${JAVA:-java}
mkdir -p "$out"
for i in $(seq 1 "$pairs"); do
    for side in A B; do
        jar=$a
        [ "$side" = B ] && jar=$b
        "$java" -jar "$jar" "$@" -rf csv -rff "$out/$side-$i.csv" > "$out/$side-$i.log" 2>&1 ||
            { echo "run $side-$i failed, see $out/$side-$i.log" >&2; exit 1; }
    done
done
python3 - "$out" "$pairs" <<'PY'
import csv, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
def load(path):
    scores, alloc = {}, {}
    with open(path) as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        params = " ".join(f"{k[7:]}={v}" for k, v in sorted(r.items()) if k.startswith("Param: ") and v)
        name = r["Benchmark"]
        if ":" in name:
            if name.endswith(":gc.alloc.rate.norm"):
                alloc[(name.split(":")[0], params)] = float(r["Score"])
        else:
            scores[(name, params)] = (float(r["Score"]), r["Unit"])
    return scores, alloc
runs = {(s, i): load(f"{out}/{s}-{i}.csv") for s in "AB" for i in range(1, pairs + 1)}
print(f"| benchmark | params | A median | B median | unit | B/A median | B/A min | B/A max | B/op A | B/op B |")
print("|---|---|---:|---:|---|---:|---:|---:|---:|---:|")
for key in sorted(runs[("A", 1)][0]):
    a = [runs[("A", i)][0][key][0] for i in range(1, pairs + 1)]
    b = [runs[("B", i)][0][key][0] for i in range(1, pairs + 1)]
    ratios = [y / x for x, y in zip(a, b)]
    alloc = lambda s: statistics.median(runs[(s, i)][1].get(key, float("nan")) for i in range(1, pairs + 1))
    print(f"| {key[0].rsplit('.', 2)[-2]}.{key[0].rsplit('.', 1)[-1]} | {key[1]} | {statistics.median(a):.3f} | "
          f"{statistics.median(b):.3f} | {runs[('A', 1)][0][key][1]} | {statistics.median(ratios):.3f} | "
          f"{min(ratios):.3f} | {max(ratios):.3f} | {alloc('A'):.1f} | {alloc('B'):.1f} |")
PY
