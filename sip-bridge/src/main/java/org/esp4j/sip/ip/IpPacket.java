package org.esp4j.sip.ip;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The transport payload of a plaintext IPv4 (RFC 791) or IPv6 (RFC 8200) packet carrying UDP or TCP, as far as
 * SIP watching needs: addresses, ports, TCP sequence number and flags, payload bounds. Fragments, ESP and other
 * protocols are not parsed ({@link #parse} returns null).
 */
public final class IpPacket
{
    /** TCP flag bits. */
    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;

    private final int protocol;
    private final InetAddress src;
    private final InetAddress dst;
    private final int srcPort;
    private final int dstPort;
    private final long tcpSequence;
    private final int tcpFlags;
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
        final int version = (packet[offset] & 0xFF) >>> 4;
        int protocol;
        int transportOffset;
        int end;
        final InetAddress src;
        final InetAddress dst;
        if (version == 4)
        {
            require(length >= 20, "ipv4 header: shorter than 20 bytes");
            final int headerLength = (packet[offset] & 0x0F) * 4;
            final int totalLength = u16(packet, offset + 2);
            require(headerLength >= 20 && totalLength >= headerLength && totalLength <= length, "ipv4 total length: inconsistent");
            final int fragment = u16(packet, offset + 6);
            if ((fragment & 0x3FFF) != 0)
            {
                return null;
            }
            protocol = packet[offset + 9] & 0xFF;
            src = address(packet, offset + 12, 4);
            dst = address(packet, offset + 16, 4);
            transportOffset = offset + headerLength;
            end = offset + totalLength;
        }
        else if (version == 6)
        {
            require(length >= 40, "ipv6 header: shorter than 40 bytes");
            final int payloadLength = u16(packet, offset + 4);
            require(40 + payloadLength <= length, "ipv6 payload length: beyond the packet");
            protocol = packet[offset + 6] & 0xFF;
            src = address(packet, offset + 8, 16);
            dst = address(packet, offset + 24, 16);
            transportOffset = offset + 40;
            end = offset + 40 + payloadLength;
            // Skip hop-by-hop (0), routing (43) and destination options (60); stop at fragments (44) and others.
            while (protocol == 0 || protocol == 43 || protocol == 60)
            {
                require(transportOffset + 2 <= end, "ipv6 extension header: truncated");
                final int next = packet[transportOffset] & 0xFF;
                transportOffset += ((packet[transportOffset + 1] & 0xFF) + 1) * 8;
                protocol = next;
            }
        }
        else
        {
            throw new IllegalArgumentException("ip version: " + version + " is neither 4 nor 6");
        }
        if (protocol == 17)
        {
            require(transportOffset + 8 <= end, "udp header: truncated");
            final int udpLength = u16(packet, transportOffset + 4);
            require(udpLength >= 8 && transportOffset + udpLength <= end, "udp length: inconsistent");
            return new IpPacket(17, src, dst, u16(packet, transportOffset), u16(packet, transportOffset + 2), 0, 0,
                transportOffset + 8, udpLength - 8);
        }
        if (protocol == 6)
        {
            require(transportOffset + 20 <= end, "tcp header: truncated");
            final int dataOffset = ((packet[transportOffset + 12] & 0xFF) >>> 4) * 4;
            require(dataOffset >= 20 && transportOffset + dataOffset <= end, "tcp data offset: inconsistent");
            final long sequence = ((long)u16(packet, transportOffset + 4) << 16) | u16(packet, transportOffset + 6);
            return new IpPacket(6, src, dst, u16(packet, transportOffset), u16(packet, transportOffset + 2), sequence,
                packet[transportOffset + 13] & 0x3F, transportOffset + dataOffset, end - transportOffset - dataOffset);
        }
        return null;
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }

    private static int u16(final byte[] b, final int i)
    {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
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
        return protocol == 6;
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
