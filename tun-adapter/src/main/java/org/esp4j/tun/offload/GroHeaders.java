package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.esp4j.tun.offload.TcpSegmenter.IPV4_FLAGS_FRAGMENT_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV4_PROTOCOL_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV4_TOTAL_LENGTH_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV6_HEADER_LENGTH;
import static org.esp4j.tun.offload.TcpSegmenter.IPV6_NEXT_HEADER_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV6_PAYLOAD_LENGTH_OFFSET;

/**
 * The IP-level rules the kernel's GRO ({@code inet_gro_receive}, {@code ipv6_gro_receive}) applies before joining
 * packets, shared by {@link TunWriter} and {@link UdpCoalescer}: which IP headers may be joined at all, and which
 * fields two packets of one train must share.
 */
final class GroHeaders
{
    static final int IPV4_HEADER_LENGTH = 20;

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
        final int version = (buffer.getByte(offset) >> 4) & 0xF;
        if (version == 4)
        {
            if (length < IPV4_HEADER_LENGTH + minTransportLength || (buffer.getByte(offset) & 0xF) != 5 ||
                (buffer.getByte(offset + IPV4_PROTOCOL_OFFSET) & 0xFF) != protocol ||
                (buffer.getShort(offset + IPV4_FLAGS_FRAGMENT_OFFSET, BIG_ENDIAN) & 0x3FFF) != 0 ||
                (buffer.getShort(offset + IPV4_TOTAL_LENGTH_OFFSET, BIG_ENDIAN) & 0xFFFF) != length ||
                TransportChecksum.fold(TransportChecksum.sum(buffer, offset, IPV4_HEADER_LENGTH, 0)) != 0xFFFF)
            {
                return -1;
            }
            return IPV4_HEADER_LENGTH;
        }
        if (version == 6)
        {
            if (length < IPV6_HEADER_LENGTH + minTransportLength ||
                (buffer.getByte(offset + IPV6_NEXT_HEADER_OFFSET) & 0xFF) != protocol ||
                (buffer.getShort(offset + IPV6_PAYLOAD_LENGTH_OFFSET, BIG_ENDIAN) & 0xFFFF) != length - IPV6_HEADER_LENGTH)
            {
                return -1;
            }
            return IPV6_HEADER_LENGTH;
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
            return buffer.getInt(offset, BIG_ENDIAN) == pending.getInt(pendingOffset, BIG_ENDIAN) &&
                buffer.getShort(offset + 6, BIG_ENDIAN) == pending.getShort(pendingOffset + 6, BIG_ENDIAN) &&
                buffer.getLong(offset + 8) == pending.getLong(pendingOffset + 8) &&
                buffer.getLong(offset + 16) == pending.getLong(pendingOffset + 16) &&
                buffer.getLong(offset + 24) == pending.getLong(pendingOffset + 24) &&
                buffer.getLong(offset + 32) == pending.getLong(pendingOffset + 32);
        }
        return buffer.getByte(offset + 1) == pending.getByte(pendingOffset + 1) &&
            ((buffer.getShort(offset + IPV4_FLAGS_FRAGMENT_OFFSET, BIG_ENDIAN) ^
            pending.getShort(pendingOffset + IPV4_FLAGS_FRAGMENT_OFFSET, BIG_ENDIAN)) & 0x4000) == 0 &&
            buffer.getShort(offset + 8, BIG_ENDIAN) == pending.getShort(pendingOffset + 8, BIG_ENDIAN) &&
            buffer.getLong(offset + 12, BIG_ENDIAN) == pending.getLong(pendingOffset + 12, BIG_ENDIAN);
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
