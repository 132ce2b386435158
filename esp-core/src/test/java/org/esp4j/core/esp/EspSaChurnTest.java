package org.esp4j.core.esp;

import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SaLifetimeConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.spd.TemplateConfig;
import org.esp4j.core.selector.TrafficSelector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.esp4j.core.esp.EspHarness.config;
import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 item 1: SAs deleted, re-added and updated without pause while two packet threads protect and unprotect on
 * them. Host A's SAD is churned; host B's SAD, an independent peer that holds the same keys and is never churned,
 * checks every packet A sent and makes every packet A receives. Pass: no packet under wrong (e.g. wiped) keys, no
 * corrupt plaintext delivered, every packet either valid or counted under a named drop, and A's counters conserve.
 */
class EspSaChurnTest
{
    private static final String A = "192.0.2.1";
    private static final String B = "192.0.2.2";
    private static final long SPI_A_TO_B = 0x8000_1000L;
    private static final long SPI_B_TO_A = 0x8000_2000L;
    private static final int PORT_A = 5060;
    private static final int PORT_B = 5062;
    private static final int WORKERS = 2;
    /** Packets per suite over both directions and both workers. */
    private static final long PACKETS = 1_000_000;
    /** Bound on a suite's traffic time, for a busy machine; reached, the suite checks what it ran. */
    private static final long MAX_RUN_NS = TimeUnit.SECONDS.toNanos(9);
    private static final int PAYLOAD = 48;
    private static final int BUFFER = EspProcessor.MAX_HEADROOM + 256 + EspProcessor.MAX_TAILROOM;

    private static final List<XfrmCounter> OUT_DROPS_ALLOWED =
        List.of(XfrmCounter.XfrmOutNoStates, XfrmCounter.XfrmOutStateInvalid);
    /** A's inbound SA starts a new window after each re-add; a worker preempted long enough falls left of it. */
    private static final List<XfrmCounter> IN_DROPS_ALLOWED =
        List.of(XfrmCounter.XfrmInNoStates, XfrmCounter.XfrmInStateInvalid, XfrmCounter.XfrmInStateSeqError);

    static Stream<Arguments> suites()
    {
        return Stream.of(
            Arguments.of(IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.NULL),
            Arguments.of(IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC),
            Arguments.of(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GCM_16),
            Arguments.of(IntegrityAlgorithm.NONE, EncryptionAlgorithm.AES_GMAC));
    }

