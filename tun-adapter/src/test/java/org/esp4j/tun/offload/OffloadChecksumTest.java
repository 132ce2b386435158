package org.esp4j.tun.offload;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.InternetChecksum;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static java.nio.ByteOrder.BIG_ENDIAN;

import static org.esp4j.tun.offload.TcpPackets.referencePseudoHeader;
import static org.esp4j.tun.offload.TcpPackets.referenceSum;
import static org.esp4j.tun.offload.TcpPackets.referenceTransportChecksum;
import static org.esp4j.tun.offload.TcpPackets.tcp;
import static org.esp4j.tun.offload.TcpPackets.tcpChecksumValid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport checksums of the offload path (esp-core {@link InternetChecksum} over segments built by
 * {@link TcpPackets}, and {@link VirtioNetHeader#completePartialChecksum}) against the reference sums of TcpPackets.
 */
class OffloadChecksumTest
{
    private static final int UDP = 17;
    private static final int TCP = 6;

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void shouldSumLikeTheSixteenBitWordLoopForRandomLengthsAndOddOffsets(final boolean direct)
    {
        final Random random = new Random(0x5EED_1071L);
        final int capacity = 3000 + 16;
        final UnsafeBuffer buffer = direct ?
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity + 64, 64)) : new UnsafeBuffer(new byte[capacity]);
        final byte[] bytes = new byte[capacity];
        for (int length = 0; length <= 3000; length++)
        {
            random.nextBytes(bytes);
            buffer.putBytes(0, bytes);
            final int offset = random.nextInt(16);
            final int initial = length % 7 == 0 ? random.nextInt(0x10000) : 0;

            final long sum = InternetChecksum.sum(buffer, offset, length, initial);

            assertEquals(referenceSum(bytes, offset, length, initial), InternetChecksum.fold(sum),
                "length " + length + " offset " + offset + " initial " + initial);
        }
        for (int round = 0; round < 2000; round++)
        {
            random.nextBytes(bytes);
            buffer.putBytes(0, bytes);
            final int length = random.nextInt(3001);
            final int offset = 1 + 2 * random.nextInt(8); // odd offsets

            assertEquals(referenceSum(bytes, offset, length, 0),
                InternetChecksum.fold(InternetChecksum.sum(buffer, offset, length, 0)),
                "length " + length + " offset " + offset);
        }
    }

    @Test
    void shouldSumSixtyFourKibibytesOfOnesWithoutOverflow()
    {
        final byte[] ones = new byte[65536];
        Arrays.fill(ones, (byte)0xFF);
        final UnsafeBuffer buffer = new UnsafeBuffer(ones);

        final long sum = InternetChecksum.sum(buffer, 0, ones.length, 0);

        assertEquals(0xFFFF, InternetChecksum.fold(sum));
        assertEquals(referenceSum(ones, 0, ones.length, 0), InternetChecksum.fold(sum));
    }

    @Test
    void shouldFoldCarriesRepeatedly()
    {
        assertEquals(0, InternetChecksum.fold(0));
        assertEquals(0xFFFF, InternetChecksum.fold(0xFFFF));
        assertEquals(1, InternetChecksum.fold(0x10000));
        assertEquals(0xFFFF, InternetChecksum.fold(0x1FFFEL));
        assertEquals(0x0002, InternetChecksum.fold(0xFFFF_0002L)); // 0xFFFF + 0x0002 = 0x1_0001 -> 0x0002
        assertEquals(0xFFFF, InternetChecksum.fold(0xFFFF_FFFF_FFFFL));
        assertEquals(0x1234, InternetChecksum.fold(0x1233_FFFFL + 1)); // 0x1234_0000: 0x0000 + 0x1234
    }

    @Test
    void shouldComputeIpv4PseudoHeaderOfSourceDestinationProtocolAndLength()
    {
        final byte[] packet = tcp().payload(new byte[100]).build();
        final UnsafeBuffer buffer = new UnsafeBuffer(packet);
        final int transportLength = packet.length - 20;

        final long pseudo = InternetChecksum.pseudoHeaderSum(buffer, 0, false, TCP, transportLength);

        // 198.18 + 0.1 + 198.18 + 0.2 + 0x0006 + length
        final int expected = fold16(0xC612 + 0x0001 + 0xC612 + 0x0002 + 6 + transportLength);
        assertEquals(expected, InternetChecksum.fold(pseudo));
        assertEquals(referencePseudoHeader(packet, TCP), InternetChecksum.fold(pseudo));
    }

    @Test
    void shouldComputeIpv6PseudoHeaderOfAddressesUpperLayerLengthAndNextHeader()
    {
        final byte[] packet = tcp().ipv6(true).payload(new byte[1000]).build();
        final UnsafeBuffer buffer = new UnsafeBuffer(packet);
        final int transportLength = packet.length - 40;

        final long pseudo = InternetChecksum.pseudoHeaderSum(buffer, 0, true, TCP, transportLength);

        // 2001:db8::1 + 2001:db8::2: 0x2001 + 0x0db8 + 1 and + 2; the 32-bit length; zero; next header
        final int addresses = 2 * (0x2001 + 0x0DB8) + 1 + 2;
        assertEquals(fold16(addresses + transportLength + 6), InternetChecksum.fold(pseudo));
        assertEquals(referencePseudoHeader(packet, TCP), InternetChecksum.fold(pseudo));
        // the length is a 32-bit field (RFC 8200 section 8.1): both of its words count
        assertEquals(fold16(addresses + 0x0001 + 0x1170 + 6),
            InternetChecksum.fold(InternetChecksum.pseudoHeaderSum(buffer, 0, true, TCP, 70_000)));
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldPutTheChecksumTheReferenceComputesAndVerifyIt(final boolean ipv6)
    {
        final Random random = new Random(ipv6 ? 6 : 4);
        for (int round = 0; round < 200; round++)
        {
            final byte[] packet = tcp().ipv6(ipv6).seq(random.nextInt()).options(TcpPackets.timestamps(
                random.nextInt(), random.nextInt())).payload(TcpPackets.randomBytes(random, random.nextInt(2000)))
                .build();
            final int ipHeader = ipv6 ? 40 : 20;
            final int expected = TcpPackets.tcpChecksumField(packet);
            final UnsafeBuffer buffer = new UnsafeBuffer(packet.clone());
            buffer.putShort(ipHeader + 16, (short)0x5A5A); // garbage: put must not sum it

            final int stored = InternetChecksum.putTransportChecksum(buffer, 0, ipv6, TCP, ipHeader,
                packet.length - ipHeader, ipHeader + 16);

            assertEquals(expected, stored);
            assertArrayEquals(packet, buffer.byteArray());
            assertTrue(
                InternetChecksum.verifyTransportChecksum(buffer, 0, ipv6, TCP, ipHeader, packet.length - ipHeader));
            buffer.putByte(packet.length - 1, (byte)(buffer.getByte(packet.length - 1) ^ 0x10));
            assertFalse(
                InternetChecksum.verifyTransportChecksum(buffer, 0, ipv6, TCP, ipHeader, packet.length - ipHeader),
                "a flipped bit must not verify");
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldCompletePartialChecksumToTheSameValueAsAFullComputation(final boolean ipv6)
    {
        final Random random = new Random(ipv6 ? 66 : 44);
        final int ipHeader = ipv6 ? 40 : 20;
        for (int round = 0; round < 300; round++)
        {
            final boolean udp = round % 3 == 0;
            final byte[] packet = udp ? udp(ipv6, TcpPackets.randomBytes(random, random.nextInt(3000))) :
                tcp().ipv6(ipv6).payload(TcpPackets.randomBytes(random, random.nextInt(3000))).build();
            final int protocol = udp ? UDP : TCP;
            final int field = udp ? VirtioNetHeader.UDP_CHECKSUM_FIELD : VirtioNetHeader.TCP_CHECKSUM_FIELD;
            final int lead = 1 + random.nextInt(9); // odd and even starts inside a bigger buffer
            final UnsafeBuffer full = new UnsafeBuffer(new byte[lead + packet.length]);
            full.putBytes(lead, packet);
            final int expected = InternetChecksum.putTransportChecksum(full, lead, ipv6, protocol, lead + ipHeader,
                packet.length - ipHeader, lead + ipHeader + field);

            final UnsafeBuffer partial = new UnsafeBuffer(new byte[lead + packet.length]);
            partial.putBytes(lead, packet);
            final long pseudo =
                InternetChecksum.pseudoHeaderSum(partial, lead, ipv6, protocol, packet.length - ipHeader);
            partial.putShort(lead + ipHeader + field, (short)InternetChecksum.fold(pseudo), BIG_ENDIAN);
            VirtioNetHeader.completePartialChecksum(partial, lead + ipHeader, lead + packet.length, field);

            assertEquals(expected, partial.getShort(lead + ipHeader + field, BIG_ENDIAN) & 0xFFFF);
            assertArrayEquals(full.byteArray(), partial.byteArray());
            final int reference = referenceTransportChecksum(packet, protocol, field);
            assertEquals(udp && reference == 0 ? 0xFFFF : reference, expected);
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldSendComputedZeroUdpChecksumAsAllOnes(final boolean ipv6)
    {
        final int ipHeader = ipv6 ? 40 : 20;
        final byte[] udp = udpWithZeroChecksum(ipv6);
        assertEquals(0, referenceTransportChecksum(udp, UDP, 6), "test packet must checksum to zero");

        final UnsafeBuffer put = new UnsafeBuffer(udp.clone());
        assertEquals(0xFFFF,
            InternetChecksum.putTransportChecksum(put, 0, ipv6, UDP, ipHeader, udp.length - ipHeader, ipHeader + 6));
        assertEquals((short)0xFFFF, put.getShort(ipHeader + 6));
        assertTrue(InternetChecksum.verifyTransportChecksum(put, 0, ipv6, UDP, ipHeader, udp.length - ipHeader));

        final UnsafeBuffer partial = new UnsafeBuffer(udp.clone());
        partial.putShort(ipHeader + 6, (short)InternetChecksum.fold(
            InternetChecksum.pseudoHeaderSum(partial, 0, ipv6, UDP, udp.length - ipHeader)), BIG_ENDIAN);
        VirtioNetHeader.completePartialChecksum(partial, ipHeader, udp.length, VirtioNetHeader.UDP_CHECKSUM_FIELD);
        assertEquals((short)0xFFFF, partial.getShort(ipHeader + 6));
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldKeepComputedZeroTcpChecksumAsZero(final boolean ipv6)
    {
        final int ipHeader = ipv6 ? 40 : 20;
        final byte[] p = tcp().ipv6(ipv6).payload(new byte[] {9, 8, 7, 6, 5, 4, 0, 0}).build();
        p[ipHeader + 16] = 0;
        p[ipHeader + 17] = 0;
        final int partial = referenceSum(p, ipHeader, p.length - ipHeader, referencePseudoHeader(p, TCP));
        TcpPackets.putShort(p, p.length - 2, 0xFFFF - partial);
        assertEquals(0, referenceTransportChecksum(p, TCP, 16), "test packet must checksum to zero");
        final UnsafeBuffer buffer = new UnsafeBuffer(p);

        assertEquals(0,
            InternetChecksum.putTransportChecksum(buffer, 0, ipv6, TCP, ipHeader, p.length - ipHeader, ipHeader + 16));
        assertEquals(0, buffer.getShort(ipHeader + 16));
        assertTrue(InternetChecksum.verifyTransportChecksum(buffer, 0, ipv6, TCP, ipHeader, p.length - ipHeader));

        buffer.putShort(ipHeader + 16, (short)InternetChecksum.fold(
            InternetChecksum.pseudoHeaderSum(buffer, 0, ipv6, TCP, p.length - ipHeader)), BIG_ENDIAN);
        VirtioNetHeader.completePartialChecksum(buffer, ipHeader, p.length, VirtioNetHeader.TCP_CHECKSUM_FIELD);
        assertEquals(0, buffer.getShort(ipHeader + 16));
    }

    @Test
    void shouldVerifyPacketsTheReferenceBuilt()
    {
        final Random random = new Random(7);
        for (int i = 0; i < 100; i++)
        {
            final boolean ipv6 = random.nextBoolean();
            final byte[] packet = tcp().ipv6(ipv6).payload(TcpPackets.randomBytes(random, random.nextInt(1500)))
                .build();
            assertTrue(tcpChecksumValid(packet));
            final int ipHeader = ipv6 ? 40 : 20;
            assertTrue(InternetChecksum.verifyTransportChecksum(new UnsafeBuffer(packet), 0, ipv6, TCP, ipHeader,
                packet.length - ipHeader));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static int fold16(final int value)
    {
        int s = value;
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return s;
    }

    /** A UDP datagram with a correct checksum. */
    static byte[] udp(final boolean ipv6, final byte[] payload)
    {
        final byte[] header = tcp().ipv6(ipv6).build(); // addresses and IP fields only
        final int ipHeader = ipv6 ? 40 : 20;
        final byte[] p = new byte[ipHeader + 8 + payload.length];
        System.arraycopy(header, 0, p, 0, ipHeader);
        if (ipv6)
        {
            TcpPackets.putShort(p, 4, 8 + payload.length);
            p[6] = UDP;
        }
        else
        {
            TcpPackets.putShort(p, 2, p.length);
            p[9] = UDP;
            p[10] = 0;
            p[11] = 0;
            TcpPackets.putShort(p, 10, ~referenceSum(p, 0, 20, 0) & 0xFFFF);
        }
        TcpPackets.putShort(p, ipHeader, 5060);
        TcpPackets.putShort(p, ipHeader + 2, 5060);
        TcpPackets.putShort(p, ipHeader + 4, 8 + payload.length);
        System.arraycopy(payload, 0, p, ipHeader + 8, payload.length);
        int checksum = referenceTransportChecksum(p, UDP, 6);
        TcpPackets.putShort(p, ipHeader + 6, checksum == 0 ? 0xFFFF : checksum);
        return p;
    }

    /** A UDP datagram whose checksum computes to 0 (its last payload word chosen to make the sum 0xFFFF). */
    private static byte[] udpWithZeroChecksum(final boolean ipv6)
    {
        final byte[] p = udp(ipv6, new byte[] {1, 2, 3, 4, 5, 6, 0, 0});
        final int t = ipv6 ? 40 : 20;
        p[t + 6] = 0;
        p[t + 7] = 0;
        final int partial = referenceSum(p, t, p.length - t, referencePseudoHeader(p, UDP));
        TcpPackets.putShort(p, p.length - 2, 0xFFFF - partial);
        return p;
    }

}
