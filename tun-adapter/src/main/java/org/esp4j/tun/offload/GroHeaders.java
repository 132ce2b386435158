package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * The IP-level rules the kernel's GRO ({@code inet_gro_receive}, {@code ipv6_gro_receive}) applies before joining
 * datagrams in {@link UdpCoalescer} (the same {@link TunWriter} applies to TCP segments): which IP headers may be
 * joined at all, and which fields two packets of one train must share.
 */
final class GroHeaders
{
    static final int IPV4_HEADER_LENGTH = Ipv4Header.MIN_LENGTH;

    private GroHeaders()
    {
    }

    /**
     * @param minTransportLength the smallest transport header of {@code protocol}.
     * @return the IP header length (20 or 40) if the packet is IPv4 without options, unfragmented, with a consistent
     * total length and a header checksum that verifies, or IPv6 without extension headers with a consistent payload
     * length, carrying {@code protocol}; else -1.
     */
    static int joinableIpHeaderLength(
        final DirectBuffer buffer, final int offset, final int length, final int protocol, final int minTransportLength)
    {
        final int version = Ipv4Header.version(buffer, offset);
        if (version == Ipv4Header.VERSION)
        {
            if (length < Ipv4Header.MIN_LENGTH + minTransportLength ||
                Ipv4Header.headerLength(buffer, offset) != Ipv4Header.MIN_LENGTH ||
                Ipv4Header.protocol(buffer, offset) != protocol ||
                Ipv4Header.isFragment(buffer, offset) ||
                Ipv4Header.totalLength(buffer, offset) != length ||
                !Ipv4Header.isChecksumValid(buffer, offset))
            {
                return -1;
            }
            return Ipv4Header.MIN_LENGTH;
        }
        if (version == Ipv6Header.VERSION)
        {
            if (length < Ipv6Header.LENGTH + minTransportLength ||
                Ipv6Header.nextHeader(buffer, offset) != protocol ||
                Ipv6Header.payloadLength(buffer, offset) != length - Ipv6Header.LENGTH)
            {
                return -1;
            }
            return Ipv6Header.LENGTH;
        }
        return -1;
    }

    /**
     * @return true if the two IP headers (of the same version, checked by the caller) may be in one train: IPv6
     * version, traffic class, flow label, next header, hop limit and both addresses; IPv4 TOS, DF, TTL, protocol and
     * both addresses.
     */
    static boolean sameFlowHeader(
        final DirectBuffer buffer, final int offset, final DirectBuffer pending, final int pendingOffset,
        final boolean ipv6)
    {
        if (ipv6)
        {
            return buffer.getInt(offset + Ipv6Header.VERSION_CLASS_FLOW_OFFSET, BIG_ENDIAN) ==
                pending.getInt(pendingOffset + Ipv6Header.VERSION_CLASS_FLOW_OFFSET, BIG_ENDIAN) &&
                buffer.getShort(offset + Ipv6Header.NEXT_HEADER_OFFSET, BIG_ENDIAN) ==
                pending.getShort(pendingOffset + Ipv6Header.NEXT_HEADER_OFFSET, BIG_ENDIAN) &&
                buffer.getLong(offset + Ipv6Header.SOURCE_OFFSET) == pending.getLong(pendingOffset + Ipv6Header.SOURCE_OFFSET) &&
                buffer.getLong(offset + Ipv6Header.SOURCE_OFFSET + 8) ==
                pending.getLong(pendingOffset + Ipv6Header.SOURCE_OFFSET + 8) &&
                buffer.getLong(offset + Ipv6Header.DESTINATION_OFFSET) ==
                pending.getLong(pendingOffset + Ipv6Header.DESTINATION_OFFSET) &&
                buffer.getLong(offset + Ipv6Header.DESTINATION_OFFSET + 8) ==
                pending.getLong(pendingOffset + Ipv6Header.DESTINATION_OFFSET + 8);
        }
        return Ipv4Header.tos(buffer, offset) == Ipv4Header.tos(pending, pendingOffset) &&
            ((Ipv4Header.flagsAndFragmentOffset(buffer, offset) ^ Ipv4Header.flagsAndFragmentOffset(pending, pendingOffset)) &
            Ipv4Header.DONT_FRAGMENT) == 0 &&
            buffer.getShort(offset + Ipv4Header.TTL_OFFSET, BIG_ENDIAN) ==
            pending.getShort(pendingOffset + Ipv4Header.TTL_OFFSET, BIG_ENDIAN) &&
            buffer.getLong(offset + Ipv4Header.SOURCE_OFFSET, BIG_ENDIAN) ==
            pending.getLong(pendingOffset + Ipv4Header.SOURCE_OFFSET, BIG_ENDIAN);
    }

    /**
     * Count the write of a train: a failed write ({@code result < 0}), or a GSO packet of {@code segments} (a train of
     * one is written as the packet it is and counts as neither).
     */
    static void countWrite(
        final int result, final int segments, final AtomicCounter packets, final AtomicCounter segmentsJoined,
        final AtomicCounter errors)
    {
        if (result < 0)
        {
            errors.increment();
        }
        else if (segments > 1)
        {
            packets.increment();
            segmentsJoined.getAndAdd(segments);
        }
    }
}
