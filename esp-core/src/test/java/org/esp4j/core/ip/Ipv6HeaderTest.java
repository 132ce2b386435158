package org.esp4j.core.ip;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.esp4j.core.ip.HeaderVectors.integer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ipv6Header accessors against bytes written by hand, and the extension-header walker against chains scapy built
 * (hop-by-hop, routing, destination options, atomic and real fragments, ESP, truncated chains).
 */
class Ipv6HeaderTest
{
    // version 6, traffic class 0xb8, flow label 0x12345; payload 8, UDP, hop limit 255; 2001:db8::1 > 2001:db8::2
    private static final String HEADER = "6b812345" + "0008" + "11" + "ff" +
        "20010db8000000000000000000000001" + "20010db8000000000000000000000002";

    @Test
    void shouldReadEveryFixedHeaderField()
    {
        final UnsafeBuffer packet = new UnsafeBuffer(Hex.decode(HEADER + "0000000000000000"));

        assertEquals(Ipv6Header.VERSION, Ipv4Header.version(packet, 0));
        assertEquals(0xb8, Ipv6Header.trafficClass(packet, 0));
        assertEquals(0x12345, Ipv6Header.flowLabel(packet, 0));
        assertEquals(8, Ipv6Header.payloadLength(packet, 0));
        assertEquals(IpProtocol.UDP, Ipv6Header.nextHeader(packet, 0));
        assertEquals(255, Ipv6Header.hopLimit(packet, 0));
        assertEquals(0x20010db800000000L, Ipv6Header.sourceHigh(packet, 0));
        assertEquals(1L, Ipv6Header.sourceLow(packet, 0));
        assertEquals(0x20010db800000000L, Ipv6Header.destinationHigh(packet, 0));
        assertEquals(2L, Ipv6Header.destinationLow(packet, 0));
    }

    @Test
    void shouldWriteVersionClassLengthNextHeaderAndHopLimit()
    {
        final UnsafeBuffer expected = new UnsafeBuffer(Hex.decode(HEADER));
        final UnsafeBuffer written = new UnsafeBuffer(new byte[Ipv6Header.LENGTH]);

        Ipv6Header.write(written, 0, 0xb8, 8, IpProtocol.UDP, 255);
        written.putBytes(Ipv6Header.SOURCE_OFFSET, expected, Ipv6Header.SOURCE_OFFSET, 32);

        // write() leaves the flow label zero
        expected.putInt(0, Ipv6Header.VERSION << 28 | Ipv6Header.trafficClass(expected, 0) << 20,
            java.nio.ByteOrder.BIG_ENDIAN);
        assertArrayEquals(expected.byteArray(), written.byteArray());
    }

    @Test
    void shouldWalkToTheUpperLayerHeaderScapyBuilt()
    {
        for (final Map<String, Object> vector : HeaderVectors.list("walks"))
        {
            assertWalk(vector, 0);
        }
    }

    @Test
    void shouldStopAtFinalDestinationOptionsWhereEspIsInserted()
    {
        for (final Map<String, Object> vector : HeaderVectors.list("walksStoppingAtFinalDestinationOptions"))
        {
            assertWalk(vector, Ipv6Header.STOP_AT_FINAL_DESTINATION_OPTIONS);
        }
    }

    @Test
    void shouldWalkThroughARealFragmentHeaderWhenAsked()
    {
        final Map<String, Object> vector = HeaderVectors.list("walks").get(4); // hop-by-hop, first fragment, UDP
        final UnsafeBuffer packet = HeaderVectors.packet(vector);

        final long walk = Ipv6Header.walkExtensionHeaders(packet, 0, packet.capacity(),
            Ipv6Header.WALK_THROUGH_FRAGMENTS);

        assertEquals(IpProtocol.UDP, Ipv6Header.walkProtocol(walk));
        assertEquals(56, Ipv6Header.walkUpperOffset(walk));
        assertEquals(48, Ipv6Header.walkNextHeaderFieldOffset(walk));
        assertFalse(Ipv6Header.isWalkTruncated(walk));
    }

    @Test
    void shouldWalkFromAHeaderInsideTheChainAtAnyBufferOffset()
    {
        final Map<String, Object> vector = HeaderVectors.list("walks").get(1); // hop-by-hop, routing, UDP
        final byte[] bytes = Hex.decode((String)vector.get("packet"));
        final UnsafeBuffer shifted = new UnsafeBuffer(new byte[bytes.length + 3]);
        shifted.putBytes(3, bytes);

        // from the routing header (named by the hop-by-hop header's first byte, at 40)
        final long walk = Ipv6Header.walkExtensionHeaders(shifted, 3, 40, 48, bytes.length, 0);

        assertEquals(IpProtocol.UDP, Ipv6Header.walkProtocol(walk));
        assertEquals(56, Ipv6Header.walkUpperOffset(walk));
        assertEquals(48, Ipv6Header.walkNextHeaderFieldOffset(walk));
    }

    @Test
    void shouldReadFragmentHeaderFields()
    {
        final UnsafeBuffer later = HeaderVectors.packet(HeaderVectors.list("walks").get(5));
        final UnsafeBuffer atomic = HeaderVectors.packet(HeaderVectors.list("walks").get(3));

        assertEquals(IpProtocol.IPV6_NO_NEXT_HEADER, Ipv6Header.extensionNextHeader(later, Ipv6Header.LENGTH));
        assertEquals(100, Ipv6Header.fragmentOffset(later, Ipv6Header.LENGTH));
        assertEquals(0x55667788L, Ipv6Header.fragmentIdentification(later, Ipv6Header.LENGTH));
        assertFalse(Ipv6Header.isAtomicFragment(later, Ipv6Header.LENGTH));
        assertTrue(Ipv6Header.isAtomicFragment(atomic, Ipv6Header.LENGTH));
        assertEquals(0x11223344L, Ipv6Header.fragmentIdentification(atomic, Ipv6Header.LENGTH));
        assertEquals(Ipv6Header.FRAGMENT_HEADER_LENGTH,
            Ipv6Header.extensionLength(later, Ipv6Header.LENGTH, IpProtocol.IPV6_FRAGMENT));
    }

    private static void assertWalk(final Map<String, Object> vector, final int options)
    {
        final String name = (String)vector.get("name");
        final UnsafeBuffer packet = HeaderVectors.packet(vector);

        final long walk = Ipv6Header.walkExtensionHeaders(packet, 0, packet.capacity(), options);

        assertEquals(integer(vector, "protocol"), Ipv6Header.walkProtocol(walk), name);
        assertEquals(integer(vector, "upperOffset"), Ipv6Header.walkUpperOffset(walk), name);
        assertEquals(integer(vector, "nextHeaderFieldOffset"), Ipv6Header.walkNextHeaderFieldOffset(walk), name);
        assertEquals(vector.get("truncated"), Ipv6Header.isWalkTruncated(walk), name);
    }
}
