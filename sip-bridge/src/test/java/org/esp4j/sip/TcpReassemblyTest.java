package org.esp4j.sip;

import org.esp4j.sip.lifecycle.InMemorySaSink;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.LifecycleListener;
import org.esp4j.sip.lifecycle.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SIP-over-TCP reassembly state stays bounded under a flood of unsolicited segments, whatever they carry; it keeps
 * the flows of 10,000 UEs, and a message survives a segment that TCP sends again after the ones behind it.
 */
class TcpReassemblyTest
{
    static final InetAddress ATTACKER = address("192.0.2.66");
    private static final InetAddress PCSCF = address("192.0.2.1");
    private static final byte[] PARTIAL_REGISTER = ("REGISTER sip:ims.example.org SIP/2.0\r\n" +
        "Via: SIP/2.0/TCP 192.0.2.66:5060;branch=z9hG4bKflood\r\nX-Filler: " + "x".repeat(900) + "\r\n")
        .getBytes(StandardCharsets.US_ASCII); // a header block that never ends

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;

    private final AtomicLong clockNs = new AtomicLong(1_000_000_000L);
    private final SipBridge bridge = new SipBridge(
        LifecycleConfig.builder(Role.PCSCF).passive(true).nanoClock(clockNs::get).build(),
        new InMemorySaSink(), LifecycleListener.NONE);

    @Test
    void shouldKeepTheLiveStateUnderItsBoundWhen2000SourcePortsFloodPort5060()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        for (int port = 20000; port < 22000; port++)
        {
            feed(tcp(port, 5060, 1, PARTIAL_REGISTER));
        }

        // Bound: a small entry per flow, and maxBufferedFlows buffers of at most maxBytesPerFlow.
        assertEquals(2000, tcp.flowCount());
        assertEquals(TcpReassembly.DEFAULT_MAX_BUFFERED_FLOWS, tcp.bufferedFlowCount());
        assertEquals((long)TcpReassembly.DEFAULT_MAX_BUFFERED_FLOWS * PARTIAL_REGISTER.length, tcp.bufferedBytes());
        assertTrue(tcp.bufferedBytes() <= (long)tcp.maxBufferedFlows() * tcp.maxBytesPerFlow());
        assertEquals(2000 - TcpReassembly.DEFAULT_MAX_BUFFERED_FLOWS, tcp.flowsEvicted(), "buffers dropped");

