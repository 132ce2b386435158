package org.esp4j.core.ip;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Flyweight accessors for the IPv4 header, RFC 791 §3.1.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Identification        |Flags|      Fragment Offset    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options                    |    Padding    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Flags: bit 0 reserved, bit 1 DF (don't fragment), bit 2 MF (more fragments); then 13 bits of fragment offset in
 *  units of 8 bytes. A packet is a fragment when MF is set or the offset is not zero ({@link #FRAGMENT_MASK}).
 * </pre>
 * All fields big endian; addresses are returned as big-endian {@code int}s.
 */
public final class Ipv4Header
{
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;
    /** The header without options (IHL 5). */
    public static final int MIN_LENGTH = 20;
    public static final int VERSION = 4;

    /** Don't-fragment flag. */
    public static final int DONT_FRAGMENT = 0x4000;
    /** More-fragments flag. */
    public static final int MORE_FRAGMENTS = 0x2000;
    /** The fragment offset bits (in 8-byte units). */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;
    /** More-fragments flag and fragment offset bits: non-zero means a fragment. */
    public static final int FRAGMENT_MASK = MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK;

    private Ipv4Header()
    {
    }

    /**
     * The version nibble of any IP header (4 or 6; anything else is garbage), read the same way for both.
     *
     * @param buffer packet.
     * @param offset start of the IP header.
     * @return its version field.
     */
    public static int version(final DirectBuffer buffer, final int offset)
    {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) >> 4) & 0xF;
    }

    /** @return header length in bytes (IHL times 4). */
    public static int headerLength(final DirectBuffer buffer, final int offset)
    {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) & 0xF) * 4;
    }

    public static int tos(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + TOS_OFFSET) & 0xFF;
    }

    public static int totalLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + TOTAL_LENGTH_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    public static void totalLength(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        buffer.putShort(offset + TOTAL_LENGTH_OFFSET, (short)length, BIG_ENDIAN);
    }

    public static int identification(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + IDENTIFICATION_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    public static void identification(final MutableDirectBuffer buffer, final int offset, final int identification)
    {
        buffer.putShort(offset + IDENTIFICATION_OFFSET, (short)identification, BIG_ENDIAN);
    }

    /** @return the 16 bits of flags and fragment offset. */
    public static int flagsAndFragmentOffset(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + FLAGS_FRAGMENT_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    public static void flagsAndFragmentOffset(final MutableDirectBuffer buffer, final int offset, final int value)
    {
        buffer.putShort(offset + FLAGS_FRAGMENT_OFFSET, (short)value, BIG_ENDIAN);
    }

    /** @return true when MF is set or the fragment offset is not zero. */
    public static boolean isFragment(final DirectBuffer buffer, final int offset)
    {
        return (flagsAndFragmentOffset(buffer, offset) & FRAGMENT_MASK) != 0;
    }

    /** @return the fragment offset in 8-byte units. */
    public static int fragmentOffset(final DirectBuffer buffer, final int offset)
    {
        return flagsAndFragmentOffset(buffer, offset) & FRAGMENT_OFFSET_MASK;
    }

    public static int ttl(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + TTL_OFFSET) & 0xFF;
    }

    public static int protocol(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + PROTOCOL_OFFSET) & 0xFF;
    }

    public static void protocol(final MutableDirectBuffer buffer, final int offset, final int protocol)
    {
        buffer.putByte(offset + PROTOCOL_OFFSET, (byte)protocol);
    }

    public static int checksum(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    /** @return source address as a big-endian int. */
    public static int source(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + SOURCE_OFFSET, BIG_ENDIAN);
    }

    public static void source(final MutableDirectBuffer buffer, final int offset, final int address)
    {
        buffer.putInt(offset + SOURCE_OFFSET, address, BIG_ENDIAN);
    }

    /** @return destination address as a big-endian int. */
    public static int destination(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + DESTINATION_OFFSET, BIG_ENDIAN);
    }

    public static void destination(final MutableDirectBuffer buffer, final int offset, final int address)
    {
        buffer.putInt(offset + DESTINATION_OFFSET, address, BIG_ENDIAN);
    }

    /**
     * Write a header without options: version 4, IHL 5, identification, flags and fragment offset zero, checksum
     * zero. The caller writes the addresses, then {@link #updateChecksum}.
     *
     * @param buffer      packet.
     * @param offset      header start.
     * @param tos         type of service (DSCP and ECN).
     * @param totalLength header plus payload.
     * @param protocol    upper-layer protocol.
     * @param ttl         time to live.
     */
    public static void write(
        final MutableDirectBuffer buffer,
        final int offset,
        final int tos,
        final int totalLength,
        final int protocol,
        final int ttl)
    {
        buffer.putByte(offset + VERSION_IHL_OFFSET, (byte)((VERSION << 4) | (MIN_LENGTH / 4)));
        buffer.putByte(offset + TOS_OFFSET, (byte)tos);
        buffer.putShort(offset + TOTAL_LENGTH_OFFSET, (short)totalLength, BIG_ENDIAN);
        buffer.putShort(offset + IDENTIFICATION_OFFSET, (short)0, BIG_ENDIAN);
        buffer.putShort(offset + FLAGS_FRAGMENT_OFFSET, (short)0, BIG_ENDIAN);
        buffer.putByte(offset + TTL_OFFSET, (byte)ttl);
        buffer.putByte(offset + PROTOCOL_OFFSET, (byte)protocol);
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)0, BIG_ENDIAN);
    }

    /**
     * Recompute the header checksum (RFC 791 §3.1, RFC 1071) over the header and its options.
     *
     * @param buffer the packet.
     * @param offset start of the IPv4 header.
     */
    public static void updateChecksum(final MutableDirectBuffer buffer, final int offset)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)0, BIG_ENDIAN);
        final long sum = InternetChecksum.sum(buffer, offset, headerLength(buffer, offset), 0);
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)InternetChecksum.foldAndComplement(sum), BIG_ENDIAN);
    }

    /**
     * @param buffer the packet.
     * @param offset start of the IPv4 header (whose IHL must lie within the buffer).
     * @return true if the header checksum verifies.
     */
    public static boolean isChecksumValid(final DirectBuffer buffer, final int offset)
    {
        return InternetChecksum.fold(InternetChecksum.sum(buffer, offset, headerLength(buffer, offset), 0)) == 0xFFFF;
    }
}
