package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.TcpHeader;

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
        final int version = Ipv4Header.version(buffer, offset);
        final int ipHeaderLength;
        if (type == VirtioNetHeader.GSO_TCPV4 && version == Ipv4Header.VERSION)
        {
            ipHeaderLength = Ipv4Header.headerLength(buffer, offset);
            if (ipHeaderLength < Ipv4Header.MIN_LENGTH || length < ipHeaderLength ||
                Ipv4Header.protocol(buffer, offset) != IpProtocol.TCP || Ipv4Header.isFragment(buffer, offset))
            {
                return 0;
            }
        }
        else if (type == VirtioNetHeader.GSO_TCPV6 && version == Ipv6Header.VERSION)
        {
            // extension headers between IPv6 and TCP: the kernel says where TCP starts
            ipHeaderLength = csumStart > 0 ? csumStart : Ipv6Header.LENGTH;
            if (length < ipHeaderLength || ipHeaderLength < Ipv6Header.LENGTH ||
                ipHeaderLength == Ipv6Header.LENGTH &&
                Ipv6Header.nextHeader(buffer, offset) != IpProtocol.TCP)
            {
                return 0;
            }
        }
        else
        {
            return 0;
        }
        if (csumStart > 0 && csumStart != ipHeaderLength || length < ipHeaderLength + TcpHeader.MIN_LENGTH)
        {
            return 0;
        }
        final int tcpHeaderLength = TcpHeader.headerLength(buffer, offset + ipHeaderLength);
        if (tcpHeaderLength < TcpHeader.MIN_LENGTH || length < ipHeaderLength + tcpHeaderLength)
        {
            return 0;
        }
        source = buffer;
        ipOffset = offset;
        ipv6 = version == Ipv6Header.VERSION;
        tcpOffset = offset + ipHeaderLength;
        headersLength = ipHeaderLength + tcpHeaderLength;
        payloadLength = length - headersLength;
        this.gsoSize = gsoSize;
        firstSequence = TcpHeader.sequence(buffer, tcpOffset);
        firstId = ipv6 ? 0 : Ipv4Header.identification(buffer, offset);
        flags = TcpHeader.flags(buffer, tcpOffset);
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
            Ipv6Header.payloadLength(target, targetOffset, length - Ipv6Header.LENGTH);
        }
        else
        {
            Ipv4Header.totalLength(target, targetOffset, length);
            Ipv4Header.identification(target, targetOffset, firstId + index);
            Ipv4Header.updateChecksum(target, targetOffset);
        }
        TcpHeader.sequence(target, tcp, firstSequence + payloadStart);
        int segmentFlags = flags;
        if (index > 0)
        {
            segmentFlags &= ~TcpHeader.CWR;
        }
        if (!last)
        {
            segmentFlags &= ~(TcpHeader.FIN | TcpHeader.PSH);
        }
        TcpHeader.flags(target, tcp, segmentFlags);
        InternetChecksum.putTransportChecksum(target, targetOffset, ipv6, IpProtocol.TCP, tcp,
            length - (tcp - targetOffset), tcp + TcpHeader.CHECKSUM_OFFSET);
        return length;
    }
}
