#!/usr/bin/env bash
# N UEs through two daemons (issue 14): `esp4j sim ue --ues N` behind a UE-role daemon and `esp4j sim pcscf --ues N`
# behind a P-CSCF-role daemon, in two namespaces joined by a veth, the UEs on PREFIX (a /64 on the UE's veth), every
# UE with its own subscriber derived from TS 35.208 test set 1, which both daemons know from the same subscriber file
# (sip.subscribers). For each N in SIZES: register all, measure while registered, de-register all, check that nothing
# is left.
#
#   sudo benchmarks/scripts/ue-farm.sh                 # SIZES="100 1000 10000"
#   sudo SIZES=200 RATE=0 CONCURRENCY=200 benchmarks/scripts/ue-farm.sh
#
# Environment:
#   SIZES        UE counts ("100 1000 10000")            RATE         registrations started per s, 0: no limit (0)
#   CONCURRENCY  procedures in flight at most, over all shards (200)
#   TRANSPORT    udp|tcp|size: RFC 3261 by size (size)
#   SHARDS       farm processes (sim ue --shard I/S) for every N; default: as many as the open-files limit needs
#                (a UE over TCP holds up to 6 descriptors: at most (limit - 1,000) / 6 UEs per process, 3,166 under
#                the 20,000 of this container), RATE and CONCURRENCY split among them. Each shard registers with
#                a P-CSCF sim of its own (2001:db8:ff::2, ::3, ...; all behind the one P-CSCF daemon), as the
#                P-CSCF sim holds up to 3 connections per UE over TCP
#   CARRIER      raw|udp (raw)                             JAVA         java executable (java)
#   ESP4J_JAR    the jar (cli/target/esp4j.jar, built if missing)
#   KEEP_LOGS    1: keep the work directory with every log (0)
#   SIM_JVM      extra JVM options of the two simulators (none; e.g. -XX:TieredStopAtLevel=1: C1 only)
#   WARMUP       K: before the measured round, K warm-up rounds through the same daemons and P-CSCF sims: the same
#                N subscribers from other addresses (round W on PREFIX_BASE:N:W::/80, the measured round then on
#                PREFIX_BASE:N:K+1::/80) register and de-register, in farm processes of their own, each round once the
#                last one's SAs and lingering policies are gone. The table and the CPU table get one row for each
#                round: the measured round runs on warm daemons and warm P-CSCF sims (its farm JVMs are new: their JIT
#                is its own column), and each of its registrations still does AKA, sec-agree and 4 new SAs on each
#                side (0)
#   SUSTAIN      S: sustained load instead of one registration per UE: the farm (sim ue --sustain S) de-registers
#                each UE once it is registered and registers it again (AKA, sec-agree, 4 new SAs each side), for S
#                seconds, with CONCURRENCY in flight; registrations/s is then read over the last WINDOW seconds of
#                it (from the farm's progress lines; its S seconds start at its first REGISTER, which each shard
#                prints, the latest of the shards' taken), and the CPU table's "steady window" rows cover the same window.
#                The table's SA, memory, state add and nft columns are not measured then (the farm de-registers by
#                the time they would be). (0: off)
#   WINDOW       the steady window in seconds (60; at most SUSTAIN / 2)
#   DAEMON_JAVA  java executable of the two daemons ($JAVA)
#   DAEMON_JVM   the daemons' JVM options ("-Xms32m -Xmx1g -XX:+UseSerialGC"); %side becomes ue or pc (a file per
#                daemon, e.g. -XX:AOTCacheOutput=/tmp/esp4j-%side.aot)
#   JFR          1: a JFR recording (settings=profile) of each daemon and P-CSCF sim over the measured round's
#                registration phase, kept in the work directory as jfr-NAME.jfr (with KEEP_LOGS=1) (0)
#   PERF         1: `perf record -g` (999 Hz) of both daemons over the measured round's registration phase, the daemons
#                with -XX:+PreserveFramePointer and their JIT's symbols (jcmd Compiler.perfmap, /tmp/perf-PID.map), kept
#                as perf-SIDE-N.data (with KEEP_LOGS=1; `perf report -i FILE --no-children`) (0)
#   LOG_LEVEL    the daemons' log.level: error|warn|info|debug (info)
#   TRACE_NFT    1: the daemons run nft through a wrapper that logs each run's start, end and script lines
#                (nft-SIDE-N.log; adds a shell start, ~2 ms, to each run) (0)
#   TIMEOUT      seconds the farm may take for everything: registration, the measurements, de-registration
#                (300 + N / 4: at the ~12 registrations/s of a daemon that serialises held messages behind nft, 10,000
#                UEs take ~14 min each way; what is not done by then fails)
# Needs: root, iproute2, nftables, a JDK 17+.
#
# Reported per N (from the farm's summary and from outside the daemons):
#   shards           farm processes
#   registrations/s  N over the time from the first REGISTER to the last UE's registration (AKA, 4 SAs each side),
#                    over all shards (their wall clocks);
#   time-to-200      first REGISTER to the 200 OK of the protected REGISTER, p50/p99/max over every UE of every
#                    shard (the farms' clocks);
#   failed, retrans  summed over the shards (failures by reason on stderr);
#   SAs, policies    `xfrm state count` / `xfrm policy count` of each daemon while all are registered;
#   RSS, heap        each daemon's VmRSS and its heap after a full GC (jcmd GC.heap_info), per SA;
#   state add        p50/p99 of 20 `xfrm state add` round trips (each undone by `state del`) on the P-CSCF daemon's
#                    control socket (a python client, no JVM start);
#   nft sizes        exact6: IPv6 exact elements of the inbound filter (its sets accept6, mismatch6, block6), and
#                    elements in spis (packet ring), each side;
#   fds farm/pcscf   most open descriptors of one farm process and of one P-CSCF sim while all are registered;
#   left             SAs, policies and nft elements left 40 s after the de-registration (policies linger 32 s).
# and, after the table, where the CPU of the registration phase went (cpu_phase_begin / cpu_phase_end): user+sys of
# each of the four JVMs (from /proc/PID/stat, all threads; the farm's from its start, JVM start-up included), of the
# daemons' reaped children (`ip`, and `nft` where it runs as a child: cutime+cstime), the JIT compiler and GC threads inside each JVM, and the
# machine's softirq, system and total busy time (/proc/stat: everything on the machine, other users' work included),
# each in seconds and in ms per registration; once for the whole phase (cold JVMs: JIT compilation included) and
# once for its second half (from the farm's first progress line with N/2 registered: warmer JVMs), or with SUSTAIN
# for the steady window. Then the daemons' start-up: from their launch to both logging ESP4J-READY.
set -euo pipefail

