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
  # warm: each protected re-REGISTER (CSeq 3..) to its 200 OK, from the UE's ladder (ms since the first message)
  warm="$(awk '/ms  UE sent .* REGISTER \(([3-9]|[1-9][0-9]+) REGISTER\)/ { match($0, /\(([0-9]+) REGISTER\)/, c); t[c[1]] = $1 }
               /ms  UE got .* 200 OK \(([3-9]|[1-9][0-9]+) REGISTER\)/ { match($0, /\(([0-9]+) REGISTER\)/, c); if (c[1] in t) printf "%.0f ", $1 - t[c[1]] }' "$out")"
  echo "run $run: wall ${wall} ms (launcher incl.); ${timing#timing: }; warm re-REGISTER to 200 OK (ms): ${warm}"
  rm -f "$out"
done