    @ParameterizedTest(name = "{0} + {1}")
    @MethodSource("suites")
    void shouldNeverSendUnderWrongKeysNorDeliverCorruptPlaintextWhileSasChurn(
        final IntegrityAlgorithm integrity, final EncryptionAlgorithm encryption) throws Exception
    {
        // A's SAs: the one it sends on, and the one it receives on (anti-replay on, so re-adds reset a window).
        final SaConfig aToB = config(A, B, SPI_A_TO_B, integrity, encryption).replayWindowSize(1024).build();
        final SaConfig bToA = config(B, A, SPI_B_TO_A, integrity, encryption).replayWindowSize(1024).build();

        final Host a = new Host();
        a.sad.add(aToB.toBuilder().build());
        a.sad.add(bToA.toBuilder().build());
        a.spd.add(new PolicyConfig(flow(A, PORT_A, B, PORT_B), PolicyDirection.OUT, PolicyAction.PROTECT, 0, 0,
            List.of(new TemplateConfig(address(A), address(B), SPI_A_TO_B, 0, false))));
        a.spd.add(new PolicyConfig(flow(B, PORT_B, A, PORT_A), PolicyDirection.IN, PolicyAction.PROTECT, 0, 0,
            List.of(new TemplateConfig(address(B), address(A), SPI_B_TO_A, 0, false))));

        // B never churns. Its receiving SA takes any sequence number: A's restarts at 1 after each re-add.
        final Host b = new Host();
        b.sad.add(aToB.toBuilder().replayWindowSize(0).build());
        final SecurityAssociation bSends = b.sad.add(bToA.toBuilder().build());

        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicLong churnCycles = new AtomicLong();
        final CyclicBarrier start = new CyclicBarrier(WORKERS + 1);
        final Worker[] workers = new Worker[WORKERS];
        final Thread[] threads = new Thread[WORKERS];
        for (int w = 0; w < WORKERS; w++)
        {
            workers[w] = new Worker(w, a, b, bSends, stop, start, PACKETS / WORKERS);
            threads[w] = new Thread(workers[w], "churn-worker-" + w);
            threads[w].setUncaughtExceptionHandler((t, ex) -> failure.compareAndSet(null, ex));
            threads[w].start();
        }
        final Thread churner = new Thread(() ->
        {
            final SaLifetimeConfig longer = SaLifetimeConfig.builder().packetsSoftLimit(1L << 40).build();
            try
            {
                start.await();
                while (!stop.get())
                {
                    a.sad.delete(SPI_A_TO_B, address(B));
                    a.sad.add(aToB.toBuilder().build());
                    final SaLifetimeConfig lifetime = churnCycles.get() % 2 == 0 ? longer : SaLifetimeConfig.UNLIMITED;
                    a.sad.update(aToB.toBuilder().lifetime(lifetime).build());
                    a.sad.delete(SPI_B_TO_A, address(A));
                    a.sad.add(bToA.toBuilder().build());
                    a.sad.update(bToA.toBuilder().lifetime(longer).build());
                    if (churnCycles.incrementAndGet() % 64 == 0)
                    {
                        a.sad.poll();
                    }
                }
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
        }, "churner");
        churner.start();

        final long deadline = System.nanoTime() + MAX_RUN_NS;
        for (final Thread thread : threads)
        {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        stop.set(true);
        for (final Thread thread : threads)
        {
            thread.join();
        }
        churner.join();
        assertNull(failure.get(), () -> "thread failed: " + failure.get());

        long outAttempts = 0;
        long inAttempts = 0;
        long wrongKeys = 0;
        long corrupt = 0;
        final Map<XfrmCounter, Long> outDrops = new EnumMap<>(XfrmCounter.class);
        final Map<XfrmCounter, Long> inDrops = new EnumMap<>(XfrmCounter.class);
        long outSent = 0;
        long inDelivered = 0;
        for (final Worker worker : workers)
        {
            outAttempts += worker.outAttempts;
            inAttempts += worker.inAttempts;
            wrongKeys += worker.wrongKeys;
            corrupt += worker.corrupt;
            outSent += worker.outSent;
            inDelivered += worker.inDelivered;
            worker.outDrops.forEach((k, v) -> outDrops.merge(k, v, Long::sum));
            worker.inDrops.forEach((k, v) -> inDrops.merge(k, v, Long::sum));
        }
        final String summary = integrity + " + " + encryption + ": " + (outAttempts + inAttempts) + " packets, " +
            churnCycles.get() + " churn cycles; out sent " + outSent + " dropped " + outDrops + "; in delivered " +
            inDelivered + " dropped " + inDrops;
        System.out.println(summary);

        assertEquals(0, wrongKeys, "packets A sent that B could not verify (wrong or wiped keys): " + summary);
        assertEquals(0, corrupt, "corrupt plaintexts: " + summary);
        assertEquals(0, b.counters.get(XfrmCounter.XfrmInStateProtoError), summary);
        assertEquals(0, a.counters.get(XfrmCounter.XfrmInStateProtoError), "A got packets it could not verify");
        for (final XfrmCounter reason : outDrops.keySet())
        {
            assertTrue(OUT_DROPS_ALLOWED.contains(reason), "unexpected outbound drop " + reason + ": " + summary);
        }
        for (final XfrmCounter reason : inDrops.keySet())
        {
            assertTrue(IN_DROPS_ALLOWED.contains(reason), "unexpected inbound drop " + reason + ": " + summary);
        }
        // conservation: every packet A handled is delivered/sent or counted under its named drop, exactly once
        assertEquals(outSent, a.counters.get(XfrmCounter.Esp4jOutProtected), summary);
        assertEquals(inDelivered, a.counters.get(XfrmCounter.Esp4jInDelivered), summary);
        long outCounted = a.counters.get(XfrmCounter.Esp4jOutProtected) + a.counters.get(XfrmCounter.Esp4jOutBypass);
        long inCounted = a.counters.get(XfrmCounter.Esp4jInDelivered) + a.counters.get(XfrmCounter.Esp4jInBypass);
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            if (!counter.isSuccess())
            {
                final boolean out = counter.name().startsWith("XfrmOut") || counter.name().startsWith("Esp4jOut");
                final long value = a.counters.get(counter);
                assertEquals((out ? outDrops : inDrops).getOrDefault(counter, 0L), value, counter + ": " + summary);
                if (out)
                {
                    outCounted += value;
                }
                else
                {
                    inCounted += value;
                }
            }
        }
        assertEquals(outAttempts, outCounted, "outbound packets = sent + named drops: " + summary);
        assertEquals(inAttempts, inCounted, "inbound packets = delivered + named drops: " + summary);
        assertTrue(churnCycles.get() > 100, "the SAs churned: " + summary);
        assertTrue(outSent > 0 && inDelivered > 0, "traffic passed between changes: " + summary);

        // every worker is out of its calls: every deleted SA is reclaimed
        assertEquals(0, a.sad.reclaim(), "SAs left in limbo");
        for (final Worker worker : workers)
        {
            worker.close();
        }
    }

    private static TrafficSelector flow(final String src, final int sport, final String dst, final int dport)
    {
        return TrafficSelector.builder().source(address(src)).destination(address(dst)).protocol(17)
            .sourcePort(sport).destinationPort(dport).build();
    }

    private static InetAddress address(final String text)
    {
        return EspTestSupport.address(text);
    }

    private static final class Host
    {
        final XfrmCounters counters = XfrmCounters.inMemory();
        final SystemNanoClock clock = new SystemNanoClock();
        final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock, null);
        final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();

        EspProcessor processor()
        {
            return new EspProcessor(sad, spd, counters, clock);
        }
    }

