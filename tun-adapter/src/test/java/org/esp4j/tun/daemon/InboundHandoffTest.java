package org.esp4j.tun.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inbound agent's hand-off between its own packet thread and the outbound agent's ({@code packet.threads=auto}):
 * who runs it, who polls what, who is woken, through substitutes for the agent, the descriptors and the clock.
 */
class InboundHandoffTest
{
    private static final int TIMEOUT_MS = 100;
    private static final int LEND_BELOW = 25;
    private static final int RETURN_AT = 50;

    private final List<String> actions = new ArrayList<>();
    private final CountersManager counters =
        new CountersManager(new UnsafeBuffer(new byte[16 * 1024]), new UnsafeBuffer(new byte[4 * 1024]));
    private final AtomicCounter lent = counters.newCounter("lent");
    private final AtomicCounter returned = counters.newCounter("returned");
    private final PacketLoad load = new PacketLoad(2);
    private long nowNs = 1_000_000_000L;
    private final InboundHandoff handoff = new InboundHandoff(() -> actions.add("wake guest"),
        () -> actions.add("wake home"), LEND_BELOW, RETURN_AT, lent, returned);
    private final RecordingDuty duty = new RecordingDuty();
    private final InboundHandoff.Home home = new InboundHandoff.Home(handoff, duty, "inbound",
        poller("home polls carriers"), poller("home sleeps on its wake"), () -> actions.add("home clears"), load,
        () -> nowNs);
    private final OutboundSubstitute outbound = new OutboundSubstitute();
    private final InboundHandoff.Guest guest = new InboundHandoff.Guest(handoff, outbound, duty,
        poller("guest polls own"), poller("guest polls with carriers"), () -> actions.add("guest clears"));

    private PollIdleStrategy.Poller poller(final String name)
    {
        return timeoutMs ->
        {
            actions.add(name + " " + timeoutMs);
            return 0;
        };
    }

    @Test
    void shouldRunTheInboundAgentOnItsOwnThreadAtFirst() throws Exception
    {
        assertEquals(1, home.doWork());
        assertEquals(0, guest.doWork() - 0, "the outbound substitute has no work");
        assertEquals(List.of("run by home"), duty.runs);
        assertEquals(InboundHandoff.HOME, handoff.owner());
    }

    @Test
    void shouldLendTheInboundAgentWhenItsThreadIsAboutToSleepWhileTheLoadIsLow() throws Exception
    {
        load.publish(0, LEND_BELOW - 1, nowNs);
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.LENT, handoff.owner());
        assertEquals(List.of("wake guest", "home clears", "home sleeps on its wake 100"), actions,
            "the guest is woken; the home sleeps on its wake-up alone, not on the carriers");
        assertEquals(1, lent.get());

