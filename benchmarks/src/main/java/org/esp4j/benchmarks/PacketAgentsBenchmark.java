package org.esp4j.benchmarks;

import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.tun.carrier.CarrierReceiver;
import org.esp4j.tun.carrier.CarrierStatus;
import org.esp4j.tun.carrier.IpCarrierSender;
import org.esp4j.tun.carrier.UdpCarrierSender;
import org.esp4j.tun.daemon.DaemonConfig;
import org.esp4j.tun.daemon.DaemonCounters;
import org.esp4j.tun.daemon.FragmentGuard;
import org.esp4j.tun.daemon.InboundAgent;
import org.esp4j.tun.daemon.InboundHandoff;
import org.esp4j.tun.daemon.OutboundAgent;
import org.esp4j.tun.daemon.PacketLoad;
import org.esp4j.tun.daemon.PollIdleStrategy;
import org.esp4j.tun.device.TunDevice;
import org.esp4j.tun.device.TunPort;
import org.esp4j.tun.jna.PollFds;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packet agents' own work around the ESP processors, as {@code packet.threads=one} runs them: a UE's
 * {@link OutboundAgent} and a P-CSCF's {@link InboundAgent} in one {@link CompositeAgent}, joined by substitutes for
 * the TUN and the raw carrier that copy bytes and make no system call.
 * <p>
 * <b>What is measured.</b> {@link #lonePacketThroughBothAgents()}: one 200-byte-class datagram read from the UE's
 * TUN, protected, handed to the carrier, received by the P-CSCF's agent in the same duty cycle, verified and
 * written into its TUN; then one idle duty cycle. The request/response shape the latency goal is about: every packet is alone.
 * <p>
 * <b>Baseline.</b> {@link #baselineProcessorsOnly()}: the same copy, protect and unprotect on two other processors
 * with the same SA, no agent. The difference is the agents' bookkeeping (readiness, counters, the carrier and
 * TUN hand-offs). Run with {@code -prof gc}: both should allocate nothing.
 * <p>
 * <b>{@code -p protocol=TCP}</b>: the same packet with TCP as its next header (and a policy for TCP). The agents look
 * at each packet's protocol and mark a UDP datagram for {@code packet.yield=udp} ({@code PacketScheduling.DatagramMark});
 * a TCP packet is only looked at. This class builds unchanged against the commits before and after the mark came
 * (a5d637a, e9e5451), so {@code jmh-ab.sh} over the two jars gives the mark's cost on the TCP path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED" })
public class PacketAgentsBenchmark
{
    /** UDP payload bytes. */
    @Param({ "200" })
    public int payload;

    /** The plaintext's transport protocol: UDP, or TCP (the fixture's packet with TCP as its next header). */
    @Param({ "UDP" })
    public String protocol;

    private EspFixture ue;
    private EspFixture pcscf;
    private EspFixture baselineUe;
    private EspFixture baselinePcscf;
    private UeTun ueTun;
    private PcscfTun pcscfTun;
    private CompositeAgent agents;
    private InboundHandoff.Guest lentAgents;
    private PollIdleStrategy idle;
    private byte[] plaintext;
    private UnsafeBuffer buffer;

    @Setup
    public void setup() throws Exception
    {
        final EspSuite suite = EspSuite.HMAC_SHA1_96_NULL;
        ue = new EspFixture(suite, 64);
        pcscf = new EspFixture(suite, 64);
        baselineUe = new EspFixture(suite, 64);
        baselinePcscf = new EspFixture(suite, 64);
        final int protocolNumber = "TCP".equals(protocol) ? IpProtocol.TCP : IpProtocol.UDP;
        ue.spd.add(new PolicyConfig(TrafficSelector.builder().protocol(protocolNumber)
            .destinationPort(EspFixture.DESTINATION_PORT).build(), PolicyDirection.OUT, PolicyAction.PROTECT, 100, 0,
            List.of(new TemplateConfig(null, null, EspFixture.SPI, 0, false))));
        plaintext = EspFixture.ipv6UdpPacket(payload);
        // ports where TCP has them too; without offloads the agents look no further into the transport header
        new UnsafeBuffer(plaintext).putByte(Ipv6Header.NEXT_HEADER_OFFSET, (byte)protocolNumber);
        buffer = EspFixture.packetBuffer(plaintext.length);

        final Wire wire = new Wire();
        ueTun = new UeTun(plaintext);
        pcscfTun = new PcscfTun();
        final OutboundAgent outbound = new OutboundAgent(ueTun, ue.processor, new FragmentGuard(ue.spd),
            ue.counters, new DaemonCounters(ue.counters.countersManager()), new IpCarrierSender[] { null, wire },
            new UdpCarrierSender[] { null, null }, true, 1500, 64);
        final DaemonCounters pcscfCounters = new DaemonCounters(pcscf.counters.countersManager());
        final InboundAgent inbound = new InboundAgent(pcscfTun, pcscf.processor, pcscf.counters,
            pcscfCounters, new CarrierReceiver[] { wire }, 0, 64, org.esp4j.tun.offload.UdpCoalescer.MAX_SEGMENTS);
        agents = new CompositeAgent(outbound, inbound);
        // packet.threads=auto while sparse: the inbound agent lent to the outbound thread (no-op wake-ups)
        final PacketLoad handoffLoad = new PacketLoad(2);
        final InboundHandoff handoff = new InboundHandoff(() -> { }, () -> { }, 12, 50,
            pcscfCounters.counter(DaemonCounters.Counter.TunInboundLent),
            pcscfCounters.counter(DaemonCounters.Counter.TunInboundReturned));
        inbound.lentPollReadiness(null, 0); // as the agent itself here: every receiver read every duty cycle
        lentAgents = new InboundHandoff.Guest(handoff, outbound, inbound, timeoutMs -> 0, timeoutMs -> 0, () -> { });
        new InboundHandoff.Home(handoff, inbound, inbound.roleName(), timeoutMs -> 0, timeoutMs -> 0, () -> { },
            handoffLoad, System::nanoTime).onLoad(0);
        // the daemon's idle strategy with profile=latency's window over no descriptor (poll(0) returns at once); at
        // 100 % the window always opens, so no round sleeps in poll whatever load the benchmark loop shows
        idle = new PollIdleStrategy(new PollFds(1), 1,
            TimeUnit.MICROSECONDS.toNanos(DaemonConfig.LATENCY_IDLE_SPIN_US), 100, new PacketLoad(1), 0,
            pcscfCounters.counter(DaemonCounters.Counter.TunIdleSpinWindows),
            pcscfCounters.counter(DaemonCounters.Counter.TunIdleSpinSkipped));

        for (int i = 0; i < 3; i++)
        {
            final long before = pcscfTun.delivered;
            lonePacketThroughBothAgents();
            EspFixture.check(pcscfTun.delivered == before + 1, "the packet did not reach the P-CSCF's TUN");
            EspFixture.check(baselineProcessorsOnly() == EspVerdict.DELIVER, "baseline round trip failed");
            final long lentBefore = pcscfTun.delivered;
            lonePacketThroughTheLentInboundAgent();
            EspFixture.check(pcscfTun.delivered == lentBefore + 1, "the lent agent did not deliver the packet");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        ue.checkNoDrops(XfrmCounter.Esp4jOutProtected);
        pcscf.checkNoDrops(XfrmCounter.Esp4jInDelivered);
    }

    /** @return the duty cycles' work (2: one packet read, one delivered). */
    @Benchmark
    public int lonePacketThroughBothAgents() throws Exception
    {
        ueTun.pending = true;
        return agents.doWork() + agents.doWork();
    }

    /**
     * As {@link #lonePacketThroughBothAgents()}, with the daemon's idle strategy after each duty cycle: the load
     * measurement at the change from busy to idle and back, and the first three rounds of the window (two yields and
     * a look with {@code poll(0)}). Its time includes those three system calls; it is here for B/op.
     *
     * @return the duty cycles' work (2).
     */
    @Benchmark
    public int lonePacketWithIdleStrategy() throws Exception
    {
        ueTun.pending = true;
        final int first = agents.doWork();
        idle.idle(first);
        final int second = agents.doWork();
        idle.idle(second);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        return first + second;
    }

    /**
     * As {@link #lonePacketThroughBothAgents()}, through {@code packet.threads=auto}'s outbound thread holding the
     * lent inbound agent ({@link InboundHandoff.Guest}): the owner token's read per duty cycle and the load told at
     * the change to idle. For B/op and against {@link #lonePacketThroughBothAgents()}.
     *
     * @return the duty cycles' work (2).
     */
    @Benchmark
    public int lonePacketThroughTheLentInboundAgent() throws Exception
    {
        ueTun.pending = true;
        final int work = lentAgents.doWork() + lentAgents.doWork();
        lentAgents.onLoad(0);
        return work;
    }

    /** @return the receiver's verdict. */
    @Benchmark
    public int baselineProcessorsOnly()
    {
        buffer.putBytes(EspFixture.OFFSET, plaintext);
        if (baselineUe.processor.protect(baselineUe.sa, buffer, EspFixture.OFFSET, plaintext.length) !=
            EspVerdict.DELIVER)
        {
            return EspVerdict.DROP;
        }
        return baselinePcscf.processor.inbound(buffer, baselineUe.processor.resultOffset(),
            baselineUe.processor.resultLength());
    }

    /** The UE's TUN: one packet when {@link #pending}, then empty. */
    static final class UeTun implements TunPort
    {
        private final byte[] packet;
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        boolean pending;

        UeTun(final byte[] packet)
        {
            this.packet = packet;
        }

        public String name()
        {
            return "h4bench0";
        }

        public int vnetHeaderLength()
        {
            return 0;
        }

        public int read(final int queue, final long address, final int capacity)
        {
            if (!pending)
            {
                return TunDevice.WOULD_BLOCK;
            }
            pending = false;
            view.wrap(address, capacity);
            view.putBytes(0, packet);
            return packet.length;
        }

        public int write(final int queue, final long address, final int length)
        {
            return length;
        }
    }

    /** The P-CSCF's TUN: counts what is written. */
    static final class PcscfTun implements TunPort
    {
        long delivered;

        public String name()
        {
            return "h4bench1";
        }

        public int vnetHeaderLength()
        {
            return 0;
        }

        public int read(final int queue, final long address, final int capacity)
        {
            return TunDevice.WOULD_BLOCK;
        }

        public int write(final int queue, final long address, final int length)
        {
            delivered++;
            return length;
        }
    }

    /** The raw carrier both ways: what the UE's agent sends, the P-CSCF's agent receives (one packet in flight). */
    static final class Wire implements IpCarrierSender, CarrierReceiver
    {
        private final UnsafeBuffer packet = new UnsafeBuffer(new byte[EspProcessor.MAX_PACKET_LENGTH]);
        private int length;

        public int send(final UnsafeBuffer buffer, final int offset, final int length)
        {
            return queue(buffer, offset, length);
        }

        public int queue(final UnsafeBuffer buffer, final int offset, final int length)
        {
            packet.putBytes(0, buffer, offset, length);
            this.length = length;
            return length;
        }

        public int flush()
        {
            return 0;
        }

        public int receive(final UnsafeBuffer buffer, final int offset, final int capacity)
        {
            final int n = length;
            if (n == 0)
            {
                return CarrierStatus.NONE;
            }
            length = 0;
            buffer.putBytes(offset, packet, 0, n);
            return n;
        }
    }
}
