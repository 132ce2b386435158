package org.esp4j.core.ip;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Flyweight accessors for the IPv6 header, RFC 8200 §3, and the one walker over its extension headers (RFC 8200 §4)
 * that every part of esp4j uses to find the upper-layer header.
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
 *  Extension header (hop-by-hop 0, routing 43, destination options 60), RFC 8200 §4.3, §4.4, §4.6:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Next Header  |  Hdr Ext Len  |   ... (Hdr Ext Len + 1) * 8 bytes in all
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Fragment header (44), RFC 8200 §4.5, 8 bytes:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Identification                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * ESP goes after hop-by-hop, routing and fragment headers; destination options may come before or after it
 * (RFC 4303 §3.1.1).
 * <p>
 * <b>The walker</b> ({@link #walkExtensionHeaders}) follows the next-header chain through hop-by-hop, routing,
 * destination options and atomic fragment headers (RFC 6946: offset 0 and M clear, a whole packet) and stops at the
 * first other header: the upper-layer header (or ESP, or an unknown header), or a fragment header that is not
 * atomic (which it reports as {@link IpProtocol#IPV6_FRAGMENT} at that header's offset: the caller decides). It never
 * throws and allocates nothing: its answer is one {@code long}, read with {@link #walkProtocol}, {@link
 * #walkUpperOffset}, {@link #walkNextHeaderFieldOffset} and {@link #isWalkTruncated}. Offsets in and out are
 * relative to the start of the IPv6 header.
 */
public final class Ipv6Header
{
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;
    public static final int LENGTH = 40;
    public static final int VERSION = 6;

    /** Extension headers: next header at 0, Hdr Ext Len at 1 (in 8-byte units, not counting the first 8). */
    public static final int EXTENSION_NEXT_HEADER_OFFSET = 0;
    public static final int EXTENSION_LENGTH_OFFSET = 1;
    /** The shortest extension header. */
    public static final int EXTENSION_MIN_LENGTH = 8;

    public static final int FRAGMENT_OFFSET_FLAGS_OFFSET = 2;
    public static final int FRAGMENT_IDENTIFICATION_OFFSET = 4;
    public static final int FRAGMENT_HEADER_LENGTH = 8;
    /** The M (more fragments) flag in the fragment header's offset-and-flags word. */
    public static final int FRAGMENT_MORE = 0x0001;
    /** Offset and M: the bits that are zero in an atomic fragment (RFC 6946). */
    public static final int FRAGMENT_NOT_ATOMIC_MASK = 0xFFF9;

    /** Walker option: stop at a destination options header not followed by a routing header (RFC 4303 §3.1.1). */
    public static final int STOP_AT_FINAL_DESTINATION_OPTIONS = 1;
    /** Walker option: walk through non-atomic fragment headers too, as through atomic ones. */
    public static final int WALK_THROUGH_FRAGMENTS = 2;

    private static final int WALK_OFFSET_BITS = 24;
    private static final long WALK_OFFSET_MASK = (1L << WALK_OFFSET_BITS) - 1;
    private static final int WALK_FIELD_SHIFT = WALK_OFFSET_BITS;
    private static final int WALK_PROTOCOL_SHIFT = 2 * WALK_OFFSET_BITS;
    private static final long WALK_TRUNCATED = 1L << 56;

    private Ipv6Header()
    {
    }

    public static void write(
        final MutableDirectBuffer buffer,
        final int offset,
        final int trafficClass,
        final int payloadLength,
        final int nextHeader,
        final int hopLimit)
    {
        buffer.putInt(offset + VERSION_CLASS_FLOW_OFFSET, (VERSION << 28) | ((trafficClass & 0xFF) << 20), BIG_ENDIAN);
        buffer.putShort(offset + PAYLOAD_LENGTH_OFFSET, (short)payloadLength, BIG_ENDIAN);
        buffer.putByte(offset + NEXT_HEADER_OFFSET, (byte)nextHeader);
        buffer.putByte(offset + HOP_LIMIT_OFFSET, (byte)hopLimit);
    }

    public static int trafficClass(final DirectBuffer buffer, final int offset)
    {
        return (buffer.getInt(offset + VERSION_CLASS_FLOW_OFFSET, BIG_ENDIAN) >>> 20) & 0xFF;
    }

    public static int flowLabel(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + VERSION_CLASS_FLOW_OFFSET, BIG_ENDIAN) & 0xF_FFFF;
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

    public static int hopLimit(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + HOP_LIMIT_OFFSET) & 0xFF;
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
     * @return true for the extension headers the walker follows (hop-by-hop, routing, destination options,
     * fragment).
     */
    public static boolean isWalkedExtension(final int nextHeader)
    {
        return nextHeader == IpProtocol.IPV6_HOP_BY_HOP || nextHeader == IpProtocol.IPV6_ROUTING ||
            nextHeader == IpProtocol.IPV6_DESTINATION_OPTIONS || nextHeader == IpProtocol.IPV6_FRAGMENT;
    }

    /**
     * @param buffer     packet.
     * @param offset     start of the extension header.
     * @param nextHeader its type.
     * @return its length in bytes.
     */
    public static int extensionLength(final DirectBuffer buffer, final int offset, final int nextHeader)
    {
        return nextHeader == IpProtocol.IPV6_FRAGMENT ? FRAGMENT_HEADER_LENGTH :
            ((buffer.getByte(offset + EXTENSION_LENGTH_OFFSET) & 0xFF) + 1) * 8;
    }

    /** @return the type of the header after the extension header at {@code offset}. */
    public static int extensionNextHeader(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + EXTENSION_NEXT_HEADER_OFFSET) & 0xFF;
    }

    /** @return the fragment header's 16 bits of fragment offset (in 8-byte units, shifted left by 3) and flags. */
    public static int fragmentOffsetAndFlags(final DirectBuffer buffer, final int fragmentHeaderOffset)
    {
        return buffer.getShort(fragmentHeaderOffset + FRAGMENT_OFFSET_FLAGS_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    /** @return the fragment offset in 8-byte units. */
    public static int fragmentOffset(final DirectBuffer buffer, final int fragmentHeaderOffset)
    {
        return fragmentOffsetAndFlags(buffer, fragmentHeaderOffset) >>> 3;
    }

    /** @return the fragment header's identification, unsigned. */
    public static long fragmentIdentification(final DirectBuffer buffer, final int fragmentHeaderOffset)
    {
        return buffer.getInt(fragmentHeaderOffset + FRAGMENT_IDENTIFICATION_OFFSET, BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    /** @return true for an atomic fragment (RFC 6946): offset 0 and M clear, a whole packet. */
    public static boolean isAtomicFragment(final DirectBuffer buffer, final int fragmentHeaderOffset)
    {
        return (fragmentOffsetAndFlags(buffer, fragmentHeaderOffset) & FRAGMENT_NOT_ATOMIC_MASK) == 0;
    }

    /**
     * Walk the extension headers of the IPv6 packet at {@code ipv6Offset} from its fixed header to the upper-layer
     * header.
     *
     * @param buffer                          packet.
     * @param ipv6Offset                      start of the IPv6 header.
     * @param packetLength                    bytes of the packet (by its payload length, or fewer for a quoted,
     *                                        truncated packet).
     * @param options                         0, {@link #STOP_AT_FINAL_DESTINATION_OPTIONS} (where ESP is inserted on
     *                                        output) and/or {@link #WALK_THROUGH_FRAGMENTS}.
     * @return the walk, for {@link #walkProtocol} and the other readers.
     */
    public static long walkExtensionHeaders(
        final DirectBuffer buffer, final int ipv6Offset, final int packetLength, final int options)
    {
        return walkExtensionHeaders(buffer, ipv6Offset, NEXT_HEADER_OFFSET, LENGTH, packetLength, options);
    }

    /**
     * Walk the extension headers from a header somewhere in the chain. Stops at the first header that is not
     * hop-by-hop, routing, destination options or an atomic fragment (reported with its type and offset); at a
     * non-atomic fragment header (reported as {@link IpProtocol#IPV6_FRAGMENT}) unless the options say
     * {@link #WALK_THROUGH_FRAGMENTS}; with {@link #STOP_AT_FINAL_DESTINATION_OPTIONS}, at a destination options
     * header not followed by a routing header; or where the headers run past {@code packetLength}
     * ({@link #isWalkTruncated}: the protocol and offset then say how far the walk got, the offset possibly past the
     * end).
     *
     * @param buffer                        packet.
     * @param ipv6Offset                    start of the IPv6 header; the offsets below are relative to it.
     * @param nextHeaderFieldOffset         the byte naming the first header to look at.
     * @param headerOffset                  where that header starts.
     * @param packetLength                  bytes of the packet.
     * @param options                       0, {@link #STOP_AT_FINAL_DESTINATION_OPTIONS} and/or
     *                                      {@link #WALK_THROUGH_FRAGMENTS}.
     * @return the walk.
     */
    public static long walkExtensionHeaders(
        final DirectBuffer buffer,
        final int ipv6Offset,
        final int nextHeaderFieldOffset,
        final int headerOffset,
        final int packetLength,
        final int options)
    {
        int field = nextHeaderFieldOffset;
        int at = headerOffset;
        int nextHeader = buffer.getByte(ipv6Offset + field) & 0xFF;
        while (isWalkedExtension(nextHeader))
        {
            if (at + EXTENSION_MIN_LENGTH > packetLength)
            {
                return walk(nextHeader, at, field) | WALK_TRUNCATED;
            }
            final int header = ipv6Offset + at;
            if (nextHeader == IpProtocol.IPV6_FRAGMENT && (options & WALK_THROUGH_FRAGMENTS) == 0 &&
                !isAtomicFragment(buffer, header))
            {
                break;
            }
            final int extensionLength = extensionLength(buffer, header, nextHeader);
            final int following = extensionNextHeader(buffer, header);
            if (at + extensionLength > packetLength)
            {
                return walk(following, at + extensionLength, at) | WALK_TRUNCATED;
            }
            if ((options & STOP_AT_FINAL_DESTINATION_OPTIONS) != 0 &&
                nextHeader == IpProtocol.IPV6_DESTINATION_OPTIONS && following != IpProtocol.IPV6_ROUTING)
            {
                break;
            }
            field = at;
            nextHeader = following;
            at += extensionLength;
        }
        return walk(nextHeader, at, field);
    }

    /** @return the type of the header the walk stopped at (the upper-layer protocol when it completed). */
    public static int walkProtocol(final long walk)
    {
        return (int)(walk >>> WALK_PROTOCOL_SHIFT) & 0xFF;
    }

    /** @return where the header the walk stopped at starts, from the IPv6 header's start. */
    public static int walkUpperOffset(final long walk)
    {
        return (int)(walk & WALK_OFFSET_MASK);
    }

    /** @return where the byte naming that header is, from the IPv6 header's start (to patch the chain). */
    public static int walkNextHeaderFieldOffset(final long walk)
    {
        return (int)((walk >>> WALK_FIELD_SHIFT) & WALK_OFFSET_MASK);
    }

    /** @return true when the headers ran past the packet's end: malformed or truncated. */
    public static boolean isWalkTruncated(final long walk)
    {
        return (walk & WALK_TRUNCATED) != 0;
    }

    private static long walk(final int protocol, final int upperOffset, final int nextHeaderFieldOffset)
    {
        return ((long)protocol << WALK_PROTOCOL_SHIFT) |
            ((nextHeaderFieldOffset & WALK_OFFSET_MASK) << WALK_FIELD_SHIFT) | (upperOffset & WALK_OFFSET_MASK);
    }
}