        clockNs.addAndGet(TcpReassembly.DEFAULT_IDLE_TIMEOUT_NS);
        bridge.expire();
        assertEquals(0, tcp.bufferedBytes(), "idle partial messages dropped");
        assertEquals(TcpReassembly.DEFAULT_MAX_BUFFERED_FLOWS, tcp.flowsIdleExpired());
        assertEquals(2000 - TcpReassembly.DEFAULT_MAX_BUFFERED_FLOWS, tcp.flowCount(),
            "the flows without bytes keep their sequence numbers (a small entry each, within the flow cap)");
    }

    @Test
    void shouldKeepTheFlowsOfTenThousandUesWithoutEvictingAny()
    {
        // a P-CSCF with 10,000 UEs over TCP: each UE's connections to port-s and 5060, both carrying SIP
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] whole = message("MESSAGE", "m", 0);
        for (int ue = 0; ue < 10_000; ue++)
        {
            for (final int port : new int[]{ 5060, 5064 })
            {
                feed(tcp(address(ue), 30000, port, 1, whole));
            }
        }
        assertEquals(20_000, tcp.flowCount());
        assertEquals(0, tcp.flowsEvicted());
        assertEquals(0, tcp.bufferedBytes());
    }

    @Test
    void shouldFrameAMessageThatARetransmissionCarriesBehindTheTailOfOneAlreadySeenWhileThousandsOfFlowsAreActive()
    {
        // The state left at N >= 1,000: a UE's earlier message was seen whole, its ACK lost, and TCP sent the
        // message's tail again together with the de-REGISTER, in one segment that starts mid-message. A flow whose
        // state was evicted meanwhile (at the old cap of 256, by the other UEs' flows) ignored that segment, as it
        // does not start like SIP; the flow kept among 3,000 others skips the part already seen and frames the rest.
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] earlier = register(1, 1800);
        feed(tcp(40002, 5064, 1, earlier));
        final byte[] whole = message("MESSAGE", "m", 0);
        for (int ue = 0; ue < 3000; ue++)
        {
            feed(tcp(address(ue), 30000, 5064, 1, whole));
        }
        final byte[] deregister = register(2, 1800);
        final int tail = 600;
        final byte[] collapsed = new byte[tail + deregister.length];
        System.arraycopy(earlier, earlier.length - tail, collapsed, 0, tail);
        System.arraycopy(deregister, 0, collapsed, tail, deregister.length);
        final byte[] again = tcp(40002, 5064, 1 + earlier.length - tail, collapsed);

        final List<LifecycleEvent> events = feed(again);

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, tcp.flowsEvicted());
    }

    @Test
    void shouldKeepTheSequenceOfAFlowWithoutBufferedBytesBeyondTheIdleTimeout()
    {
        // a registered UE's connection is quiet until its re-registration or de-registration, minutes later
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] earlier = register(3, 1800);
        feed(tcp(40003, 5064, 1, earlier));
        clockNs.addAndGet(10 * TcpReassembly.DEFAULT_IDLE_TIMEOUT_NS);
        bridge.expire();
        assertEquals(1, tcp.flowCount());
        assertEquals(0, tcp.flowsIdleExpired());

        final byte[] deregister = register(4, 1800);
        final byte[][] segments = split(deregister, 2); // the first lost on the way, sent again after the second
        final long at = 1 + earlier.length;
        final byte[] second = tcp(40003, 5064, at + segments[0].length, segments[1]);
        final byte[] again = tcp(40003, 5064, at, segments[0]);
        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(second));
        events.addAll(feed(again));
        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
    }

    @Test
    void shouldFrameAMessageWhoseFirstSegmentIsSentAgainAfterTheSegmentsAfterIt()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        long sequence = 1;
        final byte[] before = message("MESSAGE", "before", 0);
        final byte[] first = tcp(40000, 5064, sequence, before); // the flow is known: an earlier message on it
        feed(first);
        sequence += before.length;
        final byte[] register = register(7, 2400); // a de-REGISTER-sized message: three segments
        final byte[][] segments = split(register, 3);
        final long[] at = { sequence, sequence + segments[0].length, sequence + segments[0].length + segments[1].length };

        // the first segment is lost on the way: the other two arrive, then TCP sends the first again (twice)
        final List<LifecycleEvent> events = new java.util.ArrayList<>();
        for (final int i : new int[]{ 1, 2, 2, 0, 0 })
        {
            final byte[] segment = tcp(40000, 5064, at[i], segments[i]);
            events.addAll(feed(segment));
        }

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, count(events, LifecycleEvent.Type.PARSE_ERROR), events.toString());
        assertEquals(2, tcp.segmentsAhead(), "two kept until the hole was filled (the repeat of one not again)");
        assertEquals(0, tcp.holesSkipped());
        assertEquals(0, tcp.bufferedBytes());

        final byte[] next = register(8, 100); // and the flow goes on in order
        final byte[] after = tcp(40000, 5064, at[2] + segments[2].length, next);
        assertEquals(1, count(feed(after), LifecycleEvent.Type.SECURITY_CLIENT_RECORDED));
    }

    @Test
    void shouldSkipAHoleThatIsNeverFilledAndFrameTheMessagesAfterIt()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        long sequence = 1;
        final byte[] before = message("MESSAGE", "before", 0);
        feed(tcp(40001, 5064, sequence, before));
        sequence += before.length;
        // a message whose first half this watch never sees (the kernel delivered it to the host, not to the watch)
        final byte[][] lost = split(register(100, 1500), 2);
        sequence += lost[0].length;
        final byte[] tail = tcp(40001, 5064, sequence, lost[1]);
        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(tail));
        sequence += lost[1].length;
        final int messages = TcpReassembly.MAX_SEGMENTS_AHEAD + 3;
        for (int i = 0; i < messages; i++)
        {
            final byte[] whole = register(i, 100);
            final byte[] segment = tcp(40001, 5064, sequence, whole);
            events.addAll(feed(segment));
            sequence += whole.length;
        }

        assertEquals(1, tcp.holesSkipped());
        assertEquals(messages, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED),
            "every whole message after the hole, none lost: " + events);
        assertEquals(0, tcp.bufferedBytes());
    }

    @Test
    void shouldKeepNoStateForSegmentsThatAreNotSip()
    {
        final byte[] junk = "\u0016\u0003\u0001 not sip at all".getBytes(StandardCharsets.ISO_8859_1);
        for (int port = 30000; port < 32000; port++)
        {
            final byte[] segment = tcp(port, 5060, 1, junk);
            assertTrue(feed(segment).isEmpty());
        }
        assertEquals(0, bridge.tcpReassembly().flowCount());
        assertEquals(0, bridge.tcpReassembly().flowsEvicted());
    }

    @Test
    void shouldEvictAFlowWithoutAPartialMessageBeforeOneWithAPartialMessage()
    {
        final TcpReassembly small = new TcpReassembly(2, 4096, TimeUnit.SECONDS.toNanos(60));
        final SipBridge bounded = new SipBridge(LifecycleConfig.builder(Role.PCSCF).passive(true).nanoClock(clockNs::get).build(),
            new InMemorySaSink(), LifecycleListener.NONE, small);
        final byte[] head = ("MESSAGE sip:a@ims.example.org SIP/2.0\r\nCall-ID: partial\r\nCSeq: 1 MESSAGE\r\n" +
            "Content-Length: 100\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final byte[] whole = ("MESSAGE sip:a@ims.example.org SIP/2.0\r\nCall-ID: whole\r\nCSeq: 1 MESSAGE\r\n" +
            "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final byte[] partial = tcp(41000, 5060, 1, head); // least recently used, and holds a partial message
        bounded.onIpPacket(partial, 0, partial.length);
        final byte[] complete = tcp(41001, 5060, 1, whole);
        bounded.onIpPacket(complete, 0, complete.length);
        assertEquals(1, small.bufferedFlowCount());

        final byte[] third = tcp(41002, 5060, 1, whole);
        bounded.onIpPacket(third, 0, third.length);

        assertEquals(1, small.flowsEvicted());
        assertEquals(2, small.flowCount());
        assertEquals(1, small.bufferedFlowCount(), "the partial message survives: the flow without one went");
        assertEquals(head.length, small.bufferedBytes());
    }

    @Test
    void shouldDropAndCountAPartialMessageThatWouldExceedTheBytesPerFlow()
    {
        final TcpReassembly small = new TcpReassembly(4, 4096, TimeUnit.SECONDS.toNanos(60));
        final SipBridge bounded = new SipBridge(LifecycleConfig.builder(Role.PCSCF).passive(true).nanoClock(clockNs::get).build(),
            new InMemorySaSink(), LifecycleListener.NONE, small);
        final byte[] head = ("MESSAGE sip:a@ims.example.org SIP/2.0\r\nCall-ID: big\r\nCSeq: 1 MESSAGE\r\n" +
            "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long sequence = 1;
        final byte[] first = tcp(40000, 5060, sequence, head);
        bounded.onIpPacket(first, 0, first.length);
        sequence += head.length;
        List<LifecycleEvent> events = List.of();
        for (int i = 0; i < 5 && events.isEmpty(); i++)
        {
            final byte[] body = tcp(40000, 5060, sequence, new byte[1000]);
            events = bounded.onIpPacket(body, 0, body.length);
            sequence += 1000;
        }

        assertEquals(LifecycleEvent.Type.PARSE_ERROR, events.get(0).type());
        assertTrue(events.get(0).detail().contains("more than 4096 bytes buffered"), events.toString());
        assertEquals(1, small.flowsOverflowed());
        assertEquals(0, small.bufferedBytes());
    }

    // Sequences of segments that once left a message partial (or lost it) although the watch saw every segment:
    // each as the watch may see them when the path reorders, TCP sends again, or a connection ends or starts again.

    @Test
    void shouldFrameAMessageAfterAnAckWithoutDataSeenBehindTheMessageSentAfterIt()
    {
        // the UE acks the P-CSCF's 200 OK, then sends its de-REGISTER; the path hands the watch the two the other
        // way round: the ACK's number is the de-REGISTER's first, and must not wind the flow back
        long sequence = 1;
        final byte[] register = register(20, 600);
        assertEquals(1, count(feed(tcp(40020, 5064, sequence, register)), LifecycleEvent.Type.SECURITY_CLIENT_RECORDED));
        sequence += register.length;
        final byte[] deregister = register(21, 600);
        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(tcp(40020, 5064, sequence, deregister)));
        events.addAll(feed(tcp(ATTACKER, 40020, 5064, sequence, ACK, new byte[0])));
        final byte[] next = register(22, 600);
        events.addAll(feed(tcp(40020, 5064, sequence + deregister.length, next)));

        assertEquals(2, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, bridge.tcpReassembly().bufferedBytes(), "nothing waits for a hole that is not there");
    }

    @Test
    void shouldFrameAMessageSeenAfterAnAckWithoutDataSentAfterIt()
    {
        long sequence = 1;
        final byte[] register = register(23, 600);
        feed(tcp(40023, 5064, sequence, register));
        sequence += register.length;
        final byte[] deregister = register(24, 600);
        // the ACK sent after the de-REGISTER is seen first: its number must not make the de-REGISTER look seen
        final List<LifecycleEvent> events = new java.util.ArrayList<>(
            feed(tcp(ATTACKER, 40023, 5064, sequence + deregister.length, ACK, new byte[0])));
        events.addAll(feed(tcp(40023, 5064, sequence, deregister)));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
    }

    @Test
    void shouldFrameAMessageAfterAKeepAliveProbe()
    {
        // a keep-alive probe carries the number one before the next byte (RFC 1122 4.2.3.6)
        long sequence = 1;
        final byte[] register = register(25, 600);
        feed(tcp(40025, 5064, sequence, register));
        sequence += register.length;
        feed(tcp(ATTACKER, 40025, 5064, sequence - 1, ACK, new byte[0]));
        final byte[] deregister = register(26, 600);

        final List<LifecycleEvent> events = feed(tcp(40025, 5064, sequence, deregister));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, bridge.tcpReassembly().bufferedBytes());
    }

    @Test
    void shouldFrameTheLastMessageOfAConnectionWhoseFinIsSeenBeforeItsLastSegment()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[][] deregister = split(register(27, 1800), 2);
        final long fin = 1 + deregister[0].length + deregister[1].length;
        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(tcp(40027, 5064, 1, deregister[0])));
        events.addAll(feed(tcp(ATTACKER, 40027, 5064, fin, ACK | FIN, new byte[0])));
        events.addAll(feed(tcp(40027, 5064, 1 + deregister[0].length, deregister[1])));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, tcp.bufferedBytes());
        assertEquals(0, tcp.flowsIdleExpired());
    }

    @Test
    void shouldFrameAMessageWhoseLastSegmentCarriesTheFinAndIsSeenBeforeTheSegmentBeforeIt()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[][] deregister = split(register(28, 2400), 3);
        final long[] at = { 1, 1 + deregister[0].length, 1 + deregister[0].length + deregister[1].length };
        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(tcp(40028, 5064, at[0], deregister[0])));
        events.addAll(feed(tcp(ATTACKER, 40028, 5064, at[2], ACK | PSH | FIN, deregister[2])));
        events.addAll(feed(tcp(40028, 5064, at[1], deregister[1])));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, tcp.bufferedBytes());
        assertEquals(0, tcp.holesSkipped());
    }

    @Test
    void shouldForgetAFlowOnAFinSeenAfterEveryByteBeforeIt()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] deregister = register(29, 600);
        feed(tcp(40029, 5064, 1, deregister));
        assertEquals(1, tcp.flowCount());

        feed(tcp(ATTACKER, 40029, 5064, 1 + deregister.length, ACK | FIN, new byte[0]));

        assertEquals(0, tcp.flowCount());
    }

    @Test
    void shouldDropThePartialMessageOfAnOldConnectionWhenASynStartsANewOneOnTheSamePorts()
    {
        // the old connection died unseen halfway through a message; the UE connects again from the same port
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[][] old = split(register(30, 1800), 2);
        feed(tcp(40030, 5064, 1, old[0]));
        final long isn = 0xF000_0000L;
        feed(tcp(ATTACKER, 40030, 5064, isn, SYN, new byte[0]));
        final byte[] register = register(31, 1800);

        final List<LifecycleEvent> events = feed(tcp(40030, 5064, isn + 1, register));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, count(events, LifecycleEvent.Type.PARSE_ERROR), events.toString());
        assertTrue(events.toString().contains("call-id=call-31 "), "the new connection's REGISTER alone: " + events);
        assertEquals(1, tcp.partialsDroppedByNewConnection());
        assertEquals(0, tcp.bufferedBytes());
    }

    @Test
    void shouldTakeALateSegmentOfAClosedConnectionForAnOldOneOnceASynOpenedANewConnectionOnTheSamePorts()
    {
        // the UE reuses its port: its old connection closed (flow state gone), a segment of it sent again arrives
        // after the new connection's SYN; it must not become the start of the new stream, the REGISTER after a hole
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[][] old = split(register(33, 0), 2);
        feed(tcp(40033, 5064, 1, old[0]));
        feed(tcp(40033, 5064, 1 + old[0].length, old[1]));
        feed(tcp(ATTACKER, 40033, 5064, 1 + old[0].length + old[1].length, ACK | FIN, new byte[0]));
        assertEquals(0, tcp.flowCount());
        final long isn = 0x0001_0000L;
        feed(tcp(ATTACKER, 40033, 5064, isn, SYN, new byte[0]));
        feed(tcp(40033, 5064, 1, old[0]));

        final List<LifecycleEvent> events = feed(tcp(40033, 5064, isn + 1, register(34, 1800)));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertTrue(events.toString().contains("call-id=call-34 "), "the new connection's REGISTER: " + events);
        assertEquals(0, tcp.bufferedBytes(), "the old segment taken for one already seen");
    }

    @ParameterizedTest(name = "flags={0}")
    @ValueSource(ints = { RST, RST | ACK, FIN | ACK })
    void shouldDropAndCountThePartialMessageOfAConnectionThatARstOrAFinAfterEveryByteBeforeItEnds(final int flags)
    {
        // the message's tail will never come on this connection
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[][] halves = split(register(32, 1800), 2);
        feed(tcp(40032, 5064, 1, halves[0]));
        assertTrue(tcp.bufferedBytes() > 0);

        feed(tcp(ATTACKER, 40032, 5064, 1 + halves[0].length, flags, new byte[0]));

        assertEquals(1, tcp.partialsDroppedByClose());
        assertEquals(0, tcp.flowCount());
        assertEquals(0, tcp.bufferedBytes());
        assertEquals(0, tcp.partialsDroppedByNewConnection());
    }

    @Test
    void shouldNotCountAConnectionClosedAfterWholeMessagesOrOneWhoseFinWaitsForMissingBytes()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] whole = register(34, 600);
        feed(tcp(40034, 5064, 1, whole));
        feed(tcp(ATTACKER, 40034, 5064, 1 + whole.length, ACK | FIN, new byte[0]));
        final byte[][] halves = split(register(35, 1800), 2);
        feed(tcp(40035, 5064, 1, halves[0]));
        // the FIN after the second half, seen before it: the flow waits for that half, which completes the message
        feed(tcp(ATTACKER, 40035, 5064, 1 + halves[0].length + halves[1].length, ACK | FIN, new byte[0]));
        final List<LifecycleEvent> events = feed(tcp(40035, 5064, 1 + halves[0].length, halves[1]));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, tcp.partialsDroppedByClose());
        assertEquals(0, tcp.bufferedBytes());
    }

    @Test
    void shouldFrameAMessageAcrossTheSequenceWrapWhoseFirstSegmentIsSentAgain()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] before = message("MESSAGE", "wrap", 0);
        final long start = 0x1_0000_0000L - before.length - 700;
        feed(tcp(40032, 5064, start, before));
        final byte[][] segments = split(register(32, 1800), 2); // the first ends past 2^32 - 1
        final long first = start + before.length;
        final long second = (first + segments[0].length) & 0xFFFF_FFFFL;
        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(tcp(40032, 5064, second, segments[1])));
        events.addAll(feed(tcp(40032, 5064, first, segments[0])));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(1, tcp.segmentsAhead());
        assertEquals(0, tcp.bufferedBytes());
    }

    @Test
    void shouldFrameAMessageWhoseHoleIsFilledByOneRetransmissionCoveringTheSegmentsKeptAfterIt()
    {
        // TCP sends again what is unacknowledged as one larger segment, overlapping the ones kept after the hole
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] register = register(33, 2400);
        final byte[][] segments = split(register, 3);
        final long[] at = { 1, 1 + segments[0].length, 1 + segments[0].length + segments[1].length };
        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(tcp(40033, 5064, 1, message("MESSAGE", "x", 0))));
        final long base = 1 + message("MESSAGE", "x", 0).length;
        events.addAll(feed(tcp(40033, 5064, base + at[1] - 1, segments[1])));
        events.addAll(feed(tcp(40033, 5064, base + at[2] - 1, segments[2])));
        events.addAll(feed(tcp(40033, 5064, base, register)));

        assertEquals(1, count(events, LifecycleEvent.Type.SECURITY_CLIENT_RECORDED), events.toString());
        assertEquals(0, count(events, LifecycleEvent.Type.PARSE_ERROR), events.toString());
        assertEquals(0, tcp.bufferedBytes());
    }

    // Connections one after another on the same addresses and ports (a UE that reuses its port-c): no byte of an
    // earlier connection is framed into the current one's stream, whatever the initial sequence numbers.

    @Test
    void shouldNotFrameAnOldConnectionsDeRegisterKeptAfterAHoleWhenTheNewInitialSequenceIsBelowIt()
    {
        // The first connection ends (its state goes with the FIN); the second starts on the same ports with an initial
        // sequence number below the first's numbers, so a late retransmission of the first's de-REGISTER looks like a
        // segment after a hole in the second's stream. The second then loses a segment with more than a flow keeps
        // after it: the hole is skipped, and framing must not start over at the old de-REGISTER.
        final TcpReassembly tcp = bridge.tcpReassembly();
        final long old = 0x8000_0000L;
        final byte[] register = register(40, 600);
        final byte[] deregister = register(41, 600);
        feed(tcp(40040, 5064, old, register));
        feed(tcp(40040, 5064, old + register.length, deregister));
        feed(tcp(ATTACKER, 40040, 5064, old + register.length + deregister.length, ACK | FIN, new byte[0]));
        final long isn = old - 200_000; // the old numbers 200,000 bytes after the new connection's first
        feed(tcp(ATTACKER, 40040, 5064, isn, SYN, new byte[0]));

        final List<LifecycleEvent> events = new java.util.ArrayList<>(
            feed(tcp(40040, 5064, old + register.length, deregister))); // the old de-REGISTER sent again, late
        final byte[] reregister = register(42, 600);
        events.addAll(feed(tcp(40040, 5064, isn + 1, reregister)));
        final byte[][] big = split(message("MESSAGE", "big", 4000), TcpReassembly.MAX_SEGMENTS_AHEAD + 2);
        long at = isn + 1 + reregister.length + big[0].length; // the first segment lost: the rest after a hole
        for (int i = 1; i < big.length; i++)
        {
            events.addAll(feed(tcp(40040, 5064, at, big[i])));
            at += big[i].length;
        }
        events.addAll(feed(tcp(ATTACKER, 40040, 5064, at, ACK | FIN, new byte[0])));

        assertEquals(1, framed(events, 42), events.toString());
        assertEquals(0, framed(events, 41), "the old de-REGISTER not framed: " + events);
        assertEquals(1, tcp.holesSkipped());
        assertEquals(1, tcp.segmentsOutsideWindow(), "beyond the new connection's first window");
        assertEquals(0, tcp.flowCount(), "the second connection's FIN closed the flow: nothing old waits");
        assertEquals(0, tcp.bufferedBytes());
    }

    @Test
    void shouldNotFrameAnOldConnectionsSegmentWithinTheNewWindowWhenItsTcpTimestampIsOlderThanTheNewSyn()
    {
        // the old numbers just after the new connection's first: no window tells them apart, the timestamps do
        final TcpReassembly tcp = bridge.tcpReassembly();
        final long old = 0x10_0000L;
        final byte[] deregister = register(43, 600);
        feed(tcp(ATTACKER, 40043, 5064, old - 1, SYN, 7_000, new byte[0]));
        feed(tcp(ATTACKER, 40043, 5064, old, ACK | PSH, 7_010, deregister));
        feed(tcp(ATTACKER, 40043, 5064, old + deregister.length, ACK | FIN, 7_020, new byte[0]));
        final long isn = old - 5_000;
        feed(tcp(ATTACKER, 40043, 5064, isn, SYN, 9_000, new byte[0]));

        final List<LifecycleEvent> events = new java.util.ArrayList<>(
            feed(tcp(ATTACKER, 40043, 5064, old, ACK | PSH, 7_010, deregister)));
        final byte[] register = register(44, 600);
        events.addAll(feed(tcp(ATTACKER, 40043, 5064, isn + 1, ACK | PSH, 9_010, register)));
        final byte[] next = register(45, 5000); // reaches past the old de-REGISTER's numbers
        events.addAll(feed(tcp(ATTACKER, 40043, 5064, isn + 1 + register.length, ACK | PSH, 9_020, next)));

        assertEquals(0, framed(events, 43), events.toString());
        assertEquals(1, framed(events, 44), events.toString());
        assertEquals(1, framed(events, 45), events.toString());
        assertEquals(1, tcp.segmentsOfEarlierConnection());
        assertEquals(0, tcp.segmentsAhead(), "nothing old kept");
    }

    @Test
    void shouldNotFrameTheTailOfAnOldSegmentThatOverlapsTheStartOfTheNewConnection()
    {
        // an old segment that begins before the new connection's first byte and ends after it
        final TcpReassembly tcp = bridge.tcpReassembly();
        final long isn = 0xFFFF_FFF0L; // the new connection's first byte at 0xFFFF_FFF1, the old segment across the wrap
        feed(tcp(ATTACKER, 40046, 5064, isn, SYN, new byte[0]));
        final byte[] deregister = register(46, 600);
        final byte[] stale = new byte[100 + deregister.length];
        java.util.Arrays.fill(stale, 0, 100, (byte)'x');
        System.arraycopy(deregister, 0, stale, 100, deregister.length);

        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(tcp(40046, 5064, isn + 1 - 100, stale)));
        events.addAll(feed(tcp(40046, 5064, isn + 1, register(47, 600))));

        assertEquals(0, framed(events, 46), events.toString());
        assertEquals(1, framed(events, 47), events.toString());
        assertEquals(0, count(events, LifecycleEvent.Type.PARSE_ERROR), events.toString());
        assertEquals(1, tcp.segmentsOfEarlierConnection());
    }

    @Test
    void shouldKeepThePartialMessageWhenTheSameSynIsSeenAgain()
    {
        // the SYN sent again (its SYN-ACK lost) and seen after the first data: the same connection, nothing to drop
        final TcpReassembly tcp = bridge.tcpReassembly();
        final long isn = 0x1234_5678L;
        final byte[][] halves = split(register(48, 1800), 2);
        final byte[] syn = tcp(ATTACKER, 40048, 5064, isn, SYN, new byte[0]);
        feed(syn);
        final List<LifecycleEvent> events = new java.util.ArrayList<>(feed(tcp(40048, 5064, isn + 1, halves[0])));
        events.addAll(feed(syn));
        events.addAll(feed(tcp(40048, 5064, isn + 1 + halves[0].length, halves[1])));

        assertEquals(1, framed(events, 48), events.toString());
        assertEquals(0, tcp.partialsDroppedByNewConnection());
    }

    @Test
    void shouldIgnoreTheSynOfAnEarlierConnectionSeenAfterTheCurrentOnesByItsTcpTimestamp()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final long isn = 0x5000_0000L;
        feed(tcp(ATTACKER, 40049, 5064, isn, SYN, 2_000, new byte[0]));
        final byte[][] halves = split(register(49, 1800), 2);
        final List<LifecycleEvent> events = new java.util.ArrayList<>(
            feed(tcp(ATTACKER, 40049, 5064, isn + 1, ACK | PSH, 2_001, halves[0])));
        events.addAll(feed(tcp(ATTACKER, 40049, 5064, 0x0100_0000L, SYN, 1_000, new byte[0])));
        events.addAll(feed(tcp(ATTACKER, 40049, 5064, isn + 1 + halves[0].length, ACK | PSH, 2_002, halves[1])));

        assertEquals(1, framed(events, 49), events.toString());
        assertEquals(1, tcp.segmentsOfEarlierConnection());
        assertEquals(0, tcp.partialsDroppedByNewConnection());
    }

    @Test
    void shouldNotFrameALateRetransmissionOfAClosedConnectionsMessageAndForgetTheClosedFlowAfterTheIdleTimeout()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] deregister = register(50, 600);
        assertEquals(1, framed(feed(tcp(40050, 5064, 1, deregister)), 50));
        feed(tcp(ATTACKER, 40050, 5064, 1 + deregister.length, ACK | FIN, new byte[0]));
        assertEquals(0, tcp.flowCount());
        assertEquals(1, tcp.closedFlowCount());

        final List<LifecycleEvent> events = feed(tcp(40050, 5064, 1, deregister)); // its ACK lost: sent again

        assertTrue(events.isEmpty(), events.toString());
        assertEquals(1, tcp.segmentsOfEarlierConnection());
        clockNs.addAndGet(TcpReassembly.DEFAULT_IDLE_TIMEOUT_NS);
        bridge.expire();
        assertEquals(0, tcp.closedFlowCount());
        assertEquals(0, tcp.flowCount());
    }

    @Test
    void shouldOpenAClosedFlowAgainForAConnectionWhoseSynWasMissed()
    {
        // the UE connects again from the same port within the closed flow's 60 s; the watch misses the SYN (its socket
        // dropped it): a segment far from the closed connection's numbers is a new connection's, not a late old one
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] deregister = register(71, 600);
        feed(tcp(40071, 5064, 1, deregister));
        feed(tcp(ATTACKER, 40071, 5064, 1 + deregister.length, ACK | FIN, new byte[0]));
        assertEquals(1, tcp.closedFlowCount());

        final List<LifecycleEvent> events = feed(tcp(40071, 5064, 0x6000_0000L, register(72, 600)));

        assertEquals(1, framed(events, 72), events.toString());
        assertEquals(1, tcp.flowsResynchronised());
        assertEquals(1, tcp.flowCount());
        assertEquals(0, tcp.closedFlowCount());
    }

    @Test
    void shouldEvictAClosedFlowBeforeAnOpenOne()
    {
        final TcpReassembly small = new TcpReassembly(2, 4096, TimeUnit.SECONDS.toNanos(60));
        final SipBridge bounded = new SipBridge(LifecycleConfig.builder(Role.PCSCF).passive(true)
            .nanoClock(clockNs::get).build(), new InMemorySaSink(), LifecycleListener.NONE, small);
        final byte[] whole = register(51, 100);
        for (final byte[] segment : new byte[][] {
            tcp(41051, 5064, 1, whole), tcp(41052, 5064, 1, whole), tcp(41051, 5064, 1 + whole.length, whole),
            tcp(ATTACKER, 41052, 5064, 1 + whole.length, ACK | FIN, new byte[0]), tcp(41053, 5064, 1, whole) })
        {
            bounded.onIpPacket(segment, 0, segment.length);
        }

        assertEquals(2, small.flowCount(), "the open flows kept, though the closed one was used more recently");
        assertEquals(0, small.closedFlowCount());
        assertEquals(1, small.flowsEvicted());
    }

    @Test
    void shouldCloseAFlowOnceTheBytesBeforeAFinSeenFirstAreFramed()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[][] halves = split(register(52, 1800), 2);
        final long fin = 1 + halves[0].length + halves[1].length;
        feed(tcp(ATTACKER, 40052, 5064, 1, ACK | PSH, halves[0]));
        feed(tcp(ATTACKER, 40052, 5064, fin, ACK | FIN, new byte[0]));
        assertEquals(1, tcp.flowCount(), "waits for the second half");

        final List<LifecycleEvent> events = feed(tcp(40052, 5064, 1 + halves[0].length, halves[1]));

        assertEquals(1, framed(events, 52), events.toString());
        assertEquals(0, tcp.flowCount());
        assertEquals(1, tcp.closedFlowCount());
    }

    @Test
    void shouldStartOverAfterARunOfContiguousSegmentsOutsideTheWindowOfAConnectionWhoseSynWasMissed()
    {
        // the watch missed the new connection's SYN (its socket dropped it): the old numbers are kept, the new
        // connection's are far from them; a live stream shows as contiguous segments, and the flow starts over there
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[] first = register(53, 600);
        feed(tcp(40053, 5064, 1, first));
        long at = 0x4000_0000L;
        final List<LifecycleEvent> events = new java.util.ArrayList<>();
        for (int i = 0; i < TcpReassembly.MAX_SEGMENTS_AHEAD + 1; i++)
        {
            final byte[] whole = register(60 + i, 300);
            events.addAll(feed(tcp(40053, 5064, at, whole)));
            at += whole.length;
        }

        assertEquals(1, tcp.flowsResynchronised());
        assertEquals(TcpReassembly.MAX_SEGMENTS_AHEAD, tcp.segmentsOutsideWindow());
        for (int i = 0; i < TcpReassembly.MAX_SEGMENTS_AHEAD - 1; i++)
        {
            assertEquals(0, framed(events, 60 + i), events.toString());
        }
        assertEquals(1, framed(events, 60 + TcpReassembly.MAX_SEGMENTS_AHEAD - 1), "the run's last: " + events);
        assertEquals(1, framed(events, 60 + TcpReassembly.MAX_SEGMENTS_AHEAD), events.toString());
    }

    @Test
    void shouldNotStartOverForADeadConnectionSendingItsOldestSegmentAgain()
    {
        final TcpReassembly tcp = bridge.tcpReassembly();
        final long isn = 0x2000_0000L;
        feed(tcp(ATTACKER, 40054, 5064, isn, SYN, new byte[0]));
        final byte[] stale = register(54, 600);
        final List<LifecycleEvent> events = new java.util.ArrayList<>();
        for (int i = 0; i < 4 * TcpReassembly.MAX_SEGMENTS_AHEAD; i++)
        {
            events.addAll(feed(tcp(40054, 5064, isn + 1 + 500_000, stale)));
        }
        events.addAll(feed(tcp(40054, 5064, isn + 1, register(55, 600))));

        assertEquals(0, framed(events, 54), events.toString());
        assertEquals(1, framed(events, 55), events.toString());
        assertEquals(0, tcp.flowsResynchronised());
        assertEquals(4L * TcpReassembly.MAX_SEGMENTS_AHEAD, tcp.segmentsOutsideWindow());
    }

    @Test
    void shouldExpireAnIdleBufferedFlowWhileAFlowBufferedBeforeItStaysActive()
    {
        // the idle timeout looked at the flows in the order they were last given bytes and stopped at the first one
        // active since: one kept busy by ACKs or segments sent again held back the expiry of every idle one after it
        final TcpReassembly tcp = bridge.tcpReassembly();
        final byte[][] busy = split(register(56, 1800), 2);
        final byte[][] idle = split(register(57, 1800), 2);
        feed(tcp(40056, 5064, 1, busy[0]));
        clockNs.addAndGet(1_000_000_000L);
        feed(tcp(40057, 5064, 1, idle[0]));
        clockNs.addAndGet(TcpReassembly.DEFAULT_IDLE_TIMEOUT_NS - 2_000_000_000L);
        feed(tcp(40056, 5064, 1, busy[0])); // sent again: the busy flow active
        clockNs.addAndGet(2_000_000_000L);

        bridge.expire();

        assertEquals(1, tcp.flowsIdleExpired(), "the idle flow went");
        assertEquals(busy[0].length, tcp.bufferedBytes(), "the busy flow kept its partial message");
        assertEquals(1, framed(feed(tcp(40056, 5064, 1 + busy[0].length, busy[1])), 56));
    }

    @Test
    void shouldTakeTheSegmentsOfAConnectionWhoseTimestampsRunOnPastHalfTheirSpaceSinceItsSyn()
    {
        // a connection older than 2^31 timestamp ticks (24.8 days at 1 ms): its segments are not older than its SYN
        final TcpReassembly tcp = bridge.tcpReassembly();
        final long isn = 0x7000_0000L;
        feed(tcp(ATTACKER, 40058, 5064, isn, SYN, 100, new byte[0]));
        final byte[] register = register(58, 600);
        final List<LifecycleEvent> events = new java.util.ArrayList<>(
            feed(tcp(ATTACKER, 40058, 5064, isn + 1, ACK | PSH, 100 + (1L << 30) + 1000, register)));
        final byte[] deregister = register(59, 600);
        events.addAll(feed(tcp(ATTACKER, 40058, 5064, isn + 1 + register.length, ACK | PSH, 100 + (1L << 31) + 1000,
            deregister)));

        assertEquals(1, framed(events, 58), events.toString());
        assertEquals(1, framed(events, 59), events.toString());
        assertEquals(0, tcp.segmentsOfEarlierConnection());
    }

    /** A REGISTER of its own subscriber and Call-ID with Security-Client, padded to about {@code size} bytes. */
    static byte[] register(final int ue, final int size)
    {
        final String user = "00101012345" + String.format("%04d", ue);
        final String head = "REGISTER sip:ims.example.org SIP/2.0\r\n" +
            "Via: SIP/2.0/TCP 192.0.2.66:5060;branch=z9hG4bK" + ue + "\r\n" +
            "From: <sip:" + user + "@ims.example.org>;tag=" + ue + "\r\nTo: <sip:" + user + "@ims.example.org>\r\n" +
            "Call-ID: call-" + ue + "\r\nCSeq: 1 REGISTER\r\nContact: <sip:" + user + "@192.0.2.66:5060>\r\n" +
            "Authorization: Digest username=\"" + user + "@ims.example.org\", realm=\"ims.example.org\", " +
            "nonce=\"\", uri=\"sip:ims.example.org\", response=\"\"\r\n" +
            "Security-Client: ipsec-3gpp;alg=hmac-sha-1-96;spi-c=" + (1000 + 2 * ue) + ";spi-s=" + (1001 + 2 * ue) +
            ";port-c=30000;port-s=30001\r\nExpires: 600000\r\n";
        return (head + "X-Padding: " + "p".repeat(Math.max(0, size - head.length())) + "\r\nContent-Length: 0\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] message(final String method, final String callId, final int bodyLength)
    {
        return (method + " sip:a@ims.example.org SIP/2.0\r\nCall-ID: " + callId + "\r\nCSeq: 1 " + method + "\r\n" +
            "Content-Length: " + bodyLength + "\r\n\r\n" + "b".repeat(bodyLength)).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[][] split(final byte[] bytes, final int parts)
    {
        final byte[][] split = new byte[parts][];
        for (int i = 0; i < parts; i++)
        {
            split[i] = java.util.Arrays.copyOfRange(bytes, i * bytes.length / parts, (i + 1) * bytes.length / parts);
        }
        return split;
    }

    private List<LifecycleEvent> feed(final byte[] segment)
    {
        return bridge.onIpPacket(segment, 0, segment.length);
    }

    private static long count(final List<LifecycleEvent> events, final LifecycleEvent.Type type)
    {
        return events.stream().filter(event -> event.type() == type).count();
    }

    /**
     * @return how often the {@link #register} of {@code ue} was framed: its Security-Client recorded, or the same
     * REGISTER seen again.
     */
    static long framed(final List<LifecycleEvent> events, final int ue)
    {
        final String callId = "call-id=call-" + ue + " ";
        return events.stream().filter(event -> (event.type() == LifecycleEvent.Type.SECURITY_CLIENT_RECORDED ||
            event.type() == LifecycleEvent.Type.RETRANSMISSION_IGNORED) && event.toString().contains(callId)).count();
    }

    private static InetAddress address(final int ue)
    {
        return address("10.45." + (ue >>> 8) + "." + (ue & 0xFF));
    }

    private static byte[] tcp(final int srcPort, final int dstPort, final long sequence, final byte[] payload)
    {
        return tcp(ATTACKER, srcPort, dstPort, sequence, payload);
    }

    private static byte[] tcp(
        final InetAddress src, final int srcPort, final int dstPort, final long sequence, final byte[] payload)
    {
        return tcp(src, srcPort, dstPort, sequence, ACK | PSH, payload);
    }

    static byte[] tcp(
        final InetAddress src, final int srcPort, final int dstPort, final long sequence, final int flags,
        final byte[] payload)
    {
        return tcp(src, srcPort, dstPort, sequence, flags, -1, payload);
    }

    /** A TCP segment in IPv4, with a Timestamps option (RFC 7323) carrying {@code timestamp} unless it is -1. */
    static byte[] tcp(
        final InetAddress src, final int srcPort, final int dstPort, final long sequence, final int flags,
        final long timestamp, final byte[] payload)
    {
        final int options = timestamp < 0 ? 0 : 12;
        final ByteBuffer packet = ByteBuffer.allocate(20 + 20 + options + payload.length);
        packet.put((byte)0x45).put((byte)0).putShort((short)packet.capacity()).putInt(0).put((byte)64).put((byte)6)
            .putShort((short)0).put(src.getAddress()).put(PCSCF.getAddress());
        packet.putShort((short)srcPort).putShort((short)dstPort).putInt((int)sequence).putInt(0);
        packet.put((byte)((5 + options / 4) << 4)).put((byte)flags).putShort((short)65535).putShort((short)0)
            .putShort((short)0);
        if (timestamp >= 0)
        {
            packet.put((byte)1).put((byte)1).put((byte)8).put((byte)10).putInt((int)timestamp).putInt(0);
        }
        packet.put(payload);
        return packet.array();
    }

    private static InetAddress address(final String text)
    {
        try
        {
            return InetAddress.getByName(text);
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
