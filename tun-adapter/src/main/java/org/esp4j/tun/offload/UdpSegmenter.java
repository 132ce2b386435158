package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.esp4j.tun.offload.TcpSegmenter.IPV4_FLAGS_FRAGMENT_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV4_ID_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV4_PROTOCOL_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV4_TOTAL_LENGTH_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV6_HEADER_LENGTH;
import static org.esp4j.tun.offload.TcpSegmenter.IPV6_NEXT_HEADER_OFFSET;
import static org.esp4j.tun.offload.TcpSegmenter.IPV6_PAYLOAD_LENGTH_OFFSET;
import static org.esp4j.tun.offload.UdpCoalescer.PROTOCOL_UDP;
import static org.esp4j.tun.offload.UdpCoalescer.UDP_CHECKSUM_OFFSET;
import static org.esp4j.tun.offload.UdpCoalescer.UDP_HEADER_LENGTH;
import static org.esp4j.tun.offload.UdpCoalescer.UDP_LENGTH_OFFSET;

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
        final int version = (buffer.getByte(offset) >> 4) & 0xF;
        if (version == 4)
        {
            ipHeaderLength = (buffer.getByte(offset) & 0xF) * 4;
            if (ipHeaderLength < 20 || length < ipHeaderLength + UDP_HEADER_LENGTH ||
                (buffer.getByte(offset + IPV4_PROTOCOL_OFFSET) & 0xFF) != PROTOCOL_UDP ||
                (buffer.getShort(offset + IPV4_FLAGS_FRAGMENT_OFFSET, BIG_ENDIAN) & 0x3FFF) != 0)
            {
                return 0;
            }
            ipv6 = false;
            firstId = buffer.getShort(offset + IPV4_ID_OFFSET, BIG_ENDIAN) & 0xFFFF;
        }
        else if (version == 6)
        {
            ipHeaderLength = IPV6_HEADER_LENGTH;
            if (length < ipHeaderLength + UDP_HEADER_LENGTH ||
                (buffer.getByte(offset + IPV6_NEXT_HEADER_OFFSET) & 0xFF) != PROTOCOL_UDP)
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
            destination.putShort(ip + IPV6_PAYLOAD_LENGTH_OFFSET, (short)udpLength, BIG_ENDIAN);
        }
        else
        {
            destination.putShort(ip + IPV4_TOTAL_LENGTH_OFFSET, (short)length, BIG_ENDIAN);
            destination.putShort(ip + IPV4_ID_OFFSET, (short)(firstId + index), BIG_ENDIAN);
            TcpSegmenter.putIpv4HeaderChecksum(destination, ip, ipHeaderLength);
        }
        destination.putShort(udp + UDP_LENGTH_OFFSET, (short)udpLength, BIG_ENDIAN);
        TransportChecksum.put(destination, ip, ipv6, PROTOCOL_UDP, udp, udpLength, udp + UDP_CHECKSUM_OFFSET);
        return length;
    }
}
