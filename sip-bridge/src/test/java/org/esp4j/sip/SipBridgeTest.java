package org.esp4j.sip;

import org.esp4j.sip.lifecycle.InMemorySaSink;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.LifecycleListener;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.message.Transport;
import org.esp4j.sip.trace.SipTraceReader;
import org.esp4j.sip.trace.TraceEntry;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed trace fed as plaintext IP packets: UDP as datagrams, TCP split over several segments, some retransmitted.
 */
class SipBridgeTest
{
    private final InMemorySaSink sink = new InMemorySaSink();
    private final SipBridge bridge = new SipBridge(LifecycleConfig.builder(Role.PCSCF).nanoClock(() -> 0L).build(), sink, LifecycleListener.NONE);

    private static List<TraceEntry> seed() throws Exception
    {
        try (var in = SipBridgeTest.class.getResourceAsStream("/traces/ims-register-ipsec.sip"))
        {
            return SipTraceReader.read("seed", in.readAllBytes());
        }
    }

    @Test
    void shouldInstallTheSeedSasFromIpv6PacketsWithTcpSegmentation() throws Exception
    {
        final List<LifecycleEvent> events = new ArrayList<>();
        final java.util.Map<String, Long> sequences = new java.util.HashMap<>();
        for (final TraceEntry entry : seed())
        {
            if ("NOTIFY".equals(entry.message().method()))
            {
                continue; // its Content-Length does not match its body: it cannot be framed as it stands
            }
            final byte[] sip = entry.message().toBytes();
            if (entry.transport() == Transport.UDP)
            {
                events.addAll(bridge.onIpPacket(udp(entry, sip), 0, udp(entry, sip).length));
                continue;
            }
            final String flow = entry.src() + ":" + entry.srcPort() + ">" + entry.dst() + ":" + entry.dstPort();
            final long isn = sequences.getOrDefault(flow, 1000L);
            final int half = sip.length / 2;
            final byte[] first = tcp(entry, isn, sip, 0, half);
            final byte[] second = tcp(entry, isn + half, sip, half, sip.length - half);
            events.addAll(bridge.onIpPacket(first, 0, first.length));
            events.addAll(bridge.onIpPacket(first, 0, first.length)); // retransmission
            events.addAll(bridge.onIpPacket(second, 0, second.length));
            sequences.put(flow, isn + sip.length);
        }

        assertEquals(4, sink.size());
        assertEquals(2821032177L, sink.installed().get(0).spi());
        assertTrue(events.stream().anyMatch(event -> event.type() == LifecycleEvent.Type.SET_ESTABLISHED));
        assertTrue(events.stream().noneMatch(event -> event.type() == LifecycleEvent.Type.PARSE_ERROR), events.toString());
        assertEquals(0, bridge.bufferedTcpFlows());
    }

    @Test
    void shouldIgnoreNonSipPayloadsAndReportTruncatedPackets() throws Exception
    {
        final TraceEntry entry = seed().get(4);
        final byte[] dns = udp(entry, new byte[]{ 0x12, 0x34, 0x01, 0x00 });

        assertTrue(bridge.onIpPacket(dns, 0, dns.length).isEmpty());
        final List<LifecycleEvent> truncated = bridge.onIpPacket(dns, 0, 30);
        assertEquals(LifecycleEvent.Type.PARSE_ERROR, truncated.get(0).type());
        assertTrue(truncated.get(0).detail().startsWith("ipv6"), truncated.get(0).detail());
    }

    @Test
    void shouldFeedIpv4Udp()
    {
        final byte[] sip = ("OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").getBytes();
        final ByteBuffer packet = ByteBuffer.allocate(28 + sip.length);
        packet.put((byte)0x45).put((byte)0).putShort((short)(28 + sip.length)).putInt(0).put((byte)64).put((byte)17).putShort((short)0);
        packet.put(new byte[]{ (byte)192, 0, 2, 1 }).put(new byte[]{ (byte)192, 0, 2, 2 });
        packet.putShort((short)5060).putShort((short)5060).putShort((short)(8 + sip.length)).putShort((short)0).put(sip);

        assertTrue(bridge.onIpPacket(packet.array(), 0, packet.capacity()).isEmpty(), "parsed, nothing to do for OPTIONS");
    }

    private static byte[] udp(final TraceEntry entry, final byte[] payload)
    {
        final ByteBuffer packet = ipv6(entry.src(), entry.dst(), 17, 8 + payload.length);
        packet.putShort((short)entry.srcPort()).putShort((short)entry.dstPort()).putShort((short)(8 + payload.length)).putShort((short)0);
        packet.put(payload);
        return packet.array();
    }

    private static byte[] tcp(final TraceEntry entry, final long sequence, final byte[] payload, final int offset, final int length)
    {
        final ByteBuffer packet = ipv6(entry.src(), entry.dst(), 6, 20 + length);
        packet.putShort((short)entry.srcPort()).putShort((short)entry.dstPort()).putInt((int)sequence).putInt(0);
        packet.put((byte)0x50).put((byte)0x18).putShort((short)65535).putShort((short)0).putShort((short)0);
        packet.put(payload, offset, length);
        return packet.array();
    }

    private static ByteBuffer ipv6(final InetAddress src, final InetAddress dst, final int nextHeader, final int payloadLength)
    {
        assertTrue(src instanceof Inet6Address);
        final ByteBuffer packet = ByteBuffer.allocate(40 + payloadLength);
        packet.putInt(0x6000_0000).putShort((short)payloadLength).put((byte)nextHeader).put((byte)64);
        packet.put(src.getAddress()).put(dst.getAddress());
        return packet;
    }
}
