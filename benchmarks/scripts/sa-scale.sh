#!/usr/bin/env bash
# Both daemons at N registered UEs without the registration rate in the way (issue 14): a UE-role and a P-CSCF-role
# daemon in two namespaces joined by a veth, each preloaded with the SAs and policies N registered UEs leave behind
# (the SIP bridge's shape: per UE 4 SAs, and per SA one policy for UDP and one for TCP, so 4 SAs and 8 policies on each
# side), plus the two SAs and four policies of one iperf3 TCP flow (port 5201) between the two veth addresses. For
# each round and each N in UES (interleaved: 0, 10000, 0, 10000, ...) both daemons start afresh.
#
#   sudo benchmarks/scripts/sa-scale.sh                               # UES="0 1000 10000", one round, everything
#   sudo UES="0 10000" ROUNDS=3 MEASURE=tcp benchmarks/scripts/sa-scale.sh   # throughput pairs only
#
# Environment:
#   UES        extra registered UEs per run ("0 1000 10000"); 4 SAs each, on both daemons
#   ROUNDS     rounds over UES (1)                      MEASURE  any of: idle mem nft ctl tcp ("idle mem nft ctl tcp")
#   IDLE       seconds of idle CPU measured (20)        COMMANDS control commands timed per kind (200)
#   DURATION   seconds of the iperf3 TCP run (10)       WARMUP   seconds of unmeasured TCP first, for the JIT (5)
#   ESP4J_JAR  the jar (cli/target/esp4j.jar, built if missing)          JAVA  java executable (java)
#   ESP4J_JAVA_OPTS  the daemons' JVM options (default: the launcher's daemon defaults, as `./esp4j run`)
#   OUT        result file (default: results.md in the work directory)
# Needs: root, iproute2, nftables, iperf3, python3, a JDK 17+ (jcmd).
#
# Reported per run, all from outside the daemons:
#   start-up      seconds from launch to ESP4J-READY of the slower daemon (preload, first host-state install);
#   idle CPU      utime+stime of each daemon JVM with its reaped children (nft), over IDLE s, in % of one CPU;
#   RSS, heap     VmRSS, and the heap in use after a full GC (`jcmd GC.run`, then every generation's "used" of
#                 `jcmd GC.heap_info`), of each daemon; the summary gives the bytes per added SA against the first N;
#   nft           every set and map of each daemon's tables, with its element count;
#   commands      p50/p99 round trip in ms, on the P-CSCF daemon's control socket, of COMMANDS `xfrm state add`, and
#                 COMMANDS `xfrm policy add ... dir in` and `dir out` (a new UE each), and of the `del` that undoes
#                 each (what a teardown runs), one connection per command as `esp4j xfrm` does;
#   TCP           one iperf3 TCP flow UE -> P-CSCF through both daemons on its own SAs, Mbit/s; the summary gives
#                 each N's median ratio to the first N of the same round.
set -euo pipefail

UES=${UES:-"0 1000 10000"}
ROUNDS=${ROUNDS:-1}
MEASURE=${MEASURE:-"idle mem nft ctl tcp"}
IDLE=${IDLE:-20}
COMMANDS=${COMMANDS:-200}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
JAVA=${JAVA:-java}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ESP4J_JAR=${ESP4J_JAR:-$ROOT/cli/target/esp4j.jar}
TAG=$$
UENS=esp4j-scu-$TAG
PCNS=esp4j-scp-$TAG
UE=2001:db8:5c::1
PCSCF=2001:db8:5c::2
UE_PREFIX=2001:db8:5d   # the registered UEs: UE_PREFIX::<index in hex>
WORK=$(mktemp -d /tmp/esp4j-scale-XXXXXX)
OUT=${OUT:-$WORK/results.md}
KEY=0xf769bcd751044604127672711c6d344100000000
JVM_ARGS="--add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED --add-opens java.base/sun.security.provider=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -XX:+IgnoreUnrecognizedVMOptions"
DAEMON_JAVA_DEFAULTS=$(sed -n 's/^daemon_defaults="\(.*\)"$/\1/p' "$ROOT/esp4j")
DAEMON_JVM_ARGS="$JVM_ARGS ${ESP4J_JAVA_OPTS-$DAEMON_JAVA_DEFAULTS}"
HZ=$(getconf CLK_TCK)

