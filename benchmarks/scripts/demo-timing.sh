#!/usr/bin/env bash
# Wall time of `esp4j demo` split into lab set-up, JVM start (daemons and P-CSCF ready) and the exchange, and the
# time from the first REGISTER to its 200 OK (cold daemons and sims) and of the re-registrations (warm), over RUNS
# runs. Root; run it under the shared lock: flock /tmp/esp4j-heavy.lock benchmarks/scripts/demo-timing.sh [RUNS] [ARGS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${1:-5}"
shift || true
for run in $(seq 1 "$runs"); do
  out="$(mktemp)"
  start=$(date +%s%N)
  "$here/esp4j" demo --reregister 3 --deregister "$@" >"$out" 2>&1 || { echo "run $run failed:"; tail -5 "$out"; }
  wall=$(( ($(date +%s%N) - start) / 1000000 ))
  timing="$(grep '^timing:' "$out" || true)"
  # warm: each protected REGISTER after the first (CSeq 3..: re-registrations, then the de-registration) to its
  # 200 OK, from the UE's ladder; checked against a saved demo output (the lock was busy at the end)
  warm="$(awk 'match($0, /\([0-9]+ REGISTER\)/) {
                 n = substr($0, RSTART + 1, RLENGTH - 11) + 0
                 if (n < 3) next
                 if ($0 ~ /ms  UE sent / && $0 ~ /  REGISTER \(/) t[n] = $1
                 else if ($0 ~ /ms  UE got / && $0 ~ /200 OK \(/ && (n in t)) printf "%.0f ", $1 - t[n]
               }' "$out")"
  echo "run $run: wall ${wall} ms (launcher incl.); ${timing#timing: }; warm re-REGISTER to 200 OK (ms): ${warm}"
  rm -f "$out"
done
