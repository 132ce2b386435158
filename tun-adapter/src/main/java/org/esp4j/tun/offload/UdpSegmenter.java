package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;


/**
 * Cuts a UDP super-packet ({@code VIRTIO_NET_HDR_GSO_UDP_L4}: what a TUN with UDP segmentation offload hands up
 * when an application sends with {@code UDP_SEGMENT}) into the datagrams the kernel's {@code __udp_gso_segment}
 * would have made: the IP header copied (IPv4: total length, an id that counts up from the first one, header
 * checksum; IPv6: payload length), a UDP header with its own length and a full checksum, and {@code gsoSize} bytes
 * of payload each (the last one what is left).
 * <pre>
 * read:  IP header | UDP header | payload (n * gso_size, the last piece shorter)
 * cut:   IP header'| UDP header'| gso_size bytes      (one per piece)
 * </pre>
 * IPv4 options are copied into every datagram; IPv6 extension headers and fragments are refused. One instance per
 * thread; allocates nothing.
 */
public final class UdpSegmenter
{
    private static final int UDP_HEADER_LENGTH = UdpHeader.LENGTH;
    private static final int IPV6_HEADER_LENGTH = Ipv6Header.LENGTH;

    private DirectBuffer source;
    private int ipOffset;
    private boolean ipv6;
    private int ipHeaderLength;
    private int payloadLength;
    private int gsoSize;
    private int segmentCount;
    private int firstId;

    /**
     * Check a super-packet and remember it.
     *
     * @param buffer  holds the packet (not copied: must stay unchanged until the last {@link #segment}).
     * @param offset  start of the IP header.
     * @param length  bytes of the packet.
     * @param gsoSize payload bytes per datagram.
     * @return the number of datagrams, or 0 if the packet is not a UDP super-packet this class can cut.
     */
    public int prepare(final DirectBuffer buffer, final int offset, final int length, final int gsoSize)
    {
        segmentCount = 0;
        if (gsoSize <= 0 || length < 1)
        {
            return 0;
        }
        final int version = Ipv4Header.version(buffer, offset);
        if (version == Ipv4Header.VERSION)
        {
            ipHeaderLength = Ipv4Header.headerLength(buffer, offset);
            if (ipHeaderLength < Ipv4Header.MIN_LENGTH || length < ipHeaderLength + UDP_HEADER_LENGTH ||
                Ipv4Header.protocol(buffer, offset) != IpProtocol.UDP ||
                Ipv4Header.isFragment(buffer, offset))
            {
                return 0;
            }
            ipv6 = false;
            firstId = Ipv4Header.identification(buffer, offset);
        }
        else if (version == Ipv6Header.VERSION)
        {
            ipHeaderLength = IPV6_HEADER_LENGTH;
            if (length < ipHeaderLength + UDP_HEADER_LENGTH ||
                Ipv6Header.nextHeader(buffer, offset) != IpProtocol.UDP)
            {
                return 0;
            }
            ipv6 = true;
        }
        else
        {
            return 0;
        }
        payloadLength = length - ipHeaderLength - UDP_HEADER_LENGTH;
        if (payloadLength <= 0)
        {
            return 0;
        }
        source = buffer;
        ipOffset = offset;
        this.gsoSize = gsoSize;
        segmentCount = (payloadLength + gsoSize - 1) / gsoSize;
        return segmentCount;
    }

    /** @return true if the prepared packet is IPv6. */
    public boolean ipv6()
    {
        return ipv6;
    }

    /**
     * Write datagram {@code index} (0-based) of the prepared super-packet.
     *
     * @return its length.
     */
    public int segment(final int index, final MutableDirectBuffer destination, final int destinationOffset)
    {
        if (index < 0 || index >= segmentCount)
        {
            throw new IndexOutOfBoundsException("segment " + index + " of " + segmentCount);
        }
        final int start = index * gsoSize;
        final int chunk = Math.min(gsoSize, payloadLength - start);
        final int udpLength = UDP_HEADER_LENGTH + chunk;
        final int length = ipHeaderLength + udpLength;
        final int ip = destinationOffset;
        final int udp = ip + ipHeaderLength;
        destination.putBytes(ip, source, ipOffset, ipHeaderLength + UDP_HEADER_LENGTH);
        destination.putBytes(udp + UDP_HEADER_LENGTH, source, ipOffset + ipHeaderLength + UDP_HEADER_LENGTH + start,
            chunk);
        if (ipv6)
        {
            Ipv6Header.payloadLength(destination, ip, udpLength);
        }
        else
        {
            Ipv4Header.totalLength(destination, ip, length);
            Ipv4Header.identification(destination, ip, (firstId + index) & 0xFFFF);
            Ipv4Header.updateChecksum(destination, ip);
        }
        UdpHeader.length(destination, udp, udpLength);
        InternetChecksum.putTransportChecksum(destination, ip, ipv6, IpProtocol.UDP, udp, udpLength,
            udp + UdpHeader.CHECKSUM_OFFSET);
        return length;
    }
}