        assertEquals(0, home.doWork(), "the home no longer runs it");
        guest.doWork();
        assertEquals(List.of("held by lent", "run by guest"), duty.events);
        actions.clear();
        guest.poll(0);
        guest.poll(TIMEOUT_MS);
        assertEquals(List.of("guest clears", "guest polls with carriers 0", "guest clears",
            "guest polls with carriers 100"), actions, "the guest now polls the carriers too");
    }

    @Test
    void shouldNotLendInTheIdleWindowNorWhileTheLoadIsHigh()
    {
        home.poll(0);
        load.publish(0, LEND_BELOW, nowNs);
        home.poll(TIMEOUT_MS);
        assertEquals(List.of("home polls carriers 0", "home polls carriers 100"), actions);
        assertEquals(InboundHandoff.HOME, handoff.owner());
        assertEquals(0, lent.get());
    }

    @Test
    void shouldNotLendWhileTheOutboundThreadIsInABusyRun() throws Exception
    {
        load.publishBusy(0, 0, nowNs); // a run that began after an idle gap: its slot still shows the load before
        home.poll(TIMEOUT_MS);
        assertFalse(home.onLoad(0));
        assertEquals(InboundHandoff.HOME, handoff.owner(), "bulk traffic going out: the guest would give it back");
        assertEquals(List.of("home polls carriers 100"), actions);
        assertEquals(0, lent.get());

        load.publish(0, 0, nowNs); // the run ended
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.LENT, handoff.owner());
        assertEquals(1, lent.get());
    }

    @Test
    void shouldLendOnlyAfterTheLoadStayedBelowTheThresholdForTenLoadHorizons()
    {
        assertEquals(10 * PollIdleStrategy.LOAD_HORIZON_NS, InboundHandoff.LEND_AFTER_LOW_NS);
        final long loadedNs = nowNs;
        load.publish(0, LEND_BELOW, loadedNs); // the outbound thread sends in bulk: the home does not look
        nowNs += PollIdleStrategy.LOAD_HORIZON_NS + 500_000;
        assertEquals(0, load.totalPercent(nowNs), "the sender paused: its load no longer counts");
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.HOME, handoff.owner(), "a pause is not a low load");

        nowNs = loadedNs + InboundHandoff.LEND_AFTER_LOW_NS - 1;
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.HOME, handoff.owner());
        nowNs++;
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.LENT, handoff.owner(), "low for ten horizons");
        assertEquals(List.of("home polls carriers 100", "home polls carriers 100", "wake guest", "home clears",
            "home sleeps on its wake 100"), actions);
        assertEquals(1, lent.get());
    }

    @Test
    void shouldCountALoadOnlyTheHomeSawTowardsTheTimeBeforeItLends()
    {
        load.publishBusy(0, 0, nowNs); // a run with work that has not ended: no publish of its load yet
        nowNs += PollIdleStrategy.LOAD_HORIZON_NS;
        final long seenNs = nowNs;
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.HOME, handoff.owner(), "a run as long as the horizon counts as 100 %");

        nowNs += 1;
        load.publish(0, 0, nowNs); // the run ended (its load published as 0, so only the home saw it)
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.HOME, handoff.owner());
        nowNs = seenNs + InboundHandoff.LEND_AFTER_LOW_NS;
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.LENT, handoff.owner());
    }

    @Test
    void shouldLendAtOnceAtAQuietStart()
    {
        home.poll(TIMEOUT_MS);
        assertEquals(InboundHandoff.LENT, handoff.owner(), "no load seen since the start");
    }

    @Test
    void shouldOpenTheIdleWindowOnlyWhenBothDirectionsHadWorkInTheLastTwoBusyRuns() throws Exception
    {
        home.poll(TIMEOUT_MS);
        guest.doWork(); // the inbound substitute always has work; the outbound none
        assertFalse(guest.onLoad(0), "a stream received: no reply to catch");
        outbound.work = 1;
        guest.doWork();
        assertTrue(guest.onLoad(0), "a request sent after a reply came in: the next reply is worth the window");
        guest.doWork();
        assertTrue(guest.onLoad(0));
        assertEquals(InboundHandoff.LENT, handoff.owner());
    }

    @Test
    void shouldNotOpenTheIdleWindowForAStreamSentWhileHoldingTheInboundAgent() throws Exception
    {
        final InboundHandoff.Guest sender = new InboundHandoff.Guest(handoff, outbound, new InboundHandoff.Duty()
        {
            public int doWork()
            {
                return 0;
            }

            public void heldBy(final int side)
            {
            }

            public void sweepNext()
            {
            }
        }, poller("own"), poller("with carriers"), () -> { });
        home.poll(TIMEOUT_MS);
        outbound.work = 1;
        for (int run = 0; run < 3; run++)
        {
            sender.doWork();
            assertFalse(sender.onLoad(0), "nothing comes back: the window would spin for nothing");
        }
        assertEquals(InboundHandoff.LENT, handoff.owner(), "the agent stays lent: the load is low");
    }

    @Test
    void shouldGiveBackAtHalfTheWindowsLoadGateAndLendBelowAQuarter()
    {
        assertEquals(12, InboundHandoff.lendBelowPercent(50));
        assertEquals(25, InboundHandoff.returnAtPercent(50));
        for (int gatePct = 1; gatePct <= 100; gatePct++)
        {
            final int lendBelow = InboundHandoff.lendBelowPercent(gatePct);
            final int returnAt = InboundHandoff.returnAtPercent(gatePct);
            assertTrue(lendBelow < returnAt, "a gap at idle.spin.load.pct=" + gatePct);
            new InboundHandoff(() -> { }, () -> { }, lendBelow, returnAt, lent, returned);
        }
    }

    @Test
    void shouldGiveTheInboundAgentBackWhenTheGuestsLoadReachesTheThreshold() throws Exception
    {
        home.poll(TIMEOUT_MS);
        outbound.work = 1;
        guest.doWork();
        assertTrue(guest.onLoad(RETURN_AT - 1), "the guest holding both directions opens the idle window");
        assertEquals(InboundHandoff.LENT, handoff.owner(), "below the threshold the guest keeps it");
        actions.clear();

        assertFalse(guest.onLoad(RETURN_AT), "two threads: no idle window");
        assertEquals(InboundHandoff.HOME, handoff.owner());
        assertEquals(List.of("wake home"), actions);
        assertEquals(1, returned.get());
        guest.doWork();
        assertEquals(List.of("held by lent", "run by guest"), duty.events, "the guest runs it no more");
        actions.clear();
        guest.poll(TIMEOUT_MS);
        assertEquals(List.of("guest clears", "guest polls own 100"), actions, "nor polls the carriers");

        actions.clear();
        assertEquals(1, home.poll(TIMEOUT_MS), "the woken home does not sleep again");
        assertEquals(1, home.doWork());
        assertEquals(List.of("held by lent", "run by guest", "held by home", "run by home"), duty.events);
        load.publish(0, RETURN_AT, nowNs);
        home.poll(TIMEOUT_MS);
        assertEquals(List.of("home clears", "home polls carriers 100"), actions,
            "the guest's load keeps the home from lending it at once");
    }

    @Test
    void shouldLendAtTheHomesChangeToIdleWhileTheLoadIsLow() throws Exception
    {
        load.publish(0, LEND_BELOW, nowNs);
        assertFalse(home.onLoad(0), "the home opens no idle window");
        assertEquals(InboundHandoff.HOME, handoff.owner(), "the outbound thread's load keeps it home");
        nowNs += InboundHandoff.LEND_AFTER_LOW_NS;
        load.publish(0, 0, nowNs);
        home.onLoad(0);
        assertEquals(InboundHandoff.LENT, handoff.owner(), "request/response traffic: lent although never asleep");
        assertEquals(List.of("wake guest"), actions);
        assertEquals(0, home.doWork());
        guest.doWork();
        assertEquals(List.of("run by guest"), duty.runs);
    }

    @Test
    void shouldGiveTheInboundAgentBackAfterALongRunOfDutyCyclesWithWork() throws Exception
    {
        home.poll(TIMEOUT_MS);
        for (int i = 0; i < InboundHandoff.RETURN_AFTER_BUSY_CYCLES - 1; i++)
        {
            guest.doWork(); // the duty substitute always has work
        }
        assertEquals(InboundHandoff.LENT, handoff.owner());
        guest.doWork();
        assertEquals(InboundHandoff.HOME, handoff.owner(), "bulk traffic without an idle round");
        assertEquals(1, returned.get());
    }

    @Test
    void shouldHaveTheTunGateFollowThePollSetTheGuestPolls() throws Exception
    {
        guest.poll(TIMEOUT_MS);
        home.poll(TIMEOUT_MS);
        guest.doWork();
        guest.poll(0);
        guest.onLoad(RETURN_AT);
        guest.doWork();
        guest.poll(TIMEOUT_MS);
        assertEquals(List.of("polled with home", "polled with lent", "polled with home"), outbound.events,
            "its own set, the set with the carriers while it holds the inbound agent, its own again");
    }

    @Test
    void shouldReadBothAgentsDescriptorsWhileARunOfDutyCyclesOutlastsItsPoll() throws Exception
    {
        home.poll(TIMEOUT_MS);
        outbound.work = 0;
        for (int cycle = 1; cycle <= InboundHandoff.STALE_POLL_BUSY_CYCLES; cycle++)
        {
            guest.doWork(); // the inbound agent has work; the poll before the run is fresh enough
        }
        assertEquals(List.of(), outbound.events);
        guest.doWork();
        guest.doWork();
        assertEquals(List.of("read tun next", "read tun next"), outbound.events,
            "the inbound agent's work keeps the thread from polling the TUN");
        assertEquals(2, duty.sweeps);
        duty.work = 0;
        guest.doWork(); // asked before this cycle: the run was still going
        outbound.events.clear();
        guest.doWork();
        assertEquals(List.of(), outbound.events, "the run ended: the thread polls again");
        assertEquals(3, duty.sweeps);
    }

    @Test
    void shouldSleepAgainWhenWokenWhileStillLent()
    {
        home.poll(TIMEOUT_MS);
        actions.clear();
        assertEquals(0, home.poll(TIMEOUT_MS));
        assertEquals(List.of("home clears", "home sleeps on its wake 100"), actions);
    }

    @Test
    void shouldRefuseThresholdsWithoutAGap()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new InboundHandoff(() -> { }, () -> { }, RETURN_AT, RETURN_AT, lent, returned));
    }

    @Test
    void shouldNeverRunTheInboundAgentOnTwoThreadsAtOnceAndPassItsStateOn() throws Exception
    {
        final SharedStateDuty shared = new SharedStateDuty();
        final PacketLoad noLoad = new PacketLoad(2);
        final InboundHandoff token = new InboundHandoff(() -> { }, () -> { }, LEND_BELOW, RETURN_AT, lent, returned);
        final InboundHandoff.Home homeSide = new InboundHandoff.Home(token, shared, "inbound", timeoutMs -> 0,
            timeoutMs -> 0, () -> { }, noLoad, System::nanoTime);
        final InboundHandoff.Guest guestSide = new InboundHandoff.Guest(token, new OutboundSubstitute(), shared,
            timeoutMs -> 0, timeoutMs -> 0, () -> { });
        final long handOffs = 2_000;
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread homeThread = new Thread(() ->
        {
            while (!stop.get())
            {
                homeSide.doWork();
                homeSide.poll(TIMEOUT_MS); // lends whenever it holds: the load is 0
            }
        });
        final Thread guestThread = new Thread(() ->
        {
            try
            {
                while (!stop.get())
                {
                    guestSide.doWork();
                    guestSide.onLoad(RETURN_AT); // gives back whenever it holds
                }
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        homeThread.start();
        guestThread.start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (returned.get() < handOffs && System.nanoTime() - deadlineNs < 0)
        {
            Thread.onSpinWait();
        }
        stop.set(true);
        homeThread.join();
        guestThread.join();
        assertTrue(returned.get() >= handOffs, "hand-offs back: " + returned.get());
        assertFalse(shared.overlapped, "run by two threads at once");
        assertEquals(shared.cycles, shared.counted.get(),
            "every duty cycle saw the state the previous holder left (plain field against an atomic count)");
    }

    /** Records which side runs the agent, and when it was told a side took it over. */
    private static final class RecordingDuty implements InboundHandoff.Duty
    {
        final List<String> runs = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        private int side = InboundHandoff.HOME;
        int work = 1;
        int sweeps;

        public int doWork()
        {
            final String run = "run by " + (side == InboundHandoff.HOME ? "home" : "guest");
            runs.add(run);
            events.add(run);
            return work;
        }

        public void sweepNext()
        {
            sweeps++;
        }

        public void heldBy(final int side)
        {
            this.side = side;
            events.add("held by " + (side == InboundHandoff.HOME ? "home" : "lent"));
        }
    }

    /** State in plain fields, as the inbound agent's is: only the token makes it safe. */
    private static final class SharedStateDuty implements InboundHandoff.Duty
    {
        private final AtomicInteger running = new AtomicInteger();
        final AtomicInteger counted = new AtomicInteger();
        long cycles;
        boolean overlapped;

        public int doWork()
        {
            if (running.incrementAndGet() != 1)
            {
                overlapped = true;
            }
            cycles++;
            counted.incrementAndGet();
            running.decrementAndGet();
            return 1;
        }

        public void heldBy(final int side)
        {
        }

        public void sweepNext()
        {
        }
    }

    private static final class OutboundSubstitute implements InboundHandoff.Outbound
    {
        final List<String> events = new ArrayList<>();
        int work;

        public void tunPolledWith(final int side)
        {
            events.add("polled with " + (side == InboundHandoff.HOME ? "home" : "lent"));
        }

        public void readTunNext()
        {
            events.add("read tun next");
        }

        public int doWork()
        {
            return work;
        }

        public String roleName()
        {
            return "outbound";
        }
    }
}
