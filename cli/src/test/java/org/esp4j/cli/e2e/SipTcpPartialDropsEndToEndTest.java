package org.esp4j.cli.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.SIGTERM_EXIT;
import static org.esp4j.cli.e2e.SipBridgeEndToEndTest.UE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A P-CSCF daemon's SIP watch counts, in its counters file (what {@code esp4j stat} shows), each partial SIP message
 * over TCP that it drops because the connection ended or started over before the message completed: from each of a
 * few source ports, the first 1,400 bytes of a REGISTER that announces a 200,000-byte body (sip-tcp-flood.py), then a
 * SYN on the same ports ({@code TunSipTcpPartialsDroppedByNewConnection}), or a RST or a FIN
 * ({@code TunSipTcpPartialsDroppedByClose}).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SipTcpPartialDropsEndToEndTest extends SipLabTest
{
    private static final int PORTS = 5;

    @Test
    void shouldCountThePartialMessagesDroppedBecauseANewConnectionOrARstOrFinEndedTheirFlow() throws Exception
    {
        final Lab lab = lab("partial");
        final Process daemon = pcscfDaemon(lab, UE);

        SipTcpFloodEndToEndTest.flood(lab.ueNs(), 21000, PORTS, 1, "syn");
        SipTcpFloodEndToEndTest.flood(lab.ueNs(), 22000, PORTS, 1, "rst");
        SipTcpFloodEndToEndTest.flood(lab.ueNs(), 23000, PORTS, 1, "fin");
        SipTcpFloodEndToEndTest.awaitSnifferDrained(lab.pcNs());

        final Map<String, Long> counters = awaitCounted();
        assertEquals((long)PORTS, counters.get("TunSipTcpPartialsDroppedByNewConnection"), counters.toString());
        assertEquals(2L * PORTS, counters.get("TunSipTcpPartialsDroppedByClose"), counters.toString());
        assertEquals(0L, counters.get("TunSipTcpBufferedBytes"), "nothing left buffered: " + counters);
        assertEquals((long)PORTS, counters.get("TunSipTcpFlows"),
            "the new connections' flows keep their sequence numbers, the closed ones are gone: " + counters);
        assertEquals(0L, counters.get("TunSipTcpFlowsEvicted") + counters.get("TunSipTcpFlowsIdleExpired") +
            counters.get("TunSipTcpFlowsOverflowed") + counters.get("TunSipTcpHolesSkipped"),
            "each drop counted once, under its own reason: " + counters);

        assertEquals(SIGTERM_EXIT, Netns.stop(daemon, 20_000), lab.pcNs().logText("daemon"));
    }

    /** The counters once the sniffer's once-a-second publication shows every drop (or after 30 s, as they are). */
    private Map<String, Long> awaitCounted() throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Map<String, Long> counters = TunDaemonEndToEndTest.readCounters(fixture.countersFile("pc"));
        while (System.nanoTime() - deadline < 0 &&
            (counters.getOrDefault("TunSipTcpPartialsDroppedByNewConnection", 0L) < PORTS ||
            counters.getOrDefault("TunSipTcpPartialsDroppedByClose", 0L) < 2 * PORTS ||
            counters.getOrDefault("TunSipTcpBufferedBytes", 1L) != 0))
        {
            Thread.sleep(100);
            counters = TunDaemonEndToEndTest.readCounters(fixture.countersFile("pc"));
        }
        return counters;
    }
}
