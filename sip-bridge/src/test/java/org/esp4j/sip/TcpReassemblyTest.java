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
    private static final InetAddress ATTACKER = address("192.0.2.66");
    private static final InetAddress PCSCF = address("192.0.2.1");
    private static final byte[] PARTIAL_REGISTER = ("REGISTER sip:ims.example.org SIP/2.0\r\n" +
        "Via: SIP/2.0/TCP 192.0.2.66:5060;branch=z9hG4bKflood\r\nX-Filler: " + "x".repeat(900) + "\r\n")
        .getBytes(StandardCharsets.US_ASCII); // a header block that never ends

    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;

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

    /** A REGISTER of its own subscriber and Call-ID with Security-Client, padded to about {@code size} bytes. */
    private static byte[] register(final int ue, final int size)
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

    private static byte[] message(final String method, final String callId, final int bodyLength)
    {
        return (method + " sip:a@ims.example.org SIP/2.0\r\nCall-ID: " + callId + "\r\nCSeq: 1 " + method + "\r\n" +
            "Content-Length: " + bodyLength + "\r\n\r\n" + "b".repeat(bodyLength)).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[][] split(final byte[] bytes, final int parts)
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

    private static byte[] tcp(
        final InetAddress src, final int srcPort, final int dstPort, final long sequence, final int flags,
        final byte[] payload)
    {
        final ByteBuffer packet = ByteBuffer.allocate(20 + 20 + payload.length);
        packet.put((byte)0x45).put((byte)0).putShort((short)packet.capacity()).putInt(0).put((byte)64).put((byte)6)
            .putShort((short)0).put(src.getAddress()).put(PCSCF.getAddress());
        packet.putShort((short)srcPort).putShort((short)dstPort).putInt((int)sequence).putInt(0);
        packet.put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
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