for tool in ip nft iperf3 python3 jcmd "$JAVA"; do
  command -v "$tool" > /dev/null || { echo "missing: $tool" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
if [ ! -f "$ESP4J_JAR" ]; then
  (cd "$ROOT" && mvn -q -B -o -pl cli -am package -DskipTests)
fi

PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  ip netns del "$UENS" 2>/dev/null || true
  ip netns del "$PCNS" 2>/dev/null || true
  rm -f /dev/shm/esp4j-scale-"$TAG"-*
  [ "${KEEP_LOGS:-0}" = 1 ] && echo "logs: $WORK" >&2 || true
}
trap cleanup EXIT INT TERM

ip netns add "$UENS"; ip netns add "$PCNS"
ip -n "$UENS" link set lo up; ip -n "$PCNS" link set lo up
ip -n "$UENS" link add "su$TAG" type veth peer name "sp$TAG" netns "$PCNS"
ip -n "$UENS" -6 addr add "$UE/128" dev "su$TAG" nodad
ip -n "$PCNS" -6 addr add "$PCSCF/128" dev "sp$TAG" nodad
ip -n "$UENS" link set "su$TAG" mtu 1600 up; ip -n "$PCNS" link set "sp$TAG" mtu 1600 up
ip -n "$UENS" -6 route add "$PCSCF/128" dev "su$TAG"
ip -n "$PCNS" -6 route add "$UE/128" dev "sp$TAG"
ip netns exec "$PCNS" iperf3 -s -B "$PCSCF" -p 5201 > "$WORK/iperf-server.log" 2>&1 &
PIDS+=("$!")

preload() { # SIDE N: the iperf3 flow's SAs and policies, then N registered UEs' (SPIs above 2^31 on one side)
  python3 - "$1" "$2" "$KEY" "$UE" "$PCSCF" "$UE_PREFIX" <<'PY'
import sys
side, n, key, ue, pc, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
algs = f"auth-trunc 'hmac(sha1)' {key} 96 enc 'ecb(cipher_null)' \"\""
def sa(src, dst, spi):
    print(f"state add src {src} dst {dst} proto esp spi {spi} mode transport replay-window 64 {algs}")
def policy(src, dst, proto, sport, dport, out, spi):
    ports = (f" sport {sport}" if sport else "") + (f" dport {dport}" if dport else "")
    print(f"policy add src {src} dst {dst} proto {proto}{ports} dir {'out' if out else 'in'} "
          f"tmpl src {src} dst {dst} proto esp spi {spi} mode transport")
sa(ue, pc, 0x5c000001); sa(pc, ue, 0x5c000002)
policy(ue, pc, "tcp", 0, 5201, side == "ue", 0x5c000001)
policy(pc, ue, "tcp", 5201, 0, side == "pc", 0x5c000002)
for i in range(1, n + 1):
    u = "%s::%x" % (prefix, i)
    # UE port-c 5100 / port-s 5101, P-CSCF port-c 5062 / port-s 5063; A, B into the P-CSCF, C, D into the UE
    flows = [(u, pc, 5100, 5063, 0x10000000 + 2 * i), (u, pc, 5101, 5062, 0x10000001 + 2 * i),
             (pc, u, 5062, 5101, 0x90000000 + 2 * i), (pc, u, 5063, 5100, 0x90000001 + 2 * i)]
    for src, dst, sport, dport, spi in flows:
        sa(src, dst, spi)
        for proto in ("udp", "tcp"):
            policy(src, dst, proto, sport, dport, (src == pc) == (side == "pc"), spi)
PY
}

