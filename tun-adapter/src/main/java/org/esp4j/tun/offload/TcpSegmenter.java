package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Cuts a TCP "super-packet" read from a TUN with TSO enabled ({@code VIRTIO_NET_HDR_GSO_TCPV4/TCPV6}) into the
 * segments the kernel would have put on the wire, as the kernel's own software GSO does ({@code tcp_gso_segment},
 * {@code inet_gso_segment}, {@code ipv6_gso_segment}):
 * <ul>
 *   <li>each segment carries the IP and TCP headers of the super-packet and up to {@code gso_size} payload bytes;</li>
 *   <li>TCP sequence number advances by the payload before it; CWR only on the first segment; FIN and PSH only on
 *   the last (RFC 3168 §6.1.2 for CWR);</li>
 *   <li>IPv4 total length, identification (first id + index, as the kernel's {@code inet_gso_segment} numbers them)
 *   and header checksum, or the IPv6 payload length, rewritten;</li>
 *   <li>the TCP checksum computed in full over the pseudo-header, header and payload of the segment.</li>
 * </ul>
 * <pre>
 *  super-packet:  | IP | TCP |   P0   |   P1   |   P2   | P3 |      (payload cut every gso_size bytes)
 *  segments:      | IP | TCP |   P0   |
 *                 | IP'| TCP'|   P1   |      ' = lengths, id, seq, flags, checksums rewritten
 *                 | IP'| TCP'|   P2   |
 *                 | IP'| TCP'| P3 |
 * </pre>
 * Usage: {@link #prepare} once per super-packet (validates it), then {@link #segment} for each index below
 * {@link #segmentCount()}. The source is read, never changed. One instance per thread; allocates nothing.
 */
public final class TcpSegmenter
{
    public static final int IPV4_TOTAL_LENGTH_OFFSET = 2;
    public static final int IPV4_ID_OFFSET = 4;
    public static final int IPV4_FLAGS_FRAGMENT_OFFSET = 6;
    public static final int IPV4_PROTOCOL_OFFSET = 9;
    public static final int IPV4_CHECKSUM_OFFSET = 10;
    public static final int IPV6_PAYLOAD_LENGTH_OFFSET = 4;
    public static final int IPV6_NEXT_HEADER_OFFSET = 6;
    public static final int IPV6_HEADER_LENGTH = 40;

    public static final int TCP_SEQUENCE_OFFSET = 4;
    public static final int TCP_DATA_OFFSET_OFFSET = 12;
    public static final int TCP_FLAGS_OFFSET = 13;
    public static final int TCP_CHECKSUM_OFFSET = 16;
    public static final int TCP_MIN_HEADER_LENGTH = 20;
    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;
    public static final int TCP_PSH = 0x08;
    public static final int TCP_ACK = 0x10;
    public static final int TCP_URG = 0x20;
    public static final int TCP_ECE = 0x40;
    public static final int TCP_CWR = 0x80;
    public static final int PROTOCOL_TCP = 6;

    private DirectBuffer source;
    private int ipOffset;
    private boolean ipv6;
    private int tcpOffset;
    private int headersLength;
    private int payloadLength;
    private int gsoSize;
    private int segmentCount;
    private long firstSequence;
    private int firstId;
    private int flags;

    /**
     * Check a super-packet and remember it.
     *
     * @param buffer    holds the packet (not copied: must stay unchanged until the last {@link #segment}).
     * @param offset    start of the IP header.
     * @param length    bytes of the packet.
     * @param gsoType   {@link VirtioNetHeader#GSO_TCPV4} or {@link VirtioNetHeader#GSO_TCPV6} (ECN bit allowed).
     * @param gsoSize   payload bytes per segment.
     * @param csumStart offset of the TCP header as the kernel gave it, or 0 to find it from the IP header.
     * @return the number of segments, or 0 if the packet is not a TCP super-packet this class can cut.
     */
    public int prepare(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int gsoType,
        final int gsoSize,
        final int csumStart)
    {
        segmentCount = 0;
        final int type = gsoType & ~VirtioNetHeader.GSO_ECN;
        if (gsoSize <= 0 || length < 1)
        {
            return 0;
        }
        final int version = (buffer.getByte(offset) >> 4) & 0xF;
        final int ipHeaderLength;
        if (type == VirtioNetHeader.GSO_TCPV4 && version == 4)
        {
            ipHeaderLength = (buffer.getByte(offset) & 0xF) * 4;
            if (ipHeaderLength < 20 || length < ipHeaderLength ||
                (buffer.getByte(offset + IPV4_PROTOCOL_OFFSET) & 0xFF) != PROTOCOL_TCP ||
                (buffer.getShort(offset + IPV4_FLAGS_FRAGMENT_OFFSET, BIG_ENDIAN) & 0x3FFF) != 0)
            {
                return 0;
            }
        }
        else if (type == VirtioNetHeader.GSO_TCPV6 && version == 6)
        {
            // extension headers between IPv6 and TCP: the kernel says where TCP starts
            ipHeaderLength = csumStart > 0 ? csumStart : IPV6_HEADER_LENGTH;
            if (length < ipHeaderLength || ipHeaderLength < IPV6_HEADER_LENGTH ||
                ipHeaderLength == IPV6_HEADER_LENGTH &&
                (buffer.getByte(offset + IPV6_NEXT_HEADER_OFFSET) & 0xFF) != PROTOCOL_TCP)
            {
                return 0;
            }
        }
        else
        {
            return 0;
        }
        if (csumStart > 0 && csumStart != ipHeaderLength || length < ipHeaderLength + TCP_MIN_HEADER_LENGTH)
        {
            return 0;
        }
        final int tcpHeaderLength = ((buffer.getByte(offset + ipHeaderLength + TCP_DATA_OFFSET_OFFSET) >> 4) & 0xF) * 4;
        if (tcpHeaderLength < TCP_MIN_HEADER_LENGTH || length < ipHeaderLength + tcpHeaderLength)
        {
            return 0;
        }
        source = buffer;
        ipOffset = offset;
        ipv6 = version == 6;
        tcpOffset = offset + ipHeaderLength;
        headersLength = ipHeaderLength + tcpHeaderLength;
        payloadLength = length - headersLength;
        this.gsoSize = gsoSize;
        firstSequence = buffer.getInt(tcpOffset + TCP_SEQUENCE_OFFSET, BIG_ENDIAN) & 0xFFFF_FFFFL;
        firstId = ipv6 ? 0 : buffer.getShort(offset + IPV4_ID_OFFSET, BIG_ENDIAN) & 0xFFFF;
        flags = buffer.getByte(tcpOffset + TCP_FLAGS_OFFSET) & 0xFF;
        segmentCount = payloadLength == 0 ? 1 : (payloadLength + gsoSize - 1) / gsoSize;
        return segmentCount;
    }

    /** @return segments of the prepared super-packet (0 if {@link #prepare} refused it). */
    public int segmentCount()
    {
        return segmentCount;
    }

    /** @return true if the prepared packet is IPv6. */
    public boolean ipv6()
    {
        return ipv6;
    }

    /**
     * Write segment {@code index} at {@code target[targetOffset]}.
     *
     * @return its length.
     */
    public int segment(final int index, final MutableDirectBuffer target, final int targetOffset)
    {
        final int payloadStart = index * gsoSize;
        final int chunk = Math.min(gsoSize, payloadLength - payloadStart);
        final boolean last = index == segmentCount - 1;
        final int length = headersLength + chunk;
        target.putBytes(targetOffset, source, ipOffset, headersLength);
        target.putBytes(targetOffset + headersLength, source, ipOffset + headersLength + payloadStart, chunk);

        final int tcp = targetOffset + (tcpOffset - ipOffset);
        if (ipv6)
        {
            target.putShort(targetOffset + IPV6_PAYLOAD_LENGTH_OFFSET, (short)(length - IPV6_HEADER_LENGTH), BIG_ENDIAN);
        }
        else
        {
            target.putShort(targetOffset + IPV4_TOTAL_LENGTH_OFFSET, (short)length, BIG_ENDIAN);
            target.putShort(targetOffset + IPV4_ID_OFFSET, (short)(firstId + index), BIG_ENDIAN);
            putIpv4HeaderChecksum(target, targetOffset, tcp - targetOffset);
        }
        target.putInt(tcp + TCP_SEQUENCE_OFFSET, (int)(firstSequence + payloadStart), BIG_ENDIAN);
        int segmentFlags = flags;
        if (index > 0)
        {
            segmentFlags &= ~TCP_CWR;
        }
        if (!last)
        {
            segmentFlags &= ~(TCP_FIN | TCP_PSH);
        }
        target.putByte(tcp + TCP_FLAGS_OFFSET, (byte)segmentFlags);
        TransportChecksum.put(target, targetOffset, ipv6, PROTOCOL_TCP, tcp, length - (tcp - targetOffset),
            tcp + TCP_CHECKSUM_OFFSET);
        return length;
    }

    /** Compute and store an IPv4 header checksum. */
    public static void putIpv4HeaderChecksum(final MutableDirectBuffer buffer, final int offset, final int headerLength)
    {
        buffer.putShort(offset + IPV4_CHECKSUM_OFFSET, (short)0, BIG_ENDIAN);
        final int checksum = ~TransportChecksum.fold(TransportChecksum.sum(buffer, offset, headerLength, 0)) & 0xFFFF;
        buffer.putShort(offset + IPV4_CHECKSUM_OFFSET, (short)checksum, BIG_ENDIAN);
    }
}
