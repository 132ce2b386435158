#!/usr/bin/env bash
# iperf3 through two esp4j TUN daemons, compared in the same run with the kernel alone and with the daemons
# relaying without ESP (bypass). Two network namespaces joined by a veth pair, as in TunDaemonEndToEndTest.
#
#   sudo benchmarks/scripts/iperf-tun.sh            # IPv6, 20 s per test, TCP and UDP (1400-byte datagrams)
#   DURATION=5 FAMILY=4 benchmarks/scripts/iperf-tun.sh
#
# Environment:
#   DURATION   seconds per iperf3 run (20)         FAMILY   6 or 4 (6)
#   UDP_RATE   iperf3 -b for UDP (500M; 0 = unlimited) MODES    "kernel bypass esp" (all three)
#   TESTS      "tcp udp" (both)
#   ALG        the esp mode's algorithms: sha1 (HMAC-SHA-1-96 + NULL), gcm (AES-128-GCM, 16-byte ICV, RFC 4106), gmac
#              (AES-128-GMAC, RFC 4543) or cbc (AES-128-CBC + HMAC-SHA-1-96) (sha1). A mode esp-ALG uses ALG instead,
#              so MODES="esp-sha1 esp-gcm esp-sha1 esp-gcm" compares two suites in interleaved rounds of one run
#   ESP4J_JAR  shaded jar with the daemon (cli/target/esp4j.jar, built if missing)
#   JAVA       java executable (java)              OUT      result file (default: results.md in the work dir)
#   WARMUP     seconds of unmeasured traffic after the daemons start, for the JIT (5)
#   DAEMON_CPUS "UE_CPU PC_CPU": pin each daemon JVM to one CPU with taskset (unset: the scheduler decides)
#   CARRIER    raw (ESP as IP protocol 50) or udp (RFC 3948 ESP-in-UDP on 4500) (raw)
#   TUN_OFFLOAD on|off: the daemons' TUN offloads (TSO in, coalesced TCP out; on)
#   DAEMON_CONFIG extra key=value lines for both daemons' config, e.g. "inbound.filter=off" (none)
#   CONTROL_PAIRS N: in the esp mode, during the first test, N "xfrm state add" / "xfrm state delete" pairs on the
#              UE daemon's control socket (ControlLatency from benchmarks/target/benchmarks.jar, built if missing):
#              their latency percentiles are printed and kept in control.md beside the results (0: none)
#   VETH_MTU   MTU of the veth pair (1600: the TUN MTU, VETH_MTU - 88, then carries 1400-byte datagrams whole;
#              with 1500 the kernel fragments them before the TUN and non-first fragments miss port selectors)
# Needs: root, iproute2, iperf3, python3, a JDK 17+.
#
# Reported per run: iperf3 throughput, packets per second on the UE's veth (tx+rx, all packets), system CPU per
# packet (busy jiffies of all CPUs from /proc/stat over the run / veth packets) and daemon CPU per packet (utime +
# stime of both daemon JVMs / veth packets; 0 for the kernel run). Saved beside the results, per run: iperf3's JSON,
# nstat of both namespaces, TUN link counters and both daemons' counters (esp4j stat). Traffic stays inside the two
# namespaces.
set -euo pipefail

DURATION=${DURATION:-20}
FAMILY=${FAMILY:-6}
UDP_RATE=${UDP_RATE:-500M}
WARMUP=${WARMUP:-5}
VETH_MTU=${VETH_MTU:-1600}
TUN_OFFLOAD=${TUN_OFFLOAD:-on}
CARRIER=${CARRIER:-raw}
DAEMON_CPUS=${DAEMON_CPUS:-}
DAEMON_CONFIG=${DAEMON_CONFIG:-}
CONTROL_PAIRS=${CONTROL_PAIRS:-0}
ALG=${ALG:-sha1}
MODES=${MODES:-"kernel bypass esp"}
TESTS=${TESTS:-"tcp udp"}
JAVA=${JAVA:-java}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ESP4J_JAR=${ESP4J_JAR:-$ROOT/cli/target/esp4j.jar}
BENCH_JAR=${BENCH_JAR:-$ROOT/benchmarks/target/benchmarks.jar}
OUT=${OUT:-}
TAG=$$
UE=esp4j-bue-$TAG
PC=esp4j-bpc-$TAG
WORK=$(mktemp -d /tmp/esp4j-iperf-XXXXXX)
OUT=${OUT:-$WORK/results.md}
PORT=5201
KEY=0xf769bcd751044604127672711c6d344100000000
AES_KEY=0x00112233445566778899aabbccddeeff
JVM_ARGS="--add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -XX:+IgnoreUnrecognizedVMOptions ${ESP4J_JAVA_OPTS:-}"
# as ./esp4j run does: the Vector API module for multi-buffer HMAC (crypto.multibuffer) from JDK 21
JAVA_SPEC=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
if [ "${JAVA_SPEC%%.*}" -ge 21 ] 2>/dev/null; then
  JVM_ARGS="$JVM_ARGS --add-modules jdk.incubator.vector"
