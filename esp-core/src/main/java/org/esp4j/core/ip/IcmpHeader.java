package org.esp4j.core.ip;

import org.agrona.DirectBuffer;

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
    /** Offset of the quoted packet in an error message. */
    public static final int QUOTED_PACKET_OFFSET = 8;
    public static final int LENGTH = 8;

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
