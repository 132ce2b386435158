package org.esp4j.core.counters;

import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CounterDescriptorsTest
{
    /**
     * The ids and labels of esp4j 1.x's XfrmCounters as an external reader of the counters file knows them (id =
     * Agrona key under type id 1100). An entry may be added here; none may change.
     */
    private static final String[] XFRM_COUNTER_IDS = {
        "0 XfrmInError", "1 XfrmInBufferError", "2 XfrmInHdrError", "3 XfrmInNoStates", "4 XfrmInStateProtoError",
        "5 XfrmInStateModeError", "6 XfrmInStateSeqError", "7 XfrmInStateExpired", "8 XfrmInStateMismatch",
        "9 XfrmInStateInvalid", "10 XfrmInTmplMismatch", "11 XfrmInNoPols", "12 XfrmInPolBlock", "13 XfrmInPolError",
        "14 XfrmOutError", "15 XfrmOutBundleGenError", "16 XfrmOutBundleCheckError", "17 XfrmOutNoStates",
        "18 XfrmOutStateProtoError", "19 XfrmOutStateModeError", "20 XfrmOutStateSeqError", "21 XfrmOutStateExpired",
        "22 XfrmOutPolBlock", "23 XfrmOutPolDead", "24 XfrmOutPolError", "25 XfrmFwdHdrError",
        "26 XfrmOutStateInvalid", "27 XfrmAcquireError", "28 Esp4jInDelivered", "29 Esp4jInBypass", "30 Esp4jInDummy",
        "31 Esp4jInNatKeepalive", "32 Esp4jOutProtected", "33 Esp4jOutBypass", "34 Esp4jOutTooBig",
        "38 Esp4jOutIcmpErrorBlock",
    };

    private record Descriptor(int id, String label) implements CounterDescriptor
    {
    }

    @Test
    void shouldRefuseTwoCountersWithOneId()
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> CounterDescriptors.checkIds(
            new CounterDescriptor[]{new Descriptor(0, "A"), new Descriptor(1, "B"), new Descriptor(0, "C")}));
        assertEquals("counter id 0 used twice: A and C", ex.getMessage());
    }

    @Test
    void shouldRefuseARetiredId()
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> CounterDescriptors.checkIds(
            new CounterDescriptor[]{new Descriptor(0, "A"), new Descriptor(3, "B")}, 2, 3));
        assertEquals("counter id 3 is retired and cannot be reused: B", ex.getMessage());
    }

    @Test
    void shouldRefuseTwoCountersWithOneLabel()
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> CounterDescriptors.checkIds(
            new CounterDescriptor[]{new Descriptor(0, "A"), new Descriptor(1, "A")}));
        assertEquals("counter label A used twice: ids 0 and 1", ex.getMessage());
    }

    @Test
    void shouldRefuseANegativeId()
    {
        assertThrows(IllegalStateException.class,
            () -> CounterDescriptors.checkIds(new CounterDescriptor[]{new Descriptor(-1, "A")}));
    }

    @Test
    void shouldAcceptXfrmCountersWithTheirRetiredIds()
    {
        assertDoesNotThrow(() -> CounterDescriptors.checkIds(XfrmCounter.values(), XfrmCounter.retiredIds()));
    }

    @Test
    void shouldKeepEveryXfrmCounterIdAndLabelOfEarlierVersions()
    {
        final List<String> actual = new ArrayList<>();
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            actual.add(counter.id() + " " + counter.label());
            assertSame(counter, XfrmCounter.byId(counter.id()));
        }
        assertEquals(List.of(XFRM_COUNTER_IDS), actual.subList(0, XFRM_COUNTER_IDS.length));
        for (final int retired : XfrmCounter.retiredIds())
        {
            assertNull(XfrmCounter.byId(retired));
        }
        assertNull(XfrmCounter.byId(-1));
    }

    @Test
    void shouldAllocateEachDescriptorWithItsIdAsKeyAndItsLabel()
    {
        final XfrmCounters counters = XfrmCounters.inMemory(1);
        final CounterDescriptor[] descriptors = {new Descriptor(7, "Seven"), new Descriptor(3, "Three")};
        final int[] counterIds = CounterDescriptors.allocate(counters.countersManager(), 4242, descriptors);
        final CountersReader reader = counters.countersManager();
        final List<String> seen = new ArrayList<>();
        reader.forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId == 4242)
            {
                seen.add(counterId + " " + keyBuffer.getInt(0) + " " + label);
            }
        });
        assertEquals(List.of(counterIds[0] + " 7 Seven", counterIds[1] + " 3 Three"), seen);
        assertTrue(counterIds[0] != counterIds[1]);
    }
}
