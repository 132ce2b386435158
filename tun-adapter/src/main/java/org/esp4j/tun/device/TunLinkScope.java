package org.esp4j.tun.device;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Packets that belong to the TUN's own link and must never be relayed onto the carrier: those with a link-local
 * source (IPv6 {@code fe80::/10}, RFC 4291 §2.5.6; IPv4 {@code 169.254.0.0/16}, RFC 3927) and those to a multicast
 * or broadcast destination (IPv6 {@code ff00::/8}, RFC 4291 §2.7; IPv4 {@code 224.0.0.0/4} and
 * {@code 255.255.255.255}). The kernel's own router solicitations, MLD reports and DAD probes are such packets; the
 * daemon carries unicast between the hosts' own addresses only, so it drops these and counts them
 * ({@code TunOutLinkScopeDropped}).
 * <pre>
 *  IPv4: source at 12, destination at 16     IPv6: source at 8, destination at 24 (16 bytes each)
 * </pre>
 */
public final class TunLinkScope
{
    private static final int IPV4_SOURCE_OFFSET = 12;
    private static final int IPV4_DESTINATION_OFFSET = 16;
    private static final int IPV6_SOURCE_OFFSET = 8;
    private static final int IPV6_DESTINATION_OFFSET = 24;

    private TunLinkScope()
    {
    }

    /**
     * @param buffer   the packet.
     * @param ipOffset where its IP header starts; the whole fixed header (20 or 40 bytes) must be there.
     * @return true for a link-local source or a multicast/broadcast destination; false for anything else, including
     * a packet that is neither IPv4 nor IPv6.
     */
    public static boolean isLinkScoped(final DirectBuffer buffer, final int ipOffset)
    {
        final int version = (buffer.getByte(ipOffset) & 0xF0) >>> 4;
        if (version == 6)
        {
            final int source = buffer.getShort(ipOffset + IPV6_SOURCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFC0;
            final int destination = buffer.getByte(ipOffset + IPV6_DESTINATION_OFFSET) & 0xFF;
            return source == 0xFE80 || destination == 0xFF;
        }
        if (version == 4)
        {
            final int source = buffer.getInt(ipOffset + IPV4_SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
            final int destination = buffer.getInt(ipOffset + IPV4_DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
            return (source >>> 16) == 0xA9FE || (destination >>> 28) == 0xE || destination == 0xFFFF_FFFF;
        }
        return false;
    }
}
