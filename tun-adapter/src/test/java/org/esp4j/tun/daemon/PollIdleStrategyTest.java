package org.esp4j.tun.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The idle rounds' sequence of yields and polls, and when the adaptive window opens, on a clock the test moves (no
 * sleeps, no descriptors).
 */
class PollIdleStrategyTest
{
    private static final int TIMEOUT_MS = 100;
    private static final long SPIN_NS = TimeUnit.MICROSECONDS.toNanos(50);

    private final List<String> actions = new ArrayList<>();
    private final CountersManager counters =
        new CountersManager(new UnsafeBuffer(new byte[16 * 1024]), new UnsafeBuffer(new byte[4 * 1024]));
    private final AtomicCounter opened = counters.newCounter("opened");
    private final AtomicCounter skipped = counters.newCounter("skipped");
    private long nowNs = 1_000_000_000L;

    private PollIdleStrategy strategy(final long spinNs)
    {
        return strategy(spinNs, 100);
    }

    private PollIdleStrategy strategy(final long spinNs, final int loadPercent)
    {
        return new PollIdleStrategy(
            timeoutMs ->
            {
                actions.add("poll " + timeoutMs);
                return 0;
            },
            TIMEOUT_MS, spinNs, loadPercent, () -> nowNs, () -> actions.add("yield"), new PacketLoad(1), 0, opened,
            skipped);
    }

    /** One wake-up: {@code busyNs} of duty cycles with work, then idle rounds until the window (if any) is spent. */
    private void busyThenIdle(final PollIdleStrategy idle, final long busyNs, final long idleNs)
    {
        idle.idle(1);
        nowNs += busyNs;
        idle.idle(1);
        idle.idle(0);
        nowNs += idleNs;
    }

    @Test
    void shouldYieldTwiceThenPollWhenSpinIsZero()
    {
        final PollIdleStrategy idle = strategy(0);
        for (int i = 0; i < 4; i++)
        {
            idle.idle(0);
        }
        assertEquals(List.of("yield", "yield", "poll 100", "poll 100"), actions);
    }