    /** Alternates: a packet A sends (checked by B), then a packet B sends (received by A). */
    private static final class Worker implements Runnable
    {
        final int id;
        final Host a;
        final Host b;
        final SecurityAssociation bSends;
        final AtomicBoolean stop;
        final CyclicBarrier start;
        final long packets;
        EspProcessor aProcessor;
        EspProcessor bProcessor;
        final Map<XfrmCounter, Long> outDrops = new EnumMap<>(XfrmCounter.class);
        final Map<XfrmCounter, Long> inDrops = new EnumMap<>(XfrmCounter.class);
        long outAttempts;
        long inAttempts;
        long outSent;
        long inDelivered;
        long wrongKeys;
        long corrupt;

        Worker(
            final int id, final Host a, final Host b, final SecurityAssociation bSends, final AtomicBoolean stop,
            final CyclicBarrier start, final long packets)
        {
            this.id = id;
            this.a = a;
            this.b = b;
            this.bSends = bSends;
            this.stop = stop;
            this.start = start;
            this.packets = packets;
        }

        public void run()
        {
            aProcessor = a.processor();
            bProcessor = b.processor();
            final byte[] payload = new byte[PAYLOAD];
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[BUFFER]);
            final UnsafeBuffer copy = new UnsafeBuffer(new byte[BUFFER]);
            final byte[] outPacket = ipv4(A, B, 17, new byte[0], udp(PORT_A, PORT_B, payload));
            final byte[] inPacket = ipv4(B, A, 17, new byte[0], udp(PORT_B, PORT_A, payload));
            final int payloadAt = 28;
            final int head = EspProcessor.MAX_HEADROOM;
            try
            {
                start.await();
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
            for (long i = 0; i < packets && !stop.get(); i += 2)
            {
                // a unique payload per packet, so a plaintext from another packet or garbage cannot pass as right
                stamp(outPacket, payloadAt, i);
                buffer.putBytes(head, outPacket);
                outAttempts++;
                if (aProcessor.outbound(buffer, head, outPacket.length) == EspVerdict.DELIVER)
                {
                    outSent++;
                    copy.putBytes(head, buffer, aProcessor.resultOffset(), aProcessor.resultLength());
                    if (bProcessor.unprotect(copy, head, aProcessor.resultLength()) != EspVerdict.DELIVER)
                    {
                        wrongKeys++;
                    }
                    else if (!same(copy, bProcessor.resultOffset(), bProcessor.resultLength(), outPacket))
                    {
                        corrupt++;
                    }
                }
                else
                {
                    outDrops.merge(aProcessor.dropReason(), 1L, Long::sum);
                }

                stamp(inPacket, payloadAt, i + 1);
                buffer.putBytes(head, inPacket);
                if (bProcessor.protect(bSends, buffer, head, inPacket.length) != EspVerdict.DELIVER)
                {
                    throw new AssertionError("the peer that never churns failed to protect: " +
                        bProcessor.dropReason());
                }
                inAttempts++;
                final int length = bProcessor.resultLength();
                copy.putBytes(head, buffer, bProcessor.resultOffset(), length);
                if (aProcessor.inbound(copy, head, length) == EspVerdict.DELIVER)
                {
                    inDelivered++;
                    if (!same(copy, aProcessor.resultOffset(), aProcessor.resultLength(), inPacket))
                    {
                        corrupt++;
                    }
                }
                else
                {
                    inDrops.merge(aProcessor.dropReason(), 1L, Long::sum);
                }
            }
        }

        private void stamp(final byte[] packet, final int at, final long sequence)
        {
            for (int k = 0; k < 8; k++)
            {
                packet[at + k] = (byte)(sequence >>> (56 - 8 * k));
            }
            packet[at + 8] = (byte)id;
            for (int k = at + 9; k < packet.length; k++)
            {
                packet[k] = (byte)(sequence * 31 + k);
            }
        }

        private static boolean same(
            final UnsafeBuffer buffer, final int offset, final int length, final byte[] expected)
        {
            if (length != expected.length)
            {
                return false;
            }
            for (int k = 0; k < length; k++)
            {
                if (buffer.getByte(offset + k) != expected[k])
                {
                    return false;
                }
            }
            return true;
        }

        void close()
        {
            aProcessor.close();
            bProcessor.close();
        }
    }
}
