package org.esp4j.tun.daemon;

import org.esp4j.core.counters.CounterDescriptors;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class DaemonCountersTest
{
    /**
     * The ids and labels of the daemon's counters as an external reader of the counters file knows them (id = Agrona
     * key under type id 1300). An entry may be added here; none may change.
     */
    private static final String[] DAEMON_COUNTER_IDS = {
        "0 TunCarrierTruncated", "1 TunCarrierNonEspMarker", "2 TunCarrierNoPktinfo", "3 TunCarrierPlaintext",
        "4 TunNoCarrier", "5 TunIcmpTooBigSent", "6 TunOutFragmentDropped", "7 TunFragmented", "8 TunPacketsRead",
        "9 TunCarrierPacketsRead", "10 TunAgentErrors", "11 TunGsoPacketsRead", "12 TunGsoSegments",
        "13 TunGroPacketsWritten", "14 TunGroSegments", "15 TunInFilterDropped", "16 TunRingPacketsRead",
        "17 TunRingDrops", "18 TunRingLeftToKernel", "19 TunOutLinkScopeDropped", "20 TunSipTcpFlows",
        "21 TunSipTcpBufferedBytes", "22 TunSipTcpFlowsEvicted", "23 TunSipTcpFlowsIdleExpired",
        "24 TunSipTcpFlowsOverflowed", "25 TunSipFlowConflicts", "26 TunRingDuplicateCopy", "27 Esp4jTunHdrError",
        "28 Esp4jTunIoError", "29 Esp4jCarrierIoError",
        "32 TunSipHeld", "33 TunSipHeldReleased", "34 TunSipHoldFull", "35 TunSipHoldNotInForce",
        "36 TunSipTcpSegmentsAhead", "37 TunSipTcpHolesSkipped", "38 TunSipWatchReceiveDropped",
        "39 TunIdleSpinWindows", "40 TunIdleSpinSkipped",
        "45 TunSipTcpPartialsDroppedByNewConnection", "46 TunSipTcpPartialsDroppedByClose",
        "47 TunInboundLent", "48 TunInboundReturned",
        "53 TunSipTcpSegmentsOfEarlierConnection", "54 TunSipTcpSegmentsOutsideWindow", "55 TunSipTcpFlowsResynchronised",
    };

    @Test
    void shouldKeepEveryDaemonCounterIdAndLabelOfEarlierVersions()
    {
        final List<String> actual = new ArrayList<>();
        for (final DaemonCounters.Counter counter : DaemonCounters.Counter.values())
        {
            actual.add(counter.id() + " " + counter.label());
        }
        assertEquals(List.of(DAEMON_COUNTER_IDS), actual.subList(0, DAEMON_COUNTER_IDS.length));
        assertDoesNotThrow(() -> CounterDescriptors.checkIds(DaemonCounters.Counter.values()));
    }

    @Test
    void shouldNotShareALabelWithAnXfrmCounter()
    {
        for (final DaemonCounters.Counter counter : DaemonCounters.Counter.values())
        {
            for (final XfrmCounter xfrm : XfrmCounter.values())
            {
                assertFalse(counter.label().equals(xfrm.label()), counter.label());
            }
        }
    }

    @Test
    void shouldPutEachCounterInTheFileUnderTheDaemonTypeWithItsIdAsKey()
    {
        final XfrmCounters counters = XfrmCounters.inMemory();
        final DaemonCounters daemonCounters = new DaemonCounters(counters.countersManager());
        daemonCounters.add(DaemonCounters.Counter.Esp4jCarrierIoError, 5);
        final Map<String, Integer> keyByLabel = new HashMap<>();
        final Map<String, Long> valueByLabel = new HashMap<>();
        counters.countersManager().forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId == DaemonCounters.TYPE_ID)
            {
                keyByLabel.put(label, keyBuffer.getInt(0));
                valueByLabel.put(label, counters.countersManager().getCounterValue(counterId));
            }
        });
        for (final DaemonCounters.Counter counter : DaemonCounters.Counter.values())
        {
            assertEquals(counter.id(), keyByLabel.get(counter.label()), counter.label());
        }
        assertEquals(5L, valueByLabel.get("Esp4jCarrierIoError"));
        assertEquals(5L, daemonCounters.get(DaemonCounters.Counter.Esp4jCarrierIoError));
    }
}
