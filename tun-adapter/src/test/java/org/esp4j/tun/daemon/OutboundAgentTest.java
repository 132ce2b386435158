package org.esp4j.tun.daemon;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.esp.OutboundObserver;
import org.esp4j.core.esp.ParsedPacket;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.tun.carrier.IpCarrierSender;
import org.esp4j.tun.carrier.UdpCarrierSender;
import org.esp4j.tun.sip.PlaintextObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.esp4j.tun.daemon.AgentSubstitutes.PCSCF;
import static org.esp4j.tun.daemon.AgentSubstitutes.PEER_PORT;
import static org.esp4j.tun.daemon.AgentSubstitutes.SPI;
import static org.esp4j.tun.daemon.AgentSubstitutes.UE;
import static org.esp4j.tun.daemon.AgentSubstitutes.protect5060;
import static org.esp4j.tun.daemon.AgentSubstitutes.sa;
import static org.esp4j.tun.daemon.AgentSubstitutes.udp6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbound agent with a substitute TUN and carriers (as aeron-driver's SenderTest): a protected packet goes to
 * the carrier its SA names, clear packets to the raw carrier unchanged, a missing SA or carrier and a carrier error
 * are counted and nothing leaves in clear, and the SIP observer sees the packets around the SPD lookup.
 */
class OutboundAgentTest
{
    private final CachedNanoClock clock = new CachedNanoClock();
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final DaemonCounters daemonCounters = new DaemonCounters(counters.countersManager());
    private final SecurityAssociationDatabase sad = new SecurityAssociationDatabase(counters, clock,
        (type, sa) -> { });
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final EspProcessor processor = new EspProcessor(sad, spd, counters, clock);
    private final AgentSubstitutes.Tun tun = new AgentSubstitutes.Tun();
    private final AgentSubstitutes.IpSender raw = new AgentSubstitutes.IpSender();
    private final AgentSubstitutes.UdpSender udp = new AgentSubstitutes.UdpSender();

    private OutboundAgent agent(final boolean withUdpCarrier)
    {
        return new OutboundAgent(tun, processor, new FragmentGuard(spd), counters, daemonCounters,
            new IpCarrierSender[] { null, raw }, new UdpCarrierSender[] { null, withUdpCarrier ? udp : null }, true,
            1500, 16);
    }

    @AfterEach
    void close()
    {
        processor.close();
    }

    private static long spiOf(final byte[] esp, final int at)
    {
        return ByteBuffer.wrap(esp).getInt(at) & 0xFFFF_FFFFL;
    }

    @Test
    void shouldSendEspOfARawSaThroughTheIpCarrier()
    {
        spd.add(protect5060());
        sad.add(sa(false));
        final OutboundAgent agent = agent(true);
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));

        assertEquals(1, agent.doWork());
        assertEquals(1, raw.sent.size());
        assertTrue(udp.sent.isEmpty());
        final byte[] esp = raw.sent.get(0);
        assertEquals(50, esp[6] & 0xFF, "next header ESP");
        assertEquals(SPI, spiOf(esp, 40));
        assertEquals(1, counters.get(XfrmCounter.Esp4jOutProtected));
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.TunPacketsRead));
    }

    @Test
    void shouldSendEspOfAnEspInUdpSaThroughTheUdpCarrierWithoutAUdpHeader()
    {
        spd.add(protect5060());
        sad.add(sa(true));
        final OutboundAgent agent = agent(true);
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));

        agent.doWork();
        assertTrue(raw.sent.isEmpty(), "nothing through the raw carrier");
        assertEquals(1, udp.sent.size());
        final AgentSubstitutes.Datagram datagram = udp.sent.get(0);
        assertEquals(SPI, spiOf(datagram.esp(), 0), "the payload starts with ESP: no UDP header in front");
        assertEquals(8 + 108 + 2 + 2 + 12, datagram.esp().length, "ESP header, UDP and its data, pad, trailer, ICV");
        assertEquals(PEER_PORT, datagram.peerPort(), "the SA's encapsulation port");
        assertArrayEquals(PCSCF.getAddress(), datagram.destination());
    }

    @Test
    void shouldPassAClearPacketThroughTheIpCarrierUnchanged()
    {
        final OutboundAgent agent = agent(true);
        final byte[] packet = udp6(UE, 38003, PCSCF, 53, 20);
        tun.toRead.add(packet);

        agent.doWork();
        assertEquals(1, raw.sent.size());
        assertArrayEquals(packet, raw.sent.get(0));
        assertEquals(1, counters.get(XfrmCounter.Esp4jOutBypass));
    }

    @Test
    void shouldCountAndDropAPacketWhoseSaIsMissing()
    {
        spd.add(protect5060());
        final OutboundAgent agent = agent(true);
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));

        agent.doWork();
        assertTrue(raw.sent.isEmpty() && udp.sent.isEmpty(), "never sent, in clear or otherwise");
        assertEquals(1, counters.get(XfrmCounter.XfrmOutNoStates));
    }

    @Test
    void shouldCountAnEspInUdpPacketWithoutItsCarrierAndSendNothing()
    {
        spd.add(protect5060());
        sad.add(sa(true));
        final OutboundAgent agent = agent(false);
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));

        agent.doWork();
        assertTrue(raw.sent.isEmpty(), "not sent as raw ESP either");
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.TunNoCarrier));
    }

    @Test
    void shouldCountACarrierErrorAndGoOnWithTheNextPacket()
    {
        spd.add(protect5060());
        sad.add(sa(false));
        final OutboundAgent agent = agent(true);
        raw.errno = AgentSubstitutes.ENOBUFS;
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
        agent.doWork();
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.Esp4jCarrierIoError));

        raw.errno = 0;
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
        agent.doWork();
        assertEquals(1, raw.sent.size());
        assertEquals(1, daemonCounters.get(DaemonCounters.Counter.Esp4jCarrierIoError));
    }

    @Test
    void shouldShowWatchedPacketsToTheObserverAroundTheLookupAndEndEachDutyCycle()
    {
        spd.add(protect5060());
        sad.add(sa(false));
        final OutboundAgent agent = agent(true);
        final List<String> calls = new ArrayList<>();
        final int[] answer = { OutboundObserver.CONTINUE };
        agent.plaintextObserver(new PlaintextObserver()
        {
            public boolean beforeLookup(final ParsedPacket packet)
            {
                calls.add("before " + packet.destinationPort());
                return packet.destinationPort() == 5060;
            }

            public int afterLookup(final int verdict, final ParsedPacket packet)
            {
                calls.add("after " + EspVerdict.name(verdict));
                return answer[0];
            }

            public void onDutyCycleEnd()
            {
                calls.add("end");
            }
        });
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
        tun.toRead.add(udp6(UE, 38003, PCSCF, 53, 10));
        agent.doWork();
        assertEquals(List.of("before 5060", "after deliver", "before 53", "end"), calls);
        assertEquals(2, raw.sent.size());

        calls.clear();
        answer[0] = OutboundObserver.HOLD;
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
        agent.doWork();
        assertEquals(List.of("before 5060", "after deliver", "end"), calls);
        assertEquals(2, raw.sent.size(), "held back: not sent");
        assertEquals(1, counters.get(XfrmCounter.XfrmOutNoStates));
    }

    @Test
    void shouldAnswerAnIpv6PacketTooBigForThePathThroughTheTun()
    {
        spd.add(protect5060());
        sad.add(sa(true));
        final OutboundAgent agent = agent(true);
        final byte[] big = udp6(UE, 38003, PCSCF, 5060, 1500 - 48 - 20);
        tun.toRead.add(big);

        agent.doWork();
        assertTrue(udp.sent.isEmpty() && raw.sent.isEmpty());
        assertEquals(1, tun.written.size());
        final byte[] answer = tun.written.get(0);
        assertEquals(58, answer[6] & 0xFF, "ICMPv6");
        assertEquals(2, answer[40] & 0xFF, "Packet Too Big");
        final int mtu = ByteBuffer.wrap(answer).getInt(44);
        assertEquals(1500 - (8 + 8 + 2 + 2 + 12), mtu, "the path less UDP, ESP header, pad, trailer and ICV");
        assertEquals(1, counters.get(XfrmCounter.Esp4jOutTooBig));
        assertArrayEquals(Arrays.copyOf(big, 40), Arrays.copyOfRange(answer, 48, 88), "quotes the packet");
    }

    @Test
    void shouldReadTheTunOnlyWhenPollReportedItOrTheLastCycleFilledItsBurst() throws Exception
    {
        spd.add(protect5060());
        sad.add(sa(false));
        final OutboundAgent agent = agent(true);
        // an eventfd stands in for the TUN fd: readable when the test says so
        try (org.esp4j.tun.jna.EventFd tunFd = new org.esp4j.tun.jna.EventFd())
        {
            final org.esp4j.tun.jna.PollFds fds = new org.esp4j.tun.jna.PollFds(1)
                .add(tunFd.fd(), org.esp4j.tun.jna.LibC.POLLIN);
            agent.pollReadiness(fds, 0);
            tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));

            assertEquals(0, fds.poll(0));
            assertEquals(0, agent.doWork(), "poll did not report the TUN: no read");
            assertEquals(0, tun.reads);

            tunFd.signal();
            assertEquals(1, fds.poll(0));
            assertEquals(1, agent.doWork());
            assertEquals(2, tun.reads, "the packet, then the read that found nothing");
            assertEquals(1, raw.sent.size());

            tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
            assertEquals(0, agent.doWork(), "the last read found nothing and no poll came since");
            assertEquals(2, tun.reads);

            for (int i = 0; i < 20; i++)
            {
                tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
            }
            assertEquals(1, fds.poll(0));
            assertEquals(16, agent.doWork(), "a whole burst");
            assertEquals(18, tun.reads);
            tunFd.clear();
            assertEquals(0, fds.poll(0));
            assertEquals(5, agent.doWork(), "a full burst: read on without a poll");
            assertEquals(24, tun.reads);
            assertEquals(22, raw.sent.size());
        }
    }

    /** For each TUN read, how many times the raw carrier had been flushed before it. */
    private List<Integer> flushesAtEachRead()
    {
        final List<Integer> flushes = new ArrayList<>();
        tun.onRead = () -> flushes.add(raw.flushes);
        return flushes;
    }

    @Test
    void shouldSendThePacketReadInAnOpenIdleWindowBeforeTheReadThatFindsTheTunEmpty()
    {
        spd.add(protect5060());
        sad.add(sa(false));
        final OutboundAgent agent = agent(true);
        final PollIdleStrategy idle = AgentSubstitutes.idleAfterWork(100_000, daemonCounters);
        assertTrue(idle.windowOpen());
        agent.idleWindow(idle);
        final List<Integer> flushes = flushesAtEachRead();
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));

        assertEquals(1, agent.doWork());
        assertEquals(List.of(0, 1), flushes, "sent between the read that found it and the one that found nothing");
        assertEquals(1, raw.sent.size());

        // a burst: its first packet at once, the rest together at the end of the duty cycle
        assertEquals(0, agent.doWork(), "an idle duty cycle");
        flushes.clear();
        final int before = raw.flushes;
        for (int i = 0; i < 3; i++)
        {
            tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
        }
        assertEquals(3, agent.doWork());
        assertEquals(List.of(before, before + 1, before + 1, before + 1), flushes);
        assertEquals(4, raw.sent.size());

        // a duty cycle right after one with work is a busy run's: one send at its end
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
        flushes.clear();
        assertEquals(1, agent.doWork());
        assertEquals(List.of(before + 2, before + 2), flushes);
        assertEquals(5, raw.sent.size());
    }

    @Test
    void shouldSendWhatADutyCycleReadAtItsEndWhileNoIdleWindowIsOpen()
    {
        spd.add(protect5060());
        sad.add(sa(false));
        final OutboundAgent agent = agent(true);
        final PollIdleStrategy idle = AgentSubstitutes.idleAfterWork(0, daemonCounters);
        assertFalse(idle.windowOpen());
        agent.idleWindow(idle);
        final List<Integer> flushes = flushesAtEachRead();
        tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));

        assertEquals(1, agent.doWork());
        assertEquals(List.of(0, 0), flushes, "read until the TUN is empty, then send");
        assertEquals(1, raw.flushes);
        assertEquals(1, raw.sent.size());
    }

    @Test
    void shouldReadTheTunAgainAfterAFailedReadWithoutWaitingForPoll() throws Exception
    {
        spd.add(protect5060());
        sad.add(sa(false));
        final OutboundAgent agent = agent(true);
        try (org.esp4j.tun.jna.EventFd tunFd = new org.esp4j.tun.jna.EventFd())
        {
            final org.esp4j.tun.jna.PollFds fds = new org.esp4j.tun.jna.PollFds(1)
                .add(tunFd.fd(), org.esp4j.tun.jna.LibC.POLLIN);
            agent.pollReadiness(fds, 0);
            tun.failReads = 1;
            tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
            tunFd.signal();
            assertEquals(1, fds.poll(0));
            agent.doWork();
            assertEquals(1, daemonCounters.get(DaemonCounters.Counter.Esp4jTunIoError));
            tunFd.clear();
            assertEquals(0, fds.poll(0));

            // what follows a failed read may have left the TUN's queue already (io_uring), where poll cannot see it
            assertEquals(1, agent.doWork());
            assertEquals(1, raw.sent.size());
        }
    }

    @Test
    void shouldGateTheTunReadsOnThePollSetTheThreadPolledLastAndReadOnceAfterAChange() throws Exception
    {
        spd.add(protect5060());
        sad.add(sa(false));
        final OutboundAgent agent = agent(true);
        // packet.threads=auto: two poll sets hold the TUN; an eventfd in each stands in for it
        try (org.esp4j.tun.jna.EventFd ownTun = new org.esp4j.tun.jna.EventFd();
            org.esp4j.tun.jna.EventFd lentTun = new org.esp4j.tun.jna.EventFd())
        {
            final org.esp4j.tun.jna.PollFds own = new org.esp4j.tun.jna.PollFds(1)
                .add(ownTun.fd(), org.esp4j.tun.jna.LibC.POLLIN);
            final org.esp4j.tun.jna.PollFds lent = new org.esp4j.tun.jna.PollFds(1)
                .add(lentTun.fd(), org.esp4j.tun.jna.LibC.POLLIN);
            agent.pollReadiness(own, 0);
            agent.lentPollReadiness(lent, 0);

            agent.tunPolledWith(InboundHandoff.HOME);
            assertEquals(0, own.poll(0));
            assertEquals(0, agent.doWork());
            assertEquals(0, tun.reads, "its own set, as before: not reported, not read");

            ownTun.signal(); // the own set saw the TUN readable last; the thread then polls the other set
            assertEquals(1, own.poll(0));
            agent.tunPolledWith(InboundHandoff.LENT);
            assertEquals(0, lent.poll(0));
            tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
            assertEquals(1, agent.doWork(), "after a change of set: one read whatever the set says");
            assertEquals(2, tun.reads);

            tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
            agent.tunPolledWith(InboundHandoff.LENT);
            assertEquals(0, lent.poll(0));
            assertEquals(0, agent.doWork(), "the set polled last did not report it, though the other did");
            assertEquals(2, tun.reads);

            lentTun.signal();
            assertEquals(1, lent.poll(0));
            assertEquals(1, agent.doWork(), "the set polled last reported it");
            assertEquals(4, tun.reads);

            tun.toRead.add(udp6(UE, 38003, PCSCF, 5060, 100));
            agent.readTunNext();
            assertEquals(1, agent.doWork(), "asked to read: the thread has not polled for a while");
            assertEquals(6, tun.reads);
            assertEquals(0, agent.doWork());
            assertEquals(6, tun.reads);

            agent.tunPolledWith(InboundHandoff.HOME);
            ownTun.clear();
            assertEquals(0, own.poll(0));
            assertEquals(0, agent.doWork(), "back to its own set: one read");
            assertEquals(7, tun.reads);
            assertEquals(3, raw.sent.size());
        }
    }

    @Test
    void shouldMarkTheThreadsDatagramMarkForAUdpPacketReadFromTheTunAndNotForOtherProtocols()
    {
        final OutboundAgent agent = agent(true);
        final PacketScheduling.DatagramMark mark = new PacketScheduling.DatagramMark();
        agent.datagramMark(mark);
        final byte[] notUdp = udp6(UE, 38003, PCSCF, 53, 20);
        notUdp[6] = 58; // ICMPv6
        tun.toRead.add(notUdp);

        assertEquals(1, agent.doWork());
        assertFalse(mark.take(), "not UDP: no mark");

        tun.toRead.add(udp6(UE, 38003, PCSCF, 53, 20));
        assertEquals(1, agent.doWork());
        assertTrue(mark.take(), "UDP");
    }
}
