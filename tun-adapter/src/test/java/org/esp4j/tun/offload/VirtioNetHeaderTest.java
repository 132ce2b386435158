package org.esp4j.tun.offload;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class VirtioNetHeaderTest
{
    @Test
    void shouldWriteEveryFieldLittleEndianAtItsVirtioOffset()
    {
        final byte[] bytes = new byte[12];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);

        VirtioNetHeader.put(buffer, 1, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV6 | VirtioNetHeader.GSO_ECN,
            0x0148, 0x05A8, 0x0028, 0x0010);

        assertArrayEquals(new byte[] {0, 1, (byte)0x84, 0x48, 0x01, (byte)0xA8, 0x05, 0x28, 0x00, 0x10, 0x00, 0},
            bytes);
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.flags(buffer, 1));
        assertEquals(0x84, VirtioNetHeader.gsoType(buffer, 1));
        assertEquals(0x0148, VirtioNetHeader.hdrLen(buffer, 1));
        assertEquals(0x05A8, VirtioNetHeader.gsoSize(buffer, 1));
        assertEquals(0x0028, VirtioNetHeader.csumStart(buffer, 1));
        assertEquals(0x0010, VirtioNetHeader.csumOffset(buffer, 1));
    }

    @Test
    void shouldReadSixteenBitFieldsUnsigned()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH]);

        VirtioNetHeader.put(buffer, 0, 0xFF, 0xFF, 0xFFFF, 0xFFFE, 0x8000, 0xFFFF);

        assertEquals(0xFF, VirtioNetHeader.flags(buffer, 0));
        assertEquals(0xFF, VirtioNetHeader.gsoType(buffer, 0));
        assertEquals(0xFFFF, VirtioNetHeader.hdrLen(buffer, 0));
        assertEquals(0xFFFE, VirtioNetHeader.gsoSize(buffer, 0));
        assertEquals(0x8000, VirtioNetHeader.csumStart(buffer, 0));
        assertEquals(0xFFFF, VirtioNetHeader.csumOffset(buffer, 0));
    }

    @Test
    void shouldClearExactlyTheTenHeaderBytesForAPlainPacket()
    {
        final byte[] bytes = new byte[14];
        java.util.Arrays.fill(bytes, (byte)0x5A);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);

        VirtioNetHeader.putNone(buffer, 2);

        assertArrayEquals(new byte[] {0x5A, 0x5A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5A, 0x5A}, bytes);
        assertEquals(VirtioNetHeader.GSO_NONE, VirtioNetHeader.gsoType(buffer, 2));
    }
}
