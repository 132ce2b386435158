#!/usr/bin/env bash
# Interleaved A/B JMH pairs on a noisy machine: runs the same JMH arguments against a baseline jar (A) and a
# candidate jar (B), alternating A B A B ..., one CSV per run, then prints per benchmark the medians and the median,
# min and max of the pairwise ratios B/A of the score (in the benchmark's unit) and of CPU time per op (cpu.ns/op, needs
# -prof org.esp4j.benchmarks.WorkerCpuProfiler), and the median B/op (gc.alloc.rate.norm, needs -prof gc).
#
# usage: benchmarks/scripts/jmh-ab.sh A.jar B.jar PAIRS OUTDIR [JMH arguments...]
# e.g.   benchmarks/scripts/jmh-ab.sh /tmp/base/benchmarks.jar benchmarks/target-bench/benchmarks.jar 3 /tmp/ab \
#            'ProtectBenchmark.protect$' -p suite=HMAC_SHA1_96_NULL -p payload=64 -f 1 -wi 8 -w 1s -i 5 -r 1s \
#            -prof gc -prof org.esp4j.benchmarks.WorkerCpuProfiler
# JAVA selects the JVM (default: java on the PATH). Run it under the shared lock: flock /tmp/esp4j-heavy.lock ...
set -euo pipefail
if [ $# -lt 4 ]; then
    sed -n '2,11p' "$0" >&2
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
units = {}
def load(path):
    scores, secondary = {}, {}
    with open(path) as f:
        for r in csv.DictReader(f):
            params = " ".join(f"{k[7:]}={v}" for k, v in sorted(r.items()) if k.startswith("Param: ") and v)
            name = r["Benchmark"]
            if ":" in name:
                primary, metric = name.split(":", 1)
                secondary[(primary, params, metric)] = float(r["Score"])
            else:
                scores[(name, params)] = float(r["Score"])
                units[name] = r["Unit"]
    return scores, secondary
runs = {(s, i): load(f"{out}/{s}-{i}.csv") for s in "AB" for i in range(1, pairs + 1)}
def series(side, key, metric=None):
    return [runs[(side, i)][0][key] if metric is None else runs[(side, i)][1].get(key + (metric,), float("nan"))
            for i in range(1, pairs + 1)]
def ratios(key, metric=None):
    return [b / a for a, b in zip(series("A", key, metric), series("B", key, metric))]
cpu = "cpu.ns/op"
print("| benchmark | params | unit | A | B | B/A (min-max) | CPU ns/op A | CPU ns/op B | CPU B/A (min-max) "
      "| B/op A | B/op B |")
print("|---|---|---|---:|---:|---|---:|---:|---|---:|---:|")
med = statistics.median
for key in sorted(runs[("A", 1)][0]):
    tr, cr = ratios(key), ratios(key, cpu)
    print(f"| {'.'.join(key[0].rsplit('.', 2)[-2:])} | {key[1]} | {units[key[0]]} | {med(series('A', key)):.3f} | "
          f"{med(series('B', key)):.3f} | {med(tr):.2f} ({min(tr):.2f}-{max(tr):.2f}) | "
          f"{med(series('A', key, cpu)):.0f} | {med(series('B', key, cpu)):.0f} | "
          f"{med(cr):.2f} ({min(cr):.2f}-{max(cr):.2f}) | {med(series('A', key, 'gc.alloc.rate.norm')):.1f} | "
          f"{med(series('B', key, 'gc.alloc.rate.norm')):.1f} |")
PY
