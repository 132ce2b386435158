package org.esp4j.core.selector;

import org.esp4j.core.ip.IpAddressText;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.ip.IpProtocol;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Selector over the fields RFC 4301 §4.4.1.1 names for transport mode: source and destination prefix, next-layer
 * protocol, source and destination port ranges. Like {@code ip xfrm ... sel} and {@code ip xfrm policy}.
 * <p>
 * Addresses are compared as {@link IpAddressBits} pairs so {@link #matches} allocates nothing. An IPv4 prefix is an
 * IPv4-mapped prefix, so it never matches IPv6 traffic; a selector with no addresses matches both families
 * (unless a family is set explicitly).
 */
public final class TrafficSelector
{
    /** Protocol value meaning "any". */
    public static final int ANY_PROTOCOL = 0;
    /** Family value meaning "any". */
    public static final int ANY_FAMILY = 0;

    private static final TrafficSelector ANY = builder().build();

    private final int family;
    private final InetAddress sourceAddress;
    private final int sourcePrefixLength;
    private final InetAddress destinationAddress;
    private final int destinationPrefixLength;
    private final int protocol;
    private final int sourcePortLow;
    private final int sourcePortHigh;
    private final int destinationPortLow;
    private final int destinationPortHigh;

    private final long sourceHigh;
    private final long sourceLow;
    private final long sourceMaskHigh;
    private final long sourceMaskLow;
    private final long destinationHigh;
    private final long destinationLow;
    private final long destinationMaskHigh;
    private final long destinationMaskLow;

    private TrafficSelector(final Builder builder)
    {
        family = builder.family;
        sourceAddress = builder.sourceAddress;
        sourcePrefixLength = builder.sourcePrefixLength;
        destinationAddress = builder.destinationAddress;
        destinationPrefixLength = builder.destinationPrefixLength;
        protocol = builder.protocol;
        sourcePortLow = builder.sourcePortLow;
        sourcePortHigh = builder.sourcePortHigh;
        destinationPortLow = builder.destinationPortLow;
        destinationPortHigh = builder.destinationPortHigh;

        final int familyPrefix = family == 4 ? 96 : 0;
        final InetAddress familyAny = family == 4 ? IpAddressBits.toInetAddress(0, IpAddressBits.IPV4_MAPPED_LOW_PREFIX) : null;

        final int sourcePrefix6 = sourceAddress == null ? familyPrefix :
            IpAddressBits.prefixLength6(sourceAddress, sourcePrefixLength);
        final InetAddress source = sourceAddress == null ? familyAny : sourceAddress;
        sourceMaskHigh = IpAddressBits.maskHigh(sourcePrefix6);
        sourceMaskLow = IpAddressBits.maskLow(sourcePrefix6);
        sourceHigh = source == null ? 0 : IpAddressBits.high(source) & sourceMaskHigh;
        sourceLow = source == null ? 0 : IpAddressBits.low(source) & sourceMaskLow;

        final int destinationPrefix6 = destinationAddress == null ? familyPrefix :
            IpAddressBits.prefixLength6(destinationAddress, destinationPrefixLength);
        final InetAddress destination = destinationAddress == null ? familyAny : destinationAddress;
        destinationMaskHigh = IpAddressBits.maskHigh(destinationPrefix6);
        destinationMaskLow = IpAddressBits.maskLow(destinationPrefix6);
        destinationHigh = destination == null ? 0 : IpAddressBits.high(destination) & destinationMaskHigh;
        destinationLow = destination == null ? 0 : IpAddressBits.low(destination) & destinationMaskLow;
    }

    /** @return a selector that matches every packet. */
    public static TrafficSelector any()
    {
        return ANY;
    }

    /** @return a new builder. */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Does a packet's 5-tuple fall within this selector? Ports are ignored for protocols without ports when the
     * selector's ranges are "any".
     *
     * @param srcHigh  source address high bits.
     * @param srcLow   source address low bits.
     * @param dstHigh  destination address high bits.
     * @param dstLow   destination address low bits.
     * @param proto    next-layer protocol.
     * @param srcPort  source port or 0.
     * @param dstPort  destination port or 0.
     * @return true on a match.
     */
    public boolean matches(
        final long srcHigh,
        final long srcLow,
        final long dstHigh,
        final long dstLow,
        final int proto,
        final int srcPort,
        final int dstPort)
    {
        return !(family == 6 && IpAddressBits.isIpv4Mapped(dstHigh, dstLow)) &&
            (srcHigh & sourceMaskHigh) == sourceHigh &&
            (srcLow & sourceMaskLow) == sourceLow &&
            (dstHigh & destinationMaskHigh) == destinationHigh &&
            (dstLow & destinationMaskLow) == destinationLow &&
            (protocol == ANY_PROTOCOL || protocol == proto) &&
            srcPort >= sourcePortLow && srcPort <= sourcePortHigh &&
            dstPort >= destinationPortLow && dstPort <= destinationPortHigh;
    }

    /**
     * An exact selector names single host addresses, one protocol and single ports: the common IMS case that the
     * SPD indexes by hash.
     *
     * @return true if this selector matches exactly one 5-tuple.
     */
    public boolean isExact()
    {
        return sourceMaskHigh == -1L && sourceMaskLow == -1L && destinationMaskHigh == -1L &&
            destinationMaskLow == -1L && protocol != ANY_PROTOCOL &&
            sourcePortLow == sourcePortHigh && destinationPortLow == destinationPortHigh;
    }

    public int family()
    {
        return family;
    }

    public InetAddress sourceAddress()
    {
        return sourceAddress;
    }

    public int sourcePrefixLength()
    {
        return sourcePrefixLength;
    }

    public InetAddress destinationAddress()
    {
        return destinationAddress;
    }

    public int destinationPrefixLength()
    {
        return destinationPrefixLength;
    }

    public int protocol()
    {
        return protocol;
    }

    public int sourcePortLow()
    {
        return sourcePortLow;
    }

    public int sourcePortHigh()
    {
        return sourcePortHigh;
    }

    public int destinationPortLow()
    {
        return destinationPortLow;
    }

    public int destinationPortHigh()
    {
        return destinationPortHigh;
    }

    public long sourceHigh()
    {
        return sourceHigh;
    }

    public long sourceLow()
    {
        return sourceLow;
    }

    public long destinationHigh()
    {
        return destinationHigh;
    }

    public long destinationLow()
    {
        return destinationLow;
    }

    /**
     * @param protocol protocol number.
     * @return the name {@code ip xfrm} uses, or the number.
     */
    public static String protocolName(final int protocol)
    {
        switch (protocol)
        {
            case ANY_PROTOCOL: return "any";
            case IpProtocol.ICMP: return "icmp";
            case IpProtocol.TCP: return "tcp";
            case IpProtocol.UDP: return "udp";
            case IpProtocol.ICMPV6: return "ipv6-icmp";
            case IpProtocol.SCTP: return "sctp";
            case IpProtocol.ESP: return "esp";
            default: return Integer.toString(protocol);
        }
    }

    /**
     * @param name protocol name or number as {@code ip xfrm} accepts it.
     * @return protocol number or -1 if unknown.
     */
    public static int protocolNumber(final String name)
    {
        switch (name.toLowerCase())
        {
            case "any": return ANY_PROTOCOL;
            case "icmp": return IpProtocol.ICMP;
            case "tcp": return IpProtocol.TCP;
            case "udp": return IpProtocol.UDP;
            case "icmpv6":
            case "ipv6-icmp": return IpProtocol.ICMPV6;
            case "sctp": return IpProtocol.SCTP;
            default:
                try
                {
                    final int value = Integer.parseInt(name);
                    return value >= 0 && value <= 255 ? value : -1;
                }
                catch (final NumberFormatException ex)
                {
                    return -1;
                }
        }
    }

    /**
     * @return the selector in {@code ip xfrm} syntax, e.g. {@code src 2001::1/128 dst 2001::2/128 proto udp sport 5060}.
     */
    public String toString()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("src ").append(prefixString(sourceAddress, sourcePrefixLength))
            .append(" dst ").append(prefixString(destinationAddress, destinationPrefixLength));
        if (protocol != ANY_PROTOCOL)
        {
            sb.append(" proto ").append(protocolName(protocol));
        }
        appendPorts(sb, "sport", sourcePortLow, sourcePortHigh);
        appendPorts(sb, "dport", destinationPortLow, destinationPortHigh);
        return sb.toString();
    }

    private String prefixString(final InetAddress address, final int prefixLength)
    {
        if (address == null)
        {
            return family == 4 ? "0.0.0.0/0" : "::/0";
        }
        return IpAddressText.format(address) + "/" + prefixLength;
    }

    private static void appendPorts(final StringBuilder sb, final String name, final int low, final int high)
    {
        if (low == 0 && high == 65535)
        {
            return;
        }
        sb.append(' ').append(name).append(' ').append(low);
        if (high != low)
        {
            sb.append('-').append(high);
        }
    }

    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof TrafficSelector))
        {
            return false;
        }
        final TrafficSelector that = (TrafficSelector)o;
        return family == that.family && sourcePrefixLength == that.sourcePrefixLength &&
            destinationPrefixLength == that.destinationPrefixLength && protocol == that.protocol &&
            sourcePortLow == that.sourcePortLow && sourcePortHigh == that.sourcePortHigh &&
            destinationPortLow == that.destinationPortLow && destinationPortHigh == that.destinationPortHigh &&
            sourceHigh == that.sourceHigh && sourceLow == that.sourceLow &&
            destinationHigh == that.destinationHigh && destinationLow == that.destinationLow &&
            Objects.equals(sourceAddress, that.sourceAddress) && Objects.equals(destinationAddress, that.destinationAddress);
    }

    public int hashCode()
    {
        // no boxing (Objects.hash): the SPD hashes selectors on every policy add, find and delete
        long h = sourceHigh;
        h = 31 * h + sourceLow;
        h = 31 * h + destinationHigh;
        h = 31 * h + destinationLow;
        h = 31 * h + protocol;
        h = 31 * h + sourcePortLow;
        h = 31 * h + sourcePortHigh;
        h = 31 * h + destinationPortLow;
        h = 31 * h + destinationPortHigh;
        h = 31 * h + family;
        return Long.hashCode(h * 0x9E37_79B9_7F4A_7C15L);
    }

    /**
     * Builder; every field defaults to "any".
     */
    public static final class Builder
    {
        private int family = ANY_FAMILY;
        private InetAddress sourceAddress;
        private int sourcePrefixLength;
        private InetAddress destinationAddress;
        private int destinationPrefixLength;
        private int protocol = ANY_PROTOCOL;
        private int sourcePortLow = 0;
        private int sourcePortHigh = 65535;
        private int destinationPortLow = 0;
        private int destinationPortHigh = 65535;

        /**
         * @param family 4, 6 or {@link #ANY_FAMILY}.
         * @return this.
         */
        public Builder family(final int family)
        {
            if (family != 4 && family != 6 && family != ANY_FAMILY)
            {
                throw new IllegalArgumentException("family must be 4 or 6: " + family);
            }
            this.family = family;
            return this;
        }

        public Builder source(final InetAddress address, final int prefixLength)
        {
            sourceAddress = address;
            sourcePrefixLength = checkPrefix(address, prefixLength);
            return this;
        }

        public Builder source(final InetAddress address)
        {
            return source(address, address instanceof Inet4Address ? 32 : 128);
        }

        public Builder destination(final InetAddress address, final int prefixLength)
        {
            destinationAddress = address;
            destinationPrefixLength = checkPrefix(address, prefixLength);
            return this;
        }

        public Builder destination(final InetAddress address)
        {
            return destination(address, address instanceof Inet4Address ? 32 : 128);
        }

        public Builder protocol(final int protocol)
        {
            if (protocol < 0 || protocol > 255)
            {
                throw new IllegalArgumentException("protocol must be 0..255: " + protocol);
            }
            this.protocol = protocol;
            return this;
        }

        public Builder sourcePort(final int port)
        {
            return sourcePorts(port, port);
        }

        public Builder sourcePorts(final int low, final int high)
        {
            checkPorts(low, high);
            sourcePortLow = low;
            sourcePortHigh = high;
            return this;
        }

        public Builder destinationPort(final int port)
        {
            return destinationPorts(port, port);
        }

        public Builder destinationPorts(final int low, final int high)
        {
            checkPorts(low, high);
            destinationPortLow = low;
            destinationPortHigh = high;
            return this;
        }

        public TrafficSelector build()
        {
            final int impliedFamily = sourceAddress != null ? (sourceAddress instanceof Inet4Address ? 4 : 6) :
                destinationAddress != null ? (destinationAddress instanceof Inet4Address ? 4 : 6) : ANY_FAMILY;
            if (sourceAddress != null && destinationAddress != null &&
                (sourceAddress instanceof Inet4Address) != (destinationAddress instanceof Inet4Address))
            {
                throw new IllegalArgumentException("source and destination are of different families: " +
                    IpAddressText.format(sourceAddress) + ", " + IpAddressText.format(destinationAddress));
            }
            if (family != ANY_FAMILY && impliedFamily != ANY_FAMILY && family != impliedFamily)
            {
                throw new IllegalArgumentException("family " + family + " does not match the addresses");
            }
            if (family == ANY_FAMILY)
            {
                family = impliedFamily;
            }
            return new TrafficSelector(this);
        }

        private static int checkPrefix(final InetAddress address, final int prefixLength)
        {
            final int max = address instanceof Inet4Address ? 32 : 128;
            if (prefixLength < 0 || prefixLength > max)
            {
                throw new IllegalArgumentException("prefix length must be 0.." + max + ": " + prefixLength);
            }
            return prefixLength;
        }

        private static void checkPorts(final int low, final int high)
        {
            if (low < 0 || high > 65535 || low > high)
            {
                throw new IllegalArgumentException("port range must be within 0..65535 and low <= high: " + low + "-" + high);
            }
        }
    }
}
