package org.esp4j.core.esp;

import org.agrona.DirectBuffer;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;

/**
 * What the packet path needs to know of an IP packet, parsed into reusable fields (one instance per processor,
 * no allocation): addresses, where ESP goes or is, the next-header field to patch, the 5-tuple for selectors.
 */
final class IpPacketInfo
{
    boolean ipv4;
    /** Bytes from the packet start to its end by the IP length fields (link padding excluded). */
    int packetLength;
    /** Offset (from packet start) of the header after the IP headers that stay in front of ESP. */
    int upperOffset;
    /** Offset (from packet start) of the byte naming the upper header: IPv4 protocol or a next-header field. */
    int nextHeaderFieldOffset;
    /** The upper header's protocol. */
    int protocol;
    long sourceHigh;
    long sourceLow;
    long destinationHigh;
    long destinationLow;
    int sourcePort;
    int destinationPort;

    /**
     * Parse an IP packet.
     *
     * @param buffer   packet buffer.
     * @param offset   packet start.
     * @param length   bytes available.
     * @param outbound true to stop where ESP would be inserted (after hop-by-hop, routing, fragment and the
     *                 destination options before a routing header); false to walk every extension header to the
     *                 upper-layer or ESP header.
     * @return false if the packet is truncated, of an unknown version, or an IPv4 fragment.
     */
    boolean parse(final DirectBuffer buffer, final int offset, final int length, final boolean outbound)
    {
        if (length < 1)
        {
            return false;
        }
        final int version = Ipv4Header.version(buffer, offset);
        if (version == Ipv4Header.VERSION)
        {
            return parseIpv4(buffer, offset, length);
        }
        if (version == Ipv6Header.VERSION)
        {
            return parseIpv6(buffer, offset, length, outbound);
        }
        return false;
    }

    /**
     * Read the upper-layer ports (TCP, UDP, SCTP) at the given packet offset.
     *
     * @param buffer  packet.
     * @param offset  packet start.
     * @param protocol upper protocol.
     * @param at      offset of the upper header from the packet start.
     */
    void readPorts(final DirectBuffer buffer, final int offset, final int protocol, final int at)
    {
        if (IpProtocol.hasPorts(protocol) && at + 4 <= packetLength)
        {
            sourcePort = UdpHeader.sourcePort(buffer, offset + at);
            destinationPort = UdpHeader.destinationPort(buffer, offset + at);
        }
        else
        {
            sourcePort = 0;
            destinationPort = 0;
        }
    }

    /**
     * Find the upper-layer protocol and ports for selectors, walking IPv6 extension headers (fragment headers
     * included) from the header the field at {@code nextHeaderField} names. Sets {@link #protocol},
     * {@link #sourcePort} and {@link #destinationPort}.
     *
     * @param buffer          packet.
     * @param offset          packet start.
     * @param nextHeaderField offset of the byte naming the first header to look at, from the packet start.
     * @param from            offset of that header, from the packet start.
     * @param total           packet length.
     * @return false if the headers run past the packet.
     */
    boolean findSelectorFields(
        final DirectBuffer buffer, final int offset, final int nextHeaderField, final int from, final int total)
    {
        int at = from;
        int nextHeader = buffer.getByte(offset + nextHeaderField) & 0xFF;
        if (!ipv4)
        {
            final long walk = Ipv6Header.walkExtensionHeaders(
                buffer, offset, nextHeaderField, from, total, Ipv6Header.WALK_THROUGH_FRAGMENTS);
            if (Ipv6Header.isWalkTruncated(walk))
            {
                return false;
            }
            nextHeader = Ipv6Header.walkProtocol(walk);
            at = Ipv6Header.walkUpperOffset(walk);
        }
        protocol = nextHeader;
        readPorts(buffer, offset, protocol, at);
        return true;
    }

    private boolean parseIpv4(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < Ipv4Header.MIN_LENGTH)
        {
            return false;
        }
        final int headerLength = Ipv4Header.headerLength(buffer, offset);
        final int totalLength = Ipv4Header.totalLength(buffer, offset);
        if (headerLength < Ipv4Header.MIN_LENGTH || totalLength < headerLength || totalLength > length)
        {
            return false;
        }
        if (Ipv4Header.isFragment(buffer, offset))
        {
            return false; // reassembly is left to the kernel in front of us; a fragment cannot be checked
        }
        ipv4 = true;
        packetLength = totalLength;
        upperOffset = headerLength;
        nextHeaderFieldOffset = Ipv4Header.PROTOCOL_OFFSET;
        protocol = Ipv4Header.protocol(buffer, offset);
        sourceHigh = IpAddressBits.IPV4_MAPPED_HIGH;
        sourceLow = IpAddressBits.ipv4Low(Ipv4Header.source(buffer, offset));
        destinationHigh = IpAddressBits.IPV4_MAPPED_HIGH;
        destinationLow = IpAddressBits.ipv4Low(Ipv4Header.destination(buffer, offset));
        readPorts(buffer, offset, protocol, upperOffset);
        return true;
    }

    private boolean parseIpv6(final DirectBuffer buffer, final int offset, final int length, final boolean outbound)
    {
        if (length < Ipv6Header.LENGTH)
        {
            return false;
        }
        final int total = Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, offset);
        if (total > length)
        {
            return false;
        }
        ipv4 = false;
        packetLength = total;
        sourceHigh = Ipv6Header.sourceHigh(buffer, offset);
        sourceLow = Ipv6Header.sourceLow(buffer, offset);
        destinationHigh = Ipv6Header.destinationHigh(buffer, offset);
        destinationLow = Ipv6Header.destinationLow(buffer, offset);

        // Destination options for the final destination are protected: on output ESP goes in front of them.
        final long walk = Ipv6Header.walkExtensionHeaders(
            buffer, offset, total, outbound ? Ipv6Header.STOP_AT_FINAL_DESTINATION_OPTIONS : 0);
        final int stoppedAt = Ipv6Header.walkProtocol(walk);
        if (Ipv6Header.isWalkTruncated(walk) || stoppedAt == IpProtocol.IPV6_FRAGMENT)
        {
            // As for IPv4: fragments are reassembled before inbound IPsec processing, and on output transport
            // mode protects whole packets (RFC 4301 §7); a non-initial fragment has no ports to select on, so
            // it is refused rather than matched against the wrong policy.
            return false;
        }
        upperOffset = Ipv6Header.walkUpperOffset(walk);
        nextHeaderFieldOffset = Ipv6Header.walkNextHeaderFieldOffset(walk);
        if (outbound && stoppedAt == IpProtocol.IPV6_DESTINATION_OPTIONS)
        {
            // The selector still needs the upper-layer protocol and ports behind them.
            return findSelectorFields(buffer, offset, nextHeaderFieldOffset, upperOffset, total);
        }
        protocol = stoppedAt;
        readPorts(buffer, offset, protocol, upperOffset);
        return true;
    }
}
