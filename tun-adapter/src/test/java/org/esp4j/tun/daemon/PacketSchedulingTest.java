package org.esp4j.tun.daemon;

import org.agrona.concurrent.IdleStrategy;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.SchedAttr;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.esp4j.tun.daemon.PacketScheduling.INBOUND_THREAD;
import static org.esp4j.tun.daemon.PacketScheduling.OUTBOUND_THREAD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketSchedulingTest
{
    /** Records what the packet threads ask of the scheduler, in order. */
    private static final class RecordingScheduler implements PacketScheduling.Scheduler
    {
        final List<String> calls = new ArrayList<>();
        int errno;

        public int setThisThread(final int policy, final long sliceNs)
        {
            calls.add("set " + policy + " " + sliceNs);
            return errno;
        }

        public void yieldNow()
        {
            calls.add("yield");
        }
    }

    /** Records the idle calls it gets, into the same list as the scheduler's, to show the order. */
    private static final class RecordingIdle implements IdleStrategy
    {
        private final List<String> calls;

        RecordingIdle(final List<String> calls)
        {
            this.calls = calls;
        }

        public void idle(final int workCount)
        {
            calls.add("idle " + workCount);
        }

        public void idle()
        {
            calls.add("idle");
        }

        public void reset()
        {
            calls.add("reset");
        }
    }

    @Test
    void shouldYieldAfterADutyCycleWithWorkBeforeIdlingAndNotAfterOneWithout()
    {
        final RecordingScheduler scheduler = new RecordingScheduler();
        final PacketScheduling scheduling = new PacketScheduling(PacketScheduling.Yield.INBOUND,
            PacketScheduling.Policy.OTHER, 0, scheduler);
        final IdleStrategy idle = scheduling.idleStrategy(new RecordingIdle(scheduler.calls), INBOUND_THREAD, false, new PacketScheduling.DatagramMark());

        idle.idle(3);
        idle.idle(0);
        idle.idle(1);
        idle.idle();
        idle.reset();

        assertEquals(List.of("yield", "idle 3", "idle 0", "yield", "idle 1", "idle", "reset"), scheduler.calls);
    }

    @Test
    void shouldYieldOnlyAfterADutyCycleThatCarriedAUdpDatagramWhenYieldIsUdp()
    {
        final RecordingScheduler scheduler = new RecordingScheduler();
        final PacketScheduling scheduling = new PacketScheduling(PacketScheduling.Yield.UDP,
            PacketScheduling.Policy.OTHER, 0, scheduler);
        final PacketScheduling.DatagramMark mark = new PacketScheduling.DatagramMark();
        final IdleStrategy idle = scheduling.idleStrategy(new RecordingIdle(scheduler.calls), OUTBOUND_THREAD, false,
            mark);

        idle.idle(3); // work without a datagram (TCP)
        mark.mark();
        idle.idle(2); // a cycle that carried a datagram
        idle.idle(1); // the mark was taken: the next cycle's TCP work does not yield
        mark.mark();
        idle.idle(0); // no work: no yield, and the mark is not carried into the next cycle
        idle.idle(1);

        assertEquals(List.of("idle 3", "yield", "idle 2", "idle 1", "idle 0", "idle 1"), scheduler.calls);
    }

    @Test
    void shouldYieldOnlyOnTheThreadsTheSettingNames()
    {
        final RecordingScheduler scheduler = new RecordingScheduler();
        final IdleStrategy idle = new RecordingIdle(scheduler.calls);
        for (final PacketScheduling.Yield yield : PacketScheduling.Yield.values())
        {
            final PacketScheduling scheduling =
                new PacketScheduling(yield, PacketScheduling.Policy.OTHER, 0, scheduler);
            final boolean both = yield == PacketScheduling.Yield.BOTH || yield == PacketScheduling.Yield.UDP;
            final boolean inbound = yield == PacketScheduling.Yield.INBOUND || both;
            final boolean outbound = yield == PacketScheduling.Yield.OUTBOUND || both;
            assertEquals(inbound, scheduling.idleStrategy(idle, INBOUND_THREAD, false, new PacketScheduling.DatagramMark()) != idle, yield + " inbound");
            assertEquals(outbound, scheduling.idleStrategy(idle, OUTBOUND_THREAD, false, new PacketScheduling.DatagramMark()) != idle, yield + " outbound");
            assertEquals(yield != PacketScheduling.Yield.OFF, scheduling.idleStrategy(idle, OUTBOUND_THREAD, true, new PacketScheduling.DatagramMark()) !=
                idle, yield + " one thread for both directions");
        }
        assertSame(idle, new PacketScheduling(PacketScheduling.Yield.OFF, PacketScheduling.Policy.BATCH, 100_000,
            scheduler).idleStrategy(idle, INBOUND_THREAD, false, new PacketScheduling.DatagramMark()));
        assertTrue(scheduler.calls.isEmpty(), "no yield or set while choosing: " + scheduler.calls);
    }

    @Test
    void shouldLeaveTheThreadAloneWithTheKernelsDefaults()
    {
        final RecordingScheduler scheduler = new RecordingScheduler();
        final PacketScheduling scheduling = new PacketScheduling(PacketScheduling.Yield.BOTH,
            PacketScheduling.Policy.OTHER, 0, scheduler);
        final List<String> log = new ArrayList<>();

        assertFalse(scheduling.setsThreads());
        scheduling.applyToThisThread(log::add);

        assertEquals(List.of(), scheduler.calls);
        assertEquals(List.of(), log);
    }

    @Test
    void shouldSetThePolicyAndTheSliceInNanoseconds()
    {
        final RecordingScheduler scheduler = new RecordingScheduler();
        final List<String> log = new ArrayList<>();

        new PacketScheduling(PacketScheduling.Yield.OFF, PacketScheduling.Policy.BATCH, 0, scheduler)
            .applyToThisThread(log::add);
        new PacketScheduling(PacketScheduling.Yield.OFF, PacketScheduling.Policy.OTHER, 100_000, scheduler)
            .applyToThisThread(log::add);

        assertEquals(List.of("set " + SchedAttr.SCHED_BATCH + " 0", "set " + SchedAttr.SCHED_OTHER + " 100000"),
            scheduler.calls);
        assertEquals(List.of(), log);
    }

    @Test
    void shouldLogARefusalAndGoOn()
    {
        final RecordingScheduler scheduler = new RecordingScheduler();
        scheduler.errno = LibC.EINVAL;
        final List<String> log = new ArrayList<>();

        new PacketScheduling(PacketScheduling.Yield.OFF, PacketScheduling.Policy.OTHER, 200_000, scheduler)
            .applyToThisThread(log::add);

        assertEquals(1, log.size());
        assertTrue(log.get(0).startsWith("warning: packet thread ") && log.get(0).contains("packet.slice.us=200") &&
            log.get(0).contains("errno " + LibC.EINVAL), log.get(0));
    }
}