SIZES=${SIZES:-"100 1000 10000"}
RATE=${RATE:-0}
CONCURRENCY=${CONCURRENCY:-200}
TRANSPORT=${TRANSPORT:-size}
CARRIER=${CARRIER:-raw}
JAVA=${JAVA:-java}
KEEP_LOGS=${KEEP_LOGS:-0}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ESP4J_JAR=${ESP4J_JAR:-$ROOT/cli/target/esp4j.jar}
TAG=${TAG:-$$}
UENS=esp4j-farmu-$TAG
PCNS=esp4j-farmp-$TAG
UEVETH=fu$TAG
PCVETH=fp$TAG
UE=2001:db8:ff::1
PCSCF=2001:db8:ff::2
PREFIX_BASE=2001:db8:4701  # each size its own /64 (PREFIX_BASE:N::/64): no TCP TIME_WAIT of the last size in the way
WORK=$(mktemp -d /tmp/esp4j-farm-XXXXXX)
JVM_ARGS="--add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -XX:+IgnoreUnrecognizedVMOptions"
DAEMON_JVM=${DAEMON_JVM-"-Xms32m -Xmx1g -XX:+UseSerialGC"}
DAEMON_JAVA=${DAEMON_JAVA:-$JAVA}
TRACE_NFT=${TRACE_NFT:-0}
LOG_LEVEL=${LOG_LEVEL:-info}
SIM_JVM=${SIM_JVM-}
WARMUP=${WARMUP:-0}
SUSTAIN=${SUSTAIN:-0}
WINDOW=${WINDOW:-60}
[ "$SUSTAIN" != 0 ] && [ "$WINDOW" -gt $((SUSTAIN / 2)) ] && WINDOW=$((SUSTAIN / 2))
JFR=${JFR:-0}
PERF=${PERF:-0}
[ "$PERF" = 1 ] && DAEMON_JVM="$DAEMON_JVM -XX:+PreserveFramePointer"

# A UE over TCP holds up to six sockets (UDP port-c and port-s, a TCP listener, three connections)
ulimit -Hn 262144 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
if [ ! -f "$ESP4J_JAR" ]; then
  (cd "$ROOT" && mvn -q -B -o -pl cli -am package -DskipTests)
fi
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$UENS" 2>/dev/null || true
  ip netns del "$PCNS" 2>/dev/null || true
  rm -f /dev/shm/esp4j-farm-"$TAG"-*
  [ "$KEEP_LOGS" = 1 ] && echo "logs: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

esp4j_bg() { # NS ARGS...: the esp4j command line in a namespace; only as a background job (`esp4j_bg ... &`): exec
  # makes $! the JVM itself, so that the kill at the end of each size reaches it
  local ns=$1; shift
  exec ip netns exec "$ns" "$JAVA" $JVM_ARGS $SIM_JVM -cp "$ESP4J_JAR" org.esp4j.cli.Esp4jMain "$@"
}
ctl() { # SIDE ARGS...: a control-socket command to that side's daemon (python3: no JVM start per command)
  local side=$1; shift
  python3 "$WORK/ctl.py" "$WORK/$side.sock" "$@"
}
cat > "$WORK/ctl.py" <<'PY'
import socket, sys, time
def call(path, words):
    line = " ".join("'" + w + "'" for w in words) + "\n"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(line.encode())
    data = b"".join(iter(lambda: s.recv(65536), b""))
    s.close()
    lines = data.decode().splitlines()
    if not lines or lines[-1] != "ok":
        sys.exit("error: " + (lines[-1] if lines else "no answer"))
    return [l[1:] if l.startswith(".") else l for l in lines[:-1]]
