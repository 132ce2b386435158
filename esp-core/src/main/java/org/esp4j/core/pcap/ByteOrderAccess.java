package org.esp4j.core.pcap;

import java.nio.ByteOrder;

/**
 * Multi-byte fields of capture headers, always with an explicit byte order: capture files are written in the
 * byte order of the host that made them, which the file's magic number tells.
 */
final class ByteOrderAccess
{
    private ByteOrderAccess()
    {
    }

    static int getUnsignedShort(final byte[] bytes, final int offset, final ByteOrder order)
    {
        final int b0 = bytes[offset] & 0xFF;
        final int b1 = bytes[offset + 1] & 0xFF;
        return ByteOrder.BIG_ENDIAN == order ? (b0 << 8) | b1 : (b1 << 8) | b0;
    }

    static int getInt(final byte[] bytes, final int offset, final ByteOrder order)
    {
        final int b0 = bytes[offset] & 0xFF;
        final int b1 = bytes[offset + 1] & 0xFF;
        final int b2 = bytes[offset + 2] & 0xFF;
        final int b3 = bytes[offset + 3] & 0xFF;
        return ByteOrder.BIG_ENDIAN == order ?
            (b0 << 24) | (b1 << 16) | (b2 << 8) | b3 :
            (b3 << 24) | (b2 << 16) | (b1 << 8) | b0;
    }

    static long getUnsignedInt(final byte[] bytes, final int offset, final ByteOrder order)
    {
        return getInt(bytes, offset, order) & 0xFFFF_FFFFL;
    }

    static long getLong(final byte[] bytes, final int offset, final ByteOrder order)
    {
        final long first = getUnsignedInt(bytes, offset, order);
        final long second = getUnsignedInt(bytes, offset + 4, order);
        return ByteOrder.BIG_ENDIAN == order ? (first << 32) | second : (second << 32) | first;
    }

    static void putShort(final byte[] bytes, final int offset, final int value, final ByteOrder order)
    {
        if (ByteOrder.BIG_ENDIAN == order)
        {
            bytes[offset] = (byte)(value >>> 8);
            bytes[offset + 1] = (byte)value;
        }
        else
        {
            bytes[offset] = (byte)value;
            bytes[offset + 1] = (byte)(value >>> 8);
        }
    }

    static void putInt(final byte[] bytes, final int offset, final int value, final ByteOrder order)
    {
        if (ByteOrder.BIG_ENDIAN == order)
        {
            bytes[offset] = (byte)(value >>> 24);
            bytes[offset + 1] = (byte)(value >>> 16);
            bytes[offset + 2] = (byte)(value >>> 8);
            bytes[offset + 3] = (byte)value;
        }
        else
        {
            bytes[offset] = (byte)value;
            bytes[offset + 1] = (byte)(value >>> 8);
            bytes[offset + 2] = (byte)(value >>> 16);
            bytes[offset + 3] = (byte)(value >>> 24);
        }
    }

    /** Network byte order, for link-layer fields such as ethertypes. */
    static int getUnsignedShortBigEndian(final byte[] bytes, final int offset)
    {
        return getUnsignedShort(bytes, offset, ByteOrder.BIG_ENDIAN);
    }

    /** Smallest multiple of 4 that is at least value: pcapng pads data and options to 32 bits. */
    static int alignTo4(final int value)
    {
        return (value + 3) & ~3;
    }
}