cat > "$WORK/ctl.py" <<'PY'
import socket, sys, time
def call(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(line.encode() + b"\n")
    data = b"".join(iter(lambda: s.recv(65536), b""))
    s.close()
    lines = data.decode().splitlines()
    if not lines or lines[-1] != "ok":
        sys.exit("control: %s: %s" % (line, lines[-1] if lines else "no answer"))
    return lines[:-1]
path, what = sys.argv[1], sys.argv[2]
if what == "time":
    # time N ADD DEL: N round trips of ADD with {i} and {spi} filled in, each undone by DEL; prints "ADD|DEL" as
    # "p50 / p99" ms each
    n, add, dele = int(sys.argv[3]), sys.argv[4], sys.argv[5]
    times = ([], [])
    for i in range(1, n + 1):
        for kind, line in enumerate((add, dele)):
            t0 = time.perf_counter(); call(path, line.format(i=i, spi=0x7f000000 + i))
            times[kind].append((time.perf_counter() - t0) * 1000)
    def pct(t):
        t.sort()
        return "%.1f / %.1f" % (t[len(t) // 2], t[min(n - 1, (n * 99 + 99) // 100 - 1)])
    print("|".join(pct(t) for t in times))
else:
    print("\n".join(l[1:] if l.startswith(".") else l for l in call(path, " ".join(sys.argv[2:]))))
PY
ctl() { python3 "$WORK/ctl.py" "$WORK/$1.sock" "${@:2}"; }

start_daemon() { # SIDE N: prints the JVM's pid once ESP4J-READY
  local side=$1 n=$2 ns=$UENS steer=$PCSCF/128 ring=off
  [ "$side" = pc ] && { ns=$PCNS; steer=$UE/128,$UE_PREFIX::/64; ring=auto; }
  preload "$side" "$n" > "$WORK/$side.xfrm"
  rm -f "$WORK/$side.sock"
  cat > "$WORK/$side.conf" <<CONF
tun.name=esp4j0
carrier=raw
carrier.ring=$ring
steer=$steer
preload=$WORK/$side.xfrm
counters.file=/dev/shm/esp4j-scale-$TAG-$side.counters
control.socket=$WORK/$side.sock
CONF
  # shellcheck disable=SC2086
  ip netns exec "$ns" "$JAVA" $DAEMON_JVM_ARGS -cp "$ESP4J_JAR" org.esp4j.cli.Esp4jMain run --config "$WORK/$side.conf" \
    > "$WORK/daemon-$side.log" 2>&1 &
  echo $!
}
await_ready() { # SIDE PID
  for _ in $(seq 1 1200); do
    grep -q ESP4J-READY "$WORK/daemon-$1.log" && [ -S "$WORK/$1.sock" ] && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "daemon $1 did not start:" >&2; tail -20 "$WORK/daemon-$1.log" >&2; exit 1
}
stop_daemon() { # PID: started in a subshell, so not this shell's child to wait for; gone with its TUN before the next
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  while kill -0 "$1" 2>/dev/null; do sleep 0.1; done
}
ticks_of() { awk '{print $14+$15+$16+$17}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
heap_kb() { # PID: heap in use after a full GC, every generation, KB
  jcmd "$1" GC.run > /dev/null 2>&1 || true
  jcmd "$1" GC.heap_info 2>/dev/null |
    awk '/generation|garbage-first heap/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub("K,?", "", v); t += v}} END {print t + 0}'
}
nft_sizes() { # NS: "set:count ..." of every set and map in the namespace
  ip netns exec "$1" nft -j list ruleset 2>/dev/null | python3 -c '
import json, sys
out = []
for item in json.load(sys.stdin).get("nftables", []):
    for kind in ("set", "map"):
        if kind in item:
            out.append("%s:%d" % (item[kind]["name"], len(item[kind].get("elem", []))))
print(" ".join(out) or "-")'
}

{
  echo "## Both daemons at N registered UEs, preloaded ($(date -u +%Y-%m-%dT%H:%MZ), benchmarks/scripts/sa-scale.sh)"
  echo
  echo "$(nproc) CPUs, $(uname -r), $("$JAVA" -version 2>&1 | head -1), $(nft --version), daemon JVM: ${ESP4J_JAVA_OPTS-$DAEMON_JAVA_DEFAULTS}, raw carrier, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| round | UEs | SAs ue/pc | policies ue/pc | start-up s | idle CPU % ue/pc | RSS MB ue/pc | heap KB ue/pc | state add ms p50/p99 | state del ms p50/p99 | policy add in ms p50/p99 | policy del in ms p50/p99 | policy add out ms p50/p99 | policy del out ms p50/p99 | nft sets ue | nft sets pc | TCP Mbit/s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$OUT"
ROWS=$WORK/rows.txt
: > "$ROWS"
has() { [[ " $MEASURE " == *" $1 "* ]]; }
for round in $(seq 1 "$ROUNDS"); do
  for n in $UES; do
    t0=$(date +%s.%N)
    pid_ue=$(start_daemon ue "$n"); PIDS+=("$pid_ue")
    pid_pc=$(start_daemon pc "$n"); PIDS+=("$pid_pc")
    await_ready ue "$pid_ue"; await_ready pc "$pid_pc"
    startup=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")
    sas="$(ctl ue xfrm state count | awk '{print $NF}')/$(ctl pc xfrm state count | awk '{print $NF}')"
    pols="$(ctl ue xfrm policy count | awk '{print $3+$5}')/$(ctl pc xfrm policy count | awk '{print $3+$5}')"
    idle=- rss=- heap=- sadd="-|-" pin="-|-" pout="-|-" nue=- npc=- tcp=-
    if has idle; then
      u0=$(ticks_of "$pid_ue"); p0=$(ticks_of "$pid_pc"); sleep "$IDLE"; u1=$(ticks_of "$pid_ue"); p1=$(ticks_of "$pid_pc")
      idle="$(echo "scale=1; 100 * ($u1 - $u0) / $HZ / $IDLE" | bc)/$(echo "scale=1; 100 * ($p1 - $p0) / $HZ / $IDLE" | bc)"
    fi
    if has mem; then
      heap="$(heap_kb "$pid_ue")/$(heap_kb "$pid_pc")"
      rss="$(( $(rss_kb "$pid_ue") / 1024 ))/$(( $(rss_kb "$pid_pc") / 1024 ))"
    fi
    if has nft; then nue=$(nft_sizes "$UENS"); npc=$(nft_sizes "$PCNS"); fi
    if has ctl; then
      sadd=$(ctl pc time "$COMMANDS" \
        "xfrm state add src $UE dst $PCSCF proto esp spi {spi} mode transport auth-trunc 'hmac(sha1)' $KEY 96 enc 'ecb(cipher_null)' \"\"" \
        "xfrm state del src $UE dst $PCSCF proto esp spi {spi}")
      pin=$(ctl pc time "$COMMANDS" \
        "xfrm policy add src 2001:db8:5e::{i:x} dst $PCSCF proto udp sport 5100 dport 5063 dir in tmpl src 2001:db8:5e::{i:x} dst $PCSCF proto esp mode transport" \
        "xfrm policy del src 2001:db8:5e::{i:x} dst $PCSCF proto udp sport 5100 dport 5063 dir in")
      pout=$(ctl pc time "$COMMANDS" \
        "xfrm policy add src $PCSCF dst 2001:db8:5e::{i:x} proto udp sport 5063 dport 5100 dir out tmpl src $PCSCF dst 2001:db8:5e::{i:x} proto esp mode transport" \
        "xfrm policy del src $PCSCF dst 2001:db8:5e::{i:x} proto udp sport 5063 dport 5100 dir out")
    fi
    if has tcp; then
      ip netns exec "$UENS" iperf3 -c "$PCSCF" -p 5201 -t "$WARMUP" > /dev/null 2>&1 || true
      ip netns exec "$UENS" iperf3 -c "$PCSCF" -p 5201 -t "$DURATION" -J > "$WORK/tcp-$round-$n.json" 2>/dev/null || true
      tcp=$(python3 -c 'import json, sys
try: print("%.0f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception: print("error")' "$WORK/tcp-$round-$n.json")
    fi
    stop_daemon "$pid_ue"; stop_daemon "$pid_pc"
    rm -f /dev/shm/esp4j-scale-"$TAG"-* # each run from no sequence reservations, as the first
    echo "| $round | $n | $sas | $pols | $startup | $idle | $rss | $heap | ${sadd/|/ | } | ${pin/|/ | } | ${pout/|/ | } | $nue | $npc | $tcp |" | tee -a "$OUT"
    echo "$round $n $sas $rss $heap $tcp" >> "$ROWS"
  done
done
# per added SA against the first N of each round, and TCP ratios against the first N of the same round
python3 - "$ROWS" "$UES" <<'PY' | tee -a "$OUT"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
first = sys.argv[2].split()[0]
base = {r[0]: r for r in rows if r[1] == first}
print()
print("| UEs | RSS bytes per added SA ue/pc | heap bytes per added SA ue/pc | TCP ratio to %s UEs (median, all rounds) |" % first)
print("|---|---|---|---|")
for n in sys.argv[2].split()[1:]:
    per_rss, per_heap, ratios = [], [], []
    for r in rows:
        if r[1] != n or r[0] not in base:
            continue
        b = base[r[0]]
        sa = [int(x) - int(y) for x, y in zip(r[2].split("/"), b[2].split("/"))]
        for col, unit, acc in ((3, 1024 * 1024, per_rss), (4, 1024, per_heap)):
            if "-" not in (r[col], b[col]):
                acc.append("/".join("%.0f" % ((int(x) - int(y)) * unit / d) if d else "-"
                                    for x, y, d in zip(r[col].split("/"), b[col].split("/"), sa)))
        try:
            ratios.append(float(r[5]) / float(b[5]))
        except ValueError:
            pass
    ratio = ("%.2f (%s)" % (statistics.median(ratios), ", ".join("%.2f" % x for x in ratios))) if ratios else "-"
    print("| %s | %s | %s | %s |" % (n, " ".join(per_rss) or "-", " ".join(per_heap) or "-", ratio))
PY
echo "results: $OUT" >&2
