package org.esp4j.tun.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingDuplicatesTest
{
    private static final long NOW = 1_000_000_000L;

    private final RingDuplicates duplicates = new RingDuplicates();

    /** An IPv6 packet carrying ESP: SPI, sequence number, 16 bytes of payload, a 12-byte ICV. */
    private static UnsafeBuffer esp6(final long spi, final long sequence, final byte icvByte)
    {
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[40 + 8 + 16 + 12]);
        packet.putByte(0, (byte)0x60);
        packet.putShort(4, (short)(8 + 16 + 12), ByteOrder.BIG_ENDIAN);
        packet.putByte(6, (byte)50);
        packet.putInt(40, (int)spi, ByteOrder.BIG_ENDIAN);
        packet.putInt(44, (int)sequence, ByteOrder.BIG_ENDIAN);
        for (int i = 64; i < 76; i++)
        {
            packet.putByte(i, icvByte);
        }
        return packet;
    }

    @Test
    void shouldRecogniseTheRawSocketsCopyOfAPacketTheRingDelivered()
    {
        final UnsafeBuffer packet = esp6(0xA8258AF1L, 7, (byte)0x5a);
        assertFalse(duplicates.isSecondCopy(packet, 0, packet.capacity(), true, NOW));
        duplicates.remember(true, NOW);
        assertTrue(duplicates.isSecondCopy(packet, 0, packet.capacity(), false, NOW));
    }

    @Test
    void shouldRecogniseTheRingsCopyOfAPacketTheRawSocketDelivered()
    {
        final UnsafeBuffer packet = esp6(1, 1, (byte)1);
        assertFalse(duplicates.isSecondCopy(packet, 0, packet.capacity(), false, NOW));
        duplicates.remember(false, NOW);
        assertTrue(duplicates.isSecondCopy(packet, 0, packet.capacity(), true, NOW));
    }

    @Test
    void shouldLeaveAReplayOnTheSamePathToTheReplayCheck()
    {
        final UnsafeBuffer packet = esp6(0xC0000001L, 9, (byte)3);
        assertFalse(duplicates.isSecondCopy(packet, 0, packet.capacity(), false, NOW));
        duplicates.remember(false, NOW);
        assertFalse(duplicates.isSecondCopy(packet, 0, packet.capacity(), false, NOW), "a replay, not a copy");
    }

    @Test
    void shouldNotTakeAnotherPacketOrAnUndeliveredOneForACopy()
    {
        final UnsafeBuffer first = esp6(5, 100, (byte)1);
        assertFalse(duplicates.isSecondCopy(first, 0, first.capacity(), true, NOW));
        duplicates.remember(true, NOW);
        final UnsafeBuffer otherIcv = esp6(5, 100, (byte)2); // forged: same SPI and sequence, another ICV
        assertFalse(duplicates.isSecondCopy(otherIcv, 0, otherIcv.capacity(), false, NOW));
        final UnsafeBuffer otherSequence = esp6(5, 101, (byte)1);
        assertFalse(duplicates.isSecondCopy(otherSequence, 0, otherSequence.capacity(), false, NOW));

        final UnsafeBuffer dropped = esp6(6, 1, (byte)1); // looked up, not delivered (bad ICV): not remembered
        assertFalse(duplicates.isSecondCopy(dropped, 0, dropped.capacity(), true, NOW));
        assertFalse(duplicates.isSecondCopy(dropped, 0, dropped.capacity(), false, NOW));
    }

    @Test
    void shouldTakeTheSameBytesMuchLaterForANewPacketNotACopy()
    {
        final UnsafeBuffer packet = esp6(0x0008a239L, 2, (byte)7);
        assertFalse(duplicates.isSecondCopy(packet, 0, packet.capacity(), true, NOW));
        duplicates.remember(true, NOW);
        assertTrue(duplicates.isSecondCopy(packet, 0, packet.capacity(), false, NOW + RingDuplicates.COPY_WINDOW_NS));
        // an SA set up again with the same SPI and key sends the same bytes again, a registration later
        assertFalse(duplicates.isSecondCopy(packet, 0, packet.capacity(), false,
            NOW + RingDuplicates.COPY_WINDOW_NS + 1));
    }

    @Test
    void shouldIgnoreWhatIsNotEsp()
    {
        final UnsafeBuffer udp = esp6(5, 100, (byte)1);
        udp.putByte(6, (byte)17);
        assertFalse(duplicates.isSecondCopy(udp, 0, udp.capacity(), true, NOW));
        duplicates.remember(true, NOW);
        assertFalse(duplicates.isSecondCopy(udp, 0, udp.capacity(), false, NOW));
        assertFalse(duplicates.isSecondCopy(new UnsafeBuffer(new byte[3]), 0, 3, false, NOW));
    }
}
