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
#   UDP_LEN    datagram size of the udp test (1400)
#   UDP_WINDOW iperf3 -w for the udp and udpmax tests, every mode alike: the socket buffers (the server's too), e.g. 4M
#              to see what the receiving application's default buffer (net.core.rmem_default) costs (unset: none)
#   TESTS      any of: tcp, udp (iperf3 at UDP_RATE), rr (sequential UDP request/response, udp-rr.py: RR_COUNT round
#              trips of RR_SIZE bytes, RTT percentiles), udpmax (best UDP rate at < 1 % loss for each size of
#              UDP_SIZES: a bisection of SEARCH_STEPS iperf3 runs of SEARCH_SECONDS between 0 and UDP_MAX) ("tcp udp")
#   ROUNDS     repeat the modes ROUNDS times, interleaved (kernel, bypass, esp, kernel, ...); with ROUNDS > 1 a summary
#              gives each mode's median and its median ratio to the kernel path of the same round (1)
#   ROTATE     1: each round starts one mode later (round 2 of "kernel a b c" runs kernel b c a), so no mode always
#              runs right after the kernel path or the same neighbour: a mode's place in the round moved TCP by ~5 %
#              on the shared 2-vCPU VM (RESULTS.md, "Issue 17 (h4)") (0)
#   RR_COUNT   round trips per rr run (10000)        RR_SIZE  UDP payload of rr (200)
#   RR_WARMUP  unmeasured round trips before each rr run (200; the JIT needs thousands to settle on the rr path)
#   TESTS=rrsparse: as rr, paced: RR_SPARSE_COUNT round trips (500), one every RR_SPARSE_US µs (20000: RTP's 20 ms),
#              so every daemon hop starts from an idle daemon; its row also gives the daemons' CPU in % of one CPU
#   TESTS=idle: no traffic for IDLE_SECONDS (10): the daemons' CPU in % of one CPU while idle
#   UDP_SIZES  datagram sizes of udpmax ("1400 200") UDP_MAX  "SIZE:RATE ..." upper bounds of the search
#              ("1400:3000M 200:800M")                SEARCH_STEPS, SEARCH_SECONDS (6, 3)
#   SEARCH_RETRY N: a udpmax step with 1 % loss or more is run again, up to N more times at the same rate, and
#              holds if one of its tries does (every mode alike, the kernel path too): on a shared machine one stall
#              of another process during a 2-s step can decide its verdict, and a search that fails its first steps
#              ends far below the rate the path holds; the steps.md lines show each try (0)
#   SEARCH     guided: the modes after the kernel path in a round bisect from 1.1x its best rate at that size, so
#              6 steps end within ~2 % of it; bisect: every mode from UDP_MAX (3000, 1500, 750, 375, 562, ...: two
#              modes on one step are not told apart) (guided). With guided, a kernel path slowed by other work
#              caps every mode of the round at 1.1x its figure: compare the kernel rows across rounds
#   ALG        the esp mode's algorithms: sha1 (HMAC-SHA-1-96 + NULL), gcm (AES-128-GCM, 16-byte ICV, RFC 4106), gmac
#              (AES-128-GMAC, RFC 4543) or cbc (AES-128-CBC + HMAC-SHA-1-96) (sha1). A mode esp-ALG uses ALG instead,
#              so MODES="esp-sha1 esp-gcm esp-sha1 esp-gcm" compares two suites in interleaved rounds of one run
#   ESP4J_JAR  shaded jar with the daemon (cli/target/esp4j.jar, built if missing)
#   MODES      may also hold "libipsec": strongSwan's charon (Debian strongswan + libcharon-extra-plugins) in each
#              namespace with kernel-libipsec, its userspace ESP, in place of the esp4j daemons: IKEv2 with a PSK, ESP
#              tunnel mode over UDP 4500 (forceencaps) between inner addresses on lo (INNER_UE, INNER_PC), proposal
#              LIBIPSEC_ESP (null-sha1, as esp4j's HMAC-SHA-1 + NULL); the tests then run to INNER_PC. Each charon runs
#              in a mount namespace of its own (its ipsec.conf, secrets, strongswan.conf and /run bound over the
#              host's), so the host's strongSwan configuration is neither read nor touched.
#              A mode may carry extra daemon config after a colon, comma-separated: "esp:carrier.ring=off",
#              "esp:carrier=udp" (the SAs then are ESP-in-UDP), "esp:inbound.filter=off,carrier.ring=off".
#   BASE_JAR   a second daemon jar (another build) for the modes esp-base and bypass-base, to compare two versions
#              in the same rounds (MODES="kernel esp-base esp")
#   JAVA       java executable (java)              OUT      result file (default: results.md in the work dir)
#   WARMUP     seconds of unmeasured traffic after the daemons start, for the JIT (5)
#   DAEMON_CPUS "UE_CPU PC_CPU": pin each daemon JVM to one CPU with taskset (unset: the scheduler decides)
#   RR_CPUS    "CLIENT_CPU SERVER_CPU": run udp-rr.py's client and server each on one CPU (--cpu; unset: any), e.g. to
#              keep them off the CPU of the daemons' packet threads (a mode "esp:packet.cpus=1" with RR_CPUS="0 0")
#   A mode's extra config may also hold nice=N: that mode's daemons run at niceness N (nice -n N), iperf3 at 0
#   A mode's extra config may also hold java=PATH: that mode's daemons run on that JVM (JAVA: the rest), so
#              MODES="esp esp:java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java" compares two JDKs in the same rounds
#   CARRIER    raw (ESP as IP protocol 50) or udp (RFC 3948 ESP-in-UDP on 4500) (raw)
#   TUN_OFFLOAD on|off: the daemons' TUN offloads (TSO in, coalesced TCP out; on)
#   DAEMON_CONFIG extra key=value lines for both daemons' config, e.g. "inbound.filter=off" (none)
#   CONTROL_PAIRS N: in the esp mode, during the first test, N "xfrm state add" / "xfrm state delete" pairs on the
#              UE daemon's control socket (ControlLatency from benchmarks/target/benchmarks.jar, built if missing):
#              their latency percentiles are printed and kept in control.md beside the results (0: none)
#   VETH_FEATURES ethtool -K features for both veth ends, e.g. "tx-udp-segmentation off": the kernel then cuts
#              UDP GSO trains into datagrams before the veth (and its taps) instead of after (none)
#   CAPTURE    N: during each TESTS=udp run, tcpdump takes N frames of ESP on each veth end (veth-ue, veth-pc); tshark
#              checks their ICVs with the run's SAs (sha1 only) and the row says how many frames were bigger than the
#              MTU (a UDP GSO train seen whole) and how many ICVs were good or bad; the pcaps stay in the work dir (0)
#   PERF       1: `perf record -g` (999 Hz) of both daemons during each TESTS=udp run, the daemons with
#              -XX:+PreserveFramePointer and their JIT's symbols (jcmd Compiler.perfmap, /tmp/perf-PID.map), kept in the
#              work dir as RUN-perf-ue.data and RUN-perf-pc.data (`perf report -i FILE --no-children`) (0)
#   LOSS_DETAIL 1: around every iperf3 run of TESTS=udp and every step of udpmax, where datagrams were lost
#              (loss-probe.py: each UDP socket's drops by port, so the iperf3 server's and the carrier's apart, the
#              kernel's UDP/IP error counters, link and qdisc drops, in both namespaces), the share of the CPUs
#              that was busy and how much of a CPU processes outside this script's process tree took (other people's
#              work on a shared machine, the busiest named); one line per run or step in steps.md beside the results,
#              and on stderr (0)
#   SCHED_TRACE S: during each TESTS=udp run, `perf sched record -a` for S seconds from the run's middle, kept as
#              RUN-sched.data; sched-waits.py then says how long the iperf3 server waited for a CPU once runnable, which
#              threads (the daemons' marked ue/pc, other people's processes) ran on its CPU during its waits over 0.5 ms,
#              and each busy thread's CPU share; one line in steps.md and on stderr (0: none)
#   VETH_MTU   MTU of the veth pair (1600: the TUN MTU, VETH_MTU - 88, then carries 1400-byte datagrams whole;
#              with 1500 the kernel fragments them before the TUN and non-first fragments miss port selectors)
# Needs: root, iproute2, iperf3, python3, a JDK 17+ (and for the libipsec mode strongSwan 5.9 with its starter,
# stroke, kernel-libipsec and openssl plugins, util-linux's unshare and setsid).
#
# Reported per run: iperf3 throughput, packets per second on the UE's veth (tx+rx, all packets), system CPU per
# packet (busy jiffies of all CPUs from /proc/stat over the run / veth packets) and daemon CPU per packet (utime +
# stime of both daemon JVMs / veth packets; 0 for the kernel run), and for UDP per datagram iperf3 sent (a UDP GSO
# train of ESP-in-UDP crosses the veth as one packet), and the 1-minute load average at its end (the run included).
# Saved beside the results, per run: iperf3's JSON,
# nstat of both namespaces, TUN link counters and both daemons' counters (esp4j stat). Traffic stays inside the two
# namespaces.
set -euo pipefail

