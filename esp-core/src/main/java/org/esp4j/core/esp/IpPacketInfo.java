package org.esp4j.core.esp;

import org.agrona.DirectBuffer;
import org.esp4j.core.ip.IpAddressBits;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * What the packet path needs to know of an IP packet, parsed into reusable fields (one instance per processor,
 * no allocation): addresses, where ESP goes or is, the next-header field to patch, the 5-tuple for selectors.
 */
final class IpPacketInfo
{
    static final int PROTOCOL_TCP = 6;
    static final int PROTOCOL_UDP = 17;
    static final int PROTOCOL_SCTP = 132;

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
        final int version = (buffer.getByte(offset) >> 4) & 0xF;
        if (version == 4)
        {
            return parseIpv4(buffer, offset, length);
        }
        if (version == 6)
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
        if ((protocol == PROTOCOL_UDP || protocol == PROTOCOL_TCP || protocol == PROTOCOL_SCTP) &&
            at + 4 <= packetLength)
        {
            sourcePort = buffer.getShort(offset + at, BIG_ENDIAN) & 0xFFFF;
            destinationPort = buffer.getShort(offset + at + 2, BIG_ENDIAN) & 0xFFFF;
        }
        else
        {
            sourcePort = 0;
            destinationPort = 0;
        }
    }

    /**
     * Find the upper-layer protocol and ports for selectors, walking IPv6 extension headers from {@code from}.
     * Sets {@link #protocol}, {@link #sourcePort} and {@link #destinationPort}.
     *
     * @param buffer      packet.
     * @param offset      packet start.
     * @param from        offset of the first header to look at, from the packet start.
     * @param firstHeader its type.
     * @param total       packet length.
     * @return false if the headers run past the packet.
     */
    boolean findSelectorFields(
        final DirectBuffer buffer, final int offset, final int from, final int firstHeader, final int total)
    {
        int at = from;
        int nextHeader = firstHeader;
        while (!ipv4 && Ipv6Header.isWalkedExtension(nextHeader))
        {
            if (at + 8 > total)
            {
                return false;
            }
            final int extensionLength = Ipv6Header.extensionLength(buffer, offset + at, nextHeader);
            nextHeader = buffer.getByte(offset + at) & 0xFF;
            at += extensionLength;
            if (at > total)
            {
                return false;
            }
        }
        protocol = nextHeader;
        readPorts(buffer, offset, protocol, at);
        return true;
    }

    /** RFC 6946: a fragment header with offset 0 and no more fragments is a whole packet. */
    private static boolean isAtomicFragment(final DirectBuffer buffer, final int fragmentHeaderOffset)
    {
        return (buffer.getShort(fragmentHeaderOffset + 2, BIG_ENDIAN) & 0xFFF9) == 0;
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
        if ((Ipv4Header.flagsAndFragmentOffset(buffer, offset) & Ipv4Header.FRAGMENT_MASK) != 0)
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

        int fieldOffset = Ipv6Header.NEXT_HEADER_OFFSET;
        int at = Ipv6Header.LENGTH;
        int nextHeader = Ipv6Header.nextHeader(buffer, offset);
        while (Ipv6Header.isWalkedExtension(nextHeader))
        {
            if (at + 8 > total)
            {
                return false;
            }
            if (nextHeader == Ipv6Header.FRAGMENT && !isAtomicFragment(buffer, offset + at))
            {
                // As for IPv4: fragments are reassembled before inbound IPsec processing, and on output transport
                // mode protects whole packets (RFC 4301 §7); a non-initial fragment has no ports to select on, so
                // it is refused rather than matched against the wrong policy.
                return false;
            }
            final int extensionLength = Ipv6Header.extensionLength(buffer, offset + at, nextHeader);
            if (at + extensionLength > total)
            {
                return false;
            }
            if (outbound && nextHeader == Ipv6Header.DESTINATION_OPTIONS &&
                (buffer.getByte(offset + at) & 0xFF) != Ipv6Header.ROUTING)
            {
                // Destination options for the final destination are protected: ESP goes in front of them. The
                // selector still needs the upper-layer protocol and ports behind them.
                upperOffset = at;
                nextHeaderFieldOffset = fieldOffset;
                return findSelectorFields(buffer, offset, at, nextHeader, total);
            }
            fieldOffset = at;
            nextHeader = buffer.getByte(offset + at) & 0xFF;
            at += extensionLength;
        }
        upperOffset = at;
        nextHeaderFieldOffset = fieldOffset;
        protocol = nextHeader;
        readPorts(buffer, offset, protocol, upperOffset);
        return true;
    }
}
