#!/usr/bin/env bash
# The host-state cost of many in-policies (issue 14): one daemon in a namespace, as a P-CSCF, with N exact inbound
# policies (the SIP bridge's shape: UE/128 -> P-CSCF/128, udp, one port pair) and N inbound SAs to its own address
# preloaded, for each N in SIZES, and for each daemon jar in JARS in turn (interleaved: base, new, base, new, ...).
#
#   sudo benchmarks/scripts/nft-scale.sh                          # this tree's jar alone
#   sudo BASE_JAR=/tmp/main/cli/target/esp4j.jar benchmarks/scripts/nft-scale.sh   # against a baseline
#
# Environment:
#   SIZES     in-policies preloaded ("4 1000 10000 40000")   IDLE   seconds of idle CPU measured (30)
#   ADDS      policy adds (and deletes) timed per run (5)     ROUNDS runs per size and jar (1)
#   ESP4J_JAR this tree's daemon (cli/target/esp4j.jar, built if missing)
#   BASE_JAR  a baseline daemon jar, e.g. main built in a worktree of its own (none)
#   JAVA      java executable (java)                          OUT    result file (default: results.md in the work dir)
# Needs: root, iproute2, nftables, python3, a JDK 17+.
#
# Reported per run, all read from outside the daemon:
#   start-up      seconds from launch to ESP4J-READY (preload, first filter install);
#   policy add    median/max round trip of `xfrm policy add ... dir in` on the control socket, which answers after the
#                 inbound filter has changed (a whole-table replace, or one map element); policy del likewise;
#   counter read  median time to read the two drop counters as that daemon does: `nft list counters table inet T`
#                 (the baseline's way) or one netlink request per counter (NftCounterRead.java, this tree's way);
#   nft sizes     rules in the input chain, IPv6 exact elements (sets accept6, mismatch6, block6), SPIs in the early
#                 drop's set;
#   idle CPU      utime+stime of the daemon JVM with its children (the nft processes it runs), and of every process
#                 of the machine, over IDLE s, in % of one CPU, with no traffic (the daemon's own polling: counters,
#                 filter sync).
# Everything runs in a namespace of its own, removed at exit.
set -euo pipefail

SIZES=${SIZES:-"4 1000 10000 40000"}
IDLE=${IDLE:-30}
ADDS=${ADDS:-5}
ROUNDS=${ROUNDS:-1}
JAVA=${JAVA:-java}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ESP4J_JAR=${ESP4J_JAR:-$ROOT/cli/target/esp4j.jar}
BASE_JAR=${BASE_JAR:-}
TAG=$$
NS=esp4j-nft-$TAG
TUN=nft$TAG
WORK=$(mktemp -d /tmp/esp4j-nft-XXXXXX)
OUT=${OUT:-$WORK/results.md}
PCSCF=2001:db8:f::1
KEY=0xf769bcd751044604127672711c6d344100000000
JVM_ARGS="--add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -XX:+IgnoreUnrecognizedVMOptions"

if [ ! -f "$ESP4J_JAR" ]; then
  (cd "$ROOT" && mvn -q -B -o -pl cli -am package -DskipTests)