DURATION=${DURATION:-20}
FAMILY=${FAMILY:-6}
UDP_RATE=${UDP_RATE:-500M}
UDP_LEN=${UDP_LEN:-1400}
UDP_WINDOW=${UDP_WINDOW:-}
WINDOW_ARGS=()
[ -n "$UDP_WINDOW" ] && WINDOW_ARGS=(-w "$UDP_WINDOW")
WARMUP=${WARMUP:-5}
VETH_MTU=${VETH_MTU:-1600}
VETH_FEATURES=${VETH_FEATURES:-}
CAPTURE=${CAPTURE:-0}
PERF=${PERF:-0}
LOSS_DETAIL=${LOSS_DETAIL:-0}
SCHED_TRACE=${SCHED_TRACE:-0}
TUN_OFFLOAD=${TUN_OFFLOAD:-on}
CARRIER=${CARRIER:-raw}
DAEMON_CPUS=${DAEMON_CPUS:-}
DAEMON_CONFIG=${DAEMON_CONFIG:-}
CONTROL_PAIRS=${CONTROL_PAIRS:-0}
ALG=${ALG:-sha1}
MODES=${MODES:-"kernel bypass esp"}
TESTS=${TESTS:-"tcp udp"}
ROUNDS=${ROUNDS:-1}
RR_COUNT=${RR_COUNT:-10000}
RR_SIZE=${RR_SIZE:-200}
RR_WARMUP=${RR_WARMUP:-200}
RR_SPARSE_COUNT=${RR_SPARSE_COUNT:-500}
RR_SPARSE_US=${RR_SPARSE_US:-20000}
IDLE_SECONDS=${IDLE_SECONDS:-10}
UDP_SIZES=${UDP_SIZES:-"1400 200"}
UDP_MAX=${UDP_MAX:-"1400:3000M 200:800M"}
SEARCH_STEPS=${SEARCH_STEPS:-6}
SEARCH_SECONDS=${SEARCH_SECONDS:-3}
SEARCH=${SEARCH:-guided}
SEARCH_RETRY=${SEARCH_RETRY:-0}
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
# the daemons get the launcher's JVM settings for `run` (./esp4j) unless ESP4J_JAVA_OPTS (even empty) replaces them
DAEMON_JAVA_DEFAULTS=$(sed -n 's/^daemon_defaults="\(.*\)"$/\1/p' "$ROOT/esp4j")
JVM_ARGS="--add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED --add-opens java.base/sun.security.provider=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -XX:+IgnoreUnrecognizedVMOptions"
daemon_jvm_args() { # $1 = java: the daemons' JVM options for that JVM
  local spec args="$JVM_ARGS ${ESP4J_JAVA_OPTS-$DAEMON_JAVA_DEFAULTS}"
  [ "$PERF" = 1 ] && args="$args -XX:+PreserveFramePointer"
  # as ./esp4j run does: the Vector API module for multi-buffer HMAC (crypto.multibuffer) from JDK 21
  spec=$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  if [ "${spec%%.*}" -ge 21 ] 2>/dev/null; then
    args="$args --add-modules jdk.incubator.vector"
  fi
  echo "$args"
}
RR_PORT=5202
RR_CPUS=${RR_CPUS:-}
rr_cpu() { # $1 = 0 (client) or 1 (server): udp-rr.py's --cpu from RR_CPUS
  [ -z "$RR_CPUS" ] && return
  local cpus=($RR_CPUS); echo "--cpu ${cpus[$1]}"
}

