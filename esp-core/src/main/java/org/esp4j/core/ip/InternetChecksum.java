package org.esp4j.core.ip;

import org.agrona.DirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * The Internet checksum, RFC 1071: one's complement sum of 16-bit big-endian words.
 */
public final class InternetChecksum
{
    private InternetChecksum()
    {
    }

    /**
     * Add bytes to a running sum (not yet folded).
     *
     * @param buffer source.
     * @param offset first byte.
     * @param length byte count (an odd last byte is padded with zero).
     * @param sum    running sum.
     * @return new running sum.
     */
    public static int sum(final DirectBuffer buffer, final int offset, final int length, final int sum)
    {
        long acc = sum & 0xFFFF_FFFFL;
        int i = 0;
        for (; i + 3 < length; i += 4)
        {
            acc += buffer.getInt(offset + i, BIG_ENDIAN) & 0xFFFF_FFFFL;
        }
        for (; i + 1 < length; i += 2)
        {
            acc += buffer.getShort(offset + i, BIG_ENDIAN) & 0xFFFF;
        }
        if (i < length)
        {
            acc += (buffer.getByte(offset + i) & 0xFF) << 8;
        }
        while ((acc >>> 32) != 0)
        {
            acc = (acc & 0xFFFF_FFFFL) + (acc >>> 32);
        }
        return (int)acc;
    }

    /**
     * Fold a running sum into the final checksum (complemented).
     *
     * @param sum running sum.
     * @return checksum to store.
     */
    public static int fold(final int sum)
    {
        long acc = sum & 0xFFFF_FFFFL;
        while ((acc >>> 16) != 0)
        {
            acc = (acc & 0xFFFF) + (acc >>> 16);
        }
        return (int)(~acc & 0xFFFF);
    }
}
