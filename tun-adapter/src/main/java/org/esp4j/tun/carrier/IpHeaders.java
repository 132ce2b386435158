package org.esp4j.tun.carrier;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.esp4j.tun.offload.TcpSegmenter;
import org.esp4j.tun.offload.TransportChecksum;

import java.nio.ByteOrder;

/**
 * Offsets and helpers for the IPv4, IPv6 and UDP headers the carriers rebuild or read. All fields big endian.
 * <pre>
 * IPv6 (40 bytes)                                  IPv4 (20 bytes, no options)
 *  0 version(4) tclass(8) flow label(20)            0 version(4) ihl(4) | 1 tos | 2 total length
 *  4 payload length(16) | 6 next header | 7 hops    4 id | 6 flags(3) fragment offset(13)
 *  8 source address (16)                            8 ttl | 9 protocol | 10 header checksum
 * 24 destination address (16)                      12 source | 16 destination
 *
 * UDP (8 bytes): 0 source port | 2 destination port | 4 length | 6 checksum
 * </pre>
 */
public final class IpHeaders
{
    public static final int IPV6_HEADER_LENGTH = 40;
    public static final int IPV6_PAYLOAD_LENGTH_OFFSET = 4;
    public static final int IPV6_NEXT_HEADER_OFFSET = 6;
    public static final int IPV6_HOP_LIMIT_OFFSET = 7;
    public static final int IPV6_SOURCE_OFFSET = 8;
    public static final int IPV6_DESTINATION_OFFSET = 24;

    public static final int IPV4_HEADER_LENGTH = 20;
    public static final int IPV4_TOS_OFFSET = 1;
    public static final int IPV4_TOTAL_LENGTH_OFFSET = 2;
    public static final int IPV4_ID_OFFSET = 4;
    public static final int IPV4_FLAGS_FRAGMENT_OFFSET = 6;
    public static final int IPV4_TTL_OFFSET = 8;
    public static final int IPV4_PROTOCOL_OFFSET = 9;
    public static final int IPV4_CHECKSUM_OFFSET = 10;
    public static final int IPV4_SOURCE_OFFSET = 12;
    public static final int IPV4_DESTINATION_OFFSET = 16;
    public static final int IPV4_FLAG_DF = 0x4000;
    public static final int IPV4_FLAG_MF = 0x2000;
    public static final int IPV4_FRAGMENT_OFFSET_MASK = 0x1FFF;

    public static final int UDP_HEADER_LENGTH = 8;
    public static final int UDP_SOURCE_PORT_OFFSET = 0;
    public static final int UDP_DESTINATION_PORT_OFFSET = 2;
    public static final int UDP_LENGTH_OFFSET = 4;
    public static final int UDP_CHECKSUM_OFFSET = 6;

    private IpHeaders()
    {
    }

    /** @return 4, 6 or another value for garbage. */
    public static int version(final DirectBuffer buffer, final int offset)
    {
        return (buffer.getByte(offset) >> 4) & 0xF;
    }

    /** @return the IPv4 header length in bytes. */
    public static int ipv4HeaderLength(final DirectBuffer buffer, final int offset)
    {
        return (buffer.getByte(offset) & 0xF) * 4;
    }

    public static int ipv4Protocol(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + IPV4_PROTOCOL_OFFSET) & 0xFF;
    }

    public static int ipv6NextHeader(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + IPV6_NEXT_HEADER_OFFSET) & 0xFF;
    }

    /** Write an IPv6 header (flow label 0). */
    public static void putIpv6Header(
        final MutableDirectBuffer buffer,
        final int offset,
        final int trafficClass,
        final int payloadLength,
        final int nextHeader,
        final int hopLimit)
    {
        buffer.putInt(offset, (6 << 28) | ((trafficClass & 0xFF) << 20), ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + IPV6_PAYLOAD_LENGTH_OFFSET, (short)payloadLength, ByteOrder.BIG_ENDIAN);
        buffer.putByte(offset + IPV6_NEXT_HEADER_OFFSET, (byte)nextHeader);
        buffer.putByte(offset + IPV6_HOP_LIMIT_OFFSET, (byte)hopLimit);
    }

    /** Write an IPv4 header without options (addresses written by the caller; call {@link #putIpv4Checksum} after). */
    public static void putIpv4Header(
        final MutableDirectBuffer buffer,
        final int offset,
        final int tos,
        final int totalLength,
        final int protocol,
        final int ttl)
    {
        buffer.putByte(offset, (byte)0x45);
        buffer.putByte(offset + IPV4_TOS_OFFSET, (byte)tos);
        buffer.putShort(offset + IPV4_TOTAL_LENGTH_OFFSET, (short)totalLength, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + IPV4_ID_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + IPV4_FLAGS_FRAGMENT_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        buffer.putByte(offset + IPV4_TTL_OFFSET, (byte)ttl);
        buffer.putByte(offset + IPV4_PROTOCOL_OFFSET, (byte)protocol);
        buffer.putShort(offset + IPV4_CHECKSUM_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
    }

    /** Compute and store the IPv4 header checksum. */
    public static void putIpv4Checksum(final MutableDirectBuffer buffer, final int offset)
    {
        TcpSegmenter.putIpv4HeaderChecksum(buffer, offset, ipv4HeaderLength(buffer, offset));
    }

    /** @return the one's complement sum (unfolded) of {@code length} bytes added to {@code initial}. */
    public static long sum16(final DirectBuffer buffer, final int offset, final int length, final long initial)
    {
        return TransportChecksum.sum(buffer, offset, length, initial);
    }

    /** @return {@code sum} folded to 16 bits. */
    public static int fold(final long sum)
    {
        return TransportChecksum.fold(sum);
    }
}
