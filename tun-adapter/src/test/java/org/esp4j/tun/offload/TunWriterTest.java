package org.esp4j.tun.offload;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.esp4j.tun.offload.TcpPackets.ACK;
import static org.esp4j.tun.offload.TcpPackets.CWR;
import static org.esp4j.tun.offload.TcpPackets.ECE;
import static org.esp4j.tun.offload.TcpPackets.FIN;
import static org.esp4j.tun.offload.TcpPackets.PSH;
import static org.esp4j.tun.offload.TcpPackets.RST;
import static org.esp4j.tun.offload.TcpPackets.SYN;
import static org.esp4j.tun.offload.TcpPackets.headersLength;
import static org.esp4j.tun.offload.TcpPackets.ipv4HeaderChecksumValid;
import static org.esp4j.tun.offload.TcpPackets.ipv4Id;
import static org.esp4j.tun.offload.TcpPackets.ipv4TotalLength;
import static org.esp4j.tun.offload.TcpPackets.ipv6PayloadLength;
import static org.esp4j.tun.offload.TcpPackets.payload;
import static org.esp4j.tun.offload.TcpPackets.referencePseudoHeader;
import static org.esp4j.tun.offload.TcpPackets.referenceSum;
import static org.esp4j.tun.offload.TcpPackets.seq;
import static org.esp4j.tun.offload.TcpPackets.tcp;
import static org.esp4j.tun.offload.TcpPackets.tcpChecksumField;
import static org.esp4j.tun.offload.TcpPackets.tcpChecksumValid;
import static org.esp4j.tun.offload.TcpPackets.tcpFlags;
import static org.esp4j.tun.offload.TcpPackets.timestamps;
import static org.esp4j.tun.offload.TcpPackets.transportOffset;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunWriterTest
{
    private static final int MSS = 1448;
    private static final int HEADER = VirtioNetHeader.LENGTH;
    /** Packets are offered from this offset of one reused buffer, as the inbound agent does. */
    private static final int INPUT_OFFSET = 17;

    private final Random random = new Random(0xC0A1E5CEL);
    private final UnsafeBuffer input = new UnsafeBuffer(new byte[INPUT_OFFSET + 70_000]);
    private TunFrames tun = new TunFrames(true);

    @ParameterizedTest(name = "ipv6={0} directCounters={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void shouldJoinTrainOfFullSegmentsAndShortLastIntoOneGsoWrite(final boolean ipv6, final boolean direct)
    {
        tun = new TunFrames(direct);
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(ipv6), MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, 500);

        for (int i = 0; i < train.size() - 1; i++)
        {
            offer(coalescer, train.get(i));
            assertEquals(i + 1, coalescer.pendingSegments());
            assertEquals(0, tun.frames.size(), "nothing written while the train runs");
        }
        offer(coalescer, train.get(train.size() - 1));

        assertEquals(1, tun.frames.size(), "the short segment ends the train");
        assertEquals(0, coalescer.pendingSegments());
        assertCoalesced(0, train, MSS);
        assertEquals(1, tun.packets.get());
        assertEquals(9, tun.segments.get());
        assertEquals(0, tun.errors.get());
        coalescer.flush();
        assertEquals(1, tun.frames.size());
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldJoinTrainOfEqualSegmentsOnFlush(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(ipv6), 1000, 1000, 1000);

        train.forEach(p -> offer(coalescer, p));
        assertEquals(0, tun.frames.size());
        coalescer.flush();

        assertEquals(1, tun.frames.size());
        assertCoalesced(0, train, 1000);
        assertEquals(1, tun.packets.get());
        assertEquals(3, tun.segments.get());
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldWriteSingleSegmentUnchangedWithAllZeroHeader(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final byte[] segment = base(ipv6).payload(bytes(MSS)).build();

        offer(coalescer, segment);
        assertEquals(1, coalescer.pendingSegments());
        assertEquals(0, tun.frames.size());
        coalescer.flush();

        assertEquals(1, tun.frames.size());
        assertArrayEquals(TcpPackets.concat(new byte[HEADER], segment), tun.frame(0));
        assertEquals(0, tun.packets.get());
        assertEquals(0, tun.segments.get());
        coalescer.flush();
        assertEquals(1, tun.frames.size(), "an empty flush writes nothing");
    }

    @Test
    void shouldNeverReorderInterleavedFlows()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> a = train(base(false), MSS, MSS, MSS);
        final List<byte[]> b = train(base(false).ports(40001, 5001), MSS, MSS, MSS);
        final List<byte[]> interleaved = List.of(a.get(0), b.get(0), a.get(1), b.get(1), a.get(2), b.get(2));

        interleaved.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(6, tun.frames.size());
        for (int i = 0; i < 6; i++)
        {
            assertWrittenAlone(i, interleaved.get(i));
        }
        assertEquals(0, tun.packets.get());
    }

    @Test
    void shouldJoinEachFlowsRunOfConsecutiveSegmentsInArrivalOrder()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> a = train(base(false), MSS, MSS, MSS);
        final List<byte[]> b = train(base(true), MSS, MSS);
        final List<byte[]> c = train(base(false).ports(40002, 5001), MSS, MSS, MSS, MSS);

        a.forEach(p -> offer(coalescer, p));
        b.forEach(p -> offer(coalescer, p));
        c.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(3, tun.frames.size());
        assertCoalesced(0, a, MSS);
        assertCoalesced(1, b, MSS);
        assertCoalesced(2, c, MSS);
        assertEquals(3, tun.packets.get());
        assertEquals(9, tun.segments.get());
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldWriteEveryPacketThatCannotJoinAloneAndInOrder(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> data = train(base(ipv6), MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS, MSS);
        final long afterData = seq(data.get(data.size() - 1)) + MSS;
        final byte[] udp = OffloadChecksumTest.udp(ipv6, bytes(300));
        final byte[] pureAck = base(ipv6).seq(seq(data.get(4))).build();
        final byte[] syn = base(ipv6).flags(SYN).ack(0).options(new byte[] {2, 4, 5, (byte)0xB4}).build();
        final byte[] synAck = base(ipv6).flags(SYN | ACK).options(new byte[] {2, 4, 5, (byte)0xB4}).build();
        // those with data come in sequence: only what they are keeps them out of the train
        final byte[] finWithData = base(ipv6).seq(seq(data.get(10))).flags(ACK | FIN).payload(bytes(MSS)).build();
        final byte[] badChecksum = base(ipv6).seq(seq(data.get(12))).payload(bytes(MSS)).build();
        badChecksum[transportOffset(badChecksum) + 16] ^= 0x01;
        final byte[] urgent = base(ipv6).seq(afterData).flags(ACK | 0x20).payload(bytes(MSS)).build();
        final byte[] rst = base(ipv6).seq(afterData + MSS).flags(RST | ACK).build();
        final List<byte[]> offered = List.of(
            data.get(0), data.get(1), udp,
            data.get(2), data.get(3), pureAck,
            data.get(4), data.get(5), syn,
            data.get(6), data.get(7), synAck,
            data.get(8), data.get(9), finWithData,
            data.get(10), data.get(11), badChecksum,
            data.get(12), data.get(13), urgent, rst);

        offered.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(15, tun.frames.size());
        int frame = 0;
        for (int pair = 0; pair < 7; pair++)
        {
            assertCoalesced(frame++, data.subList(2 * pair, 2 * pair + 2), MSS);
            assertWrittenAlone(frame, offered.get(3 * pair + 2));
            frame++;
        }
        assertWrittenAlone(14, rst);
        assertEquals(7, tun.packets.get());
        assertEquals(14, tun.segments.get());
    }

    @Test
    void shouldWriteIpv4SegmentWithBadHeaderChecksumAlone()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(false), MSS, MSS, MSS);
        final byte[] bad = train.get(2).clone();
        bad[10] ^= 0x40;

        offer(coalescer, train.get(0));
        offer(coalescer, train.get(1));
        offer(coalescer, bad);
        coalescer.flush();

        assertEquals(2, tun.frames.size());
        assertCoalesced(0, train.subList(0, 2), MSS);
        assertWrittenAlone(1, bad);
    }

    @Test
    void shouldNeverJoinIpv4WithOptionsOrFragments()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final TcpPackets.Builder withOptions = base(false);
        withOptions.ipv4Options = new byte[] {1, 1, 1, 0};
        final TcpPackets.Builder fragment = base(false);
        fragment.fragmentField = 0x2000;
        final List<byte[]> all = new ArrayList<>(train(withOptions, MSS, MSS));
        all.addAll(train(fragment, MSS, MSS));

        all.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(all.size(), tun.frames.size());
        for (int i = 0; i < all.size(); i++)
        {
            assertWrittenAlone(i, all.get(i));
        }
        assertEquals(0, tun.packets.get());
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldNeverJoinAPacketWhoseIpLengthIsNotTheBuffers(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(ipv6), MSS, MSS, 100);
        // a 6-byte trailer after the IP packet (as a driver may leave), chosen so that the TCP checksum over the
        // buffer's length still verifies: only the IP length field says the buffer is not the packet
        final byte[] last = train.get(2);
        final byte[] padded = Arrays.copyOf(last, last.length + 6);
        TcpPackets.putShort(padded, last.length, 0xFFFF - 6); // cancels the 6 more in the pseudo-header length
        assertTrue(tcpChecksumValid(padded));
        train.set(2, padded);

        train.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(2, tun.frames.size());
        assertCoalesced(0, train.subList(0, 2), MSS);
        assertWrittenAlone(1, padded);
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldNeverJoinPacketsOfAnotherProtocolThatLookLikeTcp(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> relabelled = new ArrayList<>();
        for (final byte[] p : train(base(ipv6), MSS, MSS, MSS))
        {
            // UDP's number on TCP bytes: the TCP checksum (always summed with protocol 6) still verifies
            final byte[] copy = p.clone();
            copy[ipv6 ? 6 : 9] = 17;
            if (!ipv6)
            {
                TcpPackets.putShort(copy, 10, 0);
                TcpPackets.putShort(copy, 10, ~referenceSum(copy, 0, 20, 0) & 0xFFFF);
            }
            relabelled.add(copy);
        }

        relabelled.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(3, tun.frames.size());
        for (int i = 0; i < 3; i++)
        {
            assertWrittenAlone(i, relabelled.get(i));
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldWriteAnInSequenceSegmentWithABadTcpChecksumAloneAndUnchanged(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(ipv6), MSS, MSS, MSS, MSS, MSS);
        final byte[] corrupt = train.get(2).clone();
        corrupt[corrupt.length - 100] ^= 0x04; // a flipped payload bit
        train.set(2, corrupt);

        train.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(3, tun.frames.size());
        assertCoalesced(0, train.subList(0, 2), MSS);
        assertWrittenAlone(1, corrupt);
        assertCoalesced(2, train.subList(3, 5), MSS);
    }

    @Test
    void shouldNeverJoinIpv6WithExtensionHeaders()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final TcpPackets.Builder builder = base(true);
        builder.ipv6DestinationOptions = true;
        final List<byte[]> train = train(builder, MSS, MSS, MSS);

        train.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(3, tun.frames.size());
        for (int i = 0; i < 3; i++)
        {
            assertWrittenAlone(i, train.get(i));
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldEndTheTrainWithPshAndKeepIt(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(ipv6), MSS, MSS, MSS, MSS, MSS);
        train.set(2, withFlags(train.get(2), ACK | PSH));

        offer(coalescer, train.get(0));
        offer(coalescer, train.get(1));
        offer(coalescer, train.get(2));
        assertEquals(1, tun.frames.size(), "PSH writes the train at once");
        assertEquals(0, coalescer.pendingSegments());
        offer(coalescer, train.get(3));
        offer(coalescer, train.get(4));
        coalescer.flush();

        assertEquals(2, tun.frames.size());
        assertCoalesced(0, train.subList(0, 3), MSS);
        assertEquals(ACK | PSH, tcpFlags(tun.packet(0)));
        assertCoalesced(1, train.subList(3, 5), MSS);
        assertEquals(ACK, tcpFlags(tun.packet(1)));
    }

    @Test
    void shouldWritePshSegmentAloneAtOnceWhenNoTrainIsPending()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(false), MSS, MSS, MSS);
        train.set(0, withFlags(train.get(0), ACK | PSH));

        offer(coalescer, train.get(0));
        assertEquals(1, tun.frames.size());
        assertEquals(0, coalescer.pendingSegments());
        offer(coalescer, train.get(1));
        offer(coalescer, train.get(2));
        coalescer.flush();

        assertWrittenAlone(0, train.get(0));
        assertCoalesced(1, train.subList(1, 3), MSS);
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldStartNewTrainAfterASequenceGapOrARetransmission(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(ipv6), MSS, MSS, MSS, MSS, MSS, MSS);
        final List<byte[]> offered = List.of(train.get(0), train.get(1), train.get(3), train.get(4),
            train.get(1), train.get(2));

        offered.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(3, tun.frames.size());
        assertCoalesced(0, offered.subList(0, 2), MSS);
        assertCoalesced(1, offered.subList(2, 4), MSS);
        assertCoalesced(2, offered.subList(4, 6), MSS);
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldJoinAcrossTheSequenceNumberWrap(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(ipv6).seq(0xFFFF_FFFFL - MSS - 10), MSS, MSS, MSS);

        train.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(1, tun.frames.size());
        assertCoalesced(0, train, MSS);
    }

    static Stream<Arguments> differences()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final boolean ipv6 : new boolean[] {false, true})
        {
            cases.add(Arguments.of("ack", ipv6, (UnaryOperator<TcpPackets.Builder>)b -> b.ack(b.acknowledgement + 1)));
            cases.add(Arguments.of("window", ipv6, (UnaryOperator<TcpPackets.Builder>)b -> b.window(b.window - 1)));
            cases.add(Arguments.of("timestamp", ipv6,
                (UnaryOperator<TcpPackets.Builder>)b -> b.options(timestamps(0x11223345L, 0x55667788L))));
            cases.add(Arguments.of("no options", ipv6,
                (UnaryOperator<TcpPackets.Builder>)b -> b.options(new byte[0])));
            cases.add(Arguments.of("ttl/hop limit", ipv6, (UnaryOperator<TcpPackets.Builder>)b -> b.ttl(63)));
            cases.add(Arguments.of("tos/traffic class", ipv6, (UnaryOperator<TcpPackets.Builder>)b -> b.tos(0x10)));
            cases.add(Arguments.of("ecn bits", ipv6, (UnaryOperator<TcpPackets.Builder>)b -> b.tos(0x01)));
            cases.add(Arguments.of("source port", ipv6,
                (UnaryOperator<TcpPackets.Builder>)b -> b.ports(b.sourcePort + 1, b.destinationPort)));
            cases.add(Arguments.of("destination port", ipv6,
                (UnaryOperator<TcpPackets.Builder>)b -> b.ports(b.sourcePort, b.destinationPort + 1)));
            cases.add(Arguments.of("source address", ipv6, (UnaryOperator<TcpPackets.Builder>)b -> b.addresses(
                otherAddress(ipv6 ? TcpPackets.V6_SRC : TcpPackets.V4_SRC), null)));
            cases.add(Arguments.of("destination address", ipv6, (UnaryOperator<TcpPackets.Builder>)b -> b.addresses(
                null, otherAddress(ipv6 ? TcpPackets.V6_DST : TcpPackets.V4_DST))));
        }
        cases.add(Arguments.of("flow label", true, (UnaryOperator<TcpPackets.Builder>)b -> b.flowLabel(0xABCDE)));
        cases.add(Arguments.of("DF", false, (UnaryOperator<TcpPackets.Builder>)b ->
        {
            b.fragmentField = 0;
            return b;
        }));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} ipv6={1}")
    @MethodSource("differences")
    void shouldStartNewTrainWhenAHeaderFieldDiffers(
        final String field, final boolean ipv6, final UnaryOperator<TcpPackets.Builder> change)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final TcpPackets.Builder first = base(ipv6);
        first.flowLabel = ipv6 ? 0x12345 : 0;
        final List<byte[]> a = train(first, MSS, MSS);
        final List<byte[]> b = train(change.apply(first.copy()).seq(first.sequence + 2 * MSS).id(first.id + 2),
            MSS, MSS);

        a.forEach(p -> offer(coalescer, p));
        b.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(2, tun.frames.size(), field);
        assertCoalesced(0, a, MSS);
        assertCoalesced(1, b, MSS);
    }

    @ParameterizedTest(name = "flags={0}")
    @ValueSource(ints = {ACK | ECE, ACK | CWR, ACK | 0x20, ACK | FIN, ACK | RST, ACK | SYN, 0, PSH})
    void shouldWriteSegmentsWithOtherFlagsAlone(final int flags)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(false).flags(flags), MSS, MSS, MSS);

        train.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(3, tun.frames.size());
        for (int i = 0; i < 3; i++)
        {
            assertWrittenAlone(i, train.get(i));
        }
    }

    @Test
    void shouldStartNewTrainForABiggerSegmentAndEndTheTrainAfterAShorterOne()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(false), 1000, 1000, MSS, MSS, 999, 1000, 1000);

        train.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(3, tun.frames.size());
        assertCoalesced(0, train.subList(0, 2), 1000);
        assertCoalesced(1, train.subList(2, 5), MSS);
        assertCoalesced(2, train.subList(5, 7), 1000);
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void shouldNeverBuildAPacketAbove64KiB(final boolean ipv6)
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final int[] sizes = new int[60];
        Arrays.fill(sizes, MSS);
        final List<byte[]> train = train(base(ipv6), sizes);
        final int headers = headersLength(train.get(0));
        final int fit = (TunWriter.MAX_PACKET_LENGTH - headers) / MSS;
        assertEquals(45, fit);

        train.forEach(p -> offer(coalescer, p));
        assertEquals(1, tun.frames.size(), "written as soon as another segment would not fit");
        coalescer.flush();

        assertEquals(2, tun.frames.size());
        assertCoalesced(0, train.subList(0, fit), MSS);
        assertCoalesced(1, train.subList(fit, 60), MSS);
        for (final byte[] frame : tun.frames)
        {
            assertTrue(frame.length - HEADER <= TunWriter.MAX_PACKET_LENGTH);
        }
        assertEquals(60, tun.segments.get());
    }

    @Test
    void shouldFillExactlyToTheLimit()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        // IPv4 + TCP without options: 40 bytes of headers, 65495 = 5 * 13099 bytes of payload
        final TcpPackets.Builder builder = base(false).options(new byte[0]);
        final List<byte[]> train = train(builder, 13099, 13099, 13099, 13099, 13099, 13099);

        train.forEach(p -> offer(coalescer, p));
        coalescer.flush();

        assertEquals(2, tun.frames.size());
        assertEquals(TunWriter.MAX_PACKET_LENGTH, tun.packet(0).length);
        assertCoalesced(0, train.subList(0, 5), 13099);
        assertWrittenAlone(1, train.get(5));
    }

    @Test
    void shouldWriteFramesWithoutHeaderAndNeverCoalesceWhenVnetHeaderLengthIsZero()
    {
        final TunWriter coalescer = tun.coalescer(0, true);
        final List<byte[]> train = train(base(false), MSS, MSS, MSS, 100);

        train.forEach(p -> offer(coalescer, p));
        assertEquals(4, tun.frames.size(), "each written at once");
        assertEquals(0, coalescer.pendingSegments());
        coalescer.flush();

        assertEquals(4, tun.frames.size());
        for (int i = 0; i < 4; i++)
        {
            assertArrayEquals(train.get(i), tun.frame(i));
        }
        assertEquals(0, tun.packets.get());
    }

    @Test
    void shouldWriteEveryPacketAloneWithEmptyHeaderWhenDisabled()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, false);
        final List<byte[]> train = train(base(true), MSS, MSS, MSS);

        train.forEach(p -> offer(coalescer, p));
        assertEquals(3, tun.frames.size());
        coalescer.flush();

        for (int i = 0; i < 3; i++)
        {
            assertWrittenAlone(i, train.get(i));
        }
        assertEquals(0, tun.packets.get());
    }

    @ParameterizedTest(name = "directCounters={0}")
    @ValueSource(booleans = {false, true})
    void shouldCountFailedWrites(final boolean direct)
    {
        tun = new TunFrames(direct);
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final List<byte[]> train = train(base(false), MSS, MSS, MSS, MSS, MSS);
        final byte[] udp = OffloadChecksumTest.udp(false, bytes(10));

        tun.failNext = 2;
        offer(coalescer, train.get(0));
        offer(coalescer, train.get(1));
        offer(coalescer, train.get(2));
        offer(coalescer, udp); // the train's write fails, then this one's
        offer(coalescer, train.get(3));
        offer(coalescer, train.get(4));
        coalescer.flush();

        assertEquals(2, tun.errors.get());
        assertEquals(1, tun.frames.size());
        assertCoalesced(0, train.subList(3, 5), MSS);
        assertEquals(1, tun.packets.get(), "only the written train counts");
        assertEquals(2, tun.segments.get());
    }

    @Test
    void shouldCountAPacketTooBigToWriteAsAnErrorWithoutWritingIt()
    {
        final TunWriter coalescer = tun.coalescer(HEADER, true);
        final UnsafeBuffer big = new UnsafeBuffer(new byte[TunWriter.MAX_PACKET_LENGTH + 1]);
        big.putByte(0, (byte)0x60); // IPv6 with a payload length the buffer cannot match

        coalescer.offer(big, 0, big.capacity());

        assertEquals(1, tun.errors.get());
        assertEquals(0, tun.frames.size());
    }

    @Test
    void shouldRejectHeaderLengthOtherThanZeroOrTen()
    {
        assertThrows(IllegalArgumentException.class, () -> tun.coalescer(12, true));
        assertThrows(IllegalArgumentException.class, () -> tun.coalescer(1, false));
    }

    // ------------------------------------------------------------------ helpers

    private byte[] bytes(final int length)
    {
        return TcpPackets.randomBytes(random, length);
    }

    private static TcpPackets.Builder base(final boolean ipv6)
    {
        return tcp().ipv6(ipv6).seq(3_000_000_000L).ack(123_456_789L).window(1234).id(0xFFF0)
            .options(timestamps(0x11223344L, 0x55667788L));
    }

    private static byte[] otherAddress(final byte[] address)
    {
        final byte[] other = address.clone();
        other[other.length - 1] += 10;
        return other;
    }

    /** Consecutive segments of {@code base}'s flow: sequence numbers and IPv4 ids following on. */
    private List<byte[]> train(final TcpPackets.Builder base, final int... sizes)
    {
        final List<byte[]> packets = new ArrayList<>();
        long sequence = base.sequence;
        int id = base.id;
        for (final int size : sizes)
        {
            packets.add(base.copy().seq(sequence).id(id & 0xFFFF).payload(bytes(size)).build());
            sequence += size;
            id++;
        }
        return packets;
    }

    private static byte[] withFlags(final byte[] packet, final int flags)
    {
        final byte[] p = packet.clone();
        p[transportOffset(p) + 13] = (byte)flags;
        TcpPackets.putShort(p, transportOffset(p) + 16, TcpPackets.referenceTransportChecksum(p, 6, 16));
        return p;
    }

    private void offer(final TunWriter coalescer, final byte[] packet)
    {
        input.setMemory(0, input.capacity(), (byte)0x3C);
        input.putBytes(INPUT_OFFSET, packet);
        coalescer.offer(input, INPUT_OFFSET, packet.length);
    }

    private void assertWrittenAlone(final int frame, final byte[] packet)
    {
        assertArrayEquals(TcpPackets.concat(new byte[HEADER], packet), tun.frame(frame), "frame " + frame);
    }

    /**
     * Frame {@code index} is the GSO packet the kernel's GRO would build of {@code segments}: the first one's
     * headers with the lengths (and IPv4 header checksum) of the whole, PSH if the last had it, the partial TCP
     * checksum, the payloads one after the other, and a virtio-net header describing it.
     */
    private void assertCoalesced(final int index, final List<byte[]> segments, final int mss)
    {
        final String what = "frame " + index;
        final byte[] first = segments.get(0);
        final boolean ipv6 = TcpPackets.version(first) == 6;
        final int ipHeader = transportOffset(first);
        final int headers = headersLength(first);
        final UnsafeBuffer header = tun.header(index);
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.flags(header, 0), what);
        assertEquals(ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.gsoType(header, 0));
        assertEquals(headers, VirtioNetHeader.hdrLen(header, 0), what + " hdr_len");
        assertEquals(mss, VirtioNetHeader.gsoSize(header, 0), what + " gso_size");
        assertEquals(ipHeader, VirtioNetHeader.csumStart(header, 0), what + " csum_start");
        assertEquals(16, VirtioNetHeader.csumOffset(header, 0), what + " csum_offset");

        final byte[] packet = tun.packet(index);
        final byte[][] payloads = segments.stream().map(TcpPackets::payload).toArray(byte[][]::new);
        final byte[] payload = TcpPackets.concat(payloads);
        assertEquals(headers + payload.length, packet.length, what);
        assertArrayEquals(payload, payload(packet), what + " payload");
        if (ipv6)
        {
            assertEquals(packet.length - 40, ipv6PayloadLength(packet), what);
        }
        else
        {
            assertEquals(packet.length, ipv4TotalLength(packet), what);
            assertEquals(ipv4Id(first), ipv4Id(packet), what);
            assertTrue(ipv4HeaderChecksumValid(packet), what + " IPv4 header checksum");
        }
        for (int k = 0; k < headers; k++)
        {
            final boolean length = ipv6 ? k == 4 || k == 5 : k == 2 || k == 3 || k == 10 || k == 11;
            if (!length && k != ipHeader + 13 && k != ipHeader + 16 && k != ipHeader + 17)
            {
                assertEquals(first[k], packet[k], what + " header byte " + k);
            }
        }
        final int lastFlags = tcpFlags(segments.get(segments.size() - 1));
        assertEquals(tcpFlags(first) | (lastFlags & PSH), tcpFlags(packet), what + " flags");

        assertEquals(referencePseudoHeader(packet, 6), tcpChecksumField(packet), what + " partial checksum");
        // what the kernel does with NEEDS_CSUM: sum from csum_start to the end, complement, store
        final byte[] completed = packet.clone();
        final int sum = referenceSum(completed, ipHeader, completed.length - ipHeader, 0);
        TcpPackets.putShort(completed, ipHeader + 16, ~sum & 0xFFFF);
        assertTrue(tcpChecksumValid(completed), what + " completed checksum verifies");
        final UnsafeBuffer frame = new UnsafeBuffer(tun.frame(index).clone());
        VirtioNetHeader.completePartialChecksum(frame, HEADER + VirtioNetHeader.csumStart(frame, 0), frame.capacity(),
            VirtioNetHeader.csumOffset(frame, 0));
        assertEquals(TcpPackets.getShort(completed, ipHeader + 16) & 0xFFFF,
            frame.getShort(HEADER + ipHeader + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF, what);
    }
}
