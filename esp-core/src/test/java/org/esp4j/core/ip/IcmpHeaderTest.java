package org.esp4j.core.ip;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.esp4j.core.ip.HeaderVectors.integer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IcmpHeader against the Fragmentation Needed message scapy wrote, and the error-type classification of RFC 792 and
 * RFC 4443.
 */
class IcmpHeaderTest
{
    @Test
    void shouldReadAndWriteTheFragmentationNeededMessageScapyWrote()
    {
        final Map<String, Object> vector = HeaderVectors.list("transport").get(4);
        final UnsafeBuffer expected = HeaderVectors.packet(vector);
        final int icmp = integer(vector, "transportOffset");

        assertEquals(IcmpHeader.ICMP_DESTINATION_UNREACHABLE, IcmpHeader.type(expected, icmp));
        assertEquals(IcmpHeader.ICMP_CODE_FRAGMENTATION_NEEDED, IcmpHeader.code(expected, icmp));
        assertEquals(integer(vector, "checksum"), IcmpHeader.checksum(expected, icmp));
        assertEquals(1400, expected.getShort(icmp + IcmpHeader.ICMP_NEXT_HOP_MTU_OFFSET, java.nio.ByteOrder.BIG_ENDIAN));

        final UnsafeBuffer written = HeaderVectors.packet(vector);
        written.setMemory(icmp, IcmpHeader.LENGTH, (byte)0x5A);
        IcmpHeader.write(written, icmp, IcmpHeader.ICMP_DESTINATION_UNREACHABLE,
            IcmpHeader.ICMP_CODE_FRAGMENTATION_NEEDED);
        written.putShort(icmp + IcmpHeader.ICMP_NEXT_HOP_MTU_OFFSET, (short)1400, java.nio.ByteOrder.BIG_ENDIAN);
        written.putShort(icmp + IcmpHeader.CHECKSUM_OFFSET, (short)InternetChecksum.foldAndComplement(
            InternetChecksum.sum(written, icmp, written.capacity() - icmp, 0)), java.nio.ByteOrder.BIG_ENDIAN);
        assertEquals(expected, written);
    }

    @Test
    void shouldClassifyTheErrorsThatQuoteAPacket()
    {
        assertTrue(IcmpHeader.isIpv4Error(IcmpHeader.ICMP_DESTINATION_UNREACHABLE));
        assertTrue(IcmpHeader.isIpv4Error(11));
        assertFalse(IcmpHeader.isIpv4Error(8)); // echo request
        assertTrue(IcmpHeader.isIpv6Error(IcmpHeader.ICMPV6_PACKET_TOO_BIG));
        assertFalse(IcmpHeader.isIpv6Error(128)); // echo request
    }
}
