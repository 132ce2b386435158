package org.esp4j.tun.device;

import org.agrona.DirectBuffer;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;

/**
 * Packets that belong to the TUN's own link and must never be relayed onto the carrier: those with a link-local
 * source (IPv6 {@code fe80::/10}, RFC 4291 §2.5.6; IPv4 {@code 169.254.0.0/16}, RFC 3927) and those to a multicast
 * or broadcast destination (IPv6 {@code ff00::/8}, RFC 4291 §2.7; IPv4 {@code 224.0.0.0/4} and
 * {@code 255.255.255.255}). The kernel's own router solicitations, MLD reports and DAD probes are such packets; the
 * daemon carries unicast between the hosts' own addresses only, so it drops these and counts them
 * ({@code TunOutLinkScopeDropped}).
 * Header fields are read through {@link Ipv4Header} and {@link Ipv6Header}.
 */
public final class TunLinkScope
{
    private static final long IPV6_LINK_LOCAL_PREFIX_10 = 0x3FAL; // fe80::/10
    private static final long IPV6_MULTICAST_PREFIX_8 = 0xFFL; // ff00::/8
    private static final int IPV4_LINK_LOCAL_PREFIX_16 = 0xA9FE; // 169.254.0.0/16
    private static final int IPV4_MULTICAST_PREFIX_4 = 0xE; // 224.0.0.0/4
    private static final int IPV4_LIMITED_BROADCAST = 0xFFFF_FFFF;

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
        final int version = Ipv4Header.version(buffer, ipOffset);
        if (version == Ipv6Header.VERSION)
        {
            return Ipv6Header.sourceHigh(buffer, ipOffset) >>> 54 == IPV6_LINK_LOCAL_PREFIX_10 ||
                Ipv6Header.destinationHigh(buffer, ipOffset) >>> 56 == IPV6_MULTICAST_PREFIX_8;
        }
        if (version == Ipv4Header.VERSION)
        {
            final int destination = Ipv4Header.destination(buffer, ipOffset);
            return Ipv4Header.source(buffer, ipOffset) >>> 16 == IPV4_LINK_LOCAL_PREFIX_16 ||
                destination >>> 28 == IPV4_MULTICAST_PREFIX_4 || destination == IPV4_LIMITED_BROADCAST;
        }
        return false;
    }
}
