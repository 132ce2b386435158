package org.esp4j.tun.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.IcmpHeader;
import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;

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
        final int version = Ipv4Header.version(original, 0);
        if (version == Ipv6Header.VERSION && length >= Ipv6Header.LENGTH)
        {
            final int quoted = Math.min(length, IPV6_MIN_MTU - Ipv6Header.LENGTH - IcmpHeader.LENGTH);
            final int icmpLength = IcmpHeader.LENGTH + quoted;
            Ipv6Header.write(answer, 0, 0, icmpLength, IpProtocol.ICMPV6, 64);
            answer.putBytes(Ipv6Header.SOURCE_OFFSET, original, Ipv6Header.DESTINATION_OFFSET, 16);
            answer.putBytes(Ipv6Header.DESTINATION_OFFSET, original, Ipv6Header.SOURCE_OFFSET, 16);
            final int icmp = Ipv6Header.LENGTH;
            IcmpHeader.write(answer, icmp, IcmpHeader.ICMPV6_PACKET_TOO_BIG, 0);
            answer.putInt(icmp + IcmpHeader.ICMPV6_MTU_OFFSET, Math.max(mtu, IPV6_MIN_MTU), ByteOrder.BIG_ENDIAN);
            answer.putBytes(icmp + IcmpHeader.QUOTED_PACKET_OFFSET, original, 0, quoted);
            // RFC 4443 §2.3: over the IPv6 pseudo-header too
            InternetChecksum.putTransportChecksum(answer, 0, true, IpProtocol.ICMPV6, icmp, icmpLength,
                icmp + IcmpHeader.CHECKSUM_OFFSET);
            return Ipv6Header.LENGTH + icmpLength;
        }
        if (version == Ipv4Header.VERSION && length >= Ipv4Header.MIN_LENGTH)
        {
            if ((Ipv4Header.flagsAndFragmentOffset(original, 0) & Ipv4Header.DONT_FRAGMENT) == 0)
            {
                return 0;
            }
            final int headerLength = Ipv4Header.headerLength(original, 0);
            final int quoted = Math.min(length, headerLength + 8);
            final int icmpLength = IcmpHeader.LENGTH + quoted;
            final int total = Ipv4Header.MIN_LENGTH + icmpLength;
            Ipv4Header.write(answer, 0, 0, total, IpProtocol.ICMP, 64);
            answer.putBytes(Ipv4Header.SOURCE_OFFSET, original, Ipv4Header.DESTINATION_OFFSET, 4);
            answer.putBytes(Ipv4Header.DESTINATION_OFFSET, original, Ipv4Header.SOURCE_OFFSET, 4);
            Ipv4Header.updateChecksum(answer, 0);
            final int icmp = Ipv4Header.MIN_LENGTH;
            IcmpHeader.write(answer, icmp, IcmpHeader.ICMP_DESTINATION_UNREACHABLE,
                IcmpHeader.ICMP_CODE_FRAGMENTATION_NEEDED);
            answer.putShort(icmp + IcmpHeader.ICMP_NEXT_HOP_MTU_OFFSET, (short)mtu, ByteOrder.BIG_ENDIAN);
            answer.putBytes(icmp + IcmpHeader.QUOTED_PACKET_OFFSET, original, 0, quoted);
            answer.putShort(icmp + IcmpHeader.CHECKSUM_OFFSET,
                (short)InternetChecksum.foldAndComplement(InternetChecksum.sum(answer, icmp, icmpLength, 0)),
                ByteOrder.BIG_ENDIAN);
            return total;
        }
        return 0;
    }
}
