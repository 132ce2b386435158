package org.esp4j.tun.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.tun.carrier.IpHeaders;
import org.esp4j.tun.jna.LibC;

import java.nio.ByteOrder;

/**
 * Builds the answer to a plaintext packet that would be too big for the path once ESP is added: ICMPv6 Packet Too
 * Big (RFC 4443 3.2) for IPv6, ICMP Destination Unreachable / Fragmentation Needed (RFC 792, RFC 1191) for IPv4 with
 * DF. The answer is written into the TUN, so the kernel lowers the path MTU of the sending socket. Its source is the
 * original packet's destination (the kernel would treat its own address as a martian source on IPv4).
 * <pre>
 * ICMPv6 PTB: [IPv6 40][type 2 | code 0 | checksum][MTU 32][as much of the original as fits in 1280 bytes]
 * ICMP FN:    [IPv4 20][type 3 | code 4 | checksum][unused 16 | next-hop MTU 16][original IP header + 8 bytes]
 * </pre>
 */
final class TooBigResponder
{
    static final int IPV6_MIN_MTU = 1280;
    static final int ICMP_HEADER_LENGTH = 8;

    private TooBigResponder()
    {
    }

    /**
     * @param original      the original packet (a saved copy).
     * @param length        its length.
     * @param mtu           MTU to report.
     * @param answer        where to build the answer (at offset 0).
     * @return the answer length, 0 if none is due (IPv4 without DF or garbage).
     */
    static int build(final UnsafeBuffer original, final int length, final int mtu, final UnsafeBuffer answer)
    {
        final int version = IpHeaders.version(original, 0);
        if (version == 6 && length >= IpHeaders.IPV6_HEADER_LENGTH)
        {
            final int quoted = Math.min(length, IPV6_MIN_MTU - IpHeaders.IPV6_HEADER_LENGTH - ICMP_HEADER_LENGTH);
            final int icmpLength = ICMP_HEADER_LENGTH + quoted;
            IpHeaders.putIpv6Header(answer, 0, 0, icmpLength, LibC.IPPROTO_ICMPV6, 64);
            answer.putBytes(IpHeaders.IPV6_SOURCE_OFFSET, original, IpHeaders.IPV6_DESTINATION_OFFSET, 16);
            answer.putBytes(IpHeaders.IPV6_DESTINATION_OFFSET, original, IpHeaders.IPV6_SOURCE_OFFSET, 16);
            final int icmp = IpHeaders.IPV6_HEADER_LENGTH;
            answer.putByte(icmp, (byte)2);
            answer.putByte(icmp + 1, (byte)0);
            answer.putShort(icmp + 2, (short)0);
            answer.putInt(icmp + 4, Math.max(mtu, IPV6_MIN_MTU), ByteOrder.BIG_ENDIAN);
            answer.putBytes(icmp + ICMP_HEADER_LENGTH, original, 0, quoted);
            long sum = IpHeaders.sum16(answer, IpHeaders.IPV6_SOURCE_OFFSET, 32, 0);
            sum += icmpLength + LibC.IPPROTO_ICMPV6;
            sum = IpHeaders.sum16(answer, icmp, icmpLength, sum);
            answer.putShort(icmp + 2, (short)~IpHeaders.fold(sum), ByteOrder.BIG_ENDIAN);
            return IpHeaders.IPV6_HEADER_LENGTH + icmpLength;
        }
        if (version == 4 && length >= IpHeaders.IPV4_HEADER_LENGTH)
        {
            final int flags = original.getShort(IpHeaders.IPV4_FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN);
            if ((flags & IpHeaders.IPV4_FLAG_DF) == 0)
            {
                return 0;
            }
            final int headerLength = IpHeaders.ipv4HeaderLength(original, 0);
            final int quoted = Math.min(length, headerLength + 8);
            final int icmpLength = ICMP_HEADER_LENGTH + quoted;
            final int total = IpHeaders.IPV4_HEADER_LENGTH + icmpLength;
            IpHeaders.putIpv4Header(answer, 0, 0, total, LibC.IPPROTO_ICMP, 64);
            answer.putBytes(IpHeaders.IPV4_SOURCE_OFFSET, original, IpHeaders.IPV4_DESTINATION_OFFSET, 4);
            answer.putBytes(IpHeaders.IPV4_DESTINATION_OFFSET, original, IpHeaders.IPV4_SOURCE_OFFSET, 4);
            IpHeaders.putIpv4Checksum(answer, 0);
            final int icmp = IpHeaders.IPV4_HEADER_LENGTH;
            answer.putByte(icmp, (byte)3);
            answer.putByte(icmp + 1, (byte)4);
            answer.putShort(icmp + 2, (short)0);
            answer.putShort(icmp + 4, (short)0);
            answer.putShort(icmp + 6, (short)mtu, ByteOrder.BIG_ENDIAN);
            answer.putBytes(icmp + ICMP_HEADER_LENGTH, original, 0, quoted);
            answer.putShort(icmp + 2, (short)~IpHeaders.fold(IpHeaders.sum16(answer, icmp, icmpLength, 0)),
                ByteOrder.BIG_ENDIAN);
            return total;
        }
        return 0;
    }
}
