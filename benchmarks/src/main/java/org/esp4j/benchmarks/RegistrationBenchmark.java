package org.esp4j.benchmarks;

import org.agrona.concurrent.SystemNanoClock;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.sip.espcore.EspCoreSaSink;
import org.esp4j.sip.lifecycle.InMemorySaSink;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.lifecycle.SaLifecycleEngine;
import org.esp4j.sip.lifecycle.SecurityAssociationSink;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.sim.PcscfSim;
import org.esp4j.sip.sim.PcscfSimConfig;
import org.esp4j.sip.sim.SimFlow;
import org.esp4j.sip.sim.SimObserver;
import org.esp4j.sip.sim.SimTransport;
import org.esp4j.sip.sim.Subscriber;
import org.esp4j.sip.sim.SubscriberSet;
import org.esp4j.sip.sim.UeSim;
import org.esp4j.sip.sim.UeSimConfig;
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
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Registrations per second through the SIP bridge alone, in process (issue 14): the P-CSCF role's
 * {@link SaLifecycleEngine} (passive, as in the daemon; Milenage, so each challenge costs the AKA functions) fed one
 * UE's whole registration as the simulators exchange it: REGISTER, 401 with the AKA challenge, protected REGISTER,
 * 200 OK (four SAs and, with esp-core, four policies installed), then the de-registration (REGISTER with Expires: 0
 * and its 200 OK: all removed), so state stays bounded over any run.
 * <p>
 * One operation = one registration and its de-registration, of the next of {@link #ues} UEs in turn (each its own
 * address, ports and SPIs). The messages are made and parsed once in the set-up by {@link UeSim} against
 * {@link PcscfSim} over an in-memory wire (UDP): the timed part is the engine and its sink, as in the daemon, where the
 * sniffer parses before handing a message over. {@link #sink}: {@code memory} ({@link InMemorySaSink}) or
 * {@code espcore} (esp-core's SAD and SPD through {@link EspCoreSaSink}; per-SA counters on a manager with room for
 * {@link XfrmCounters#DEFAULT_SA_CAPACITY} SAs, as the daemon's counters file). {@link #registered}: UEs registered
 * in the set-up and left so, to measure the same operation with their SAs and policies in the tables (10,000 UEs:
 * 40,000 SAs and 40,000 policies). {@link #keys}: {@code one} subscriber for all (the daemon's {@code sip.k}), or a
 * {@code keyring} of derived subscribers, one per UE ({@link SubscriberSet}, the daemon's {@code sip.subscribers}), so
 * each challenge also finds its subscriber and keys Milenage with its K. The set-up checks one round: 4 SAs after each
 * 200 OK to the protected REGISTER, none after the de-registration.
 * <pre>
 *   java -jar benchmarks/target/benchmarks.jar RegistrationBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED" })
public class RegistrationBenchmark
{
    private static final InetAddress PCSCF = address(new byte[]{ 10, (byte)255, 0, 1 });

    /** Message as the P-CSCF's sniffer hands it over. */
    private record Seen(SipMessage message, InetAddress src, int srcPort, InetAddress dst, int dstPort)
    {
    }

    /** UEs registered in turn. */
    @Param({ "64" })
    public int ues;

    /** {@code memory} or {@code espcore}. */
    @Param({ "memory", "espcore" })
    public String sink;

    /** UEs registered before the measurement and left registered (4 SAs and, with esp-core, 4 policies each). */
    @Param({ "0", "10000" })
    public int registered;

    /** {@code one} subscriber for every UE, or a {@code keyring}: each UE its own subscriber. */
    @Param({ "one", "keyring" })
    public String keys;

    private Seen[][] exchanges;
    private SaLifecycleEngine engine;
    private int next;

    /**
     * Record the UEs' exchanges, build the engine, and check one round.
     *
     * @throws IOException when a simulator fails.
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final SubscriberSet keyring = SubscriberSet.derived(Subscriber.testSet1(), registered + ues);
        final boolean one = "one".equals(keys);
        if (!one && !"keyring".equals(keys))
        {
            throw new IllegalArgumentException("keys: one or keyring, not " + keys);
        }
        exchanges = new Seen[ues][];
        for (int i = 0; i < ues; i++)
        {
            exchanges[i] = record(keyring.get(one ? 0 : registered + i), registered + i);
        }
        final SecurityAssociationSink target;
        final InMemorySaSink memory;
        if ("memory".equals(sink))
        {
            memory = new InMemorySaSink();
            target = memory;
        }
        else if ("espcore".equals(sink))
        {
            memory = null;
            final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(
                XfrmCounters.inMemory(), new SystemNanoClock(), null);
            target = new EspCoreSaSink(sad, new SecurityPolicyDatabase(), 1000);
        }
        else
        {
            throw new IllegalArgumentException("sink: memory or espcore, not " + sink);
        }
        final LifecycleConfig.Builder config = LifecycleConfig.builder(Role.PCSCF).passive(true)
            .nanoClock(System::nanoTime);
        engine = new SaLifecycleEngine((one ? config.akaAlgorithm(keyring.get(0).milenage()) :
            config.akaKeyring(keyring)).build(), target, event -> { });
        for (int i = 0; i < registered; i++)
        {
            final Seen[] exchange = record(keyring.get(one ? 0 : i), i);
            // REGISTER, 401, protected REGISTER, 200 OK: registered; the de-registration is not fed
            for (int m = 0; m < 4; m++)
            {
                final Seen seen = exchange[m];
                engine.onMessage(seen.message, seen.src, seen.srcPort, seen.dst, seen.dstPort);
            }
        }
        if (engine.activeSas().size() != 4 * registered)
        {
            throw new IllegalStateException("registered UEs must hold 4 SAs each: " + engine.activeSas().size());
        }
        for (final Seen[] exchange : exchanges)
        {
            int most = 0;
            for (final Seen seen : exchange)
            {
                engine.onMessage(seen.message, seen.src, seen.srcPort, seen.dst, seen.dstPort);
                most = Math.max(most, engine.activeSas().size());
            }
            final int left = engine.activeSas().size() - 4 * registered;
            if (most - 4 * registered != 4 || left != 0 || (memory != null && memory.size() != 4 * registered))
            {
                throw new IllegalStateException("a registration must install 4 SAs and its de-registration remove" +
                    " them: at most " + (most - 4 * registered) + ", left " + left);
            }
        }
    }

    /**
     * One UE registers (AKA, 4 SAs) and de-registers.
     *
     * @return registrations left (those of {@link #registered}), so that nothing is optimised away.
     */
    @Benchmark
    public int registerAndDeregister()
    {
        final Seen[] exchange = exchanges[next];
        next = next + 1 == exchanges.length ? 0 : next + 1;
        for (final Seen seen : exchange)
        {
            engine.onMessage(seen.message, seen.src, seen.srcPort, seen.dst, seen.dstPort);
        }
        return engine.registrationCount();
    }

    /** The REGISTER transactions of UE {@code index}, in wire order, parsed. */
    private static Seen[] record(final Subscriber subscriber, final int index) throws IOException
    {
        final ArrayDeque<Object[]> wire = new ArrayDeque<>();
        final SimObserver quiet = new SimObserver()
        {
            public void onMessage(final boolean sent, final SimFlow flow, final SipMessage message, final long spi,
                final long nowMs)
            {
            }

            public void onNote(final String text, final long nowMs)
            {
            }
        };
        final SimTransport ueSide = (flow, bytes) ->
        {
            wire.add(new Object[]{ flow, bytes, Boolean.TRUE });
            return flow;
        };
        final SimTransport pcscfSide = (flow, bytes) ->
        {
            wire.add(new Object[]{ flow, bytes, Boolean.FALSE });
            return flow;
        };
        final long spiC = UeSimConfig.SEED_SPI_C + 2L * index;
        final long spiS = UeSimConfig.SEED_SPI_S + 2L * index;
        final InetAddress ue = address(new byte[]{ 10, (byte)(1 + (index >>> 16)), (byte)(index >>> 8), (byte)index });
        final PcscfSim pcscf = new PcscfSim(PcscfSimConfig.seed(PCSCF).withTransport(Transport.UDP)
            .withSubscriber(subscriber, 0x7000_0000L + 2L * index, 0x7000_0001L + 2L * index), pcscfSide, quiet);
        final UeSim sim = new UeSim(UeSimConfig.seed(ue, PCSCF).withTransport(Transport.UDP)
            .withSubscriber(subscriber, spiC, spiS).withProcedure(0, true), ueSide, quiet);
        final List<Seen> seen = new ArrayList<>();
        sim.start(0);
        for (Object[] sent; (sent = wire.poll()) != null; )
        {
            final SimFlow flow = (SimFlow)sent[0];
            final byte[] bytes = (byte[])sent[1];
            final SipMessage message = SipMessageParser.parse(bytes, 0, bytes.length);
            final SimFlow arrived = new SimFlow(flow.transport(), flow.remote(), flow.local());
            if ("REGISTER".equalsIgnoreCase(message.isRequest() ? message.method() : message.cseqMethod()))
            {
                seen.add(new Seen(message, flow.local().getAddress(), flow.local().getPort(),
                    flow.remote().getAddress(), flow.remote().getPort()));
            }
            if ((Boolean)sent[2])
            {
                pcscf.onMessage(arrived, message, 0);
            }
            else
            {
                sim.onMessage(arrived, message, 0);
            }
        }
        if (sim.state() != UeSim.State.DONE)
        {
            throw new IllegalStateException("UE " + index + " did not register and de-register: " + sim.state() +
                " " + sim.failure());
        }
        return seen.toArray(new Seen[0]);
    }

    private static InetAddress address(final byte[] bytes)
    {
        try
        {
            return InetAddress.getByAddress(bytes);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