if sys.argv[2] == "--time":
    # --time N ADD... -- DEL...: round trips of ADD (SPI 0x7f000000+i put in for SPI), each undone by DEL
    n = int(sys.argv[3]); rest = sys.argv[4:]; cut = rest.index("--")
    add, dele = rest[:cut], rest[cut + 1:]
    times = []
    for i in range(n):
        spi = str(0x7f000000 + i)
        a = [spi if w == "SPI" else w for w in add]; d = [spi if w == "SPI" else w for w in dele]
        t0 = time.perf_counter(); call(sys.argv[1], a); times.append((time.perf_counter() - t0) * 1000)
        call(sys.argv[1], d)
    times.sort()
    print("%.1f %.1f" % (times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]))
else:
    print("\n".join(call(sys.argv[1], sys.argv[2:])))
PY
await() { # FILE TEXT SECONDS
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { echo "timeout waiting for '$2' in $1" >&2; tail -20 "$1" >&2; return 1; }
    sleep 0.2
  done
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
heap_kb() { # PID: heap used after a full GC
  jcmd "$1" GC.run >/dev/null 2>&1 || true
  # every generation's "used" (SerialGC: def new + tenured), in KB
  jcmd "$1" GC.heap_info 2>/dev/null | awk '/generation/ {for (i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); sub("K,?","",v); t+=v}} END {print t+0}'
}
EXACT6=accept6,mismatch6,block6   # the inbound filter's IPv6 exact elements: one set per verdict
nft_elements() { # NS NAME[,NAME...]: elements in these maps or sets, 0 when absent
  ip netns exec "$1" nft -j list ruleset 2>/dev/null | python3 -c '
import json, sys
names = sys.argv[1].split(",")
doc = json.load(sys.stdin)
n = 0
for item in doc.get("nftables", []):
    for kind in ("map", "set"):
        if kind in item and item[kind].get("name") in names:
            n += len(item[kind].get("elem", []))
print(n)' "$2"
}
java_pid() { # NS NAME-FRAGMENT: the JVM of that daemon
  pgrep -f "Esp4jMain run --config $WORK/$1.conf" | head -1
}

# CPU of the registration phase, per process (h2, issue 14). cpu_phase_begin NAME=PID... before the farm starts,
# cpu_phase_end after its registration phase; cpu_phase_end appends one markdown row per process to CPU_ROWS.
CLK_TCK=$(getconf CLK_TCK)
CPU_ROWS=""
cpu_ticks() { # PID: "utime stime cutime cstime jit gc" in clock ticks (fields after the comm's closing parenthesis)
  local pid=$1 t j=0 g=0 comm f v
  t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12, $13, $14, $15}') || t="0 0 0 0"
  for f in /proc/"$pid"/task/*; do
    comm=$(cat "$f/comm" 2>/dev/null) || continue
    v=$(sed 's/.*) //' "$f/stat" 2>/dev/null | awk '{print $12 + $13}') || v=0 # a thread may end meanwhile
    case "$comm" in
      C1\ Compiler*|C2\ Compiler*) j=$((j + ${v:-0})) ;;
      GC\ Thread*|VM\ Thread|G1*) g=$((g + ${v:-0})) ;;
    esac
  done
  echo "${t:-0 0 0 0} $j $g"
}
machine_ticks() { # "busy system softirq" of all CPUs (/proc/stat: user nice system idle iowait irq softirq steal)
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $4, $8}' /proc/stat
}
declare -A CPU_BEGIN CPU_HALF
cpu_phase_begin() { # NAME=PID...
  local kv
  CPU_PROCS=("$@")
  for kv in "$@"; do CPU_BEGIN[${kv%%=*}]=$(cpu_ticks "${kv#*=}"); done
  CPU_BEGIN[machine]=$(machine_ticks)
  CPU_T0=$(date +%s.%N)
}
cpu_phase_await() { # N FARM-LOG TIMEOUT: wait for the registration phase's end, taking the half-way snapshot on the
  # way (CPU_HALF, CPU_HALF_REG registered then, CPU_T1); returns 1 on timeout. With SUSTAIN, the snapshot starts the
  # steady window instead: at the first progress line of every shard WINDOW s before the sustained load ends, taken
  # as the line appears, CPU_HALF_REG the registrations of every shard so far (each shard's line of the same second).
  # The window is anchored on the farm's own start (each shard's "farm: first REGISTER at EPOCH-MS", the latest of
  # them), where its SUSTAIN seconds begin: not on this function's start, which is before the farm JVMs' start-up
  local n=$1 log=$2 deadline=$((SECONDS + $3)) kv reg lines f first
  local window_at_ms="" farm_start_ms
  CPU_HALF_REG=""
  until grep -q "farm: registration phase over\|sim ue: FAILED" "$log" 2>/dev/null; do
    [ $SECONDS -ge "$deadline" ] && { echo "timeout waiting for the registration phase in $log" >&2; return 1; }
    if [ "$SUSTAIN" != 0 ] && [ -z "$window_at_ms" ]; then
      farm_start_ms=0
      for f in "${log%-1.log}"-[0-9]*.log; do
        first=$(sed -n 's/^farm: first REGISTER at \([0-9]*\)$/\1/p' "$f" 2>/dev/null | head -1)
        [ -z "$first" ] && { farm_start_ms=""; break; }
        [ "$first" -gt "$farm_start_ms" ] && farm_start_ms=$first
      done
      [ -n "$farm_start_ms" ] && window_at_ms=$((farm_start_ms + (SUSTAIN - WINDOW) * 1000))
    fi
    if [ "$SUSTAIN" != 0 ] && [ -z "$CPU_HALF_REG" ] && [ -n "$window_at_ms" ] && [ "$(date +%s%3N)" -ge "$window_at_ms" ]; then
      lines=$(grep -c "registrations at" "$log" 2>/dev/null || true)
      until [ "$(grep -c "registrations at" "$log" 2>/dev/null || true)" -gt "$lines" ]; do sleep 0.02; done
      for kv in "${CPU_PROCS[@]}"; do CPU_HALF[${kv%%=*}]=$(cpu_ticks "${kv#*=}"); done
      CPU_HALF[machine]=$(machine_ticks)
      CPU_T1=$(date +%s.%N)
      CPU_HALF_REG=0
      for f in "${log%-1.log}"-[0-9]*.log; do
        reg=$(sed -n 's/.* \([0-9]*\) registrations at [0-9]*$/\1/p' "$f" | tail -1)
        CPU_HALF_REG=$((CPU_HALF_REG + ${reg:-0}))
      done
    fi
    if [ "$SUSTAIN" = 0 ] && [ -z "$CPU_HALF_REG" ]; then
      reg=$(sed -n 's/^farm: \([0-9]*\)\/[0-9]* registered.*/\1/p' "$log" 2>/dev/null | tail -1)
      if [ "${reg:-0}" -ge $((n / 2)) ]; then
        for kv in "${CPU_PROCS[@]}"; do CPU_HALF[${kv%%=*}]=$(cpu_ticks "${kv#*=}"); done
        CPU_HALF[machine]=$(machine_ticks)
        CPU_HALF_REG=$reg
        CPU_T1=$(date +%s.%N)
      fi
    fi
    sleep 0.2
  done
}
cpu_phase_end() { # N REGISTERED: rows for the phase since cpu_phase_begin, and for its second half
  cpu_rows "$1" "$2" "${ROUND_LABEL}whole" CPU_BEGIN "$CPU_T0"
  WINDOW_RATE=""
  if [ -n "$CPU_HALF_REG" ] && [ "${2:-0}" -gt "$CPU_HALF_REG" ] 2>/dev/null; then
    local part="2nd half"
    if [ "$SUSTAIN" != 0 ]; then
      part="steady window"
      WINDOW_RATE=$(echo "($2 - $CPU_HALF_REG) / ($(date +%s.%N) - $CPU_T1)" | bc -l | xargs printf %.0f)
    fi
    cpu_rows "$1" $(($2 - CPU_HALF_REG)) "${ROUND_LABEL}$part" CPU_HALF "$CPU_T1"
  fi
}
cpu_rows() { # N REGISTERED PART SNAPSHOT-ARRAY T0
  local n=$1 reg=$2 part=$3 t0=$5 kv name a b wall
  local -n since=$4
  [ "${reg:-0}" -gt 0 ] 2>/dev/null || reg=1
  wall=$(echo "$(date +%s.%N) - $t0" | bc)
  ms() { echo "scale=2; $1 * 1000 / $CLK_TCK / $reg" | bc; }
  s() { echo "scale=1; $1 / $CLK_TCK" | bc; }
  local sum=0
  for kv in "${CPU_PROCS[@]}"; do
    name=${kv%%=*}
    if [ ! -d "/proc/${kv#*=}" ]; then # a sustained farm de-registers and ends on its own, maybe before this
      CPU_ROWS+="| $n | $part, $reg reg | $name | ended before it was read | | | | |"$'\n'
      continue
    fi
    read -r u0 s0 cu0 cs0 j0 g0 <<< "${since[$name]}"
    read -r u1 s1 cu1 cs1 j1 g1 <<< "$(cpu_ticks "${kv#*=}")"
    a=$((u1 - u0)); b=$((s1 - s0))
    sum=$((sum + a + b + cu1 - cu0 + cs1 - cs0))
    CPU_ROWS+="| $n | $part, $reg reg | $name | $(s $a) + $(s $b) | $(ms $((a + b))) | $(ms $((j1 - j0))) | $(ms $((g1 - g0))) | $(ms $((cu1 - cu0 + cs1 - cs0))) |"$'\n'
  done
  read -r mb0 ms0 mq0 <<< "${since[machine]}"
  read -r mb1 ms1 mq1 <<< "$(machine_ticks)"
  CPU_ROWS+="| $n | $part, $reg reg | these processes and their children | | $(ms $sum) | | | |"$'\n'
  CPU_ROWS+="| $n | $part, $reg reg | machine: busy / system / softirq, ${wall%.*} s | $(s $((mb1 - mb0))) / $(s $((ms1 - ms0))) / $(s $((mq1 - mq0))) | $(ms $((mb1 - mb0))) / $(ms $((ms1 - ms0))) / $(ms $((mq1 - mq0))) | | | |"$'\n'
}

farm_round() { # FARM-PREFIX HOLD-FILE: start the farm shards (files tagged $RUN) and wait for their registration
  # phase, with the CPU table's rows for it (labelled $ROUND_LABEL)
  cpu_phase_begin "daemon-ue=$(java_pid ue)" "daemon-pc=$(java_pid pc)" "${sim_pcscfs[@]}"
  FARMS=()
  shard_rate=$RATE; [ "$RATE" != 0 ] && shard_rate=$(( (RATE + shards - 1) / shards ))
  for i in $(seq 1 "$shards"); do
    esp4j_bg "$UENS" sim ue --ues "$N" --shard "$i/$shards" --times "$WORK/times-$RUN-$i" --ue-prefix "$1" \
      --ue-dev "$UEVETH" --ue "$UE" --pcscf "${PCSCFS[$((i - 1))]}" --subscriber "$SUBS" "${transport_opt[@]}" --rate "$shard_rate" \
      --concurrency $(( (CONCURRENCY + shards - 1) / shards )) "${3:---hold}" "${4:-$2}" --timeout "$FARM_TIMEOUT" \
      > "$WORK/farm-$RUN-$i.log" 2>&1 &
    FARMS+=($!)
    PIDS+=($!)
    CPU_PROCS+=("sim-ue-$i=$!"); CPU_BEGIN[sim-ue-$i]="0 0 0 0 0 0"
  done
  # the CPU table's half-way snapshot follows shard 1 (the shards run at the same rate)
  cpu_phase_await "$(( (N + shards - 1) / shards ))" "$WORK/farm-$RUN-1.log" "$FARM_TIMEOUT" || true
  # an estimate for the whole farm (the steady window's count is already over every shard)
  [ -n "$CPU_HALF_REG" ] && [ "$SUSTAIN" = 0 ] && CPU_HALF_REG=$((CPU_HALF_REG * shards))
  for i in $(seq 1 "$shards"); do
    await "$WORK/farm-$RUN-$i.log" "farm: registration phase over\|sim ue: FAILED\|esp4j sim ue:" "$FARM_TIMEOUT" || true
  done
  registered_all=0
  for i in $(seq 1 "$shards"); do
    r=$(sed -n 's/.*registration phase over: \([0-9]*\) registered.*/\1/p' "$WORK/farm-$RUN-$i.log")
    registered_all=$((registered_all + ${r:-0}))
  done
  cpu_phase_end "$N" "$registered_all"
}
summarise() { # RUN: the shards' summaries as one (sets rate ttt failed retrans): rate over the whole window,
  # percentiles over every UE's time-to-200
  read -r rate ttt failed retrans < <(python3 - "$WORK" "$1" "$shards" <<'PY'
import math, re, sys
work, run, shards = sys.argv[1], sys.argv[2], int(sys.argv[3])
n = int(run.split("-")[0])
firsts, lasts, samples, failed, retrans = [], [], [], 0, 0
for i in range(1, shards + 1):
    try:
        lines = open("%s/times-%s-%d" % (work, run, i)).read().split("\n")
        firsts.append(int(lines[1].split()[1])); lasts.append(int(lines[2].split()[1]))
        samples += [int(l) / 1000.0 for l in lines[3:] if l.strip()]
    except (OSError, IndexError, ValueError):
        lasts.append(-1)
    log = open("%s/farm-%s-%d.log" % (work, run, i)).read()
    m = re.findall(r"de-registered, (\d+) failed$", log, re.M)
    if failed >= 0:
        failed = failed + int(m[-1]) if m else -1  # a shard without its summary died: say "?"
    m = re.findall(r"retransmissions (\d+),", log)
    retrans += int(m[-1]) if m else 0
rate = "-"
if lasts and min(lasts) > 0 and firsts and max(lasts) > min(firsts):
    rate = "%.0f" % (n / ((max(lasts) - min(firsts)) / 1000.0))
ttt = "-"
if samples:
    samples.sort()
    pct = lambda p: samples[min(len(samples) - 1, max(0, math.ceil(p * len(samples)) - 1))]
    ttt = "%.1f_/_%.1f_/_%.1f_ms" % (pct(0.50), pct(0.99), samples[-1])
print(rate, ttt, "?" if failed < 0 else failed, retrans)
PY
)
  ttt=${ttt//_/ }
}

ip netns add "$UENS"
ip netns add "$PCNS"
ip -n "$UENS" link set lo up
ip -n "$PCNS" link set lo up
ip -n "$UENS" link add "$UEVETH" type veth peer name "$PCVETH" netns "$PCNS"
ip -n "$UENS" -6 addr add "$UE/128" dev "$UEVETH" nodad
ip -n "$PCNS" -6 addr add "$PCSCF/128" dev "$PCVETH" nodad
ip -n "$UENS" link set "$UEVETH" up
ip -n "$PCNS" link set "$PCVETH" up
ip -n "$UENS" -6 route add "$PCSCF/128" dev "$UEVETH"
ip -n "$PCNS" -6 route add "$UE/128" dev "$PCVETH"
# a packet to a farm address no longer on the UE host (a UE gone) is dropped without a word: else the kernel answers each
# with an ICMPv6 unreachable whose source it picks among all the farm's addresses (O(N) per packet, before the
# per-destination rate limit), in the softirq of the sender, i.e. on the P-CSCF daemon's packet thread (38 % of its CPU
# in a warm run)
ip -n "$UENS" -6 route add blackhole "$PREFIX_BASE::/48"

echo "# ue-farm.sh $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $("$JAVA" -version 2>&1 | head -1), carrier $CARRIER, transport $TRANSPORT, rate $RATE, concurrency $CONCURRENCY"
echo
echo "| N | shards | registrations/s | time-to-200 p50 / p99 / max | failed | retrans | SAs ue/pc | policies ue/pc | RSS MB ue/pc | heap KB/SA ue/pc | state add p50/p99 ms | exact6 ue/pc | spis ue/pc | fds farm/pcscf | left |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for N in $SIZES; do
  shards=${SHARDS:-1}
  if [ -z "${SHARDS:-}" ] && [ "$(ulimit -n)" != unlimited ]; then
    per=$(( ($(ulimit -n) - 1000) / 6 ))
    shards=$(( (N + per - 1) / per ))
  fi
  # one P-CSCF sim (its own address on the P-CSCF's veth) per farm shard
  PCSCFS=(); PC_STEER=()
  for i in $(seq 1 "$shards"); do
    a=2001:db8:ff::$(printf %x $((1 + i)))
    PCSCFS+=("$a"); PC_STEER+=("$a/128")
    ip -n "$PCNS" -6 addr add "$a/128" dev "$PCVETH" nodad 2>/dev/null || true
    ip -n "$UENS" -6 route replace "$a/128" dev "$UEVETH"
  done
  PREFIX=$PREFIX_BASE:$(printf %x "$N")::/64
  ip -n "$PCNS" -6 route add "$PREFIX" via "$UE" dev "$PCVETH"
  SUBS=$WORK/subscribers-$N
  install -m 600 /dev/null "$SUBS"
  printf 'impi = 001010123456789@ims.mnc01.mcc001.3gppnetwork.org\ncount = %s\n' "$N" > "$SUBS"
  daemons_t0=$(date +%s.%N)
  for side in ue pc; do
    steer=$(IFS=,; echo "${PC_STEER[*]}"); role=ue; ring=off
    [ $side = pc ] && { steer=$PREFIX; role=pcscf; ring=auto; }
    install -m 600 /dev/null "$WORK/$side.conf"
    cat > "$WORK/$side.conf" <<CONF
tun.name=esp4j0
carrier=$CARRIER
carrier.ring=$ring
steer=$steer
counters.file=/dev/shm/esp4j-farm-$TAG-$side.counters
control.socket=$WORK/$side.sock
sip.role=$role
sip.subscribers=$SUBS
log.level=$LOG_LEVEL
CONF
    ns=$UENS; [ $side = pc ] && ns=$PCNS
    nft_opt=()
    if [ "$TRACE_NFT" = 1 ]; then
      # one line per run: start ns, end ns, script lines (the daemon runs `nft -f -` with the script on stdin)
      cat > "$WORK/nft-$side" <<NFT
#!/usr/bin/env bash
start=\$(date +%s%N)
if [ "\$*" = "-f -" ]; then script=\$(cat); printf '%s\\n' "\$script" | nft -f -; rc=\$?
else nft "\$@"; rc=\$?; script=; fi
echo "\$start \$(date +%s%N) \$(printf '%s' "\$script" | grep -c .)" >> "$WORK/nft-$side-$N.log"
exit \$rc
NFT
      chmod +x "$WORK/nft-$side"
      nft_opt=(-Desp4j.nft="$WORK/nft-$side")
    fi
    ip netns exec "$ns" "$DAEMON_JAVA" $JVM_ARGS ${DAEMON_JVM//%side/$side} "${nft_opt[@]}" -cp "$ESP4J_JAR" org.esp4j.cli.Esp4jMain run --config "$WORK/$side.conf" \
      > "$WORK/daemon-$side-$N.log" 2>&1 &
    PIDS+=($!)
  done
  transport_opt=(--transport "$TRANSPORT"); [ "$TRANSPORT" = size ] && transport_opt=()
  PCSIMS=()
  for i in $(seq 1 "$shards"); do
    esp4j_bg "$PCNS" sim pcscf --ues "$N" --subscriber "$SUBS" "${transport_opt[@]}" --address "${PCSCFS[$((i - 1))]}" \
      > "$WORK/pcscf-$N-$i.log" 2>&1 &
    PCSIMS+=($!)
    PIDS+=($!)
  done
  await "$WORK/daemon-ue-$N.log" ESP4J-READY 60
  await "$WORK/daemon-pc-$N.log" ESP4J-READY 60
  # both daemons' start (JVM start, TUN, nft tables) to ESP4J-READY, the two JVMs side by side (and the P-CSCF sims)
  STARTUP_ROWS+="| $N | $(echo "$(date +%s.%N) - $daemons_t0" | bc | xargs printf %.1f) s |"$'\n'
  for i in $(seq 1 "$shards"); do await "$WORK/pcscf-$N-$i.log" "sim pcscf: listening" 60; done
  HOLD=$WORK/hold-$N
  FARM_TIMEOUT=${TIMEOUT:-$((300 + N / 4 + SUSTAIN))}
  sim_pcscfs=(); for i in $(seq 1 "$shards"); do sim_pcscfs+=("sim-pcscf-$i=${PCSIMS[$((i - 1))]}"); done
  ROUND_LABEL=""; FARM_PREFIX=$PREFIX
  for w in $(seq 1 "$WARMUP"); do # warm-up rounds: register all from PREFIX_BASE:N:W::/80, de-register at once
    RUN=$N-warmup$w; ROUND_LABEL="warm-up $w, "
    farm_round "$PREFIX_BASE:$(printf %x "$N"):$(printf %x "$w")::/80" "$HOLD-warmup$w"
    touch "$HOLD-warmup$w" # only now: the farm's CPU is read at its registration phase's end, before it exits
    for pid in "${FARMS[@]}"; do wait "$pid" || true; done
    # the next round reuses the SPIs: start it once this round's SAs and their lingering policies (32 s) are
    # gone, so that neither round's state is in the other's way
    deadline=$((SECONDS + 60))
    while [ $SECONDS -lt $deadline ] && [ $(( $(ctl ue xfrm state count | awk '{print $NF}') \
        + $(ctl pc xfrm state count | awk '{print $NF}') + $(ctl ue xfrm policy count | awk '{print $3+$5}') \
        + $(ctl pc xfrm policy count | awk '{print $3+$5}') )) != 0 ]; do sleep 0.5; done
    # the warm-up's TCP connections still open (the UEs closed theirs while the lingering policies dropped every packet
    # of their flows) would retransmit through the measured round for minutes: end them (ss -K) on both sides
    wpfx=$PREFIX_BASE:$(printf %x "$N"):$(printf %x "$w")::/80
    for ns in "$PCNS" "$UENS"; do ip netns exec "$ns" ss -K -tn "( dst $wpfx or src $wpfx )" >/dev/null 2>&1 || true; done
    summarise "$RUN"
    echo "| $N warm-up $w | $shards | ${rate:--} | ${ttt:--} | ${failed:-?} | ${retrans:-?} | | | | | | | | | |"
    ROUND_LABEL="measured, "; FARM_PREFIX=$PREFIX_BASE:$(printf %x "$N"):$(printf %x $((w + 1)))::/80
  done
  RUN=$N
  jfr_pids=("ue=$(java_pid ue)" "pc=$(java_pid pc)" "${sim_pcscfs[@]}")
  if [ "$JFR" = 1 ]; then
    for kv in "${jfr_pids[@]}"; do jcmd "${kv#*=}" JFR.start name=h8 settings=profile >/dev/null 2>&1 || true; done
  fi
  perf_pids=()
  if [ "$PERF" = 1 ]; then
    for side in ue pc; do
      perf record -q -F 999 -g -p "$(java_pid $side)" -o "$WORK/perf-$side-$N.data" >/dev/null 2>&1 &
      perf_pids+=($!)
    done
  fi
  if [ "$SUSTAIN" = 0 ]; then
    farm_round "$FARM_PREFIX" "$HOLD"
  else
    farm_round "$FARM_PREFIX" "$HOLD" --sustain "$SUSTAIN"
  fi
  if [ "$PERF" = 1 ]; then
    for side in ue pc; do jcmd "$(java_pid $side)" Compiler.perfmap >/dev/null 2>&1 || true; done
    kill -INT "${perf_pids[@]}" 2>/dev/null || true; wait "${perf_pids[@]}" 2>/dev/null || true
  fi
  if [ "$JFR" = 1 ]; then
    for kv in "${jfr_pids[@]}"; do
      jcmd "${kv#*=}" JFR.stop name=h8 filename="$WORK/jfr-${kv%%=*}-$N.jfr" >/dev/null 2>&1 || true
    done
  fi
  fds_farm=0
  for pid in "${FARMS[@]}"; do
    n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l || true); [ "$n" -gt "$fds_farm" ] && fds_farm=$n # gone: 0
  done
  fds_pcscf=0
  for pid in "${PCSIMS[@]}"; do
    n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l || true); [ "$n" -gt "$fds_pcscf" ] && fds_pcscf=$n
  done
  per_sa() { [ "${2:-0}" -gt 0 ] 2>/dev/null && echo "scale=2; $1 / $2" | bc || echo "-"; }
  sas_ue=-; sas_pc=-; pol_ue=-; pol_pc=-; rss_ue=-; rss_pc=-; heap_ue=-; heap_pc=-; add_ms=-; ex_ue=-; ex_pc=-; sp_ue=-; sp_pc=-
  if [ "$SUSTAIN" = 0 ]; then # registered: measure (under sustained load, the farm is de-registering by now)
    sas_ue=$(ctl ue xfrm state count | awk '{print $NF}'); sas_pc=$(ctl pc xfrm state count | awk '{print $NF}')
    pol_ue=$(ctl ue xfrm policy count | awk '{print $3+$5}'); pol_pc=$(ctl pc xfrm policy count | awk '{print $3+$5}')
    dpid_ue=$(java_pid ue); dpid_pc=$(java_pid pc)
    rss_ue=$(( $(rss_kb "$dpid_ue") / 1024 )); rss_pc=$(( $(rss_kb "$dpid_pc") / 1024 ))
    heap_ue=$(heap_kb "$dpid_ue"); heap_pc=$(heap_kb "$dpid_pc")
    add_ms=$(ctl pc --time 20 xfrm state add src "$UE" dst "$PCSCF" proto esp spi SPI mode transport \
        auth-trunc 'hmac(sha1)' 0xf769bcd751044604127672711c6d344100000000 96 enc 'ecb(cipher_null)' "" \
        -- xfrm state del src "$UE" dst "$PCSCF" proto esp spi SPI)
    ex_ue=$(nft_elements "$UENS" $EXACT6); ex_pc=$(nft_elements "$PCNS" $EXACT6)
    sp_ue=$(nft_elements "$UENS" spis); sp_pc=$(nft_elements "$PCNS" spis)
  fi
  touch "$HOLD"
  for pid in "${FARMS[@]}"; do wait "$pid" || true; done
  # the de-registered flows' policies linger 32 s (fail closed)
  deadline=$((SECONDS + 60)); left="?"
  while [ $SECONDS -lt $deadline ]; do
    l=$(( $(ctl ue xfrm state count | awk '{print $NF}') + $(ctl pc xfrm state count | awk '{print $NF}') \
      + $(ctl ue xfrm policy count | awk '{print $3+$5}') + $(ctl pc xfrm policy count | awk '{print $3+$5}') \
      + $(nft_elements "$UENS" $EXACT6) + $(nft_elements "$PCNS" $EXACT6) + $(nft_elements "$PCNS" spis) ))
    left=$l; [ "$l" = 0 ] && break; sleep 1
  done
  if [ "$left" != 0 ] && [ "$KEEP_LOGS" = 1 ]; then
    for side in ue pc; do
      { ctl $side xfrm state count; ctl $side xfrm policy count; } > "$WORK/left-$side-$N.txt" 2>&1 || true
      ctl $side xfrm policy list > "$WORK/left-policies-$side-$N.txt" 2>&1 || true
    done
  fi
  addrs=$(ip -n "$UENS" -6 -o addr show dev "$UEVETH" | grep -c '2001:db8:4701:' || true)
  summarise "$N"
  [ "$SUSTAIN" != 0 ] && rate="${WINDOW_RATE:--} (last $WINDOW s)"
  echo "| $N | $shards | ${rate:--} | ${ttt:--} | ${failed:-?} | ${retrans:-?} | $sas_ue/$sas_pc | $pol_ue/$pol_pc | $rss_ue/$rss_pc | $(per_sa "${heap_ue:-0}" "$sas_ue")/$(per_sa "${heap_pc:-0}" "$sas_pc") | $add_ms | $ex_ue/$ex_pc | $sp_ue/$sp_pc | $fds_farm/$fds_pcscf | $left (addresses $addrs) |"
  if [ "$KEEP_LOGS" = 1 ]; then # why state was left, if it was: what each side's SIP watch saw and dropped
    for side in ue pc; do
      ns=$UENS; [ $side = pc ] && ns=$PCNS
      "$JAVA" $JVM_ARGS -cp "$ESP4J_JAR" org.esp4j.cli.Esp4jMain stat --counters "/dev/shm/esp4j-farm-$TAG-$side.counters" \
        > "$WORK/counters-$side-$N.txt" 2>&1 || true
      # raw sockets (the SIP watch): the last column counts what the kernel dropped for a full receive buffer
      ip netns exec "$ns" sh -c 'cat /proc/net/raw6; nstat -az TcpRetransSegs TcpExtTCPOFOQueue TcpExtListenOverflows' \
        > "$WORK/kernel-$side-$N.txt" 2>&1 || true
    done
  fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  # failures by reason, summed over the shards
  cat "$WORK"/farm-"$N"-*.log | awk '/^farm: failed [0-9]+: / {n=$3; sub(":","",n); $1=$2=$3=""; r[substr($0,4)]+=n}
    END {for (k in r) print "farm: failed " r[k] ": " k}' >&2 || true
  if [ "$KEEP_LOGS" = 1 ]; then # where the time went (per-step times from the daemons' logs), beside the table
    python3 "$ROOT/benchmarks/scripts/farm-timeline.py" "$WORK/daemon-ue-$N.log" "$WORK/daemon-pc-$N.log" \
      $( [ "$TRACE_NFT" = 1 ] && echo "$WORK/nft-ue-$N.log $WORK/nft-pc-$N.log") > "$WORK/timeline-$N.md" 2>&1 || true
  fi
done
if [ -n "${STARTUP_ROWS:-}" ]; then
  echo
  echo "| N | daemons started to ESP4J-READY (both, in parallel with the P-CSCF sims; 0.2 s resolution) |"
  echo "|---|---|"
  printf '%s' "$STARTUP_ROWS"
fi
if [ -n "$CPU_ROWS" ]; then
  echo
  echo "CPU of the registration phase (user + sys s; ms per registered UE; JIT, GC and children are parts of the process's or beside it):"
  echo
  echo "| N | part | process | user + sys s | ms/reg | JIT ms/reg | GC ms/reg | children (nft, ip) ms/reg |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s' "$CPU_ROWS"
fi
