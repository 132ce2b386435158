package org.esp4j.core.esp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** RFC 3948 §2.2 / §2.3: what the payload of an ESP-in-UDP datagram is. Bytes written, classified. */
class UdpEncapsulationTest
{
    private static int classify(final int... bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[3 + bytes.length]);
        for (int i = 0; i < bytes.length; i++)
        {
            buffer.putByte(3 + i, (byte)bytes[i]);
        }
        return UdpEncapsulation.classify(buffer, 3, bytes.length);
    }

    @Test
    void shouldTakeOneFfByteForANatKeepalive()
    {
        assertEquals(UdpEncapsulation.NAT_KEEPALIVE, classify(0xFF));
    }

    @Test
    void shouldTakeFourZeroBytesInFrontForTheNonEspMarker()
    {
        assertEquals(UdpEncapsulation.NON_ESP_MARKER, classify(0, 0, 0, 0));
        assertEquals(UdpEncapsulation.NON_ESP_MARKER, classify(0, 0, 0, 0, 0x21, 0x20, 0x22, 0x08));
    }

    @Test
    void shouldTakeAnythingElseForEsp()
    {
        assertEquals(UdpEncapsulation.ESP, classify(0, 0, 0x10, 0x01, 0, 0, 0, 1));
        assertEquals(UdpEncapsulation.ESP, classify(0xFE), "one byte other than 0xFF: a (bad) ESP packet");
        assertEquals(UdpEncapsulation.ESP, classify(0xFF, 0xFF), "two bytes: not a keepalive");
        assertEquals(UdpEncapsulation.ESP, classify(0, 0, 0), "three zero bytes: too short for the marker");
    }

    @Test
    void shouldTakeNoBytesForEmpty()
    {
        assertEquals(UdpEncapsulation.EMPTY, classify());
    }
}
