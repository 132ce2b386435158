package org.esp4j.tun.offload;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class UdpCoalescerTest
{
    private static final int HEADER = VirtioNetHeader.LENGTH;
    /** Packets are offered from this offset of one reused buffer, as the inbound agent does. */
    private static final int INPUT_OFFSET = 17;

    private final Random random = new Random(0x5DC0A1E5L);
    private final UnsafeBuffer input = new UnsafeBuffer(new byte[INPUT_OFFSET + 70_000]);
    private final TunFrames tun = new TunFrames(true);
    /** What the coalescer handed on to the next writer. */
    private final List<byte[]> passedOn = new ArrayList<>();

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldJoinDatagramsOfOneFlowIntoOneUdpGsoWriteEndedByAShortOne(final boolean ipv6)
    {
        final UdpCoalescer coalescer = coalescer(true);
        final List<byte[]> train = new ArrayList<>();
        for (final int size : new int[] {1000, 1000, 1000, 1000, 300})
        {
            train.add(UdpPackets.datagram(ipv6, bytes(size)));
        }
        for (int i = 0; i < train.size() - 1; i++)
        {
            offer(coalescer, train.get(i));
            assertEquals(i + 1, coalescer.pendingSegments());
            assertEquals(0, tun.frames.size(), "nothing written while the train runs");
        }
        offer(coalescer, train.get(4));

        assertEquals(1, tun.frames.size(), "the short datagram ends the train");
        final int ipHeader = ipv6 ? 40 : 20;
        final UnsafeBuffer header = tun.header(0);
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.flags(header, 0));
        assertEquals(VirtioNetHeader.GSO_UDP_L4, VirtioNetHeader.gsoType(header, 0));
        assertEquals(1000, VirtioNetHeader.gsoSize(header, 0));
        assertEquals(ipHeader + 8, VirtioNetHeader.hdrLen(header, 0));
        assertEquals(ipHeader, VirtioNetHeader.csumStart(header, 0));
        assertEquals(6, VirtioNetHeader.csumOffset(header, 0));

        final byte[] packet = tun.packet(0);
        final int payloadLength = 4 * 1000 + 300;
        assertEquals(ipHeader + 8 + payloadLength, packet.length);
        if (ipv6)
        {
            assertEquals(8 + payloadLength, TcpPackets.ipv6PayloadLength(packet));
        }
        else
        {
            assertEquals(packet.length, TcpPackets.ipv4TotalLength(packet));
            assertEquals(true, TcpPackets.ipv4HeaderChecksumValid(packet));
        }
        assertEquals(8 + payloadLength, TcpPackets.getShort(packet, ipHeader + 4), "UDP length of the whole train");
        assertEquals(UdpPackets.SOURCE_PORT, TcpPackets.getShort(packet, ipHeader));
        assertEquals(UdpPackets.DESTINATION_PORT, TcpPackets.getShort(packet, ipHeader + 2));
        assertEquals(TcpPackets.referencePseudoHeader(packet, 17), TcpPackets.getShort(packet, ipHeader + 6),
            "partial checksum: the pseudo-header sum of the whole train, not complemented");
        final ByteArrayOutputStream payloads = new ByteArrayOutputStream();
        train.forEach(d -> payloads.writeBytes(UdpPackets.payload(d)));
        assertArrayEquals(payloads.toByteArray(), UdpPackets.payload(packet));
        assertEquals(1, tun.packets.get());
        assertEquals(5, tun.segments.get());
        assertEquals(0, tun.errors.get());
        coalescer.flush();
        assertEquals(1, tun.frames.size(), "an empty flush writes nothing");
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldWriteALoneDatagramUnchangedWithAnAllZeroHeader(final boolean ipv6)
    {
        final UdpCoalescer coalescer = coalescer(true);
        final byte[] datagram = UdpPackets.datagram(ipv6, bytes(200));

        offer(coalescer, datagram);
        coalescer.flush();

        assertEquals(1, tun.frames.size());
        assertArrayEquals(TcpPackets.concat(new byte[HEADER], datagram), tun.frame(0));
        assertEquals(0, tun.packets.get());
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldWriteADatagramWithABadChecksumAloneAfterThePendingTrain(final boolean ipv6)
    {
        final UdpCoalescer coalescer = coalescer(true);
        final byte[] first = UdpPackets.datagram(ipv6, bytes(500));
        final byte[] second = UdpPackets.datagram(ipv6, bytes(500));
        final byte[] corrupt = UdpPackets.datagram(ipv6, bytes(500));
        corrupt[corrupt.length - 1] ^= 0x01;

        offer(coalescer, first);
        offer(coalescer, second);
        offer(coalescer, corrupt);
        coalescer.flush();

        assertEquals(1, tun.frames.size(), "the two good ones as one train");
        assertEquals(1, passedOn.size(), "the corrupt one on its own, unchanged, after them");
        assertArrayEquals(corrupt, passedOn.get(0));
        assertEquals(2, tun.segments.get());
    }

    @Test
    void shouldNotJoinAnIpv4DatagramWithoutChecksum()
    {
        final UdpCoalescer coalescer = coalescer(true);
        final byte[] a = UdpPackets.datagram(false, bytes(500));
        final byte[] b = UdpPackets.datagram(false, bytes(500));
        TcpPackets.putShort(a, 26, 0);
        TcpPackets.putShort(b, 26, 0);

        offer(coalescer, a);
        offer(coalescer, b);
        coalescer.flush();

        assertEquals(List.of(a, b).size(), passedOn.size());
        assertArrayEquals(a, passedOn.get(0));
        assertArrayEquals(b, passedOn.get(1));
        assertEquals(0, tun.frames.size());
    }

    @Test
    void shouldNeverReorderInterleavedFlows()
    {
        final UdpCoalescer coalescer = coalescer(true);
        final byte[] a0 = UdpPackets.datagram(TcpPackets.V4_SRC, TcpPackets.V4_DST, 40000, 5001, bytes(700));
        final byte[] b0 = UdpPackets.datagram(TcpPackets.V4_SRC, TcpPackets.V4_DST, 40001, 5001, bytes(700));
        final byte[] a1 = UdpPackets.datagram(TcpPackets.V4_SRC, TcpPackets.V4_DST, 40000, 5001, bytes(700));
        final byte[] b1 = UdpPackets.datagram(TcpPackets.V4_SRC, TcpPackets.V4_DST, 40001, 5001, bytes(700));

        for (final byte[] p : List.of(a0, b0, a1, b1))
        {
            offer(coalescer, p);
        }
        coalescer.flush();

        assertEquals(4, tun.frames.size());
        assertArrayEquals(a0, tun.packet(0));
        assertArrayEquals(b0, tun.packet(1));
        assertArrayEquals(a1, tun.packet(2));
        assertArrayEquals(b1, tun.packet(3));
        assertEquals(0, tun.packets.get());
    }

    @Test
    void shouldPassOtherPacketsOnAfterWritingThePendingTrain()
    {
        final UdpCoalescer coalescer = coalescer(true);
        final byte[] udp0 = UdpPackets.datagram(true, bytes(400));
        final byte[] udp1 = UdpPackets.datagram(true, bytes(400));
        final byte[] tcp = TcpPackets.tcp().ipv6(true).payload(bytes(100)).build();

        offer(coalescer, udp0);
        offer(coalescer, udp1);
        offer(coalescer, tcp);

        assertEquals(1, tun.frames.size(), "the train is written before the TCP segment is handed on");
        assertEquals(1, passedOn.size());
        assertArrayEquals(tcp, passedOn.get(0));
    }

    @Test
    void shouldEndTheTrainAtTheMostSegmentsPerWrite()
    {
        final UdpCoalescer coalescer = coalescer(true);
        for (int i = 0; i < UdpCoalescer.MAX_SEGMENTS + 1; i++)
        {
            offer(coalescer, UdpPackets.datagram(false, bytes(100)));
        }

        assertEquals(1, tun.frames.size());
        assertEquals(UdpCoalescer.MAX_SEGMENTS, tun.segments.get());
        assertEquals(1, coalescer.pendingSegments(), "the next datagram starts a new train");
    }

    @Test
    void shouldHandEverythingOnWhenDisabled()
    {
        final UdpCoalescer coalescer = coalescer(false);
        final byte[] a = UdpPackets.datagram(false, bytes(500));
        final byte[] b = UdpPackets.datagram(false, bytes(500));

        offer(coalescer, a);
        offer(coalescer, b);
        coalescer.flush();

        assertEquals(0, tun.frames.size());
        assertEquals(2, passedOn.size());
        assertArrayEquals(b, passedOn.get(1));
    }

    @Test
    void shouldEndATrainAtTheConfiguredMostSegments()
    {
        final UdpCoalescer coalescer = coalescer(true, 3);
        for (int i = 0; i < 7; i++)
        {
            offer(coalescer, UdpPackets.datagram(false, bytes(400)));
        }
        coalescer.flush();

        assertEquals(3, tun.frames.size(), "trains of 3, 3 and a lone datagram");
        assertEquals(2, tun.packets.get());
        assertEquals(6, tun.segments.get());
        assertEquals(20 + 8 + 3 * 400, tun.packet(0).length);
        assertEquals(20 + 8 + 400, tun.packet(2).length);
        assertEquals(0, passedOn.size());
    }

    @Test
    void shouldHandEveryDatagramOnWithOneSegmentPerWrite()
    {
        final UdpCoalescer coalescer = coalescer(true, 1);
        offer(coalescer, UdpPackets.datagram(false, bytes(400)));
        offer(coalescer, UdpPackets.datagram(false, bytes(400)));
        coalescer.flush();

        assertEquals(0, tun.frames.size());
        assertEquals(2, passedOn.size(), "each to the next writer, as without UDP segmentation offload");
    }

    @Test
    void shouldRefuseAMostSegmentsOutOfRange()
    {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> coalescer(true, 0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> coalescer(true, UdpCoalescer.MAX_SEGMENTS + 1));
    }

    @Test
    void shouldCountAFailedWrite()
    {
        final UdpCoalescer coalescer = coalescer(true);
        tun.failNext = 1;
        offer(coalescer, UdpPackets.datagram(false, bytes(500)));
        offer(coalescer, UdpPackets.datagram(false, bytes(500)));
        coalescer.flush();

        assertEquals(1, tun.errors.get());
        assertEquals(0, tun.packets.get());
    }

    private UdpCoalescer coalescer(final boolean enabled)
    {
        return coalescer(enabled, UdpCoalescer.MAX_SEGMENTS);
    }

    private UdpCoalescer coalescer(final boolean enabled, final int maxSegments)
    {
        return new UdpCoalescer(tun, enabled, maxSegments, this::passOn, tun.packets, tun.segments, tun.errors);
    }

    private void passOn(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] packet = new byte[length];
        buffer.getBytes(offset, packet);
        passedOn.add(packet);
    }

    private void offer(final UdpCoalescer coalescer, final byte[] packet)
    {
        input.setMemory(0, input.capacity(), (byte)0x5A);
        input.putBytes(INPUT_OFFSET, packet);
        coalescer.offer(input, INPUT_OFFSET, packet.length);
    }

    private byte[] bytes(final int length)
    {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }
}
