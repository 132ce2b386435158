package org.esp4j.tun.offload;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.esp4j.tun.offload.TcpPackets.ACK;
import static org.esp4j.tun.offload.TcpPackets.PSH;
import static org.esp4j.tun.offload.TcpPackets.headersLength;
import static org.esp4j.tun.offload.TcpPackets.payload;
import static org.esp4j.tun.offload.TcpPackets.tcp;
import static org.esp4j.tun.offload.TcpPackets.tcpChecksumValid;
import static org.esp4j.tun.offload.TcpPackets.timestamps;
import static org.esp4j.tun.offload.TcpPackets.transportOffset;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property: a TCP super-packet as the kernel hands it over (TSO, partial checksum), cut by {@link TcpSegmenter} and
 * fed to {@link TunWriter}, comes out as the same super-packet, byte for byte, with the virtio-net header that
 * describes it. Nothing of the IP or TCP headers is allowed to differ: lengths, IPv4 id and header checksum, sequence
 * number, flags (PSH of the last segment) and the partial checksum are all those of the original.
 */
class SegmentCoalesceRoundTripTest
{
    private static final int ROUNDS = 400;

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldGiveBackTheOriginalSuperPacketAfterSegmentingAndCoalescing(final boolean ipv6)
    {
        final Random random = new Random(ipv6 ? 0x6L : 0x4L);
        final TcpSegmenter segmenter = new TcpSegmenter();
        final UnsafeBuffer segment = new UnsafeBuffer(new byte[70_000]);
        int single = 0;
        int split = 0;
        for (int round = 0; round < ROUNDS; round++)
        {
            final TunFrames tun = new TunFrames(true);
            final TunWriter coalescer = tun.coalescer(VirtioNetHeader.LENGTH, true);
            final int mss = 200 + random.nextInt(1400);
            final byte[] options = random.nextBoolean() ? timestamps(random.nextInt(), random.nextInt()) : new byte[0];
            final int headers = (ipv6 ? 40 : 20) + 20 + options.length;
            final int payloadLength = round % 5 == 0 ? 1 + random.nextInt(mss) :
                1 + random.nextInt(TunWriter.MAX_PACKET_LENGTH - headers);
            final long firstSequence = round % 7 == 0 ? 0xFFFF_FFFFL - random.nextInt(70_000) :
                random.nextInt() & 0xFFFF_FFFFL;
            final byte[] original = tcp().ipv6(ipv6).seq(firstSequence).ack(random.nextInt())
                .window(random.nextInt(0x10000)).id(random.nextInt(0x10000)).ttl(1 + random.nextInt(255))
                .tos(random.nextInt(256)).flowLabel(random.nextInt(0x100000)).options(options)
                .flags(random.nextBoolean() ? ACK | PSH : ACK)
                .payload(TcpPackets.randomBytes(random, payloadLength)).build();
            final byte[] wholeChecksum = original.clone();
            final int tcpOffset = transportOffset(original);
            // as the kernel hands a super-packet over: NEEDS_CSUM, the field holding the pseudo-header sum
            TcpPackets.putShort(original, tcpOffset + 16, TcpPackets.referencePseudoHeader(original, 6));
            final UnsafeBuffer read = new UnsafeBuffer(new byte[VirtioNetHeader.LENGTH + original.length]);
            read.putBytes(VirtioNetHeader.LENGTH, original);

            final int count = segmenter.prepare(read, VirtioNetHeader.LENGTH, original.length,
                ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, mss, tcpOffset);
            final List<byte[]> segments = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final int length = segmenter.segment(i, segment, 0);
                segments.add(Arrays.copyOf(segment.byteArray(), length));
                coalescer.offer(segment, 0, length);
            }
            coalescer.flush();

            final String what = "round " + round + " mss " + mss + " payload " + payloadLength;
            assertEquals((payloadLength + mss - 1) / mss, count, what);
            for (final byte[] s : segments)
            {
                assertTrue(tcpChecksumValid(s), what);
            }
            assertEquals(0, tun.errors.get(), what);
            if (count == 1)
            {
                single++;
                assertEquals(1, tun.frames.size(), what);
                assertArrayEquals(TcpPackets.concat(new byte[VirtioNetHeader.LENGTH], wholeChecksum), tun.frame(0),
                    what + ": a lone segment is the packet with its whole checksum, and a header saying nothing");
                continue;
            }
            if (headers + count * mss > TunWriter.MAX_PACKET_LENGTH)
            {
                // the train is written as soon as one more full segment could not fit: the short last segment of
                // a super-packet this close to 64 KiB then goes on its own (still in order, nothing lost)
                split++;
                assertEquals(2, tun.frames.size(), what);
                assertArrayEquals(segments.get(count - 1), tun.packet(1), what);
                assertArrayEquals(payload(original), TcpPackets.concat(payload(tun.packet(0)), payload(tun.packet(1))),
                    what);
                assertEquals(count - 1, tun.segments.get(), what);
                continue;
            }
            assertEquals(1, tun.frames.size(), what);
            assertEquals(1, tun.packets.get(), what);
            assertEquals(count, tun.segments.get(), what);
            assertArrayEquals(original, tun.packet(0), what + ": the coalesced packet is the super-packet");
            final UnsafeBuffer header = tun.header(0);
            assertEquals(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.flags(header, 0), what);
            assertEquals(ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4,
                VirtioNetHeader.gsoType(header, 0), what);
            assertEquals(headersLength(original), VirtioNetHeader.hdrLen(header, 0), what);
            assertEquals(mss, VirtioNetHeader.gsoSize(header, 0), what);
            assertEquals(tcpOffset, VirtioNetHeader.csumStart(header, 0), what);
            assertEquals(VirtioNetHeader.TCP_CHECKSUM_FIELD, VirtioNetHeader.csumOffset(header, 0), what);
        }
        assertTrue(single > 20, "too few single-segment rounds: " + single);
        assertTrue(ROUNDS - single - split > 200, "too few coalesced rounds");
    }
}
