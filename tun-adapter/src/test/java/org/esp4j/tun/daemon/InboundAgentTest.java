package org.esp4j.tun.daemon;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.tun.carrier.CarrierReceiver;
import org.esp4j.tun.carrier.CarrierStatus;
import org.esp4j.tun.offload.UdpCoalescer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.esp4j.tun.daemon.AgentSubstitutes.PCSCF;
import static org.esp4j.tun.daemon.AgentSubstitutes.UE;
import static org.esp4j.tun.daemon.AgentSubstitutes.sa;
import static org.esp4j.tun.daemon.AgentSubstitutes.udp6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inbound agent, on the P-CSCF (the SAs' destination), with a substitute TUN and carriers: verified ESP is written into the TUN as plaintext, with the
 * carrier's word on whether it came in UDP checked against the SA; carrier-level results and bad packets are counted
 * and nothing is written.
 */
class InboundAgentTest
{
    private final CachedNanoClock clock = new CachedNanoClock();
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final DaemonCounters daemonCounters = new DaemonCounters(counters.countersManager());
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock,
        (type, sa) -> { });
    private final EspProcessor processor = new EspProcessor(sad, new SecurityPolicyDatabase(), counters, clock);
    private final AgentSubstitutes.Tun tun = new AgentSubstitutes.Tun();
    private final AgentSubstitutes.Receiver udpCarrier = new AgentSubstitutes.Receiver(true);
    private final AgentSubstitutes.Receiver rawCarrier = new AgentSubstitutes.Receiver(false);
    private final InboundAgent agent = new InboundAgent(tun, processor, counters, daemonCounters,
        new CarrierReceiver[] { rawCarrier, udpCarrier }, 0, 16, UdpCoalescer.MAX_SEGMENTS);

    @AfterEach
    void close()
    {
        processor.close();
    }

    /** What the peer's daemon sends: an EspProcessor in carrier mode, as the UDP carrier hands it on (IP + ESP). */
    private static byte[] esp(final SaConfig config, final byte[] plaintext)
    {
        return esp(config, new byte[][] { plaintext })[0];
    }

    /** As {@link #esp(SaConfig, byte[])}, the plaintexts in order through one SA (sequence numbers 1, 2, ...). */
    private static byte[][] esp(final SaConfig config, final byte[][] plaintexts)
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final XfrmCounters counters = XfrmCounters.inMemory();
        final SecurityAssociationDatabase peer = new SecurityAssociationDatabase(counters, clock, (type, sa) -> { });
        final EspProcessor sender = new EspProcessor(peer, new SecurityPolicyDatabase(), counters, clock);
        sender.carrierPayloads(true);
        final SecurityAssociation sa = peer.add(config);
        final byte[][] esps = new byte[plaintexts.length][];
        for (int i = 0; i < plaintexts.length; i++)
        {
            final byte[] plaintext = plaintexts[i];
            final UnsafeBuffer buffer = new UnsafeBuffer(
                new byte[EspProcessor.MAX_HEADROOM + plaintext.length + EspProcessor.MAX_TAILROOM]);
            buffer.putBytes(EspProcessor.MAX_HEADROOM, plaintext);
            assertEquals(EspVerdict.DELIVER, sender.protect(sa, buffer, EspProcessor.MAX_HEADROOM, plaintext.length));
            esps[i] = new byte[sender.resultLength()];
            buffer.getBytes(sender.resultOffset(), esps[i]);
        }
        sender.close();
        return esps;
    }

    @Test
    void shouldHaveTheCarriersEndAtAShortBatchOnlyWhileTheRunningThreadsIdleWindowIsOpen()
    {
        final PollIdleStrategy home = AgentSubstitutes.idleAfterWork(0, daemonCounters);
        final PollIdleStrategy lent = AgentSubstitutes.idleAfterWork(100_000, daemonCounters);
        agent.idleWindows(home, lent);
        agent.lentPollReadiness(new org.esp4j.tun.jna.PollFds(2), 0);
        agent.doWork();
        assertFalse(udpCarrier.endAtShortBatch, "the home thread's window is closed: read until nothing is left");
        assertFalse(rawCarrier.endAtShortBatch);

        agent.heldBy(InboundHandoff.LENT);
        agent.doWork();
        assertTrue(udpCarrier.endAtShortBatch, "the outbound thread's window is open: sparse traffic");
        assertTrue(rawCarrier.endAtShortBatch);

        lent.idle(1); // work found in the window: still open for the duty cycles of this wake-up
        agent.doWork();
        assertTrue(udpCarrier.endAtShortBatch);

        agent.heldBy(InboundHandoff.HOME);
        agent.doWork();
        assertFalse(udpCarrier.endAtShortBatch, "back home");
        assertFalse(rawCarrier.endAtShortBatch);
    }

    @Test
    void shouldWriteThePlaintextOfEspFromTheUdpCarrierIntoTheTun()
    {
        sad.add(sa(true));
        final byte[] plaintext = udp6(UE, 38003, PCSCF, 5060, 120);
        udpCarrier.toReceive.add(esp(sa(true), plaintext));

        assertEquals(1, agent.doWork());
        assertEquals(1, tun.written.size());
        assertArrayEquals(plaintext, tun.written.get(0));
        assertEquals(1, counters.get(XfrmCounter.Esp4jInDelivered));
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.TunCarrierPacketsRead));
    }

    @Test
    void shouldWriteThePlaintextOfRawEspIntoTheTun()
    {
        sad.add(sa(false));
        final byte[] plaintext = udp6(UE, 38003, PCSCF, 5060, 33);
        rawCarrier.toReceive.add(esp(sa(false), plaintext));

        agent.doWork();
        assertEquals(1, tun.written.size());
        assertArrayEquals(plaintext, tun.written.get(0));
    }

    @Test
    void shouldDropEspWhoseCarrierIsNotTheSasAsStateMismatch()
    {
        sad.add(sa(true));
        rawCarrier.toReceive.add(esp(sa(true), udp6(UE, 38003, PCSCF, 5060, 20)));

        agent.doWork();
        assertTrue(tun.written.isEmpty());
        assertEquals(1, counters.get(XfrmCounter.XfrmInStateMismatch));
    }

    @Test
    void shouldCountAnUnknownSpiAndWriteNothing()
    {
        udpCarrier.toReceive.add(esp(sa(true), udp6(UE, 38003, PCSCF, 5060, 20)));

        agent.doWork();
        assertTrue(tun.written.isEmpty());
        assertEquals(1, counters.get(XfrmCounter.XfrmInNoStates));
    }

    @Test
    void shouldCountWhatTheCarriersReportAgainstTheirCounters()
    {
        udpCarrier.toReceive.add(new int[] { CarrierStatus.NAT_KEEPALIVE });
        udpCarrier.toReceive.add(new int[] { CarrierStatus.NON_ESP_MARKER });
        udpCarrier.toReceive.add(new int[] { CarrierStatus.TRUNCATED });
        udpCarrier.toReceive.add(new int[] { CarrierStatus.MALFORMED });
        rawCarrier.toReceive.add(new int[] { -AgentSubstitutes.ENOBUFS });

        assertEquals(5, agent.doWork());
        assertTrue(tun.written.isEmpty());
        assertEquals(1, counters.get(XfrmCounter.Esp4jInNatKeepalive));
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.TunCarrierNonEspMarker));
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.TunCarrierTruncated));
        assertEquals(1, counters.get(XfrmCounter.XfrmInHdrError));
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.Esp4jCarrierIoError));
        assertEquals(5, daemonCounters.get(DaemonCounters.Counter.TunCarrierPacketsRead));
    }

    @Test
    void shouldNotWritePlaintextAPacketCarrierHandedOnIntoTheTun()
    {
        rawCarrier.toReceive.add(udp6(UE, 38003, PCSCF, 5060, 20));

        agent.doWork();
        assertTrue(tun.written.isEmpty(), "the kernel has its own copy");
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.TunCarrierPlaintext));
    }

    @Test
    void shouldMarkTheThreadsDatagramMarkForUdpPlaintextWrittenIntoTheTunAndNotForOtherProtocols()
    {
        final PacketScheduling.DatagramMark home = new PacketScheduling.DatagramMark();
        final PacketScheduling.DatagramMark lent = new PacketScheduling.DatagramMark();
        agent.datagramMarks(home, lent);
        sad.add(sa(true));
        final byte[] notUdp = udp6(UE, 38003, PCSCF, 5060, 40);
        notUdp[6] = 58; // ICMPv6
        final byte[] udp = udp6(UE, 38003, PCSCF, 5060, 40);
        final byte[][] esps = esp(sa(true), new byte[][] { notUdp, udp, udp });

        udpCarrier.toReceive.add(esps[0]);
        agent.doWork();
        assertEquals(1, tun.written.size());
        assertFalse(home.take(), "not UDP: no mark");

        udpCarrier.toReceive.add(esps[1]);
        agent.doWork();
        assertEquals(2, tun.written.size());
        assertTrue(home.take(), "UDP marks the home thread's mark");
        assertFalse(lent.take());

        agent.lentPollReadiness(null, 0);
        agent.heldBy(InboundHandoff.LENT);
        udpCarrier.toReceive.add(esps[2]);
        agent.doWork();
        assertEquals(3, tun.written.size());
        assertTrue(lent.take(), "lent: the outbound thread's mark");
        assertFalse(home.take());
    }
}