if [ "$FAMILY" = 4 ]; then
  UE_ADDR=192.0.2.1; PC_ADDR=192.0.2.2; PLEN=24; FOPT=-4
  INNER_UE=${INNER_UE:-198.51.100.1}; INNER_PC=${INNER_PC:-198.51.100.2}; INNER_PLEN=32
else
  UE_ADDR=2001::1:d1ae:bb37:d9c9:81d0; PC_ADDR=2001:0:0:1::2; PLEN=128; FOPT=-6
  INNER_UE=${INNER_UE:-2001:db8:e5:4::1}; INNER_PC=${INNER_PC:-2001:db8:e5:4::2}; INNER_PLEN=128
fi
LIBIPSEC_ESP=${LIBIPSEC_ESP:-null-sha1}

for m in $MODES "esp-$ALG"; do
  b=${m%%:*}; b=${b%-base} # MODE:key=value,... and MODE-base (BASE_JAR) are the same mode
  case $b in
    kernel|bypass|esp|esp-sha1|esp-gcm|esp-gmac|esp-cbc|libipsec) ;;
    *) echo "unknown mode or ALG: $m (modes kernel, bypass, esp, esp-ALG, libipsec; ALG sha1, gcm, gmac or cbc)" >&2; exit 2 ;;
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
CHARONS=()
cleanup() {
  for g in "${CHARONS[@]:-}"; do [ -n "$g" ] && stop_charon "$g"; done
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
# the libipsec mode's tunnel endpoints (unrouted in the other modes)
ip -n "$UE" addr add "$INNER_UE/$INNER_PLEN" dev lo
ip -n "$PC" addr add "$INNER_PC/$INNER_PLEN" dev lo
ip -n "$UE" link set veth-ue mtu "$VETH_MTU" up; ip -n "$PC" link set veth-pc mtu "$VETH_MTU" up
if [ -n "$VETH_FEATURES" ]; then
  # shellcheck disable=SC2086
  { ip netns exec "$UE" ethtool -K veth-ue $VETH_FEATURES && ip netns exec "$PC" ethtool -K veth-pc $VETH_FEATURES; } ||
    { echo "ethtool -K $VETH_FEATURES failed" >&2; exit 1; }
fi
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
  for port in $PORT $RR_PORT; do
    for proto in tcp udp; do
      if [ "$1" = ue ]; then
        echo "policy add src $UE_ADDR dst $PC_ADDR proto $proto dport $port dir out tmpl src $UE_ADDR dst $PC_ADDR proto esp spi 2821032177 reqid 1 mode transport"
        echo "policy add src $PC_ADDR dst $UE_ADDR proto $proto sport $port dir in tmpl src $PC_ADDR dst $UE_ADDR proto esp spi 565817 reqid 2 mode transport"
      else
        echo "policy add src $PC_ADDR dst $UE_ADDR proto $proto sport $port dir out tmpl src $PC_ADDR dst $UE_ADDR proto esp spi 565817 reqid 2 mode transport"
        echo "policy add src $UE_ADDR dst $PC_ADDR proto $proto dport $port dir in tmpl src $UE_ADDR dst $PC_ADDR proto esp spi 2821032177 reqid 1 mode transport"
      fi
    done
  done
}

