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
import org.esp4j.sip.sim.PcscfFarm;
import org.esp4j.sip.sim.PcscfSimConfig;
import org.esp4j.sip.sim.SimFlow;
import org.esp4j.sip.sim.SimObserver;
import org.esp4j.sip.sim.SimTransport;
import org.esp4j.sip.sim.Subscriber;
import org.esp4j.sip.sim.SubscriberSet;
import org.esp4j.sip.sim.UeSim;
import org.esp4j.sip.sim.UeSimConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Registrations per second through the SIP bridge alone, in process (issue 14): the P-CSCF role's
 * {@link SaLifecycleEngine} (passive, as in the daemon, keys from a {@link SubscriberSet} keyring, so each challenge
 * costs the AKA functions of its subscriber) fed the REGISTER / 401 / REGISTER / 200 OK of N UEs, with an
 * {@link InMemorySaSink} and with esp-core's SAD/SPD ({@link EspCoreSaSink}: four SAs and four policies each).
 * <p>
 * The messages are made once, by the simulators ({@link UeSim}s against a {@link PcscfFarm} over an in-memory wire,
 * UDP), so the timed part is the engine and its sink alone: parsing is done before, as the daemon's sniffer does it
 * before handing a message over. Rounds alternate the two sinks (interleaved pairs on a noisy machine).
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar org.esp4j.benchmarks.RegistrationRate [UES] [ROUNDS]
 * </pre>
 */
public final class RegistrationRate
{
    private static final InetAddress PCSCF = address(new byte[]{ 10, (byte)255, 0, 1 });

    private record Recorded(SipMessage message, InetAddress src, int srcPort, InetAddress dst, int dstPort)
    {
    }

    private RegistrationRate()
    {
    }

    /**
     * @param args UEs (10000) and rounds per sink (5).
     * @throws Exception when the simulators fail.
     */
    public static void main(final String[] args) throws Exception
    {
        final int ues = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        final int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        final SubscriberSet subscribers = SubscriberSet.derived(Subscriber.testSet1(), ues);
        final List<Recorded> messages = record(subscribers, ues);
        System.out.printf("RegistrationRate: %d UEs, %d REGISTER-related messages, JDK %s%n", ues, messages.size(),
            Runtime.version());
        final double[] inMemory = new double[rounds];
        final double[] espCore = new double[rounds];
        for (int round = -1; round < rounds; round++)
        {
            final double a = run(messages, subscribers, ues, new InMemorySaSink());
            final XfrmCounters counters = XfrmCounters.inMemory(4 * ues + 16);
            final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, new SystemNanoClock(),
                null);
            final double b = run(messages, subscribers, ues, new EspCoreSaSink(sad, new SecurityPolicyDatabase(), 1000));
            if (round >= 0)
            {
                inMemory[round] = a;
                espCore[round] = b;
                System.out.printf("round %d: in-memory sink %.0f registrations/s, esp-core SAD/SPD %.0f/s%n", round + 1,
                    a, b);
            }
        }
        Arrays.sort(inMemory);
        Arrays.sort(espCore);
        System.out.printf("median: in-memory sink %.0f registrations/s, esp-core SAD/SPD %.0f/s (%.2fx)%n",
            inMemory[rounds / 2], espCore[rounds / 2], espCore[rounds / 2] / inMemory[rounds / 2]);
    }

    private static double run(final List<Recorded> messages, final SubscriberSet subscribers, final int ues,
        final SecurityAssociationSink sink)
    {
        final SaLifecycleEngine engine = new SaLifecycleEngine(LifecycleConfig.builder(Role.PCSCF).passive(true)
            .akaKeyring(subscribers).nanoClock(System::nanoTime).build(), sink, event -> { });
        final long t0 = System.nanoTime();
        for (final Recorded m : messages)
        {
            engine.onMessage(m.message, m.src, m.srcPort, m.dst, m.dstPort);
        }
        final long elapsedNs = System.nanoTime() - t0;
        final int sas = sink instanceof InMemorySaSink memory ? memory.size() : engine.activeSas().size();
        if (sas != 4 * ues)
        {
            throw new IllegalStateException("expected " + 4 * ues + " SAs, got " + sas);
        }
        return ues / (elapsedNs / 1e9);
    }

    /** The REGISTER exchanges of N UEs, as the simulators make them, in the order they crossed the wire. */
    private static List<Recorded> record(final SubscriberSet subscribers, final int ues) throws IOException
    {
        final ArrayDeque<Object[]> wire = new ArrayDeque<>();
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
        final PcscfFarm pcscf = new PcscfFarm(PcscfSimConfig.seed(PCSCF).withTransport(Transport.UDP), subscribers,
            pcscfSide, new PrintStream(OutputStream.nullOutputStream()));
        final Map<InetAddress, UeSim> byAddress = new HashMap<>();
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
        final List<Recorded> recorded = new ArrayList<>(ues * 4);
        for (int i = 0; i < ues; i++)
        {
            final InetAddress ue = address(new byte[]{ 10, 1, (byte)(i >>> 8), (byte)i });
            final UeSimConfig config = UeSimConfig.seed(ue, PCSCF).withTransport(Transport.UDP)
                .withSubscriber(subscribers.get(i), UeSimConfig.SEED_SPI_C + 2L * i, UeSimConfig.SEED_SPI_S + 2L * i);
            final UeSim sim = new UeSim(config, ueSide, quiet);
            byAddress.put(ue, sim);
            sim.start(0);
            Object[] next;
            while ((next = wire.poll()) != null)
            {
                final SimFlow flow = (SimFlow)next[0];
                final byte[] bytes = (byte[])next[1];
                final SipMessage message = SipMessageParser.parse(bytes, 0, bytes.length);
                final SimFlow received = new SimFlow(flow.transport(), flow.remote(), flow.local());
                if (message.isRequest() ? "REGISTER".equalsIgnoreCase(message.method()) :
                    "REGISTER".equalsIgnoreCase(message.cseqMethod()))
                {
                    recorded.add(new Recorded(message, flow.local().getAddress(), flow.local().getPort(),
                        flow.remote().getAddress(), flow.remote().getPort()));
                }
                if ((Boolean)next[2])
                {
                    pcscf.onMessage(received, message);
                }
                else
                {
                    byAddress.get(flow.remote().getAddress()).onMessage(received, message, 0);
                }
            }
            if (sim.state() != UeSim.State.DONE)
            {
                throw new IllegalStateException("UE " + i + " did not register: " + sim.failure());
            }
        }
        return recorded;
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
