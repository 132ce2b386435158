package org.esp4j.tun.sip;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hold area through its two sides, as the outbound agent and the conductor use it, on the test's thread: the
 * conductor's outcomes ({@link HoldArea#onOutcome}) and the agent's duty cycle ({@link HoldArea#doWork}), with a
 * release that records what went out and a cached clock for the deadline.
 */
class HoldAreaTest
{
    private static final long DEADLINE_NS = 10_000_000_000L;

    private final CachedNanoClock clock = new CachedNanoClock();
    private final CountersManager manager = new CountersManager(
        new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[16 * 1024]));
    private final HoldArea.Counters counters = new HoldArea.Counters(counter("held"), counter("released"),
        counter("full"), counter("notInForce"));
    private final List<String> released = new ArrayList<>();
    private final List<Object> dropped = new ArrayList<>();
    private final List<String> wakes = new ArrayList<>();
    private final HoldArea.Wake wake = new HoldArea.Wake()
    {
        public void signal()
        {
            wakes.add("signal");
        }

        public void clear()
        {
            wakes.add("clear");
        }
    };
    private final HoldArea area = new HoldArea(clock, DEADLINE_NS, counters, dropped::add, wake, 4, 1000);
    private final HoldArea.Release release = (packet, offset, length, attachment) ->
        released.add(packet.getStringWithoutLengthAscii(offset, length) + "/" + attachment);

    @Test
    void shouldReleaseInHoldOrderOnlyWhatTheTicketsInForceAllow()
    {
        hold("a1", 1);
        hold("b1", 2);
        hold("a2", 2); // a later packet of flow a: behind b1, though it would have waited for ticket 2 anyway
        hold("c1", 3);

        area.onOutcome(1, true);
        area.doWork(release);
        assertEquals(List.of("a1/a1"), released);

        area.onOutcome(2, true);
        area.onOutcome(3, true); // coalesced: one command takes both
        assertEquals(List.of("clear", "signal"), wakes.subList(wakes.size() - 2, wakes.size()),
            "one wake-up for outcomes that arrive together");
        area.doWork(release);
        assertEquals(List.of("a1/a1", "b1/b1", "a2/a2", "c1/c1"), released);
        assertTrue(area.isEmpty());
        assertEquals(4, counters.held().get());
        assertEquals(4, counters.released().get());
    }

    /**
     * Outcomes come from the conductor and, for a change refused before it was queued, from the submitting thread:
     * two producers racing on the one coalesced command must never lose it (a lost command left its flag up, and no
     * outcome was taken again: every held 401 hit the deadline).
     */
    @Test
    void shouldTakeTheNewestOutcomeWhenTwoThreadsReportConcurrently() throws Exception
    {
        final HoldArea shared = new HoldArea(clock, DEADLINE_NS, counters, dropped::add, HoldArea.Wake.NONE);
        final int perThread = 200_000;
        final java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        final Thread[] producers = new Thread[2];
        for (int p = 0; p < producers.length; p++)
        {
            final int first = p + 1;
            producers[p] = new Thread(() ->
            {
                try
                {
                    start.await();
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
                for (long ticket = first; ticket <= 2L * perThread; ticket += 2)
                {
                    shared.onOutcome(ticket, true);
                }
            }, "test-outcomes-" + first);
            producers[p].start();
        }
        start.countDown();
        while (producers[0].isAlive() || producers[1].isAlive())
        {
            shared.doWork(release);
        }
        shared.doWork(release);
        assertEquals(2L * perThread, shared.inForce(), "the newest ticket reported in force was taken");
        assertEquals(2L * perThread, shared.settled());
    }

    @Test
    void shouldWaitForTicketsNotYetInForceAndReleaseNothingEarly()
    {
        hold("a1", 2);
        area.onOutcome(1, true);
        area.doWork(release);
        assertTrue(released.isEmpty(), "ticket 2 is not in force yet");
        assertEquals(1, area.inForce());
        assertEquals(1, area.size());
    }

    @Test
    void shouldDropWhatWaitsWhenAChangeIsReportedNotInForceAndNeverReleaseIt()
    {
        hold("a1", 1);
        hold("b1", 2);
        hold("c1", 3);
        area.onOutcome(1, true);
        area.onOutcome(2, false);
        area.onOutcome(3, true);
        area.doWork(release);

        assertEquals(List.of("a1/a1"), released, "only what came before the failed change");
        assertEquals(List.of("b1", "c1"), dropped, "b1 waited for it; c1 was held behind it and may need it too");
        assertEquals(2, counters.notInForce().get());
        assertTrue(area.isEmpty());

        hold("d1", 4);
        area.onOutcome(4, true);
        area.doWork(release);
        assertEquals(List.of("a1/a1", "d1/d1"), released, "a failure does not stick to later changes");
    }

    @Test
    void shouldDropAPacketHeldLongerThanTheDeadline()
    {
        hold("a1", 1);
        clock.advance(DEADLINE_NS / 2);
        hold("b1", 1);
        area.doWork(release);
        assertTrue(dropped.isEmpty());

        clock.advance(DEADLINE_NS / 2);
        area.doWork(release);
        assertEquals(List.of("a1"), dropped, "the one held for the whole deadline");
        assertEquals(1, area.size());
        assertEquals(1, counters.notInForce().get());
    }

    @Test
    void shouldRefuseAndCountAPacketWhenFullByCountOrBytes()
    {
        for (int i = 0; i < 4; i++)
        {
            assertTrue(hold("p" + i, 1));
        }
        assertFalse(hold("p4", 1), "at most 4 packets");
        assertEquals(1, counters.full().get());

        area.onOutcome(1, true);
        area.doWork(release);
        assertTrue(area.isEmpty());
        assertFalse(hold("x".repeat(1001), 2), "at most 1000 bytes");
        assertTrue(hold("x".repeat(1000), 2));
        assertEquals(2, counters.full().get());
    }

    @Test
    void shouldKeepAPacketHeldAgainWhileReleasingAheadOfThoseBehindIt()
    {
        hold("a1", 1);
        hold("a2", 1);
        area.onOutcome(1, true);
        // the first, through the processor again, makes changes of its own (ticket 2): it waits again, at the front
        area.doWork((packet, offset, length, attachment) ->
        {
            final String text = packet.getStringWithoutLengthAscii(offset, length);
            if (text.equals("a1") && released.isEmpty())
            {
                released.add("a1 again");
                area.hold(packet, offset, length, 2, "a1");
                return;
            }
            released.add(text);
        });
        assertEquals(List.of("a1 again"), released, "a2 stays behind a1");
        area.onOutcome(2, true);
        area.doWork(release);
        assertEquals(List.of("a1 again", "a1/a1", "a2/a2"), released);
    }

    private boolean hold(final String text, final long ticket)
    {
        final UnsafeBuffer packet = new UnsafeBuffer(text.getBytes(StandardCharsets.US_ASCII));
        return area.hold(packet, 0, text.length(), ticket, text);
    }

    private AtomicCounter counter(final String name)
    {
        return manager.newCounter(name);
    }
}
