#!/usr/bin/env bash
# Resident memory of two esp4j daemons under modest steady traffic: two network namespaces joined by a veth pair (as
# iperf-tun.sh), ESP between them, iperf3 TCP and UDP at a fixed rate for DURATION seconds, and each daemon's RSS
# (VmRSS) sampled every INTERVAL seconds. The daemons start through the ./esp4j launcher, so its JVM defaults are
# what is measured; ESP4J_JAVA_OPTS (exported, even empty) replaces them, as for the launcher.
#
#   sudo benchmarks/scripts/rss-soak.sh                                   # 30 min, the launcher's defaults
#   sudo env ESP4J_JAVA_OPTS= NAME=jvmdefault benchmarks/scripts/rss-soak.sh   # the JVM's own defaults
#
# Environment:
#   DURATION  seconds of traffic (1800)             INTERVAL  seconds between samples (30)
#   RATE      iperf3 -b for each of TCP and UDP (10M) NAME      run name, in namespace, TUN and file names (soak)
#   LAUNCHER  the esp4j launcher (./esp4j of this checkout)           OUT  result file (WORK/rss.md)
# Needs: root, iproute2, iperf3, a JDK 17+. Traffic stays inside the two namespaces (IPv4, 192.0.2.0/24).
set -euo pipefail

DURATION=${DURATION:-1800}
INTERVAL=${INTERVAL:-30}
RATE=${RATE:-10M}
NAME=${NAME:-soak}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAUNCHER=${LAUNCHER:-$ROOT/esp4j}
WORK=$(mktemp -d "/tmp/esp4j-$NAME-XXXXXX")
OUT=${OUT:-$WORK/rss.md}
UE=esp4j-$NAME-ue
PC=esp4j-$NAME-pc
UE_ADDR=192.0.2.1
PC_ADDR=192.0.2.2
KEY=0xf769bcd751044604127672711c6d344100000000

for tool in ip iperf3; do command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }; done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  sleep 2
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
  ip netns del "$UE" 2>/dev/null || true
  ip netns del "$PC" 2>/dev/null || true
  rm -f "/dev/shm/esp4j-$NAME-"*.counters
}
trap cleanup EXIT INT TERM

ip netns add "$UE"; ip netns add "$PC"
ip -n "$UE" link set lo up; ip -n "$PC" link set lo up
ip -n "$UE" link add veth-ue type veth peer name veth-pc netns "$PC"
ip -n "$UE" addr add $UE_ADDR/24 dev veth-ue
ip -n "$PC" addr add $PC_ADDR/24 dev veth-pc
ip -n "$UE" link set veth-ue up; ip -n "$PC" link set veth-pc up

start_daemon() { # $1 = namespace, $2 = ue|pc
  local self=$UE_ADDR peer=$PC_ADDR out=2821032177 in=565817
  [ "$2" = pc ] && { self=$PC_ADDR; peer=$UE_ADDR; out=565817; in=2821032177; }
  {
    echo "state add src $UE_ADDR dst $PC_ADDR proto esp spi 2821032177 reqid 1 mode transport replay-window 64 auth-trunc 'hmac(sha1)' $KEY 96 enc 'ecb(cipher_null)' \"\""
    echo "state add src $PC_ADDR dst $UE_ADDR proto esp spi 565817 reqid 2 mode transport replay-window 64 auth-trunc 'hmac(sha1)' $KEY 96 enc 'ecb(cipher_null)' \"\""
    echo "policy add src $self dst $peer dir out tmpl src $self dst $peer proto esp spi $out mode transport"
    echo "policy add src $peer dst $self dir in tmpl src $peer dst $self proto esp spi $in mode transport"
  } > "$WORK/$2.xfrm"
  cat > "$WORK/$2.conf" <<CONF
tun.name=e4$NAME$2
steer=$peer/32
preload=$WORK/$2.xfrm
counters.file=/dev/shm/esp4j-$NAME-$2.counters
control.socket=$WORK/$2.sock
CONF
  ip netns exec "$1" "$LAUNCHER" run --config "$WORK/$2.conf" > "$WORK/daemon-$2.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 600); do
    grep -q ESP4J-READY "$WORK/daemon-$2.log" && { echo "$pid"; return; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "daemon $2 did not start:" >&2; cat "$WORK/daemon-$2.log" >&2; exit 1
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

PC_PID=$(start_daemon "$PC" pc)
UE_PID=$(start_daemon "$UE" ue)
for port in 5201 5202; do
  ip netns exec "$PC" iperf3 -s -B $PC_ADDR -p $port > "$WORK/iperf-server-$port.log" 2>&1 &
  PIDS+=("$!")
done
sleep 1
ip netns exec "$UE" iperf3 -c $PC_ADDR -p 5201 -b "$RATE" -t "$DURATION" > "$WORK/iperf-tcp.log" 2>&1 &
PIDS+=("$!")
ip netns exec "$UE" iperf3 -c $PC_ADDR -p 5202 -u -l 1200 -b "$RATE" -t "$DURATION" > "$WORK/iperf-udp.log" 2>&1 &
PIDS+=("$!")

{
  echo "## RSS of two esp4j daemons, $NAME ($(date -u +%Y-%m-%dT%H:%MZ), ${DURATION}s, iperf3 TCP and UDP at $RATE each)"
  echo
  echo "$(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1), ESP4J_JAVA_OPTS=${ESP4J_JAVA_OPTS-(unset: launcher defaults)}"
  echo
  echo "| s | UE RSS (MB) | P-CSCF RSS (MB) |"
  echo "|---:|---:|---:|"
} | tee "$OUT"
start=$(date +%s)
while :; do
  now=$(($(date +%s) - start))
  printf '| %d | %.1f | %.1f |\n' "$now" "$(echo "$(rss_kb "$UE_PID") / 1024" | bc -l)" \
    "$(echo "$(rss_kb "$PC_PID") / 1024" | bc -l)" | tee -a "$OUT"
  [ "$now" -ge "$DURATION" ] && break
  sleep "$INTERVAL"
done
{
  echo
  echo "iperf3 (receiver): $(grep -h receiver "$WORK"/iperf-tcp.log "$WORK"/iperf-udp.log | tr -s ' ' | tr '\n' ';')"
  for side in ue pc; do
    echo "$side: $("$LAUNCHER" stat --counters "/dev/shm/esp4j-$NAME-$side.counters" 2>&1 |
      grep -E 'XfrmOutNoStates|XfrmInNoStates|Esp4jOutProtected|Esp4jInDelivered' | tr -s ' ' | tr '\n' ';')"
  done
} | tee -a "$OUT"
echo "results: $OUT (logs in $WORK)"
