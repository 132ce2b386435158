package org.esp4j.core.ip;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Flyweight accessors for the UDP header, RFC 768, as used by RFC 3948 ESP-in-UDP encapsulation.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             Length            |            Checksum           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * RFC 3948 §2.2: a 4-byte zero "non-ESP marker" after the header marks IKE; a single 0xFF byte is a NAT-keepalive.
 */
public final class UdpHeader
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int LENGTH = 8;

    /** IANA port for ESP-in-UDP and IKE NAT traversal. */
    public static final int ESP_IN_UDP_PORT = 4500;

    private UdpHeader()
    {
    }

    public static int sourcePort(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    public static int destinationPort(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    public static int length(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + LENGTH_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    public static void length(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        buffer.putShort(offset + LENGTH_OFFSET, (short)length, BIG_ENDIAN);
    }

    public static int checksum(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, BIG_ENDIAN) & 0xFFFF;
    }

    public static void checksum(final MutableDirectBuffer buffer, final int offset, final int checksum)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)checksum, BIG_ENDIAN);
    }

    /**
     * Write a whole header with a zero checksum.
     *
     * @param buffer          packet.
     * @param offset          header start.
     * @param sourcePort      source port.
     * @param destinationPort destination port.
     * @param length          header plus payload.
     */
    public static void write(
        final MutableDirectBuffer buffer, final int offset, final int sourcePort, final int destinationPort, final int length)
    {
        buffer.putShort(offset + SOURCE_PORT_OFFSET, (short)sourcePort, BIG_ENDIAN);
        buffer.putShort(offset + DESTINATION_PORT_OFFSET, (short)destinationPort, BIG_ENDIAN);
        buffer.putShort(offset + LENGTH_OFFSET, (short)length, BIG_ENDIAN);
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)0, BIG_ENDIAN);
    }

    /**
     * Compute and store the checksum of a UDP datagram in an IPv6 packet (RFC 8200 §8.1: mandatory over IPv6).
     *
     * @param buffer     packet.
     * @param ipv6Offset start of the IPv6 header (for the pseudo-header addresses).
     * @param udpOffset  start of the UDP header.
     * @param udpLength  header plus payload.
     */
    public static void updateIpv6Checksum(
        final MutableDirectBuffer buffer, final int ipv6Offset, final int udpOffset, final int udpLength)
    {
        InternetChecksum.putTransportChecksum(
            buffer, ipv6Offset, true, IpProtocol.UDP, udpOffset, udpLength, udpOffset + CHECKSUM_OFFSET);
    }
}
