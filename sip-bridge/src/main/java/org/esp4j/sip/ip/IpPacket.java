package org.esp4j.sip.ip;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.TcpHeader;
import org.esp4j.core.ip.UdpHeader;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The transport payload of a plaintext IPv4 (RFC 791) or IPv6 (RFC 8200) packet carrying UDP or TCP, as far as
 * SIP watching needs: addresses, ports, TCP sequence number, flags and timestamp (RFC 7323), payload bounds. Fragments, ESP and other
 * protocols are not parsed ({@link #parse} returns null). IPv6 extension headers are walked as everywhere in esp4j
 * ({@link Ipv6Header#walkExtensionHeaders}): an atomic fragment header (RFC 6946) is a whole packet.
 */
public final class IpPacket
{
    /** TCP flag bits. */
    public static final int TCP_FIN = TcpHeader.FIN;
    public static final int TCP_SYN = TcpHeader.SYN;
    public static final int TCP_RST = TcpHeader.RST;
    /** The flags kept: URG to FIN (not ECE and CWR). */
    private static final int TCP_FLAGS_MASK = 0x3F;
    /** TCP option kinds (RFC 9293 3.1, RFC 7323 3.2). */
    private static final int TCP_OPTION_END = 0;
    private static final int TCP_OPTION_NOP = 1;
    private static final int TCP_OPTION_TIMESTAMPS = 8;
    private static final int TCP_OPTION_TIMESTAMPS_LENGTH = 10;

    private final int protocol;
    private final InetAddress src;
    private final InetAddress dst;
    private final int srcPort;
    private final int dstPort;
    private final long tcpSequence;
    private final int tcpFlags;
    private final long tcpTimestamp;
    private final int payloadOffset;
    private final int payloadLength;

    private IpPacket(
        final int protocol,
        final InetAddress src,
        final InetAddress dst,
        final int srcPort,
        final int dstPort,
        final long tcpSequence,
        final int tcpFlags,
        final long tcpTimestamp,
        final int payloadOffset,
        final int payloadLength)
    {
        this.protocol = protocol;
        this.src = src;
        this.dst = dst;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        this.tcpSequence = tcpSequence;
        this.tcpFlags = tcpFlags;
        this.tcpTimestamp = tcpTimestamp;
        this.payloadOffset = payloadOffset;
        this.payloadLength = payloadLength;
    }

    /**
     * @param packet buffer holding an IP packet.
     * @param offset first byte of the IP header.
     * @param length bytes of the packet.
     * @return the parsed packet, or null when it is not an unfragmented UDP or TCP packet.
     * @throws IllegalArgumentException naming the field when a header is truncated or inconsistent.
     */
    public static IpPacket parse(final byte[] packet, final int offset, final int length)
    {
        if (length < 1)
        {
            throw new IllegalArgumentException("ip: empty packet");
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(packet, offset, length);
        final int version = Ipv4Header.version(buffer, 0);
        final int protocol;
        final int transportOffset;
        final int end;
        final InetAddress src;
        final InetAddress dst;
        if (version == Ipv4Header.VERSION)
        {
            require(length >= Ipv4Header.MIN_LENGTH, "ipv4 header: shorter than 20 bytes");
            final int headerLength = Ipv4Header.headerLength(buffer, 0);
            final int totalLength = Ipv4Header.totalLength(buffer, 0);
            require(headerLength >= Ipv4Header.MIN_LENGTH && totalLength >= headerLength && totalLength <= length,
                "ipv4 total length: inconsistent");
            if (Ipv4Header.isFragment(buffer, 0))
            {
                return null;
            }
            protocol = Ipv4Header.protocol(buffer, 0);
            src = address(packet, offset + Ipv4Header.SOURCE_OFFSET, 4);
            dst = address(packet, offset + Ipv4Header.DESTINATION_OFFSET, 4);
            transportOffset = headerLength;
            end = totalLength;
        }
        else if (version == Ipv6Header.VERSION)
        {
            require(length >= Ipv6Header.LENGTH, "ipv6 header: shorter than 40 bytes");
            end = Ipv6Header.LENGTH + Ipv6Header.payloadLength(buffer, 0);
            require(end <= length, "ipv6 payload length: beyond the packet");
            src = address(packet, offset + Ipv6Header.SOURCE_OFFSET, 16);
            dst = address(packet, offset + Ipv6Header.DESTINATION_OFFSET, 16);
            // a non-atomic fragment header stops the walk: fragments are not parsed (protocol 44 below)
            final long walk = Ipv6Header.walkExtensionHeaders(buffer, 0, end, 0);
            require(!Ipv6Header.isWalkTruncated(walk), "ipv6 extension header: truncated");
            protocol = Ipv6Header.walkProtocol(walk);
            transportOffset = Ipv6Header.walkUpperOffset(walk);
        }
        else
        {
            throw new IllegalArgumentException("ip version: " + version + " is neither 4 nor 6");
        }
        if (protocol == IpProtocol.UDP)
        {
            require(transportOffset + UdpHeader.LENGTH <= end, "udp header: truncated");
            final int udpLength = UdpHeader.length(buffer, transportOffset);
            require(udpLength >= UdpHeader.LENGTH && transportOffset + udpLength <= end, "udp length: inconsistent");
            return new IpPacket(IpProtocol.UDP, src, dst, UdpHeader.sourcePort(buffer, transportOffset),
                UdpHeader.destinationPort(buffer, transportOffset), 0, 0, -1, offset + transportOffset + UdpHeader.LENGTH,
                udpLength - UdpHeader.LENGTH);
        }
        if (protocol == IpProtocol.TCP)
        {
            require(transportOffset + TcpHeader.MIN_LENGTH <= end, "tcp header: truncated");
            final int dataOffset = TcpHeader.headerLength(buffer, transportOffset);
            require(dataOffset >= TcpHeader.MIN_LENGTH && transportOffset + dataOffset <= end,
                "tcp data offset: inconsistent");
            return new IpPacket(IpProtocol.TCP, src, dst, TcpHeader.sourcePort(buffer, transportOffset),
                TcpHeader.destinationPort(buffer, transportOffset), TcpHeader.sequence(buffer, transportOffset),
                TcpHeader.flags(buffer, transportOffset) & TCP_FLAGS_MASK,
                timestampValue(buffer, transportOffset + TcpHeader.MIN_LENGTH, transportOffset + dataOffset),
                offset + transportOffset + dataOffset, end - transportOffset - dataOffset);
        }
        return null;
    }

    /**
     * The TSval of a TCP Timestamps option (RFC 7323 3.2) among the options from {@code offset} to {@code limit}; a
     * malformed option list ends the search (the packet is still watched, only without its timestamp).
     *
     * @return TSval, unsigned 32-bit, or -1 when the segment carries none.
     */
    private static long timestampValue(final UnsafeBuffer buffer, final int offset, final int limit)
    {
        int at = offset;
        while (at < limit)
        {
            final int kind = buffer.getByte(at) & 0xFF;
            if (kind == TCP_OPTION_END)
            {
                return -1;
            }
            if (kind == TCP_OPTION_NOP)
            {
                at++;
                continue;
            }
            if (at + 1 >= limit)
            {
                return -1;
            }
            final int optionLength = buffer.getByte(at + 1) & 0xFF;
            if (optionLength < 2 || at + optionLength > limit)
            {
                return -1;
            }
            if (kind == TCP_OPTION_TIMESTAMPS && optionLength == TCP_OPTION_TIMESTAMPS_LENGTH)
            {
                return buffer.getInt(at + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
            }
            at += optionLength;
        }
        return -1;
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }

    private static InetAddress address(final byte[] b, final int offset, final int length)
    {
        try
        {
            return InetAddress.getByAddress(Arrays.copyOfRange(b, offset, offset + length));
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("ip address: bad length " + length, ex);
        }
    }

    /**
     * @return true for TCP, false for UDP.
     */
    public boolean isTcp()
    {
        return protocol == IpProtocol.TCP;
    }

    /**
     * @return source address.
     */
    public InetAddress src()
    {
        return src;
    }

    /**
     * @return destination address.
     */
    public InetAddress dst()
    {
        return dst;
    }

    /**
     * @return source port.
     */
    public int srcPort()
    {
        return srcPort;
    }

    /**
     * @return destination port.
     */
    public int dstPort()
    {
        return dstPort;
    }

    /**
     * @return TCP sequence number (unsigned 32-bit).
     */
    public long tcpSequence()
    {
        return tcpSequence;
    }

    /**
     * @return TCP flags.
     */
    public int tcpFlags()
    {
        return tcpFlags;
    }

    /**
     * @return the TSval of the TCP Timestamps option (RFC 7323), unsigned 32-bit, or -1 when the segment has none.
     */
    public long tcpTimestamp()
    {
        return tcpTimestamp;
    }

    /**
     * @return index of the first payload byte in the packet buffer.
     */
    public int payloadOffset()
    {
        return payloadOffset;
    }

    /**
     * @return payload length in bytes.
     */
    public int payloadLength()
    {
        return payloadLength;
    }
}