    @Test
    void shouldKeepYieldingAndLookingUntilTheSpinWindowAfterTheLastWorkHasPassed()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS);
        idle.idle(0); // the window starts at the first idle round
        nowNs += SPIN_NS / 2;
        idle.idle(0);
        idle.idle(0);
        nowNs += SPIN_NS / 2 - 1;
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0", "yield", "poll 0", "yield"), actions,
            "inside the window: no waiting poll, each round past the first two looks without waiting");

        actions.clear();
        nowNs += 1;
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("poll 100", "poll 100"), actions, "the window has passed: poll, and keep polling");
    }

    @Test
    void shouldNotYieldInTheWindowWhenTheLookFindsADescriptorReady()
    {
        final int[] ready = {0};
        final PollIdleStrategy idle = new PollIdleStrategy(
            timeoutMs ->
            {
                actions.add("poll " + timeoutMs);
                return ready[0];
            },
            TIMEOUT_MS, SPIN_NS, 100, () -> nowNs, () -> actions.add("yield"), new PacketLoad(1), 0, opened, skipped);
        idle.idle(0);
        idle.idle(0);
        ready[0] = 1;
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0"), actions, "a ready descriptor goes to the next duty cycle");
    }

    @Test
    void shouldStartANewSpinWindowAfterWork()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS);
        idle.idle(0);
        nowNs += SPIN_NS;
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 100"), actions);

        actions.clear();
        idle.idle(3); // work: no action, the next idle round opens a new window
        assertEquals(List.of(), actions);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0", "yield"), actions, "a new window from the first idle round");
    }

    @Test
    void shouldYieldAtLeastTwiceEvenWhenTheWindowIsShorterThanTheYields()
    {
        final PollIdleStrategy idle = strategy(1);
        idle.idle(0);
        nowNs += 1_000;
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 100"), actions);
    }

    @Test
    void shouldOpenTheWindowWhileTheThreadIsMostlyIdle()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS, 50);
        nowNs += 1_000_000; // the daemon was idle for a while before the first request
        for (int i = 0; i < 20; i++)
        {
            busyThenIdle(idle, 10_000, 60_000); // request/response: 10 us of work every 70 us, load 14 %
        }
        assertEquals(20, opened.get());
        assertEquals(0, skipped.get());
        assertTrue(idle.loadPercent() < 20, "load " + idle.loadPercent());

        actions.clear();
        idle.idle(1);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0", "yield"), actions, "sparse: the window is spun");
    }

    @Test
    void shouldSleepInPollAtOnceWhenTheThreadIsBusy()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS, 50);
        for (int i = 0; i < 40; i++)
        {
            busyThenIdle(idle, 60_000, 10_000); // bulk: 60 us of work, then 10 us until the next packets
        }
        assertTrue(idle.loadPercent() > 70, "load " + idle.loadPercent());
        assertTrue(skipped.get() > 30, "skipped " + skipped.get());

        actions.clear();
        idle.idle(1);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 100"), actions, "busy: two yields, then poll without a window");
    }

    @Test
    void shouldOpenTheWindowAgainWhenBulkTrafficStops()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS, 50);
        for (int i = 0; i < 40; i++)
        {
            busyThenIdle(idle, 60_000, 10_000);
        }
        final long skippedInBulk = skipped.get();
        final long openedInBulk = opened.get();

        busyThenIdle(idle, 10_000, 5_000_000); // a last packet, then 5 ms asleep in poll
        busyThenIdle(idle, 10_000, 60_000); // the first request after the pause finds the load decayed
        assertEquals(skippedInBulk + 1, skipped.get(), "the last bulk packet still saw the bulk load");
        assertEquals(openedInBulk + 1, opened.get(), "a pause of 5 ms decays the load: the window opens again");
    }

    @Test
    void shouldFollowTheLoadOfTheDaemonsOtherPacketThread()
    {
        final PacketLoad daemonLoad = new PacketLoad(2);
        final PollIdleStrategy outbound = new PollIdleStrategy(timeoutMs -> 0, TIMEOUT_MS, SPIN_NS, 50, () -> nowNs,
            () -> { }, daemonLoad, 0, counters.newCounter("outbound opened"), counters.newCounter("outbound skipped"));
        final PollIdleStrategy inbound = strategyWithLoad(daemonLoad, 1);
        nowNs += 1_000_000;
        for (int i = 0; i < 40; i++)
        {
            busyThenIdle(outbound, 60_000, 10_000); // bulk TCP's data: the outbound thread is busy
            busyThenIdle(inbound, 2_000, 0); // its ACKs: the inbound thread is not
        }
        assertTrue(inbound.loadPercent() < 10, "inbound load " + inbound.loadPercent());
        final long skippedInBulk = skipped.get();
        final long openedInBulk = opened.get();
        busyThenIdle(inbound, 2_000, 0);
        assertEquals(skippedInBulk + 1, skipped.get(), "the busy outbound thread keeps the inbound one from spinning");

        nowNs += PollIdleStrategy.LOAD_HORIZON_NS; // the outbound thread has slept since: its load no longer counts
        busyThenIdle(inbound, 2_000, 0);
        assertEquals(skippedInBulk + 1, skipped.get());
        assertEquals(openedInBulk + 1, opened.get(), "the window opens once the other thread's load is stale");
    }

    @Test
    void shouldTellTheLoadListenerTheFreshLoadAtEachChangeToIdleEvenWithoutAWindow()
    {
        final List<Integer> heard = new ArrayList<>();
        final PacketLoad daemonLoad = new PacketLoad(1);
        final PollIdleStrategy idle = strategyWithLoad(daemonLoad, 0, 0).loadListener(heard::add);
        nowNs += 1_000_000;
        for (int i = 0; i < 40; i++)
        {
            busyThenIdle(idle, 90_000, 10_000);
        }
        assertEquals(40, heard.size(), "one load per change from busy to idle");
        assertTrue(heard.get(39) >= 80, "busy 90 % of the time (less the halving's rounding): " + heard.get(39));
        assertEquals(heard.get(39), daemonLoad.totalPercent(nowNs), "published for the other thread too");
        assertEquals(0, opened.get() + skipped.get(), "no window without idle.spin.us");

        nowNs += 100_000_000; // asleep in poll for 100 ms: the first change to idle after it shows a low load
        busyThenIdle(idle, 5_000, 0);
        assertTrue(heard.get(40) < 5, "after a long sleep: " + heard.get(40));
    }

    @Test
    void shouldOpenTheWindowOnlyWhenTheLoadListenerAllowsIt()
    {
        final boolean[] allowed = { false };
        final PollIdleStrategy idle = strategy(SPIN_NS).loadListener(loadPercent -> allowed[0]);
        busyThenIdle(idle, 1_000, 0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 100"), actions, "not allowed: two yields, then sleep");
        assertEquals(0, opened.get());
        actions.clear();
        allowed[0] = true;
        busyThenIdle(idle, 1_000, 0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0", "yield"), actions, "allowed: the window");
        assertEquals(1, opened.get());
    }

    private PollIdleStrategy strategyWithLoad(final PacketLoad daemonLoad, final int slot, final long spinNs)
    {
        return new PollIdleStrategy(timeoutMs -> 0, TIMEOUT_MS, spinNs, 50, () -> nowNs, () -> { }, daemonLoad, slot,
            opened, skipped);
    }

    private PollIdleStrategy strategyWithLoad(final PacketLoad daemonLoad, final int slot)
    {
        return new PollIdleStrategy(
            timeoutMs ->
            {
                actions.add("poll " + timeoutMs);
                return 0;
            },
            TIMEOUT_MS, SPIN_NS, 50, () -> nowNs, () -> actions.add("yield"), daemonLoad, slot, opened, skipped);
    }

    @Test
    void shouldEndTheWindowAndOpenNoneForAWhileWhenAnotherThreadHadTheCpu()
    {
        final long windowNs = TimeUnit.MICROSECONDS.toNanos(1000);
        final PollIdleStrategy idle = strategy(windowNs, 50);
        nowNs += 1_000_000;
        idle.idle(1);
        nowNs += 10_000;
        idle.idle(0);
        idle.idle(0);
        nowNs += 5_000;
        idle.idle(0); // a free CPU: a round takes a few microseconds
        nowNs += PollIdleStrategy.CONTENDED_ROUND_NS + 1; // the yield gave the CPU to a thread that kept it
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0", "yield", "poll 100", "poll 100"), actions,
            "inside the 1 ms window, a round of over 250 us ends it");
        assertEquals(1, opened.get());
        assertEquals(1, skipped.get());

        busyThenIdle(idle, 10_000, 60_000);
        assertEquals(2, skipped.get(), "no window while the CPU was wanted within the horizon");
        nowNs += PollIdleStrategy.LOAD_HORIZON_NS;
        busyThenIdle(idle, 10_000, 60_000);
        assertEquals(2, opened.get(), "the window opens again a horizon later");
    }

    @Test
    void shouldCountAContendedRoundEvenWhenTheWindowHasPassedMeanwhile()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS, 50);
        nowNs += 1_000_000;
        idle.idle(1);
        idle.idle(0);
        idle.idle(0);
        nowNs += PollIdleStrategy.CONTENDED_ROUND_NS + 1; // longer than the 50 us window, too
        idle.idle(0);
        assertEquals(1, skipped.get());
        busyThenIdle(idle, 10_000, 60_000);
        assertEquals(2, skipped.get(), "the CPU is wanted: no window for a while");
    }

    @Test
    void shouldRunAFixedWindowWholeAtOneHundredPercentEvenWhenRoundsAreSlow()
    {
        final PollIdleStrategy idle = strategy(TimeUnit.MICROSECONDS.toNanos(1000), 100);
        idle.idle(1);
        idle.idle(0);
        idle.idle(0);
        nowNs += PollIdleStrategy.CONTENDED_ROUND_NS + 1;
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0", "yield"), actions);
        assertEquals(0, skipped.get());
    }

    @Test
    void shouldAlwaysOpenTheWindowAtOneHundredPercent()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS, 100);
        for (int i = 0; i < 40; i++)
        {
            busyThenIdle(idle, 60_000, 10_000);
        }
        assertEquals(40, opened.get());
        assertEquals(0, skipped.get());
    }

    @Test
    void shouldNeitherReadTheClockNorCountWithoutASpinWindow()
    {
        final long[] reads = {0};
        final PollIdleStrategy idle = new PollIdleStrategy(
            timeoutMs -> 0, TIMEOUT_MS, 0, 50, () -> ++reads[0], () -> { }, new PacketLoad(1), 0, opened, skipped);
        for (int i = 0; i < 10; i++)
        {
            idle.idle(1);
            idle.idle(0);
            idle.idle(0);
            idle.idle(0);
        }
        assertEquals(0, reads[0]);
        assertEquals(0, opened.get() + skipped.get());
    }

    @Test
    void shouldRejectANegativeSpin()
    {
        assertThrows(IllegalArgumentException.class, () -> strategy(-1));
    }

    @Test
    void shouldRejectALoadOutsideOneToOneHundred()
    {
        assertThrows(IllegalArgumentException.class, () -> strategy(SPIN_NS, 0));
        assertThrows(IllegalArgumentException.class, () -> strategy(SPIN_NS, 101));
    }
}
