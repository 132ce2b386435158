package org.esp4j.tun.daemon;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packet threads' loads: summed while recent, dropped once older than the load horizon. */
class PacketLoadTest
{
    private static final long NOW_NS = 48_748_864_599_241L; // a CLOCK_MONOTONIC reading of a machine up 13 h

    @Test
    void shouldSumTheThreadsRecentLoads()
    {
        final PacketLoad load = new PacketLoad(2);
        assertEquals(0, load.totalPercent(NOW_NS), "nothing published yet");
        load.publish(0, 35, NOW_NS);
        load.publish(1, 100, NOW_NS + 1_000);
        assertEquals(135, load.totalPercent(NOW_NS + 2_000));
        load.publish(0, 0, NOW_NS + 3_000);
        assertEquals(100, load.totalPercent(NOW_NS + 4_000), "a thread's later load replaces its earlier one");
    }

    @Test
    void shouldNotCountALoadOlderThanTheHorizon()
    {
        final PacketLoad load = new PacketLoad(2);
        load.publish(0, 80, NOW_NS);
        load.publish(1, 10, NOW_NS + PollIdleStrategy.LOAD_HORIZON_NS);
        assertEquals(90, load.totalPercent(NOW_NS + PollIdleStrategy.LOAD_HORIZON_NS - 1));
        assertEquals(10, load.totalPercent(NOW_NS + PollIdleStrategy.LOAD_HORIZON_NS),
            "thread 0 has not measured its load for a horizon: it has been asleep");
    }

    @Test
    void shouldAgeLoadsRightWhateverTheNanoTimeOrigin()
    {
        // System.nanoTime's origin is arbitrary: a reading may be negative or past the 56 bits a slot keeps
        for (final long originNs : new long[]{ -5_000_000_000L, 1L << 60, Long.MAX_VALUE - 1_000_000L })
        {
            final PacketLoad load = new PacketLoad(2);
            load.publish(0, 80, originNs);
            load.publish(1, 10, originNs + PollIdleStrategy.LOAD_HORIZON_NS);
            assertEquals(90, load.totalPercent(originNs + PollIdleStrategy.LOAD_HORIZON_NS - 1), "origin " + originNs);
            assertEquals(10, load.totalPercent(originNs + PollIdleStrategy.LOAD_HORIZON_NS), "origin " + originNs);
        }
    }

    @Test
    void shouldCountAThreadBusyForLongerThanTheHorizonAsFullyLoaded()
    {
        final PacketLoad load = new PacketLoad(2);
        load.publishBusy(0, 20, NOW_NS);
        load.publish(1, 10, NOW_NS + PollIdleStrategy.LOAD_HORIZON_NS);
        assertEquals(30, load.totalPercent(NOW_NS + PollIdleStrategy.LOAD_HORIZON_NS - 1),
            "a run younger than the horizon: the load measured when it began");
        assertEquals(110, load.totalPercent(NOW_NS + PollIdleStrategy.LOAD_HORIZON_NS),
            "busy without an idle round for a whole horizon: 100 %, not asleep");
        load.publish(0, 95, NOW_NS + 10 * PollIdleStrategy.LOAD_HORIZON_NS);
        assertEquals(95, load.totalPercent(NOW_NS + 10 * PollIdleStrategy.LOAD_HORIZON_NS + 1),
            "the run ended: its measured load replaces it");
    }

    @Test
    void shouldSayAThreadIsBusyFromTheStartOfItsRunUntilItGoesIdle()
    {
        final PacketLoad load = new PacketLoad(2);
        assertFalse(load.anyBusy());
        load.publishBusy(1, 5, NOW_NS);
        assertTrue(load.anyBusy(), "a run that began after an idle gap, whatever its load before");
        load.publish(1, 60, NOW_NS + 1);
        assertFalse(load.anyBusy(), "gone idle");
    }

    @Test
    void shouldRememberWhenAPublishFoundTheTotalAtTheMarkedLoad()
    {
        final long windowNs = InboundHandoff.LEND_AFTER_LOW_NS;
        final PacketLoad load = new PacketLoad(2).markLoadedAt(12);
        assertFalse(load.loadedWithin(NOW_NS, windowNs), "nothing published yet");
        load.publish(0, 5, NOW_NS);
        assertFalse(load.loadedWithin(NOW_NS, windowNs), "5 % in all");
        load.publish(1, 7, NOW_NS + 1_000);
        assertTrue(load.loadedWithin(NOW_NS + 1_000, windowNs), "5 + 7 % when thread 1 published");
        load.publish(1, 0, NOW_NS + 2_000);
        final long pauseNs = 3 * PollIdleStrategy.LOAD_HORIZON_NS;
        assertEquals(0, load.totalPercent(NOW_NS + pauseNs), "both loads too old to count");
        assertTrue(load.loadedWithin(NOW_NS + pauseNs, windowNs), "but the total was 12 % not long ago");
        assertTrue(load.loadedWithin(NOW_NS + 1_000 + windowNs - 1, windowNs));
        assertFalse(load.loadedWithin(NOW_NS + 1_000 + windowNs, windowNs));
    }

    @Test
    void shouldRememberNoLoadWithoutAMark()
    {
        final PacketLoad load = new PacketLoad(2);
        load.publish(0, 100, NOW_NS);
        assertFalse(load.loadedWithin(NOW_NS, InboundHandoff.LEND_AFTER_LOW_NS));
    }
}
