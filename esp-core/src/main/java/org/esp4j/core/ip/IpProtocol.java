package org.esp4j.core.ip;

/**
 * IP protocol numbers (the IPv4 Protocol field, RFC 791 §3.1, and the IPv6 Next Header field, RFC 8200 §3), as IANA
 * assigns them in "Assigned Internet Protocol Numbers". The one place the packet path, the selectors and the tools
 * take them from.
 */
public final class IpProtocol
{
    /** IPv6 Hop-by-Hop Options extension header, RFC 8200 §4.3. */
    public static final int IPV6_HOP_BY_HOP = 0;
    /** ICMP for IPv4, RFC 792. */
    public static final int ICMP = 1;
    /** TCP, RFC 9293. */
    public static final int TCP = 6;
    /** UDP, RFC 768. */
    public static final int UDP = 17;
    /** DCCP, RFC 4340 (ports at the same place as UDP's; {@code ip xfrm} selectors take them). */
    public static final int DCCP = 33;
    /** IPv6 Routing extension header, RFC 8200 §4.4. */
    public static final int IPV6_ROUTING = 43;
    /** IPv6 Fragment extension header, RFC 8200 §4.5. */
    public static final int IPV6_FRAGMENT = 44;
    /** Encapsulating Security Payload, RFC 4303. */
    public static final int ESP = 50;
    /** Authentication Header, RFC 4302. */
    public static final int AH = 51;
    /** ICMP for IPv6, RFC 4443. */
    public static final int ICMPV6 = 58;
    /** No Next Header, RFC 8200 §4.7; in an ESP trailer it marks a dummy packet (RFC 4303 §2.6). */
    public static final int IPV6_NO_NEXT_HEADER = 59;
    /** IPv6 Destination Options extension header, RFC 8200 §4.6. */
    public static final int IPV6_DESTINATION_OPTIONS = 60;
    /** SCTP, RFC 9260. */
    public static final int SCTP = 132;

    private IpProtocol()
    {
    }

    /**
     * @param protocol an upper-layer protocol.
     * @return true for the protocols whose first four bytes are a source and a destination port, which selectors
     * match on (RFC 4301 §4.4.1.1): TCP, UDP and SCTP.
     */
    public static boolean hasPorts(final int protocol)
    {
        return protocol == TCP || protocol == UDP || protocol == SCTP;
    }
}