start_daemon() { # $1 = ns, $2 = ue|pc, $3 = mode (esp-base, bypass-base: BASE_JAR; MODE:k=v,k=v: extra config)
  local peer=$PC_ADDR jar=$ESP4J_JAR mode=$3 extra="" line
  [ "$2" = pc ] && peer=$UE_ADDR
  local CARRIER=$CARRIER # a mode's carrier=... changes the preload's SAs too
  local java=$JAVA # a mode's java=... runs its daemons on that JVM
  local nice=() # a mode's nice=N runs its daemons at that niceness (the applications stay at 0)
  if [[ $mode == *:* ]]; then
    extra=${mode#*:}; mode=${mode%%:*}
    for line in ${extra//,/ }; do
      [[ $line == carrier=* ]] && CARRIER=${line#carrier=}
      [[ $line == java=* ]] && java=${line#java=}
      [[ $line == nice=* ]] && nice=(nice -n "${line#nice=}")
    done
    extra=$(tr ',' '\n' <<< "$extra" | grep -v '^carrier=\|^java=\|^nice=' || true)
  fi
  case $mode in *-base) jar=$BASE_JAR; mode=${mode%-base};; esac
  preload "$2" "$mode" > "$WORK/$2.xfrm"
  cat > "$WORK/$2.conf" <<CONF
tun.name=esp4j0
carrier=$CARRIER
steer=$peer
preload=$WORK/$2.xfrm
counters.file=/dev/shm/esp4j-bench-$2-$TAG.counters
control.socket=$WORK/$2.sock
tun.offload=$TUN_OFFLOAD
$DAEMON_CONFIG
$extra
CONF
  # shellcheck disable=SC2086
  local pin=()
  if [ -n "$DAEMON_CPUS" ]; then # "UE_CPU PC_CPU"
    local cpus=($DAEMON_CPUS)
    pin=(taskset -c "${cpus[$([ "$2" = ue ] && echo 0 || echo 1)]}")
  fi
  ip netns exec "$1" "${pin[@]}" "${nice[@]}" "$java" $(daemon_jvm_args "$java") -cp "$jar" org.esp4j.cli.Esp4jMain run --config "$WORK/$2.conf" \
    > "$WORK/daemon-$2.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 300); do
    grep -qs ESP4J-READY "$WORK/daemon-$2.log" && { echo "$pid"; return; }
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

# strongSwan charon with kernel-libipsec in namespace $1 as $2 (ue: initiator, pc: responder); prints its pid
start_charon() {
  local ns=$1 side=$2 dir=$WORK/charon-$2 self=$UE_ADDR peer=$PC_ADDR inner=$INNER_UE inner_peer=$INNER_PC auto=start
  [ "$side" = pc ] && { self=$PC_ADDR; peer=$UE_ADDR; inner=$INNER_PC; inner_peer=$INNER_UE; auto=add; }
  mkdir -p "$dir/run"
  cat > "$dir/ipsec.conf" <<CONF
config setup
conn bench
    keyexchange=ikev2
    left=$self
    leftsubnet=$inner/$INNER_PLEN
    right=$peer
    rightsubnet=$inner_peer/$INNER_PLEN
    authby=secret
    type=tunnel
    forceencaps=yes
    ike=aes128-sha256-modp2048!
    esp=$LIBIPSEC_ESP!
    auto=$auto
CONF
  echo "$self $peer : PSK \"esp4j-benchmark-only-not-a-secret\"" > "$dir/ipsec.secrets"
  chmod 600 "$dir/ipsec.secrets"
  cat > "$dir/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 hmac gmp kdf pem pkcs1 x509 pubkey stroke kernel-libipsec kernel-netlink socket-default updown
  install_routes = yes
  filelog {
    bench {
      path = $dir/charon.log
      time_format = %T
      flush_line = yes
      default = 1
    }
  }
}
CONF
  # a private /run and the benchmark's configuration over /etc's, in a mount namespace of its own
  setsid ip netns exec "$ns" unshare --mount --propagation private sh -c "
    mount -t tmpfs tmpfs /run &&
    mount --bind '$dir/ipsec.conf' /etc/ipsec.conf &&
    mount --bind '$dir/ipsec.secrets' /etc/ipsec.secrets &&
    mount --bind '$dir/strongswan.conf' /etc/strongswan.conf &&
    exec ipsec start --nofork" > "$dir/starter.log" 2>&1 &
  echo $!
}

# wait until the CHILD_SA carries a round trip through libipsec's TUN (ipsec0)
await_libipsec() {
  for _ in $(seq 1 100); do
    if ip -n "$UE" link show ipsec0 > /dev/null 2>&1 &&
       ip netns exec "$UE" python3 "$ROOT/benchmarks/scripts/udp-rr.py" client "$INNER_PC" $RR_PORT --count 3 \
         --warmup 0 --timeout 0.2 > /dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "libipsec tunnel did not come up:" >&2; tail -20 "$WORK/charon-ue/charon.log" "$WORK/charon-pc/charon.log" >&2
  exit 1
}

stop_charon() { # $1 = the process group setsid made for starter and charon
  kill -TERM -- "-$1" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 -- "-$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$1" 2>/dev/null || true
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
ROWS=$WORK/rows.jsonl
{
  echo "## iperf3 through esp4j TUN daemons ($(date -u +%Y-%m-%dT%H:%MZ), IPv$FAMILY, ${DURATION}s per run, $ROUNDS round(s) of: $MODES)"
  echo
  echo "$(nproc) CPUs, $(uname -r), $("$JAVA" -version 2>&1 | head -1), carrier $CARRIER, TUN offloads $TUN_OFFLOAD, veth MTU $VETH_MTU, UDP rate ${UDP_RATE} (0: unlimited), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| round | mode | test | result | loss | veth packets/s | system CPU µs/packet | daemon CPU µs/packet |"
  echo "|---|---|---|---|---|---|---|---|"
} | tee "$OUT"

ip netns exec "$PC" iperf3 -s -B "$PC_ADDR" -p $PORT > "$WORK/iperf-server.log" 2>&1 &
PIDS+=("$!")
SERVER_PID=$!
if [[ " $MODES " == *" libipsec "* ]]; then
  command -v ipsec > /dev/null && [ -x /usr/lib/ipsec/charon ] ||
    { echo "the libipsec mode needs strongSwan: apt-get install strongswan libcharon-extra-plugins" >&2; exit 1; }
  ip netns exec "$PC" iperf3 -s -B "$INNER_PC" -p $PORT > "$WORK/iperf-server-inner.log" 2>&1 &
  PIDS+=("$!")
fi
RR_BIND=::
[ "$FAMILY" = 4 ] && RR_BIND=0.0.0.0
# shellcheck disable=SC2046
ip netns exec "$PC" python3 "$ROOT/benchmarks/scripts/udp-rr.py" server "$RR_BIND" $RR_PORT $(rr_cpu 1) \
  > "$WORK/rr-server.log" 2>&1 &
PIDS+=("$!")
sleep 1

# counters around one measured run: veth packets, busy CPU jiffies, daemon jiffies
begin_counts() { P0=$(veth_packets); C0=$(cpu_ticks); D0=$(proc_ticks "${DAEMONS[@]:-}"); T0=$(date +%s%N); }
end_counts() { P1=$(veth_packets); C1=$(cpu_ticks); D1=$(proc_ticks "${DAEMONS[@]:-}"); T1=$(date +%s%N); }
# LOSS_DETAIL: snapshots around one iperf3 run, and one line in steps.md of what moved ($1: what the line is about)
# and the iperf3 server socket's queue and drops every 5 ms during the run ($1 of probe_begin: the run's seconds)
probe_begin() {
  [ "$LOSS_DETAIL" = 1 ] || return 0
  python3 "$ROOT/benchmarks/scripts/loss-probe.py" snap "$UE" "$PC" $$ > "$WORK/probe-0.json"
  ip netns exec "$PC" python3 "$ROOT/benchmarks/scripts/loss-probe.py" watch $PORT "$1" 5 > "$WORK/probe-watch.txt" &
  PROBE_WATCH=$!
}
probe_end() {
  [ "$LOSS_DETAIL" = 1 ] || return 0
  python3 "$ROOT/benchmarks/scripts/loss-probe.py" snap "$UE" "$PC" $$ > "$WORK/probe-1.json"
  wait "$PROBE_WATCH" || true
  echo "$1: $(python3 "$ROOT/benchmarks/scripts/loss-probe.py" diff "$WORK/probe-0.json" "$WORK/probe-1.json"); server socket $(cat "$WORK/probe-watch.txt")" |
    tee -a "$WORK/steps.md" >&2
}
# seconds between begin_counts and end_counts (an rr run's warm-up included, as in its CPU ticks)
counted_seconds() { python3 -c "print(($T1 - $T0) / 1e9)"; }

# one table row and one JSON line: $1 round, $2 mode, $3 test, $4 result file, $5 seconds; kind of result from $3
report() {
  python3 - "$4" "$1" "$2" "$3" "$((P1 - P0))" "$((C1 - C0))" "$((D1 - D0))" "$HZ" "$5" "$ROWS" <<'PY' | tee -a "$OUT"
import json, sys
path, rnd, mode, test, packets, cpu, daemon, hz, duration, rows = sys.argv[1:]
packets, cpu, daemon, hz, duration = int(packets), int(cpu), int(daemon), int(hz), float(duration)
row = {"round": int(rnd), "mode": mode, "test": test}
try:
    data = json.load(open(path))
    if test == "idle":
        row["daemon_pct"] = daemon * 100.0 / hz / duration
        result, loss = "daemons %.2f %% CPU" % row["daemon_pct"], "-"
    elif test.startswith("rr"):
        # the daemons' CPU over the counted time (warm-up included), in % of one CPU
        row["daemon_pct"] = daemon * 100.0 / hz / duration if duration > 0 else float("nan")
        duration = data["duration_s"]
        row.update({k: data[k] for k in ("p50", "p99", "p999", "max", "lost", "slow")})
        row["clusters"] = len(data["clusters"])
        result = "p50 %.0f / p99 %.0f / p99.9 %.0f / max %.0f µs (%d > 1 ms, %d clusters), daemons %.1f %% CPU" % (
            data["p50"], data["p99"], data["p999"], data["max"], data["slow"], len(data["clusters"]),
            row["daemon_pct"])
        loss = "%d lost" % data["lost"]
    else:
        end = data["end"]
        if test == "tcp":
            row["mbps"] = end["sum_received"]["bits_per_second"] / 1e6
            loss = "-"
        else:
            lost = end["sum"].get("lost_percent", 0.0)
            # received rate: what the server got (sender rate less the loss it reported)
            row["mbps"] = end["sum"]["bits_per_second"] * (1 - lost / 100.0) / 1e6
            row["loss"] = lost
            loss = "%.2f%%" % lost
        result = "%.1f Mbit/s" % row["mbps"]
        if test.startswith("udpmax"):
            size = int(test.split("-")[1])
            result += " (%.0f kpps of %d B, at -b %s)" % (row["mbps"] * 1e3 / 8 / size, size, data.get("rate", "?"))
        datagrams = end["sum"].get("packets", 0) if test != "tcp" else 0
        if datagrams and daemon:
            # per datagram iperf3 sent, not per veth packet: a UDP GSO train crosses the veth as one packet
            row["daemon_us_datagram"] = daemon * 1e6 / hz / datagrams
            result += ", daemons %.2f µs/datagram" % row["daemon_us_datagram"]
except Exception as ex:
    result, loss = "error: %s" % ex, "-"
# the machine's load when the run ended (1-minute average: what else ran on the shared CPUs)
row["load"] = float(open("/proc/loadavg").read().split()[0])
result += ", load %.1f" % row["load"]
pps = packets / duration
us = lambda ticks: (ticks * 1e6 / hz / packets) if packets else float("nan")
row.update({"pps": pps, "system_us": us(cpu), "daemon_us": us(daemon)})
with open(rows, "a") as out:
    out.write(json.dumps(row) + "\n")
print("| %s | %s | %s | %s | %s | %.0f | %.2f | %.2f |" % (rnd, mode, test, result, loss, pps, us(cpu), us(daemon)))
PY
}

# what a capture of ESP on one veth end shows: frames, how many were bigger than the MTU (a UDP GSO train, or a GRO
# super-packet, seen whole: tshark dissects it as one ESP packet), and tshark's ICV verdicts with the run's SAs
capture_report() { # $1 round, $2 mode, $3 device, $4 pcap
  local sa=() spi
  for spi in 0xa82588f1 0x0008a239; do # the preload's SPIs 2821032177 and 565817
    sa+=(-o "uat:esp_sa:\"IPv$FAMILY\",\"*\",\"*\",\"$spi\",\"NULL\",\"\",\"HMAC-SHA-1-96 [RFC2404]\",\"$KEY\"")
  done
  tshark -n -r "$4" -d udp.port==4500,udpencap -o esp.enable_encryption_decode:TRUE \
    -o esp.enable_authentication_check:TRUE "${sa[@]}" -T fields -e frame.len -e esp.icv_good -e esp.icv_bad \
    2>/dev/null | awk -v mtu="$VETH_MTU" -v r="$1" -v m="$2" -v d="$3" '
      { n++; if ($1 > mtu + 14) big++; if ($2 == 1) good++; if ($3 == 1) bad++; if ($1 > max) max = $1 }
      END { printf "| %s | %s | capture %s | %d frames, %d over the MTU (largest %d B), ICV good %d / bad %d | - | - | - | - |\n",
            r, m, d, n, big, max, good, bad }' | tee -a "$OUT" || true
}

# iperf3 UDP result of a JSON file: "received-Mbit/s loss-percent"
udp_result() {
  python3 -c 'import json, sys
try:
    s = json.load(open(sys.argv[1]))["end"]["sum"]; lost = s.get("lost_percent", 100.0)
    print("%.3f %.3f" % (s["bits_per_second"] * (1 - lost / 100.0) / 1e6, lost))
except Exception:
    print("0 100")' "$1"
}

# the best UDP rate at < 1 % loss for datagrams of $3 bytes: bisection between 0 and UDP_MAX's bound for the size, or
# (SEARCH=guided) for a mode other than kernel, 1.1x the kernel path's best of the same round and size (no mode beats
# the kernel path, and what an overloaded run delivers says little: the daemons then spend their CPU on packets that
# are dropped later)
declare -A KERNEL_BEST
udp_search() { # $1 round, $2 mode, $3 size
  local size=$3 hi=0 lo=0 rate best=-1 step mbps loss entry safe=${2//\//_}
  for entry in $UDP_MAX; do [ "${entry%%:*}" = "$size" ] && hi=${entry#*:} && hi=${hi%M}; done
  [ "$hi" -gt 0 ] || hi=1000
  local reference=${KERNEL_BEST[$1-$size]:-}
  if [ "$SEARCH" = guided ] && [ "$2" != kernel ] && [ -n "$reference" ]; then
    hi=$(python3 -c 'import sys; print(int(float(sys.argv[1]) * 1.1) + 1)' "$reference")
  fi
  rate=$hi
  for step in $(seq 1 "$SEARCH_STEPS"); do
    local json=$WORK/r$1-$safe-udpmax-$size-$step.json try
    for try in $(seq 0 "$SEARCH_RETRY"); do
      probe_begin "$SEARCH_SECONDS"
      begin_counts
      ip netns exec "$UE" iperf3 -c "$TARGET" -p $PORT -t "$SEARCH_SECONDS" -J -u -l "$size" -b "${rate}M" "${WINDOW_ARGS[@]}" > "$json" 2>/dev/null || true
      end_counts
      read -r mbps loss < <(udp_result "$json")
      probe_end "round $1 $2 udpmax-$size step $step$([ "$try" -gt 0 ] && echo " try $((try + 1))") -b ${rate}M: $mbps Mbit/s, loss $loss %"
      python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)' "$loss" && break
    done
    if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)' "$loss"; then
      if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$mbps" "$best"; then
        best=$mbps
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["rate"] = sys.argv[2]; json.dump(d, open(sys.argv[3], "w"))' \
          "$json" "${rate}M" "$WORK/r$1-$safe-udpmax-$size.json"
        BEST_COUNTS="$P0 $P1 $C0 $C1 $D0 $D1"
      fi
      lo=$rate
      [ "$step" = 1 ] && break # the bound itself holds: the sender is the limit
    else
      hi=$rate
    fi
    rate=$(( (lo + hi) / 2 ))
    [ "$rate" -gt "$lo" ] || break
  done
  if [ "$best" = -1 ]; then
    echo "| $1 | $2 | udpmax-$size | no rate below 1 % loss down to ${rate}M | - | - | - | - |" | tee -a "$OUT"
    return
  fi
  [ "$2" = kernel ] && KERNEL_BEST[$1-$size]=$best
  read -r P0 P1 C0 C1 D0 D1 <<< "$BEST_COUNTS"
  report "$1" "$2" "udpmax-$size" "$WORK/r$1-$safe-udpmax-$size.json" "$SEARCH_SECONDS"
}

# ROTATE=1: round R runs the modes shifted by R-1 places (a leading kernel mode stays first: the guided search needs it)
round_modes() {
  local -a modes=($MODES)
  local first=""
  if [ "${ROTATE:-0}" != 1 ]; then
    echo "$MODES"
    return
  fi
  if [ "${modes[0]}" = kernel ]; then
    first=kernel
    modes=("${modes[@]:1}")
  fi
  local shift=$(( ($1 - 1) % ${#modes[@]} ))
  echo $first "${modes[@]:shift}" "${modes[@]:0:shift}"
}

for round in $(seq 1 "$ROUNDS"); do
for mode in $(round_modes "$round"); do
  DAEMONS=()
  CHARONS=()
  TARGET=$PC_ADDR
  if [ "$mode" = libipsec ]; then
    TARGET=$INNER_PC
    CHARONS+=("$(start_charon "$PC" pc)")
    sleep 0.5
    CHARONS+=("$(start_charon "$UE" ue)")
    await_libipsec
    # CPU per packet counts both charons
    for ns in "$UE" "$PC"; do
      for pid in $(ip netns pids "$ns"); do [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = charon ] && DAEMONS+=("$pid"); done
    done
  elif [ "$mode" != kernel ]; then
    DAEMONS+=("$(start_daemon "$PC" pc "$mode")")
    DAEMONS+=("$(start_daemon "$UE" ue "$mode")")
  fi
  if [ "$WARMUP" -gt 0 ]; then
    ip netns exec "$UE" iperf3 -c "$TARGET" -p $PORT -t "$WARMUP" > /dev/null 2>&1 || true
    ip netns exec "$UE" iperf3 -c "$TARGET" -p $PORT -u -l 1400 -b 200M -t 2 > /dev/null 2>&1 || true
  fi
  n=0
  for test in $TESTS; do
    n=$((n + 1))
    run=r$round-${mode//\//_}-$test-$n # a mode's java=PATH holds slashes
    for ns in "$UE" "$PC"; do NSTAT_HISTORY="$WORK/nstat-$ns" ip netns exec "$ns" nstat -n 2>/dev/null || true; done
    if [ "$test" = udpmax ]; then
      for size in $UDP_SIZES; do udp_search "$round" "$mode" "$size"; done
    elif [ "$test" = idle ]; then
      begin_counts
      sleep "$IDLE_SECONDS"
      end_counts
      echo "{\"duration_s\": $IDLE_SECONDS}" > "$WORK/$run.json"
      report "$round" "$mode" idle "$WORK/$run.json" "$IDLE_SECONDS"
    elif [ "$test" = rr ] || [ "$test" = rrsparse ]; then
      rr_args=(--count "$RR_COUNT")
      [ "$test" = rrsparse ] && rr_args=(--count "$RR_SPARSE_COUNT" --interval-us "$RR_SPARSE_US")
      begin_counts
      # shellcheck disable=SC2046
      ip netns exec "$UE" python3 "$ROOT/benchmarks/scripts/udp-rr.py" client "$TARGET" $RR_PORT "${rr_args[@]}" $(rr_cpu 0) \
        --size "$RR_SIZE" --warmup "$RR_WARMUP" --json "$WORK/$run.json" > "$WORK/$run.txt" 2>&1 || true
      end_counts
      report "$round" "$mode" "$test" "$WORK/$run.json" "$(counted_seconds)"
    else
      args=(-c "$TARGET" -p $PORT -t "$DURATION" -J)
      [ "$test" = udp ] && args+=(-u -l "$UDP_LEN" -b "$UDP_RATE" "${WINDOW_ARGS[@]}")
      latency=""
      if [ "${mode%%[-:]*}" = esp ] && [ "$CONTROL_PAIRS" -gt 0 ] && [ "$test" = "${TESTS%% *}" ] && [ "$round" = 1 ]; then
        # shellcheck disable=SC2086
        ip netns exec "$UE" "$JAVA" $JVM_ARGS -cp "$BENCH_JAR" org.esp4j.benchmarks.ControlLatency "$WORK/ue.sock" \
          "$CONTROL_PAIRS" "$UE_ADDR" "$PC_ADDR" > "$WORK/control-latency.txt" 2>&1 &
        latency=$!
      fi
      captures=()
      if [ "$CAPTURE" -gt 0 ] && [ "$test" = udp ]; then
        for end in "$UE:veth-ue" "$PC:veth-pc"; do
          ip netns exec "${end%%:*}" tcpdump -i "${end#*:}" -n -s 0 -c "$CAPTURE" -U -w "$WORK/$run-${end#*:}.pcap" \
            "esp or udp port 4500" > "$WORK/$run-${end#*:}.tcpdump" 2>&1 &
          captures+=("$!")
          for _ in $(seq 1 100); do grep -q "listening on" "$WORK/$run-${end#*:}.tcpdump" && break; sleep 0.05; done
        done
      fi
      perfs=()
      if [ "$PERF" = 1 ] && [ "$test" = udp ] && [ "${#DAEMONS[@]}" = 2 ]; then
        perf record -q -F 999 -g -p "${DAEMONS[1]}" -o "$WORK/$run-perf-ue.data" > /dev/null 2>&1 &
        perfs+=("$!")
        perf record -q -F 999 -g -p "${DAEMONS[0]}" -o "$WORK/$run-perf-pc.data" > /dev/null 2>&1 &
        perfs+=("$!")
      fi
      sched=""
      if [ "$SCHED_TRACE" -gt 0 ] && [ "$test" = udp ]; then
        python3 -c "import time; time.sleep(max(0, ($DURATION - $SCHED_TRACE) / 2))" && \
          perf sched record -a -o "$WORK/$run-sched.data" -- sleep "$SCHED_TRACE" > /dev/null 2>&1 &
        sched=$!
      fi
      [ "$test" = udp ] && probe_begin "$DURATION"
      begin_counts
      ip netns exec "$UE" iperf3 "${args[@]}" > "$WORK/$run.json" 2> "$WORK/$run.err" || true
      end_counts
      if [ -n "$sched" ]; then
        wait "$sched" || true
        # shellcheck disable=SC2046
        echo "round $round $mode udp -b $UDP_RATE, scheduler: $(python3 "$ROOT/benchmarks/scripts/sched-waits.py" \
          "$WORK/$run-sched.data" "$SERVER_PID" $([ "${#DAEMONS[@]}" = 2 ] && echo "${DAEMONS[1]} ${DAEMONS[0]}"))" |
          tee -a "$WORK/steps.md" >&2
      fi
      [ "$test" = udp ] && probe_end "round $round $mode udp -b $UDP_RATE: $(udp_result "$WORK/$run.json" | awk '{print $1 " Mbit/s, loss " $2 " %"}')"
      if [ "${#perfs[@]}" -gt 0 ]; then
        for pid in "${DAEMONS[@]}"; do jcmd "$pid" Compiler.perfmap > /dev/null 2>&1 || true; done
        kill -INT "${perfs[@]}" 2>/dev/null || true; wait "${perfs[@]}" 2>/dev/null || true
      fi
      for pid in "${captures[@]:-}"; do
        [ -n "$pid" ] && { kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; } # (-c may end it)
      done
      [ "${#captures[@]}" -gt 0 ] && for dev in veth-ue veth-pc; do capture_report "$round" "$mode" "$dev" "$WORK/$run-$dev.pcap"; done
      if [ -n "$latency" ]; then
        wait "$latency" || true
        echo "control latency under $test traffic: $(cat "$WORK/control-latency.txt")" | tee -a "$WORK/control.md" >&2
      fi
      report "$round" "$mode" "$test" "$WORK/$run.json" "$DURATION"
    fi
    for ns in "$UE" "$PC"; do
      echo "# $ns"; NSTAT_HISTORY="$WORK/nstat-$ns" ip netns exec "$ns" nstat 2>/dev/null || true
    done > "$WORK/$run.nstat"
    if [ "$mode" != kernel ] && [ "$mode" != libipsec ]; then
      { ip -n "$UE" -s link show esp4j0; ip -n "$PC" -s link show esp4j0; } > "$WORK/$run.tun-stats" 2>&1 || true
      # both daemons' counters (cumulative since they started, warm-up included): drops by reason, per-SA counts
      for side in ue pc; do
        echo "# $side"
        # shellcheck disable=SC2086
        "$JAVA" $JVM_ARGS -jar "$ESP4J_JAR" stat --counters "/dev/shm/esp4j-bench-$side-$TAG.counters" 2>/dev/null || true
      done > "$WORK/$run.counters"
    fi
  done
  if [ "$mode" = libipsec ]; then
    for g in "${CHARONS[@]}"; do stop_charon "$g"; done
    for side in ue pc; do mv "$WORK/charon-$side" "$WORK/r$round-charon-$side"; done
  else
    for pid in "${DAEMONS[@]:-}"; do [ -n "$pid" ] && stop_daemon "$pid"; done
  fi
  for side in ue pc; do [ -f "$WORK/daemon-$side.log" ] && mv "$WORK/daemon-$side.log" "$WORK/r$round-${mode//\//_}-daemon-$side.log"; done
done
done

if [ "$ROUNDS" -gt 1 ]; then
  python3 - "$ROWS" <<'PY' | tee -a "$OUT"
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
# the reference: the kernel path if measured, else the first mode
reference = "kernel" if any(r["mode"] == "kernel" for r in rows) else rows[0]["mode"]
kernel = {(r["round"], r["test"]): r for r in rows if r["mode"] == reference}
print("\nSummary: medians over the rounds; against %s = median over rounds of (mode / %s of the same round),"
      % (reference, reference))
print("for rr (mode - %s) in µs.\n" % reference)
print("| test | mode | median | against %s | daemon CPU µs/packet |" % reference)
print("|---|---|---|---|---|")
med = lambda xs: statistics.median(xs) if xs else float("nan")
for test in dict.fromkeys(r["test"] for r in rows):
    for mode in dict.fromkeys(r["mode"] for r in rows):
        mine = [r for r in rows if r["test"] == test and r["mode"] == mode]
        if not mine:
            continue
        cpu = "%.2f" % med([r["daemon_us"] for r in mine])
        per_datagram = [r["daemon_us_datagram"] for r in mine if "daemon_us_datagram" in r]
        if per_datagram:
            cpu += " (%.2f µs/datagram)" % med(per_datagram)
        if test == "idle":
            value = "daemons %.2f %% CPU" % med([r["daemon_pct"] for r in mine])
            against = "-"
        elif test.startswith("rr"):
            keys = ("p50", "p99", "p999", "max")
            value = " / ".join("%.0f" % med([r[k] for r in mine]) for k in keys) + " µs (p50/p99/p99.9/max)"
            deltas = []
            for k in keys[:3]:
                d = [r[k] - kernel[(r["round"], test)][k] for r in mine if (r["round"], test) in kernel]
                deltas.append("%+.0f" % med(d))
            against = " / ".join(deltas) + " µs"
            value += ", daemons %.1f %% CPU" % med([r.get("daemon_pct", float("nan")) for r in mine])
        else:
            value = "%.1f Mbit/s" % med([r["mbps"] for r in mine])
            ratios = [r["mbps"] / kernel[(r["round"], test)]["mbps"] for r in mine
                      if (r["round"], test) in kernel and kernel[(r["round"], test)].get("mbps")]
            against = "%.2fx" % med(ratios)
        print("| %s | %s | %s | %s | %s |" % (test, mode, value, against, cpu))
PY
fi
echo
echo "results: $OUT (logs in $WORK)"
