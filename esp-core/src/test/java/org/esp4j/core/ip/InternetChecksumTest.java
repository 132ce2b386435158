package org.esp4j.core.ip;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RFC 1071 checksums: InternetChecksum against a plain 16-bit reference; IPv4 header and UDP-over-IPv6 checksums;
 * TCP, UDP and ICMP checksums against the ones scapy computed ({@code /vectors/ip/header_vectors.py}).
 */
class InternetChecksumTest
{
    private static int reference(final byte[] bytes, final int offset, final int length)
    {
        long sum = 0;
        for (int i = 0; i < length; i += 2)
        {
            sum += ((bytes[offset + i] & 0xFF) << 8) | (i + 1 < length ? bytes[offset + i + 1] & 0xFF : 0);
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    @Test
    void shouldEqualTheSixteenBitReferenceForRandomDataOfEveryLengthAndOffset()
    {
        final Random random = new Random(0xC5C5L);
        for (int i = 0; i < 20_000; i++)
        {
            final byte[] bytes = new byte[random.nextInt(1600) + 8];
            if (i % 3 == 0)
            {
                java.util.Arrays.fill(bytes, (byte)0xFF); // worst case for carries
            }
            else
            {
                random.nextBytes(bytes);
            }
            final int offset = random.nextInt(7);
            final int length = random.nextInt(bytes.length - offset + 1);
            assertEquals(reference(bytes, offset, length),
                InternetChecksum.foldAndComplement(InternetChecksum.sum(new UnsafeBuffer(bytes), offset, length, 0)),
                "length " + length + " offset " + offset);
        }
    }

    @Test
    void shouldMatchTheRfc1071Example()
    {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d
        final byte[] bytes = { 0x00, 0x01, (byte)0xf2, 0x03, (byte)0xf4, (byte)0xf5, (byte)0xf6, (byte)0xf7 };
        assertEquals(0x220d,
            InternetChecksum.foldAndComplement(InternetChecksum.sum(new UnsafeBuffer(bytes), 0, 8, 0)));
    }

    @Test
    void shouldWriteAValidIpv4HeaderChecksumWithOptions()
    {
        final Random random = new Random(7);
        for (int ihl = 5; ihl <= 15; ihl++)
        {
            final byte[] header = new byte[ihl * 4 + 4];
            random.nextBytes(header);
            header[2] = (byte)0x40; // offset 2: the header starts at 2 in this buffer
            header[2] = (byte)(0x40 | ihl);
            final UnsafeBuffer buffer = new UnsafeBuffer(header);
            Ipv4Header.updateChecksum(buffer, 2);
            assertEquals(0, reference(header, 2, ihl * 4), "IHL " + ihl);
            assertEquals(ihl * 4, Ipv4Header.headerLength(buffer, 2));
        }
    }

    @Test
    void shouldWriteAValidUdpOverIpv6Checksum()
    {
        final Random random = new Random(8);
        for (int length = 8; length < 300; length++)
        {
            final byte[] packet = new byte[40 + length];
            random.nextBytes(packet);
            final UnsafeBuffer buffer = new UnsafeBuffer(packet);
            UdpHeader.write(buffer, 40, 4500, 4500, length);
            UdpHeader.updateIpv6Checksum(buffer, 0, 40, length);
            final byte[] pseudo = new byte[40 + length];
            System.arraycopy(packet, 8, pseudo, 0, 32);
            pseudo[32] = (byte)(length >>> 24);
            pseudo[33] = (byte)(length >>> 16);
            pseudo[34] = (byte)(length >>> 8);
            pseudo[35] = (byte)length;
            pseudo[39] = 17;
            System.arraycopy(packet, 40, pseudo, 40, length);
            assertEquals(0, reference(pseudo, 0, pseudo.length), "length " + length);
            assertEquals(true, UdpHeader.length(buffer, 40) == length);
        }
    }

    @Test
    void shouldFoldWithoutAndWithTheComplement()
    {
        // RFC 1071 §3 example: the sum ddf2 and its complement 220d
        final byte[] bytes = { 0x00, 0x01, (byte)0xf2, 0x03, (byte)0xf4, (byte)0xf5, (byte)0xf6, (byte)0xf7 };
        final long sum = InternetChecksum.sum(new UnsafeBuffer(bytes), 0, 8, 0);

        assertEquals(0xddf2, InternetChecksum.fold(sum));
        assertEquals(0x220d, InternetChecksum.foldAndComplement(sum));
        assertEquals(0xFFFF, InternetChecksum.fold(0xFFFF_FFFF_FFFFL));
        assertEquals(0, InternetChecksum.foldAndComplement(0xFFFF_FFFF_FFFFL));
    }

    @Test
    void shouldComputeTheTransportChecksumsScapyComputed()
    {
        for (final java.util.Map<String, Object> vector : HeaderVectors.list("transport"))
        {
            final String name = (String)vector.get("name");
            final UnsafeBuffer packet = HeaderVectors.packet(vector);
            final boolean ipv6 = (Boolean)vector.get("ipv6");
            final int protocol = HeaderVectors.integer(vector, "protocol");
            final int transport = HeaderVectors.integer(vector, "transportOffset");
            final int length = packet.capacity() - transport;
            final int field = transport + (protocol == IpProtocol.UDP ? UdpHeader.CHECKSUM_OFFSET :
                protocol == IpProtocol.TCP ? TcpHeader.CHECKSUM_OFFSET : IcmpHeader.CHECKSUM_OFFSET);
            final int expected = HeaderVectors.integer(vector, "checksum");

            if (protocol == IpProtocol.ICMP)
            {
                // no pseudo-header for ICMP over IPv4
                assertEquals(0xFFFF, InternetChecksum.fold(InternetChecksum.sum(packet, transport, length, 0)), name);
                assertEquals(expected, IcmpHeader.checksum(packet, transport), name);
                continue;
            }
            assertEquals(true, InternetChecksum.verifyTransportChecksum(packet, 0, ipv6, protocol, transport, length),
                name);
            packet.putShort(field, (short)0x1234);
            assertEquals(expected, InternetChecksum.putTransportChecksum(packet, 0, ipv6, protocol, transport, length,
                field), name);
            assertEquals(HeaderVectors.packet(vector), packet, name);
        }
    }

    @Test
    void shouldSumThePseudoHeadersOfBothFamilies()
    {
        final UnsafeBuffer v4 = HeaderVectors.packet(HeaderVectors.list("transport").get(0));
        // 192.0.2.1 + 192.0.2.2, protocol 17, length 39
        assertEquals(InternetChecksum.fold(0xc000 + 0x0201 + 0xc000 + 0x0202 + 17 + 39),
            InternetChecksum.fold(InternetChecksum.ipv4PseudoHeaderSum(v4, 0, IpProtocol.UDP, 39)));
        final UnsafeBuffer v6 = HeaderVectors.packet(HeaderVectors.list("transport").get(2));
        // 2001:db8::1 + 2001:db8:0:1::2, a 32-bit length whose both words count, next header 17
        assertEquals(InternetChecksum.fold(2 * (0x2001 + 0x0db8) + 1 + 1 + 2 + 0x0001 + 0x1170 + 17),
            InternetChecksum.fold(InternetChecksum.ipv6PseudoHeaderSum(v6, 0, IpProtocol.UDP, 70_000)));
    }
}