fi

if [ "$FAMILY" = 4 ]; then
  UE_ADDR=192.0.2.1; PC_ADDR=192.0.2.2; PLEN=24; FOPT=-4
else
  UE_ADDR=2001::1:d1ae:bb37:d9c9:81d0; PC_ADDR=2001:0:0:1::2; PLEN=128; FOPT=-6
fi

for m in $MODES "esp-$ALG"; do
  case $m in
    kernel|bypass|esp|esp-sha1|esp-gcm|esp-gmac|esp-cbc) ;;
    *) echo "unknown mode or ALG: $m (modes kernel, bypass, esp, esp-ALG; ALG sha1, gcm, gmac or cbc)" >&2; exit 2 ;;
  esac
done
for tool in ip iperf3 python3 "$JAVA"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

has_daemon() {
  python3 -c 'import sys, zipfile; sys.exit(0 if "org/esp4j/cli/Esp4jMain.class" in zipfile.ZipFile(sys.argv[1]).namelist() else 1)' "$1" 2>/dev/null
}
if [ ! -f "$ESP4J_JAR" ] || ! has_daemon "$ESP4J_JAR"; then
  echo "building $ESP4J_JAR" >&2
  (cd "$ROOT" && mvn -B -q -o -pl cli -am package -DskipTests)
fi
if [ "$CONTROL_PAIRS" -gt 0 ] && [ ! -f "$BENCH_JAR" ]; then
  echo "building $BENCH_JAR" >&2
  (cd "$ROOT" && mvn -B -q -o -pl benchmarks -am package -DskipTests)
fi

PIDS=()
DAEMONS=()
cleanup() {
  for pid in "${PIDS[@]:-}" "${DAEMONS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]:-}" "${DAEMONS[@]:-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
  ip netns del "$UE" 2>/dev/null || true
  ip netns del "$PC" 2>/dev/null || true
  rm -f /dev/shm/esp4j-bench-*-$TAG.counters /dev/shm/esp4j-bench-*-$TAG.counters.seq
}
trap cleanup EXIT INT TERM

ip netns add "$UE"; ip netns add "$PC"
ip -n "$UE" link set lo up; ip -n "$PC" link set lo up
ip -n "$UE" link add veth-ue type veth peer name veth-pc netns "$PC"
if [ "$FAMILY" = 4 ]; then
  ip -n "$UE" addr add $UE_ADDR/$PLEN dev veth-ue
  ip -n "$PC" addr add $PC_ADDR/$PLEN dev veth-pc
else
  ip -n "$UE" -6 addr add $UE_ADDR/128 dev veth-ue nodad
  ip -n "$PC" -6 addr add $PC_ADDR/128 dev veth-pc nodad
fi
ip -n "$UE" link set veth-ue mtu "$VETH_MTU" up; ip -n "$PC" link set veth-pc mtu "$VETH_MTU" up
if [ "$FAMILY" = 6 ]; then
  ip -n "$UE" -6 route add $PC_ADDR/128 dev veth-ue
  ip -n "$PC" -6 route add $UE_ADDR/128 dev veth-pc
fi

