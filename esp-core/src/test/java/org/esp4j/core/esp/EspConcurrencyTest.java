package org.esp4j.core.esp;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.crypto.EncryptionAlgorithm;
import org.esp4j.core.crypto.IntegrityAlgorithm;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.esp4j.core.esp.EspHarness.ipv4;
import static org.esp4j.core.esp.EspHarness.payload;
import static org.esp4j.core.esp.EspHarness.u32;
import static org.esp4j.core.esp.EspHarness.udp;
import static org.esp4j.core.esp.EspLayoutTest.V4_DST;
import static org.esp4j.core.esp.EspLayoutTest.V4_SRC;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One SA shared by several packet threads (one processor each), while the control plane changes other SAs and
 * policies.
 */
class EspConcurrencyTest
{
    private static final long SPI = 0x5000L;

    private static SaConfig config(final int window)
    {
        return EspHarness.config(V4_SRC, V4_DST, SPI, IntegrityAlgorithm.HMAC_SHA1_96, EncryptionAlgorithm.AES_CBC)
            .replayWindowSize(window).build();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldGiveEverySequenceNumberExactlyOnceWhenFourThreadsProtectOnOneSa() throws Exception
    {
        final int threads = 4;
        final int perThread = 50_000;
        final EspHarness h = new EspHarness();
        final SecurityAssociation sa = h.sad.add(config(64));
        final AtomicIntegerArray seen = new AtomicIntegerArray(threads * perThread + 2);
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final CyclicBarrier start = new CyclicBarrier(threads);
            final List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int thread = t;
                futures.add(pool.submit(() ->
                {
                    final EspProcessor processor = new EspProcessor(h.sad, h.spd, h.counters, h.clock);
                    final byte[] packet = ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(1, 2, payload(16 + thread, thread)));
                    start.await();
                    for (int i = 0; i < perThread; i++)
                    {
                        final EspHarness.Outcome out = EspHarness.protect(processor, sa, packet);
                        if (out.verdict() != EspVerdict.DELIVER)
                        {
                            throw new AssertionError("drop " + out.reason());
                        }
                        final long sequence = u32(out.bytes(), 24);
                        if (sequence < 1 || sequence > threads * perThread)
                        {
                            throw new AssertionError("sequence " + sequence);
                        }
                        seen.incrementAndGet((int)sequence);
                        if (i % 10_000 == 0) // the thread's transform really is a working one: a receiver takes it
                        {
                            final EspHarness receiver = new EspHarness();
                            receiver.sad.add(config(64));
                            final EspHarness.Outcome back = receiver.inbound(out.bytes());
                            if (back.verdict() != EspVerdict.DELIVER || !Hex.encode(packet).equals(Hex.encode(back.bytes())))
                            {
                                throw new AssertionError("receiver: " + back.reason());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (final Future<?> future : futures)
            {
                future.get();
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        for (int sequence = 1; sequence <= threads * perThread; sequence++)
        {
            assertEquals(1, seen.get(sequence), "sequence " + sequence);
        }
        assertEquals(threads * perThread + 1, sa.nextOutboundSequence());
        assertEquals(threads * perThread, sa.counters().packets());
        assertEquals(threads * perThread, h.counters.get(XfrmCounter.Esp4jOutProtected));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldAcceptEveryPacketExactlyOnceWhenTwoThreadsReceiveOnOneSaWhileTheControlPlaneChurns()
        throws Exception
    {
        final int total = 40_000;
        final int chunk = 256;
        final EspHarness sender = new EspHarness();
        final EspHarness receiver = new EspHarness();
        final SecurityAssociation out = sender.sad.add(config(1024));
        final SecurityAssociation in = receiver.sad.add(config(1024));
        final byte[][] packets = new byte[total][];
        for (int i = 0; i < total; i++)
        {
            packets[i] = sender.protect(out, ipv4(V4_SRC, V4_DST, 17, new byte[0], udp(7, 9, payload(i % 50, i)))).bytes();
        }

        final AtomicIntegerArray delivered = new AtomicIntegerArray(total + 1);
        final AtomicBoolean stop = new AtomicBoolean();
        final CyclicBarrier round = new CyclicBarrier(2);
        final ExecutorService pool = Executors.newFixedThreadPool(3);
        try
        {
            final Future<?> churn = pool.submit(() ->
            {
                long spi = 0x9000_0000L;
                int port = 1;
                while (!stop.get())
                {
                    final SaConfig other = config(64).toBuilder().spi(spi).build();
                    receiver.sad.add(other);
                    final TrafficSelector selector = TrafficSelector.builder()
                        .source(EspTestSupport.address("198.51.100.1")).destination(EspTestSupport.address("198.51.100.2"))
                        .protocol(17).sourcePort(port).destinationPort(port).build();
                    receiver.spd.add(new PolicyConfig(selector, PolicyDirection.IN, PolicyAction.DISCARD, 1, 0, List.of()));
                    final TrafficSelector wildcard = TrafficSelector.builder()
                        .source(EspTestSupport.address("198.51.100.0"), 24).protocol(6).destinationPort(port).build();
                    receiver.spd.add(new PolicyConfig(wildcard, PolicyDirection.IN, PolicyAction.DISCARD, 1, 0, List.of()));
                    if (spi % 3 != 0)
                    {
                        receiver.sad.delete(spi, other.destination());
                        receiver.spd.delete(selector, PolicyDirection.IN);
                        receiver.spd.delete(wildcard, PolicyDirection.IN);
                    }
                    spi++;
                    port = port % 60000 + 1;
                }
                return null;
            });
            final List<Future<?>> receivers = new ArrayList<>();
            for (int t = 0; t < 2; t++)
            {
                final boolean forward = t == 0;
                receivers.add(pool.submit(() ->
                {
                    final EspProcessor processor = new EspProcessor(receiver.sad, receiver.spd, receiver.counters,
                        receiver.clock);
                    for (int base = 0; base < total; base += chunk)
                    {
                        round.await(); // both threads work on the same chunk, so they stay within the window
                        final int end = Math.min(total, base + chunk);
                        for (int k = 0; k < end - base; k++)
                        {
                            final int index = forward ? base + k : end - 1 - k;
                            final EspHarness.Outcome result = EspHarness.inbound(processor, packets[index]);
                            if (result.verdict() == EspVerdict.DELIVER)
                            {
                                delivered.incrementAndGet(index);
                            }
                            else if (result.reason() != XfrmCounter.XfrmInStateSeqError)
                            {
                                throw new AssertionError("packet " + index + " dropped: " + result.reason());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (final Future<?> future : receivers)
            {
                future.get();
            }
            stop.set(true);
            churn.get();
        }
        finally
        {
            stop.set(true);
            pool.shutdownNow();
        }
        for (int i = 0; i < total; i++)
        {
            assertEquals(1, delivered.get(i), "packet " + i + " delivered");
        }
        assertEquals(total, in.counters().packets());
        assertEquals(total, in.counters().replayDrops(), "the other copy of each packet");
        assertEquals(total, receiver.counters.get(XfrmCounter.Esp4jInDelivered));
        assertEquals(total, receiver.counters.get(XfrmCounter.XfrmInStateSeqError));
    }
}
