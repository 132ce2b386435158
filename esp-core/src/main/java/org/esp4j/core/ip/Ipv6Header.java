package org.esp4j.core.ip;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Flyweight accessors for the IPv6 header, RFC 8200 §3, and the extension headers ESP is placed after
 * (RFC 4303 §3.1.1: after hop-by-hop, routing and fragment headers; destination options may come before or after).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |           Flow Label                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  +                     Source Address (128 bits)                 +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  +                  Destination Address (128 bits)               +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Extension header (hop-by-hop 0, routing 43, destination options 60):
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Next Header  |  Hdr Ext Len  |   ... (Hdr Ext Len + 1) * 8 bytes in all
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  Fragment header (44): 8 bytes, Next Header first.
 * </pre>
 */
public final class Ipv6Header
{
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;
    public static final int LENGTH = 40;

    public static final int HOP_BY_HOP = 0;
    public static final int ROUTING = 43;
    public static final int FRAGMENT = 44;
    public static final int DESTINATION_OPTIONS = 60;
    public static final int NO_NEXT_HEADER = 59;
    public static final int FRAGMENT_HEADER_LENGTH = 8;

    private Ipv6Header()
    {
    }

    public static int payloadLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + PAYLOAD_LENGTH_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    public static void payloadLength(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        buffer.putShort(offset + PAYLOAD_LENGTH_OFFSET, (short)length, BIG_ENDIAN);
    }

    public static int nextHeader(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + NEXT_HEADER_OFFSET) & 0xFF;
    }

    public static long sourceHigh(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + SOURCE_OFFSET, BIG_ENDIAN);
    }

    public static long sourceLow(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + SOURCE_OFFSET + 8, BIG_ENDIAN);
    }

    public static long destinationHigh(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + DESTINATION_OFFSET, BIG_ENDIAN);
    }

    public static long destinationLow(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + DESTINATION_OFFSET + 8, BIG_ENDIAN);
    }

    /**
     * @param nextHeader a next-header value.
     * @return true for the extension headers this stack walks (hop-by-hop, routing, destination options, fragment).
     */
    public static boolean isWalkedExtension(final int nextHeader)
    {
        return nextHeader == HOP_BY_HOP || nextHeader == ROUTING || nextHeader == DESTINATION_OPTIONS ||
            nextHeader == FRAGMENT;
    }

    /**
     * @param buffer     packet.
     * @param offset     start of the extension header.
     * @param nextHeader its type.
     * @return its length in bytes.
     */
    public static int extensionLength(final DirectBuffer buffer, final int offset, final int nextHeader)
    {
        return nextHeader == FRAGMENT ? FRAGMENT_HEADER_LENGTH : ((buffer.getByte(offset + 1) & 0xFF) + 1) * 8;
    }
}
