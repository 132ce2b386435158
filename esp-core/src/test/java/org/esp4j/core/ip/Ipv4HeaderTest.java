package org.esp4j.core.ip;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Map;

import static org.esp4j.core.ip.HeaderVectors.integer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ipv4Header accessors against IPv4 headers scapy wrote (with options, DF, MF, fragment offset).
 */
class Ipv4HeaderTest
{
    @Test
    void shouldReadEveryFieldScapyWrote() throws Exception
    {
        for (final Map<String, Object> vector : HeaderVectors.list("ipv4"))
        {
            final String name = (String)vector.get("name");
            final UnsafeBuffer packet = HeaderVectors.packet(vector);

            assertEquals(Ipv4Header.VERSION, Ipv4Header.version(packet, 0), name);
            assertEquals(integer(vector, "headerLength"), Ipv4Header.headerLength(packet, 0), name);
            assertEquals(integer(vector, "tos"), Ipv4Header.tos(packet, 0), name);
            assertEquals(integer(vector, "totalLength"), Ipv4Header.totalLength(packet, 0), name);
            assertEquals(integer(vector, "identification"), Ipv4Header.identification(packet, 0), name);
            assertEquals(integer(vector, "flagsAndFragmentOffset"), Ipv4Header.flagsAndFragmentOffset(packet, 0), name);
            assertEquals(vector.get("fragment"), Ipv4Header.isFragment(packet, 0), name);
            assertEquals(integer(vector, "fragmentOffset"), Ipv4Header.fragmentOffset(packet, 0), name);
            assertEquals(integer(vector, "ttl"), Ipv4Header.ttl(packet, 0), name);
            assertEquals(integer(vector, "protocol"), Ipv4Header.protocol(packet, 0), name);
            assertEquals(integer(vector, "checksum"), Ipv4Header.checksum(packet, 0), name);
            assertEquals(vector.get("source"), address(Ipv4Header.source(packet, 0)), name);
            assertEquals(vector.get("destination"), address(Ipv4Header.destination(packet, 0)), name);
            assertTrue(Ipv4Header.isChecksumValid(packet, 0), name);
        }
    }

    @Test
    void shouldRecomputeTheChecksumScapyComputedOverHeaderAndOptions()
    {
        for (final Map<String, Object> vector : HeaderVectors.list("ipv4"))
        {
            final UnsafeBuffer packet = HeaderVectors.packet(vector);
            packet.putShort(Ipv4Header.CHECKSUM_OFFSET, (short)0x5A5A);
            assertFalse(Ipv4Header.isChecksumValid(packet, 0));

            Ipv4Header.updateChecksum(packet, 0);

            assertEquals(integer(vector, "checksum"), Ipv4Header.checksum(packet, 0), (String)vector.get("name"));
        }
    }

    @Test
    void shouldWriteTheHeaderScapyWrote()
    {
        final Map<String, Object> vector = HeaderVectors.list("ipv4").get(0);
        final UnsafeBuffer expected = HeaderVectors.packet(vector);
        final UnsafeBuffer written = new UnsafeBuffer(new byte[Ipv4Header.MIN_LENGTH]);

        Ipv4Header.write(written, 0, integer(vector, "tos"), integer(vector, "totalLength"), IpProtocol.UDP,
            integer(vector, "ttl"));
        Ipv4Header.identification(written, 0, integer(vector, "identification"));
        Ipv4Header.flagsAndFragmentOffset(written, 0, Ipv4Header.DONT_FRAGMENT);
        Ipv4Header.source(written, 0, Ipv4Header.source(expected, 0));
        Ipv4Header.destination(written, 0, Ipv4Header.destination(expected, 0));
        Ipv4Header.updateChecksum(written, 0);

        final byte[] header = new byte[Ipv4Header.MIN_LENGTH];
        expected.getBytes(0, header);
        assertArrayEquals(header, written.byteArray());
    }

    private static String address(final int bits) throws Exception
    {
        return InetAddress.getByAddress(new byte[]{ (byte)(bits >>> 24), (byte)(bits >>> 16), (byte)(bits >>> 8),
            (byte)bits }).getHostAddress();
    }
}
