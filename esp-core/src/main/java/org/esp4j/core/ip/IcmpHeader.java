package org.esp4j.core.ip;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Flyweight accessors for the header of an ICMP (RFC 792) or ICMPv6 (RFC 4443 §2.1) message, and the classification
 * of the error messages, which quote the packet that caused them.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         unused / pointer / MTU (type specific)                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      As much of the invoking packet as fits (the quoted packet)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Errors: ICMP destination unreachable (3), source quench (4), redirect (5), time exceeded (11) and parameter problem
 * (12), which quote the IP header and at least 8 bytes of its payload (RFC 792, RFC 1812 §4.3.2.3: as much as fits);
 * ICMPv6 destination unreachable (1), packet too big (2), time exceeded (3) and parameter problem (4), which quote as
 * much of the packet as fits in the minimum MTU (RFC 4443 §2.4 (c)). These are the messages RFC 4301 §6.1 treats as
 * error messages of the flow they quote.
 */
public final class IcmpHeader
{
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    /** ICMPv6 Packet Too Big (RFC 4443 §3.2): the MTU, 32 bits. */
    public static final int ICMPV6_MTU_OFFSET = 4;
    /** ICMP Fragmentation Needed (RFC 1191 §4): the next-hop MTU, 16 bits after 16 unused ones. */
    public static final int ICMP_NEXT_HOP_MTU_OFFSET = 6;
    /** Offset of the quoted packet in an error message. */
    public static final int QUOTED_PACKET_OFFSET = 8;
    public static final int LENGTH = 8;

    /** ICMP type Destination Unreachable (RFC 792). */
    public static final int ICMP_DESTINATION_UNREACHABLE = 3;
    /** Its code "fragmentation needed and DF set" (RFC 792, RFC 1191). */
    public static final int ICMP_CODE_FRAGMENTATION_NEEDED = 4;
    /** ICMPv6 type Packet Too Big (RFC 4443 §3.2). */
    public static final int ICMPV6_PACKET_TOO_BIG = 2;

    private IcmpHeader()
    {
    }

    public static int type(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    public static int code(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + CODE_OFFSET) & 0xFF;
    }

    public static int checksum(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    /**
     * Write type and code, and zero the rest of the 8-byte header (checksum included).
     *
     * @param buffer packet.
     * @param offset header start.
     * @param type   message type.
     * @param code   message code.
     */
    public static void write(final MutableDirectBuffer buffer, final int offset, final int type, final int code)
    {
        buffer.putByte(offset + TYPE_OFFSET, (byte)type);
        buffer.putByte(offset + CODE_OFFSET, (byte)code);
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)0, BIG_ENDIAN);
        buffer.putInt(offset + 4, 0, BIG_ENDIAN);
    }

    /**
     * @param type ICMP (IPv4) type.
     * @return true for the error messages that quote a packet: 3, 4, 5, 11, 12.
     */
    public static boolean isIpv4Error(final int type)
    {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    /**
     * @param type ICMPv6 type.
     * @return true for the error messages that quote a packet: 1 to 4 (RFC 4443 §2.1).
     */
    public static boolean isIpv6Error(final int type)
    {
        return type >= 1 && type <= 4;
    }
}
