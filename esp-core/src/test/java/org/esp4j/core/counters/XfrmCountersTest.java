package org.esp4j.core.counters;

import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XfrmCountersTest
{
    private final CachedEpochClock clock = new CachedEpochClock();

    private XfrmCounters counters(final int saCapacity)
    {
        final int capacity = XfrmCounter.values().length + saCapacity * SaCounter.values().length;
        return new XfrmCounters(new CountersManager(
            new UnsafeBuffer(new byte[capacity * CountersReader.METADATA_LENGTH]),
            new UnsafeBuffer(new byte[capacity * CountersReader.COUNTER_LENGTH]), StandardCharsets.US_ASCII, clock,
            XfrmCounters.MANAGER_FREE_TO_REUSE_TIMEOUT_MS), clock);
    }

    private static Set<Integer> ids(final SaCounters saCounters)
    {
        final Set<Integer> ids = new HashSet<>();
        Arrays.stream(saCounters.counterIds()).forEach(ids::add);
        return ids;
    }

    private static List<String> labelsOfType(final CountersReader reader, final int fromTypeId, final int toTypeId)
    {
        final List<String> labels = new ArrayList<>();
        reader.forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId >= fromTypeId && typeId <= toTypeId)
            {
                labels.add(label);
            }
        });
        return labels;
    }

    @Test
    void shouldNotReuseAFreedSaCounterIdBeforeTheDelayAndReuseItAfter()
    {
        final XfrmCounters counters = counters(4);
        clock.update(1_000_000);
        final SaCounters first = counters.allocateSaCounters(0x1001, "spi 0x00001001 dst 192.0.2.1");
        first.onPacket(100, 1);
        counters.freeSaCounters(first);

        clock.advance(XfrmCounters.FREE_TO_REUSE_TIMEOUT_MS - 1);
        final SaCounters second = counters.allocateSaCounters(0x1002, "spi 0x00001002 dst 192.0.2.1");
        assertTrue(second.isShared());
        assertTrue(ids(second).stream().noneMatch(ids(first)::contains), "reused within the delay");

        clock.advance(1);
        final SaCounters third = counters.allocateSaCounters(0x1003, "spi 0x00001003 dst 192.0.2.1");
        assertEquals(ids(first), ids(third), "the ids freed first are reused first, once their delay is over");
        assertEquals(0, third.packets(), "a reused counter starts at 0");
        assertEquals(0, counters.retiredCount());
    }

    @Test
    void shouldHideFreedSaCountersFromReadersAtOnce()
    {
        final XfrmCounters counters = counters(2);
        final SaCounters sa = counters.allocateSaCounters(0xC0FFEE01L, "spi 0xc0ffee01 dst 2001:db8::1");
        final CountersReader reader = counters.countersManager();
        assertEquals(SaCounter.values().length,
            labelsOfType(reader, SaCounter.TYPE_ID_BASE, SaCounter.TYPE_ID_BASE + SaCounter.values().length - 1).size());
        assertTrue(labelsOfType(reader, SaCounter.TYPE_ID_BASE, SaCounter.TYPE_ID_BASE).get(0)
            .equals("sa packets: spi 0xc0ffee01 dst 2001:db8::1"));

        counters.freeSaCounters(sa);
        assertTrue(labelsOfType(reader, SaCounter.TYPE_ID_BASE,
            SaCounter.TYPE_ID_BASE + SaCounter.values().length - 1).isEmpty(), "no SA counter left to list");
        assertEquals(SaCounter.values().length, counters.retiredCount());
        assertEquals(SaCounter.values().length,
            labelsOfType(reader, XfrmCounters.RETIRED_TYPE_ID, XfrmCounters.RETIRED_TYPE_ID).size());
    }

    @Test
    void shouldGivePrivateCountersWhileTheFreedIdsWaitAndSharedOnesAfter()
    {
        final XfrmCounters counters = counters(1);
        final SaCounters only = counters.allocateSaCounters(1, "spi 0x00000001 dst 192.0.2.1");
        assertTrue(only.isShared());
        counters.freeSaCounters(only);
        assertFalse(counters.allocateSaCounters(2, "spi 0x00000002 dst 192.0.2.1").isShared(), "full until the delay");
        clock.advance(XfrmCounters.FREE_TO_REUSE_TIMEOUT_MS);
        assertTrue(counters.allocateSaCounters(3, "spi 0x00000003 dst 192.0.2.1").isShared());
    }

    @Test
    void shouldKeepEveryIdOnceThroughManyDeletionsWithinTheDelay()
    {
        final int sas = 300;
        final XfrmCounters counters = counters(2 * sas);
        final Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < sas; i++)
        {
            final SaCounters sa = counters.allocateSaCounters(i, "spi " + i);
            for (final int id : sa.counterIds())
            {
                assertTrue(seen.add(id), "id " + id + " given twice within the delay");
            }
            counters.freeSaCounters(sa);
        }
        assertEquals(sas * SaCounter.values().length, counters.retiredCount());
        clock.advance(XfrmCounters.FREE_TO_REUSE_TIMEOUT_MS);
        for (int i = 0; i < sas; i++)
        {
            assertTrue(counters.allocateSaCounters(i, "spi " + i).isShared());
        }
        assertEquals(0, counters.retiredCount(), "every waiting id went to a new SA, oldest first");
    }
}
