package org.esp4j.tun.offload;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.esp4j.tun.offload.TcpPackets.ACK;
import static org.esp4j.tun.offload.TcpPackets.CWR;
import static org.esp4j.tun.offload.TcpPackets.ECE;
import static org.esp4j.tun.offload.TcpPackets.FIN;
import static org.esp4j.tun.offload.TcpPackets.PSH;
import static org.esp4j.tun.offload.TcpPackets.headersLength;
import static org.esp4j.tun.offload.TcpPackets.ipv4HeaderChecksumValid;
import static org.esp4j.tun.offload.TcpPackets.ipv4Id;
import static org.esp4j.tun.offload.TcpPackets.ipv4TotalLength;
import static org.esp4j.tun.offload.TcpPackets.ipv6PayloadLength;
import static org.esp4j.tun.offload.TcpPackets.payload;
import static org.esp4j.tun.offload.TcpPackets.seq;
import static org.esp4j.tun.offload.TcpPackets.tcp;
import static org.esp4j.tun.offload.TcpPackets.tcpChecksumValid;
import static org.esp4j.tun.offload.TcpPackets.tcpFlags;
import static org.esp4j.tun.offload.TcpPackets.timestamps;
import static org.esp4j.tun.offload.TcpPackets.transportOffset;
import static org.esp4j.tun.offload.VirtioNetHeader.GSO_ECN;
import static org.esp4j.tun.offload.VirtioNetHeader.GSO_NONE;
import static org.esp4j.tun.offload.VirtioNetHeader.GSO_TCPV4;
import static org.esp4j.tun.offload.VirtioNetHeader.GSO_TCPV6;
import static org.esp4j.tun.offload.VirtioNetHeader.GSO_UDP;
import static org.esp4j.tun.offload.VirtioNetHeader.GSO_UDP_L4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpSegmenterTest
{
    private static final int MSS = 1448;

    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final Random random = new Random(0x7C9L);

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldCutSuperPacketIntoMssSegmentsWithConsecutiveSequenceNumbers(final boolean ipv6)
    {
        final byte[] superPacket = tcp().ipv6(ipv6).seq(1_000_000).ack(5_000_000).flags(ACK | PSH)
            .options(timestamps(0x01020304L, 0x0A0B0C0DL)).payload(bytes(3 * MSS + 500)).id(4000).build();

        final List<byte[]> segments = segment(superPacket, ipv6 ? GSO_TCPV6 : GSO_TCPV4, MSS, 0);

        assertEquals(4, segments.size());
        assertSegmentsOf(superPacket, segments, MSS);
        assertEquals(headersLength(superPacket) + 500, segments.get(3).length);
        assertEquals(1_000_000L + 3 * MSS, seq(segments.get(3)));
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldCutPayloadThatIsExactlyAMultipleOfGsoSizeIntoFullSegments(final boolean ipv6)
    {
        final byte[] superPacket = tcp().ipv6(ipv6).options(timestamps(1, 2)).payload(bytes(5 * 1000)).build();

        final List<byte[]> segments = segment(superPacket, ipv6 ? GSO_TCPV6 : GSO_TCPV4, 1000, 0);

        assertEquals(5, segments.size());
        assertSegmentsOf(superPacket, segments, 1000);
        for (final byte[] s : segments)
        {
            assertEquals(headersLength(superPacket) + 1000, s.length);
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldGiveBackTheSamePacketWhenPayloadFitsInOneSegment(final boolean ipv6)
    {
        final byte[] packet = tcp().ipv6(ipv6).flags(ACK | PSH | FIN).options(timestamps(9, 8)).payload(bytes(MSS))
            .build();

        final List<byte[]> segments = segment(packet, ipv6 ? GSO_TCPV6 : GSO_TCPV4, MSS, 0);

        assertEquals(1, segments.size());
        assertArrayEquals(packet, segments.get(0));
    }

    @Test
    void shouldGiveOneHeaderOnlySegmentForAnEmptyPayload()
    {
        final byte[] packet = tcp().flags(ACK | FIN).build();

        final List<byte[]> segments = segment(packet, GSO_TCPV4, MSS, 0);

        assertEquals(1, segments.size());
        assertArrayEquals(packet, segments.get(0));
    }

    @Test
    void shouldNumberIpv4IdsFromTheFirstAndWrapAfter65535()
    {
        final byte[] superPacket = tcp().id(65534).payload(bytes(4 * 100)).build();

        final List<byte[]> segments = segment(superPacket, GSO_TCPV4, 100, 0);

        assertEquals(4, segments.size());
        assertEquals(65534, ipv4Id(segments.get(0)));
        assertEquals(65535, ipv4Id(segments.get(1)));
        assertEquals(0, ipv4Id(segments.get(2)));
        assertEquals(1, ipv4Id(segments.get(3)));
        assertSegmentsOf(superPacket, segments, 100);
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldAdvanceSequenceNumbersAcrossTheTwoToThe32Wrap(final boolean ipv6)
    {
        final long first = 0x1_0000_0000L - 2500;
        final byte[] superPacket = tcp().ipv6(ipv6).seq(first).payload(bytes(5000)).build();

        final List<byte[]> segments = segment(superPacket, ipv6 ? GSO_TCPV6 : GSO_TCPV4, 1000, 0);

        assertEquals(5, segments.size());
        assertEquals(first, seq(segments.get(0)));
        assertEquals(0xFFFF_FFFFL - 1499, seq(segments.get(1)));
        assertEquals(0xFFFF_FFFFL - 499, seq(segments.get(2)));
        assertEquals(500, seq(segments.get(3)));
        assertEquals(1500, seq(segments.get(4)));
        assertSegmentsOf(superPacket, segments, 1000);
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldKeepCwrOnFirstSegmentFinAndPshOnLastAndAckEceOnAll(final boolean ipv6)
    {
        final byte[] superPacket = tcp().ipv6(ipv6).flags(CWR | ECE | ACK | PSH | FIN).payload(bytes(3 * 700 - 1))
            .build();

        final List<byte[]> segments = segment(superPacket, (ipv6 ? GSO_TCPV6 : GSO_TCPV4) | GSO_ECN, 700, 0);

        assertEquals(3, segments.size());
        assertEquals(CWR | ECE | ACK, tcpFlags(segments.get(0)));
        assertEquals(ECE | ACK, tcpFlags(segments.get(1)));
        assertEquals(ECE | ACK | PSH | FIN, tcpFlags(segments.get(2)));
        assertSegmentsOf(superPacket, segments, 700);
    }

    @Test
    void shouldKeepUrgentPointerWindowAckAndOptionsOnEverySegment()
    {
        final byte[] superPacket = tcp().ack(0xDEADBEEFL).window(0xFFEE).options(new byte[] {
            2, 4, 0x05, (byte)0xB4, 1, 3, 3, 7, 1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6}).payload(bytes(2500)).build();
        final int t = transportOffset(superPacket);
        superPacket[t + 18] = 0x12; // urgent pointer (without URG: must just be copied)
        superPacket[t + 19] = 0x34;
        fixTcpChecksum(superPacket);

        final List<byte[]> segments = segment(superPacket, GSO_TCPV4, 1000, 0);

        assertEquals(3, segments.size());
        assertSegmentsOf(superPacket, segments, 1000);
    }

    @Test
    void shouldIgnoreThePartialChecksumsInTheSuperPacketAndComputeWholeOnes()
    {
        final byte[] superPacket = tcp().options(timestamps(3, 4)).payload(bytes(4000)).build();
        final int t = transportOffset(superPacket);
        // as read from the TUN: the TCP field holds the pseudo-header sum only; the IPv4 length covers the lot
        TcpPackets.putShort(superPacket, t + 16, TcpPackets.referencePseudoHeader(superPacket, 6));
        TcpPackets.putShort(superPacket, 10, 0xBEEF);

        final List<byte[]> segments = segment(superPacket, GSO_TCPV4, MSS, t);

        assertEquals(3, segments.size());
        for (final byte[] s : segments)
        {
            assertTrue(tcpChecksumValid(s));
            assertTrue(ipv4HeaderChecksumValid(s));
        }
    }

    @Test
    void shouldCutIpv4WithOptionsUsingIhlOrMatchingCsumStart()
    {
        final TcpPackets.Builder builder = tcp().payload(bytes(3000));
        builder.ipv4Options = new byte[] {1, 1, 1, 0}; // NOP NOP NOP EOL: IHL 6
        final byte[] superPacket = builder.build();

        final List<byte[]> fromIhl = segment(superPacket, GSO_TCPV4, 1200, 0);
        final List<byte[]> fromCsumStart = segment(superPacket, GSO_TCPV4, 1200, 24);

        assertEquals(3, fromIhl.size());
        assertSegmentsOf(superPacket, fromIhl, 1200);
        assertEquals(3, fromCsumStart.size());
        for (int i = 0; i < 3; i++)
        {
            assertArrayEquals(fromIhl.get(i), fromCsumStart.get(i));
        }
        assertEquals(0, segmenter.prepare(new UnsafeBuffer(superPacket), 0, superPacket.length, GSO_TCPV4, 1200, 20));
    }

    @Test
    void shouldCutIpv6WithCsumStartPointingAfterAnExtensionHeader()
    {
        final TcpPackets.Builder builder = tcp().ipv6(true).options(timestamps(5, 6)).payload(bytes(2 * MSS + 1));
        builder.ipv6DestinationOptions = true;
        final byte[] superPacket = builder.build();
        assertEquals(48, transportOffset(superPacket));

        final List<byte[]> segments = segment(superPacket, GSO_TCPV6, MSS, 48);

        assertEquals(3, segments.size());
        assertSegmentsOf(superPacket, segments, MSS);
        for (final byte[] s : segments)
        {
            assertEquals(60, s[6] & 0xFF, "next header still the destination options");
            assertEquals(6, s[40] & 0xFF, "the extension header's next header still TCP");
            assertEquals(s.length - 40, ipv6PayloadLength(s));
        }
    }

    @Test
    void shouldRefuseIpv6ExtensionHeaderWithoutCsumStart()
    {
        final TcpPackets.Builder builder = tcp().ipv6(true).payload(bytes(3000));
        builder.ipv6DestinationOptions = true;
        final byte[] superPacket = builder.build();

        assertRefused(superPacket, GSO_TCPV6, MSS, 0);
        assertRefused(superPacket, GSO_TCPV6, MSS, 40);
    }

    @Test
    void shouldReadTheSourceOnlyAndWriteAtTheTargetOffset()
    {
        final byte[] superPacket = tcp().payload(bytes(2500)).build();
        final byte[] source = new byte[superPacket.length + 13];
        System.arraycopy(superPacket, 0, source, 7, superPacket.length);
        final byte[] sourceCopy = source.clone();
        final UnsafeBuffer sourceBuffer = new UnsafeBuffer(source);
        final byte[] target = new byte[3000];
        Arrays.fill(target, (byte)0x77);
        final UnsafeBuffer targetBuffer = new UnsafeBuffer(target);

        assertEquals(3, segmenter.prepare(sourceBuffer, 7, superPacket.length, GSO_TCPV4, 1000, 0));
        assertEquals(3, segmenter.segmentCount());
        assertFalse(segmenter.ipv6());
        final int length = segmenter.segment(1, targetBuffer, 11);

        assertArrayEquals(sourceCopy, source);
        assertEquals(40 + 1000, length);
        assertEquals(0x77, target[10] & 0xFF);
        assertEquals(0x77, target[11 + length] & 0xFF);
        final byte[] second = Arrays.copyOfRange(target, 11, 11 + length);
        assertEquals(1000 + 1000L, seq(second));
        assertArrayEquals(Arrays.copyOfRange(superPacket, 40 + 1000, 40 + 2000), payload(second));
        assertTrue(tcpChecksumValid(second));
        assertTrue(ipv4HeaderChecksumValid(second));
    }

    @Test
    void shouldRefuseGsoTypeThatDoesNotMatchTheIpVersion()
    {
        final byte[] v4 = tcp().payload(bytes(3000)).build();
        final byte[] v6 = tcp().ipv6(true).payload(bytes(3000)).build();

        assertRefused(v4, GSO_TCPV6, MSS, 0);
        assertRefused(v6, GSO_TCPV4, MSS, 0);
        for (final int type : new int[] {GSO_NONE, GSO_UDP, GSO_UDP_L4, GSO_ECN, 2, 0x7F})
        {
            assertRefused(v4, type, MSS, 0);
            assertRefused(v6, type, MSS, 0);
        }
    }

    @Test
    void shouldRefuseAnotherTransportProtocol()
    {
        final TcpPackets.Builder udp4 = tcp().payload(bytes(3000));
        udp4.protocol = 17;
        final TcpPackets.Builder udp6 = tcp().ipv6(true).payload(bytes(3000));
        udp6.protocol = 17;

        assertRefused(udp4.build(), GSO_TCPV4, MSS, 0);
        assertRefused(udp4.build(), GSO_TCPV4, MSS, 20);
        assertRefused(udp6.build(), GSO_TCPV6, MSS, 0);
        assertRefused(udp6.build(), GSO_TCPV6, MSS, 40);
    }

    @Test
    void shouldRefuseIpv4Fragments()
    {
        final TcpPackets.Builder moreFragments = tcp().payload(bytes(3000));
        moreFragments.fragmentField = 0x2000;
        final TcpPackets.Builder offset = tcp().payload(bytes(3000));
        offset.fragmentField = 0x4000 | 185;

        assertRefused(moreFragments.build(), GSO_TCPV4, MSS, 0);
        assertRefused(offset.build(), GSO_TCPV4, MSS, 0);
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldRefuseTruncatedHeaders(final boolean ipv6)
    {
        final byte[] packet = tcp().ipv6(ipv6).options(timestamps(1, 2)).payload(bytes(3000)).build();
        final int ip = ipv6 ? 40 : 20;
        final int type = ipv6 ? GSO_TCPV6 : GSO_TCPV4;

        assertRefused(packet, type, MSS, 0, 0);
        assertRefused(packet, type, MSS, 0, ip - 1);
        assertRefused(packet, type, MSS, 0, ip);
        assertRefused(packet, type, MSS, 0, ip + 19);
        assertRefused(packet, type, MSS, 0, ip + 31); // the 12 option bytes are cut short
        assertEquals(1, segmenter.prepare(new UnsafeBuffer(packet), 0, ip + 32, type, MSS, 0));
    }

    @Test
    void shouldRefuseIpv4HeaderLengthBelowTwentyBytes()
    {
        final byte[] packet = tcp().payload(bytes(3000)).build();
        packet[0] = 0x44;

        assertRefused(packet, GSO_TCPV4, MSS, 0);
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldRefuseTcpDataOffsetBelowFive(final boolean ipv6)
    {
        for (final int words : new int[] {0, 1, 4})
        {
            final TcpPackets.Builder builder = tcp().ipv6(ipv6).payload(bytes(3000));
            builder.dataOffsetWords = words;

            assertRefused(builder.build(), ipv6 ? GSO_TCPV6 : GSO_TCPV4, MSS, 0);
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldRefuseGsoSizeZero(final boolean ipv6)
    {
        final byte[] packet = tcp().ipv6(ipv6).payload(bytes(3000)).build();

        assertRefused(packet, ipv6 ? GSO_TCPV6 : GSO_TCPV4, 0, 0);
        assertRefused(packet, ipv6 ? GSO_TCPV6 : GSO_TCPV4, -1, 0);
    }

    @Test
    void shouldRefuseCsumStartThatIsNotTheTcpHeader()
    {
        assertRefused(tcp().payload(bytes(3000)).build(), GSO_TCPV4, MSS, 24);
        assertRefused(tcp().payload(bytes(3000)).build(), GSO_TCPV4, MSS, 16);
        assertRefused(tcp().ipv6(true).payload(bytes(3000)).build(), GSO_TCPV6, MSS, 20);
        assertRefused(tcp().ipv6(true).payload(bytes(100)).build(), GSO_TCPV6, MSS, 3000);
    }

    @Test
    void shouldRefuseOtherIpVersions()
    {
        final byte[] packet = tcp().payload(bytes(3000)).build();
        for (final int version : new int[] {0, 5, 7, 15})
        {
            packet[0] = (byte)((version << 4) | 5);
            assertRefused(packet, GSO_TCPV4, MSS, 0);
            assertRefused(packet, GSO_TCPV6, MSS, 0);
        }
    }

    @Test
    void shouldForgetThePreviousPacketWhenRefusing()
    {
        final byte[] good = tcp().payload(bytes(3000)).build();
        assertEquals(3, segmenter.prepare(new UnsafeBuffer(good), 0, good.length, GSO_TCPV4, 1000, 0));

        assertEquals(0, segmenter.prepare(new UnsafeBuffer(good), 0, good.length, GSO_TCPV6, 1000, 0));

        assertEquals(0, segmenter.segmentCount());
    }

    @Test
    void shouldCutRandomSuperPacketsLikeTheKernelWould()
    {
        for (int round = 0; round < 300; round++)
        {
            final boolean ipv6 = random.nextBoolean();
            final int mss = 500 + random.nextInt(1000);
            final int maxPayload = 65535 - 40 - 40 - 32;
            final TcpPackets.Builder builder = tcp().ipv6(ipv6).seq(random.nextInt()).ack(random.nextInt())
                .id(random.nextInt(0x10000)).window(random.nextInt(0x10000))
                .flags(ACK | (random.nextBoolean() ? PSH : 0) | (random.nextInt(8) == 0 ? FIN : 0))
                .options(random.nextBoolean() ? timestamps(random.nextInt(), random.nextInt()) : new byte[0])
                .payload(bytes(random.nextInt(maxPayload)));
            final byte[] superPacket = builder.build();

            final List<byte[]> segments = segment(superPacket, ipv6 ? GSO_TCPV6 : GSO_TCPV4, mss, 0);

            assertEquals(Math.max(1, (superPacket.length - headersLength(superPacket) + mss - 1) / mss),
                segments.size());
            assertSegmentsOf(superPacket, segments, mss);
        }
    }

    // ------------------------------------------------------------------ helpers

    private byte[] bytes(final int length)
    {
        return TcpPackets.randomBytes(random, length);
    }

    private static void fixTcpChecksum(final byte[] packet)
    {
        TcpPackets.putShort(packet, transportOffset(packet) + 16, TcpPackets.referenceTransportChecksum(packet, 6, 16));
    }

    /** Prepare from inside a bigger buffer (offset 5) and cut every segment into a fresh target. */
    private List<byte[]> segment(final byte[] superPacket, final int gsoType, final int gsoSize, final int csumStart)
    {
        final UnsafeBuffer source = new UnsafeBuffer(new byte[superPacket.length + 10]);
        source.putBytes(5, superPacket);
        final int count = segmenter.prepare(source, 5, superPacket.length, gsoType, gsoSize, csumStart);
        assertEquals(count, segmenter.segmentCount());
        final List<byte[]> segments = new ArrayList<>();
        final UnsafeBuffer target = new UnsafeBuffer(new byte[70_000]);
        for (int i = 0; i < count; i++)
        {
            target.setMemory(0, target.capacity(), (byte)0xA5);
            final int length = segmenter.segment(i, target, 3);
            final byte[] s = new byte[length];
            target.getBytes(3, s);
            segments.add(s);
        }
        return segments;
    }

    private void assertRefused(final byte[] packet, final int gsoType, final int gsoSize, final int csumStart)
    {
        assertRefused(packet, gsoType, gsoSize, csumStart, packet.length);
    }

    private void assertRefused(
        final byte[] packet, final int gsoType, final int gsoSize, final int csumStart, final int length)
    {
        final byte[] copy = packet.clone();
        assertEquals(0, segmenter.prepare(new UnsafeBuffer(copy), 0, length, gsoType, gsoSize, csumStart),
            "type " + gsoType + " size " + gsoSize + " csumStart " + csumStart + " length " + length);
        assertEquals(0, segmenter.segmentCount());
        assertArrayEquals(packet, copy);
    }

    /**
     * Every segment: same headers as the super-packet except the IP length (and IPv4 id, header checksum), TCP
     * sequence number, flags and checksum, which must be what the kernel's GSO would write; payload the slice.
     */
    static void assertSegmentsOf(final byte[] superPacket, final List<byte[]> segments, final int mss)
    {
        final boolean ipv6 = TcpPackets.version(superPacket) == 6;
        final int headers = headersLength(superPacket);
        final int t = transportOffset(superPacket);
        final byte[] payload = payload(superPacket);
        final int originalFlags = tcpFlags(superPacket);
        for (int i = 0; i < segments.size(); i++)
        {
            final byte[] s = segments.get(i);
            final String what = "segment " + i + " of " + segments.size();
            final int from = i * mss;
            final int chunk = Math.min(mss, payload.length - from);
            assertEquals(headers + chunk, s.length, what);
            assertArrayEquals(Arrays.copyOfRange(payload, from, from + chunk), payload(s), what + " payload");
            if (ipv6)
            {
                assertEquals(s.length - 40, ipv6PayloadLength(s), what);
                assertSameExcept(superPacket, s, t, what, 4, 5);
            }
            else
            {
                assertEquals(s.length, ipv4TotalLength(s), what);
                assertEquals((TcpPackets.getShort(superPacket, 4) + i) & 0xFFFF, ipv4Id(s), what + " id");
                assertTrue(ipv4HeaderChecksumValid(s), what + " IPv4 header checksum");
                assertSameExcept(superPacket, s, t, what, 2, 3, 4, 5, 10, 11);
            }
            assertEquals((seq(superPacket) + from) & 0xFFFF_FFFFL, seq(s), what + " seq");
            int flags = originalFlags;
            if (i > 0)
            {
                flags &= ~CWR;
            }
            if (i < segments.size() - 1)
            {
                flags &= ~(FIN | PSH);
            }
            assertEquals(flags, tcpFlags(s), what + " flags");
            assertTrue(tcpChecksumValid(s), what + " TCP checksum");
            // TCP header: everything but seq (4..7), flags (13) and checksum (16, 17)
            for (int k = 0; k < headers - t; k++)
            {
                if (k >= 4 && k <= 7 || k == 13 || k == 16 || k == 17)
                {
                    continue;
                }
                assertEquals(superPacket[t + k], s[t + k], what + " TCP header byte " + k);
            }
        }
    }

    private static void assertSameExcept(
        final byte[] expected, final byte[] actual, final int length, final String what, final int... skipped)
    {
        outer:
        for (int k = 0; k < length; k++)
        {
            for (final int skip : skipped)
            {
                if (k == skip)
                {
                    continue outer;
                }
            }
            assertEquals(expected[k], actual[k], what + " IP header byte " + k);
        }
    }
}
