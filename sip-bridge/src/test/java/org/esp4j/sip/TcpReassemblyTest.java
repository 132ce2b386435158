package org.esp4j.sip;

import org.esp4j.sip.lifecycle.InMemorySaSink;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.LifecycleListener;
import org.esp4j.sip.lifecycle.Role;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SIP-over-TCP reassembly state stays bounded under a flood of unsolicited segments, whatever they carry.
 */
class TcpReassemblyTest
{
    private static final InetAddress ATTACKER = address("192.0.2.66");
    private static final InetAddress PCSCF = address("192.0.2.1");
    private static final byte[] PARTIAL_REGISTER = ("REGISTER sip:ims.example.org SIP/2.0\r\n" +
        "Via: SIP/2.0/TCP 192.0.2.66:5060;branch=z9hG4bKflood\r\nX-Filler: " + "x".repeat(900) + "\r\n")
        .getBytes(StandardCharsets.US_ASCII); // a header block that never ends

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
            final byte[] segment = tcp(port, 5060, 1, PARTIAL_REGISTER);
            bridge.onIpPacket(segment, 0, segment.length);
        }

        // Bound: maxFlows flows, maxBytesPerFlow each.
        assertEquals(TcpReassembly.DEFAULT_MAX_FLOWS, tcp.flowCount());
        assertEquals((long)TcpReassembly.DEFAULT_MAX_FLOWS * PARTIAL_REGISTER.length, tcp.bufferedBytes());
        assertTrue(tcp.bufferedBytes() <= (long)tcp.maxFlows() * tcp.maxBytesPerFlow());
        assertEquals(2000 - TcpReassembly.DEFAULT_MAX_FLOWS, tcp.flowsEvicted());

        clockNs.addAndGet(TcpReassembly.DEFAULT_IDLE_TIMEOUT_NS);
        bridge.expire();
        assertEquals(0, tcp.flowCount(), "idle flows dropped");
        assertEquals(TcpReassembly.DEFAULT_MAX_FLOWS, tcp.flowsIdleExpired());
    }

    @Test
    void shouldKeepNoStateForSegmentsThatAreNotSip()
    {
        final byte[] junk = "\u0016\u0003\u0001 not sip at all".getBytes(StandardCharsets.ISO_8859_1);
        for (int port = 30000; port < 32000; port++)
        {
            final byte[] segment = tcp(port, 5060, 1, junk);
            assertTrue(bridge.onIpPacket(segment, 0, segment.length).isEmpty());
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

    private static byte[] tcp(final int srcPort, final int dstPort, final long sequence, final byte[] payload)
    {
        final ByteBuffer packet = ByteBuffer.allocate(20 + 20 + payload.length);
        packet.put((byte)0x45).put((byte)0).putShort((short)packet.capacity()).putInt(0).put((byte)64).put((byte)6)
            .putShort((short)0).put(ATTACKER.getAddress()).put(PCSCF.getAddress());
        packet.putShort((short)srcPort).putShort((short)dstPort).putInt((int)sequence).putInt(0);
        packet.put((byte)0x50).put((byte)0x18).putShort((short)65535).putShort((short)0).putShort((short)0);
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