# preload: the trace's first two SAs, protecting iperf3 (port 5201, TCP and UDP) in both directions
preload() { # $1 = ue|pc, $2 = esp|esp-ALG|bypass
  local self=$UE_ADDR peer=$PC_ADDR
  [ "$1" = pc ] && { self=$PC_ADDR; peer=$UE_ADDR; }
  if [ "$2" = bypass ]; then
    echo "policy add src $self dst $peer dir out priority 100 action allow"
    return
  fi
  local encap="" alg=$ALG algs
  [ "$2" != esp ] && alg=${2#esp-}
  case $alg in
    sha1) algs="auth-trunc 'hmac(sha1)' $KEY 96 enc 'ecb(cipher_null)' \"\"" ;;
    gcm) algs="aead 'rfc4106(gcm(aes))' ${AES_KEY}01020304 128" ;;
    gmac) algs="aead 'rfc4543(gcm(aes))' ${AES_KEY}01020304 128" ;;
    cbc) algs="auth-trunc 'hmac(sha1)' $KEY 96 enc 'cbc(aes)' $AES_KEY" ;;
  esac
  [ "$CARRIER" = udp ] && encap=" encap espinudp 4500 4500 0.0.0.0"
  echo "state add src $UE_ADDR dst $PC_ADDR proto esp spi 2821032177 reqid 1 mode transport replay-window 64 $algs$encap"
  echo "state add src $PC_ADDR dst $UE_ADDR proto esp spi 565817 reqid 2 mode transport replay-window 64 $algs$encap"
  for proto in tcp udp; do
    if [ "$1" = ue ]; then
      echo "policy add src $UE_ADDR dst $PC_ADDR proto $proto dport $PORT dir out tmpl src $UE_ADDR dst $PC_ADDR proto esp spi 2821032177 reqid 1 mode transport"
      echo "policy add src $PC_ADDR dst $UE_ADDR proto $proto sport $PORT dir in tmpl src $PC_ADDR dst $UE_ADDR proto esp spi 565817 reqid 2 mode transport"
    else
      echo "policy add src $PC_ADDR dst $UE_ADDR proto $proto sport $PORT dir out tmpl src $PC_ADDR dst $UE_ADDR proto esp spi 565817 reqid 2 mode transport"
      echo "policy add src $UE_ADDR dst $PC_ADDR proto $proto dport $PORT dir in tmpl src $UE_ADDR dst $PC_ADDR proto esp spi 2821032177 reqid 1 mode transport"
    fi
  done
}

start_daemon() { # $1 = ns, $2 = ue|pc, $3 = mode
  local peer=$PC_ADDR
  [ "$2" = pc ] && peer=$UE_ADDR
  preload "$2" "$3" > "$WORK/$2.xfrm"
  cat > "$WORK/$2.conf" <<CONF
tun.name=esp4j0
carrier=$CARRIER
steer=$peer
preload=$WORK/$2.xfrm
counters.file=/dev/shm/esp4j-bench-$2-$TAG.counters
control.socket=$WORK/$2.sock
tun.offload=$TUN_OFFLOAD
$DAEMON_CONFIG
CONF
  # shellcheck disable=SC2086
  local pin=()
  if [ -n "$DAEMON_CPUS" ]; then # "UE_CPU PC_CPU"
    local cpus=($DAEMON_CPUS)
    pin=(taskset -c "${cpus[$([ "$2" = ue ] && echo 0 || echo 1)]}")
  fi
  ip netns exec "$1" "${pin[@]}" "$JAVA" $JVM_ARGS -cp "$ESP4J_JAR" org.esp4j.cli.Esp4jMain run --config "$WORK/$2.conf" \
    > "$WORK/daemon-$2.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 300); do
    grep -q ESP4J-READY "$WORK/daemon-$2.log" && { echo "$pid"; return; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "daemon $2 did not start:" >&2; cat "$WORK/daemon-$2.log" >&2; exit 1
}

stop_daemon() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

cpu_ticks() { # busy jiffies of all CPUs
  awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat
}
proc_ticks() { # utime+stime of the given pids
  local sum=0
  for pid in "$@"; do
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] && sum=$((sum + $(awk '{print $14+$15}' "/proc/$pid/stat")))
  done
  echo $sum
}
veth_packets() {
  ip netns exec "$UE" cat /sys/class/net/veth-ue/statistics/tx_packets /sys/class/net/veth-ue/statistics/rx_packets |
    awk '{s+=$1} END {print s}'
}

HZ=$(getconf CLK_TCK)
{
  echo "## iperf3 through esp4j TUN daemons ($(date -u +%Y-%m-%dT%H:%MZ), IPv$FAMILY, ${DURATION}s per run)"
  echo
  echo "$(nproc) CPUs, $(uname -r), $("$JAVA" -version 2>&1 | head -1), carrier $CARRIER, TUN offloads $TUN_OFFLOAD, veth MTU $VETH_MTU, UDP rate ${UDP_RATE} (0: unlimited)"
  echo
  echo "| mode | test | received (Mbit/s) | loss | veth packets/s | system CPU µs/packet | daemon CPU µs/packet |"
  echo "|---|---|---|---|---|---|---|"
} | tee "$OUT"

ip netns exec "$PC" iperf3 -s -B "$PC_ADDR" -p $PORT > "$WORK/iperf-server.log" 2>&1 &
PIDS+=("$!")
sleep 1