fi
PID=
cleanup() {
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  ip netns del "$NS" 2>/dev/null || true
  rm -f "/dev/shm/esp4j-nft-$TAG.counters"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add v0 type veth peer name v1
ip -n "$NS" -6 addr add $PCSCF/64 dev v0 nodad
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up

preload() { # $1 = N: N inbound SAs and N exact dir-in policies, UEs 2001:db8:1::1 ... (one address each)
  python3 - "$1" "$KEY" "$PCSCF" <<'PY'
import sys
n, key, pcscf = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(1, n + 1):
    ue, spi = "2001:db8:1::%x" % i, 0x10000 + i
    print(f"state add src {ue} dst {pcscf} proto esp spi {spi} mode transport auth-trunc 'hmac(sha1)' {key} 96 "
          f"enc 'ecb(cipher_null)' \"\"")
    print(f"policy add src {ue} dst {pcscf} proto udp sport 5064 dport 5066 dir in "
          f"tmpl src {ue} dst {pcscf} proto esp spi {spi} mode transport")
PY
}

control() { # $1 = socket, $2 = request line; prints the round trip in ms, fails unless the answer is "ok"
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
for attempt in range(50):  # the socket may still be on its way at start
    s = socket.socket(socket.AF_UNIX)
    try:
        start = time.perf_counter()
        s.connect(sys.argv[1])
        break
    except (FileNotFoundError, ConnectionRefusedError):
        s.close()
        time.sleep(0.1)
s.sendall(sys.argv[2].encode() + b"\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
elapsed = (time.perf_counter() - start) * 1000
if not data.decode().rstrip("\n").endswith("ok"):
    sys.exit("control: " + data.decode().strip())
print("%.1f" % elapsed)
PY
}

median_max() { sort -n | awk '{v[NR]=$1} END {printf "%s / %s", v[int((NR+1)/2)], v[NR]}'; }
ticks_of() { awk '{print $14+$15+$16+$17}' "/proc/$1/stat"; } # with reaped children: the nft it runs
all_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
HZ=$(getconf CLK_TCK)

run() { # $1 = label, $2 = jar, $3 = N
  local label=$1 jar=$2 n=$3 sock=$WORK/ctl-$1-$3-$RANDOM.sock
  preload "$n" > "$WORK/preload.xfrm"
  cat > "$WORK/daemon.conf" <<CONF
tun.name=$TUN
carrier=raw
preload=$WORK/preload.xfrm
counters.file=/dev/shm/esp4j-nft-$TAG.counters
control.socket=$sock
CONF
  local start; start=$(date +%s.%N)
  # shellcheck disable=SC2086
  ip netns exec "$NS" "$JAVA" $JVM_ARGS -cp "$jar" org.esp4j.cli.Esp4jMain run --config "$WORK/daemon.conf" \
    > "$WORK/daemon.log" 2>&1 &
  PID=$!
  until grep -q ESP4J-READY "$WORK/daemon.log" && [ -S "$sock" ]; do
    kill -0 "$PID" 2>/dev/null || { echo "daemon did not start:" >&2; cat "$WORK/daemon.log" >&2; exit 1; }
    sleep 0.1
  done
  local startup; startup=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
  local table=esp4j_$TUN
  # policy adds and deletes, each a new UE outside the preloaded ones
  local adds=() dels=()
  for i in $(seq 1 "$ADDS"); do
    local ue="2001:db8:2::$i"
    adds+=("$(control "$sock" "xfrm policy add src $ue dst $PCSCF proto udp sport 5064 dport 5066 dir in tmpl src $ue dst $PCSCF proto esp mode transport")")
  done
  for i in $(seq 1 "$ADDS"); do
    dels+=("$(control "$sock" "xfrm policy del src 2001:db8:2::$i dst $PCSCF proto udp sport 5064 dport 5066 dir in")")
  done
  # counter reads, the daemon's way
  local read
  if ip netns exec "$NS" nft list set inet "$table" mismatch6 > /dev/null 2>&1; then
    read=$(ip netns exec "$NS" "$JAVA" $JVM_ARGS -cp "$jar" "$ROOT/benchmarks/scripts/NftCounterRead.java" "$table" 200 |
      awk '{print $1 " (netlink)"}')
  else
    read=$(for _ in 1 2 3 4 5; do
      local t0; t0=$(date +%s%N)
      ip netns exec "$NS" nft list counters table inet "$table" > /dev/null
      echo $(( ($(date +%s%N) - t0) / 1000000 ))
    done | sort -n | sed -n 3p)" (nft list counters)"
  fi
  # nft sizes
  local rules elements6 spis
  rules=$(ip netns exec "$NS" nft -a list chain inet "$table" input | grep -c '# handle' || true)
  elements6=0
  for set in accept6 mismatch6 block6; do # one set per verdict; each element shows its protocol as " . udp . "
    elements6=$((elements6 + $(ip netns exec "$NS" nft list set inet "$table" $set 2>/dev/null | grep -oE ' \. (udp|tcp|[0-9]+) \. ' | wc -l || true)))
  done
  spis=$(ip netns exec "$NS" nft list table inet "esp4j_esp_$TUN" 2>/dev/null | python3 -c '
import re, sys
text = sys.stdin.read()
m = re.search(r"set spis \{.*?elements = \{(.*?)\}", text, re.S)
if m:
    print(len(m.group(1).split(",")))
else:
    inline = re.findall(r"esp spi \{([^}]*)\}", text)
    print(len(inline[0].split(",")) if inline else 0)')
  # idle CPU
  local d0 a0 d1 a1
  d0=$(ticks_of "$PID"); a0=$(all_ticks)
  sleep "$IDLE"
  d1=$(ticks_of "$PID"); a1=$(all_ticks)
  local daemon_cpu machine_cpu
  daemon_cpu=$(echo "scale=1; 100 * ($d1 - $d0) / $HZ / $IDLE" | bc)
  machine_cpu=$(echo "scale=1; 100 * ($a1 - $a0) / $HZ / $IDLE" | bc)
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  echo "| $label | $n | $startup | $(printf '%s\n' "${adds[@]}" | median_max) | $(printf '%s\n' "${dels[@]}" | median_max) | $read | $rules | $elements6 | $spis | $daemon_cpu | $machine_cpu |" | tee -a "$OUT"
}

{
  echo "## nftables host state against in-policies ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $("$JAVA" -version 2>&1 | head -1), $(nft --version))"
  echo
  echo "| daemon | in-policies | start-up (s) | policy add ms (median / max) | policy del ms | counter read ms | input rules | exact6 elements | early-drop SPIs | daemon idle CPU % | machine idle CPU % |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$OUT"
for n in $SIZES; do
  for _ in $(seq 1 "$ROUNDS"); do
    [ -n "$BASE_JAR" ] && run base "$BASE_JAR" "$n"
    run new "$ESP4J_JAR" "$n"
  done
done
echo "results: $OUT" >&2