for mode in $MODES; do
  DAEMONS=()
  if [ "$mode" != kernel ]; then
    DAEMONS+=("$(start_daemon "$PC" pc "$mode")")
    DAEMONS+=("$(start_daemon "$UE" ue "$mode")")
  fi
  if [ "$WARMUP" -gt 0 ]; then
    ip netns exec "$UE" iperf3 -c "$PC_ADDR" -p $PORT -t "$WARMUP" > /dev/null 2>&1 || true
    ip netns exec "$UE" iperf3 -c "$PC_ADDR" -p $PORT -u -l 1400 -b 200M -t 2 > /dev/null 2>&1 || true
  fi
  for test in $TESTS; do
    args=(-c "$PC_ADDR" -p $PORT -t "$DURATION" -J)
    [ "$test" = udp ] && args+=(-u -l 1400 -b "$UDP_RATE")
    for ns in "$UE" "$PC"; do NSTAT_HISTORY="$WORK/nstat-$ns" ip netns exec "$ns" nstat -n 2>/dev/null || true; done
    p0=$(veth_packets); c0=$(cpu_ticks); d0=$(proc_ticks "${DAEMONS[@]:-}")
    latency=""
    if [ "${mode%%-*}" = esp ] && [ "$CONTROL_PAIRS" -gt 0 ] && [ "$test" = "${TESTS%% *}" ]; then
      # shellcheck disable=SC2086
      ip netns exec "$UE" "$JAVA" $JVM_ARGS -cp "$BENCH_JAR" org.esp4j.benchmarks.ControlLatency "$WORK/ue.sock" \
        "$CONTROL_PAIRS" "$UE_ADDR" "$PC_ADDR" > "$WORK/control-latency.txt" 2>&1 &
      latency=$!
    fi
    ip netns exec "$UE" iperf3 "${args[@]}" > "$WORK/$mode-$test.json" 2> "$WORK/$mode-$test.err" || true
    if [ -n "$latency" ]; then
      wait "$latency" || true
      echo "control latency under $test traffic: $(cat "$WORK/control-latency.txt")" | tee -a "$WORK/control.md" >&2
    fi
    p1=$(veth_packets); c1=$(cpu_ticks); d1=$(proc_ticks "${DAEMONS[@]:-}")
    for ns in "$UE" "$PC"; do
      echo "# $ns"; NSTAT_HISTORY="$WORK/nstat-$ns" ip netns exec "$ns" nstat 2>/dev/null || true
    done > "$WORK/$mode-$test.nstat"
    if [ "$mode" != kernel ]; then
      { ip -n "$UE" -s link show esp4j0; ip -n "$PC" -s link show esp4j0; } > "$WORK/$mode-$test.tun-stats" 2>&1 || true
      # both daemons' counters (cumulative since they started, warm-up included): drops by reason, per-SA counts
      for side in ue pc; do
        echo "# $side"
        # shellcheck disable=SC2086
        "$JAVA" $JVM_ARGS -jar "$ESP4J_JAR" stat --counters "/dev/shm/esp4j-bench-$side-$TAG.counters" 2>/dev/null || true
      done > "$WORK/$mode-$test.counters"
    fi
    python3 - "$WORK/$mode-$test.json" "$mode" "$test" "$((p1 - p0))" "$((c1 - c0))" "$((d1 - d0))" "$HZ" "$DURATION" <<'PY' | tee -a "$OUT"
import json, sys
path, mode, test, packets, cpu, daemon, hz, duration = sys.argv[1:]
packets, cpu, daemon, hz, duration = int(packets), int(cpu), int(daemon), int(hz), float(duration)
try:
    end = json.load(open(path))["end"]
    if test == "tcp":
        mbps = end["sum_received"]["bits_per_second"] / 1e6
        loss = "-"
    else:
        lost = end["sum"].get("lost_percent", 0.0)
        # received rate: what the server got (sender rate less the loss it reported)
        mbps = end["sum"]["bits_per_second"] * (1 - lost / 100.0) / 1e6
        loss = "%.2f%%" % lost
except Exception as ex:
    mbps, loss = float("nan"), "error: %s" % ex
pps = packets / duration
us = lambda ticks: (ticks * 1e6 / hz / packets) if packets else float("nan")
print("| %s | %s | %.1f | %s | %.0f | %.2f | %.2f |" % (mode, test, mbps, loss, pps, us(cpu), us(daemon)))
PY
  done
  for pid in "${DAEMONS[@]:-}"; do [ -n "$pid" ] && stop_daemon "$pid"; done
done
echo
echo "results: $OUT (logs in $WORK)"
