package org.esp4j.core.pcap;

import org.esp4j.core.pcap.PcapTestSupport.FrameView;
import org.esp4j.core.testutil.ByteArrayBuilder;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.esp4j.core.pcap.PcapTestSupport.copy;
import static org.esp4j.core.pcap.PcapTestSupport.copyUntouched;
import static org.esp4j.core.pcap.PcapTestSupport.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcapNgTest
{
    private static final int OPT_COMMENT = 1;
    private static final int OPT_EPB_FLAGS = 2;
    private static final int OPT_EPB_HASH = 3;
    private static final int OPT_IF_NAME = 2;
    private static final int OPT_IF_TSRESOL = 9;
    private static final int OPT_IF_TSOFFSET = 14;
    private static final int NAME_RESOLUTION_BLOCK = 4;
    private static final int INTERFACE_STATISTICS_BLOCK = 5;
    private static final int UNKNOWN_BLOCK = 0x0000_0BAD;

    @Test
    void shouldReadLittleEndianSectionWithEnhancedAndSimplePackets() throws IOException
    {
        final CaptureFileBuilder file = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN);
        file.sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.ETHERNET, 0, file.options(OPT_IF_NAME, ascii("eth0")))
            .enhancedPacket(0, 1_700_000_000_123_456L, Packets.ethernet(Packets.IPV4, LinkType.ETHERTYPE_IPV4), 70,
                file.options(OPT_COMMENT, ascii("hello"), OPT_EPB_FLAGS, new byte[]{1, 0, 0, 0}))
            .block(PcapNgDecoder.OBSOLETE_PACKET_BLOCK, new byte[20])
            .block(NAME_RESOLUTION_BLOCK, new byte[4])
            .block(UNKNOWN_BLOCK, ascii("ignore me"))
            .simplePacket(Packets.IPV6.length + 14, Packets.ethernet(Packets.IPV6, LinkType.ETHERTYPE_IPV6))
            .block(INTERFACE_STATISTICS_BLOCK, new byte[12]);
        final byte[] capture = file.toByteArray();

        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), "le.pcapng"))
        {
            assertEquals(CaptureFormat.PCAPNG, reader.format());
            assertEquals(ByteOrder.LITTLE_ENDIAN, reader.byteOrder());
            final PcapFrame frame = new PcapFrame();
            assertTrue(reader.next(frame));
            assertEquals(1, reader.interfaceCount());
            assertEquals(LinkType.ETHERNET, reader.interfaceLinkType(0));
            assertTrue(reader.next(frame));
            assertFalse(reader.next(frame));
        }

        final List<FrameView> frames = readAll(capture);
        assertEquals(2, frames.size());
        final FrameView enhanced = frames.get(0);
        assertEquals(1, enhanced.frameNumber());
        assertEquals(1_700_000_000_123_456_000L, enhanced.timestampNs()); // default if_tsresol: microseconds
        assertEquals(LinkType.ETHERNET, enhanced.linkType());
        assertEquals(14 + Packets.IPV4.length, enhanced.capturedLength());
        assertEquals(70, enhanced.originalLength());
        assertEquals(14, enhanced.networkOffset());
        assertArrayEquals(Packets.ethernet(Packets.IPV4, LinkType.ETHERTYPE_IPV4), enhanced.data());

        final FrameView simple = frames.get(1);
        assertEquals(2, simple.frameNumber());
        assertEquals(0, simple.timestampNs());
        assertEquals(0, simple.interfaceId());
        assertEquals(14, simple.networkOffset());
        assertArrayEquals(Packets.ethernet(Packets.IPV6, LinkType.ETHERTYPE_IPV6), simple.data());

        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldReadBigEndianSectionWithNanosecondResolutionAndOffset() throws IOException
    {
        final CaptureFileBuilder file = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN);
        file.sectionHeader(ByteOrder.BIG_ENDIAN, -1, file.options(OPT_COMMENT, ascii("big")));
        file.interfaceDescription(LinkType.RAW, 65535, file.options(
                OPT_IF_TSRESOL, new byte[]{9}, OPT_IF_TSOFFSET, file.u64Value(1_000)))
            .interfaceDescription(LinkType.LINUX_SLL2, 65535, file.options(OPT_IF_TSRESOL, new byte[]{(byte)0x94}))
            .enhancedPacket(0, 1_700_000_000_123_456_789L, Packets.IPV6)
            .enhancedPacket(1, (5L << 20) | (1L << 19), Packets.linuxCookedV2(LinkType.ETHERTYPE_IPV4, Packets.IPV4));
        final byte[] capture = file.toByteArray();
        assertEquals(0x1A, capture[8]); // byte-order magic as written by a big-endian host

        final List<FrameView> frames = readAll(capture);
        assertEquals(1_700_001_000_123_456_789L, frames.get(0).timestampNs());
        assertEquals(LinkType.RAW, frames.get(0).linkType());
        assertEquals(0, frames.get(0).networkOffset());
        assertEquals(5_500_000_000L, frames.get(1).timestampNs()); // if_tsresol 2^-20 s
        assertEquals(1, frames.get(1).interfaceId());
        assertEquals(LinkType.LINUX_SLL2, frames.get(1).linkType());
        assertEquals(20, frames.get(1).networkOffset());

        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldReadSectionsOfDifferentByteOrderAndNumberFramesAcrossThem() throws IOException
    {
        final CaptureFileBuilder file = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN);
        file.sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.LINUX_SLL, 0, new byte[0])
            .enhancedPacket(0, 1, Packets.linuxCooked(LinkType.ETHERTYPE_IPV4, Packets.IPV4))
            .sectionHeader(ByteOrder.BIG_ENDIAN)
            .interfaceDescription(LinkType.ETHERNET, 0, new byte[0])
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .enhancedPacket(1, 2, Packets.IPV6)
            .enhancedPacket(0, 3, Packets.ethernet(Packets.IPV4, LinkType.ETHERTYPE_QINQ, LinkType.ETHERTYPE_VLAN,
                LinkType.ETHERTYPE_IPV4));
        final byte[] capture = file.toByteArray();

        final List<FrameView> frames = readAll(capture);
        assertEquals(3, frames.size());
        assertEquals(List.of(1L, 2L, 3L), frames.stream().map(FrameView::frameNumber).toList());
        assertEquals(List.of(LinkType.LINUX_SLL, LinkType.RAW, LinkType.ETHERNET),
            frames.stream().map(FrameView::linkType).toList());
        assertEquals(List.of(16, 0, 22), frames.stream().map(FrameView::networkOffset).toList());
        assertEquals(List.of(1_000L, 2_000L, 3_000L), frames.stream().map(FrameView::timestampNs).toList());

        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), "two.pcapng"))
        {
            final PcapFrame frame = new PcapFrame();
            assertTrue(reader.next(frame));
            assertEquals(ByteOrder.LITTLE_ENDIAN, reader.byteOrder());
            assertTrue(reader.next(frame));
            assertEquals(ByteOrder.BIG_ENDIAN, reader.byteOrder());
            assertEquals(2, reader.interfaceCount());
        }

        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldWriteSectionLengthAsUnspecified() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN, 48, new byte[0])
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .toByteArray();

        final byte[] expected = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN, -1, new byte[0])
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .toByteArray();
        assertArrayEquals(expected, copyUntouched(capture));
    }

    @Test
    void shouldRewriteEditedEnhancedPacketKeepingOptionsButHash() throws IOException
    {
        final byte[] ethernet = Packets.ethernet(Packets.IPV6, LinkType.ETHERTYPE_IPV6);
        final CaptureFileBuilder file = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN);
        file.sectionHeader(ByteOrder.BIG_ENDIAN)
            .interfaceDescription(LinkType.ETHERNET, 0, new byte[0])
            .enhancedPacket(0, 0x1_0000_0002L, ethernet, 200, file.options(
                OPT_COMMENT, ascii("esp"), OPT_EPB_HASH, new byte[]{2, 1, 2, 3, 4}, OPT_EPB_FLAGS, new byte[4]))
            .enhancedPacket(0, 0x1_0000_0003L, ethernet);
        final byte[] capture = file.toByteArray();

        final byte[] rewritten = copy(capture, frame ->
        {
            if (1 == frame.frameNumber())
            {
                frame.replaceNetworkLayer(Packets.IPV4, 0, 21); // odd length: needs padding
            }
        });

        final byte[] newEthernet = Arrays.copyOf(ethernet, 14 + 21);
        System.arraycopy(Packets.IPV4, 0, newEthernet, 14, 21);
        final CaptureFileBuilder expected = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN);
        expected.sectionHeader(ByteOrder.BIG_ENDIAN)
            .interfaceDescription(LinkType.ETHERNET, 0, new byte[0])
            .enhancedPacket(0, 0x1_0000_0002L, newEthernet, newEthernet.length, expected.options(
                OPT_COMMENT, ascii("esp"), OPT_EPB_FLAGS, new byte[4]))
            .enhancedPacket(0, 0x1_0000_0003L, ethernet);
        assertArrayEquals(expected.toByteArray(), rewritten);
    }

    @Test
    void shouldRewriteEditedSimplePacketAsEnhancedPacket() throws IOException
    {
        final CaptureFileBuilder file = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN);
        file.sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .simplePacket(Packets.IPV6.length, Packets.IPV6)
            .simplePacket(Packets.IPV4.length, Packets.IPV4);
        final byte[] capture = file.toByteArray();

        final byte[] rewritten = copy(capture, frame ->
        {
            if (1 == frame.frameNumber())
            {
                frame.data()[7] = 1; // hop limit, edited in place
            }
        });

        final byte[] edited = Packets.IPV6.clone();
        edited[7] = 1;
        final byte[] expected = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .enhancedPacket(0, 0, edited)
            .simplePacket(Packets.IPV4.length, Packets.IPV4)
            .toByteArray();
        assertArrayEquals(expected, rewritten);
    }

    @Test
    void shouldCapSimplePacketAtSnaplenOfFirstInterface() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 24, new byte[0])
            .simplePacket(Packets.IPV6.length, Arrays.copyOf(Packets.IPV6, 24))
            .toByteArray();

        final FrameView frame = readAll(capture).get(0);
        assertEquals(24, frame.capturedLength());
        assertEquals(40, frame.originalLength());
        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldCopyBlocksBeforeTheFrameTheyPrecededWhenFramesAreDropped() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .enhancedPacket(0, 1, Packets.IPV4)
            .block(NAME_RESOLUTION_BLOCK, new byte[4])
            .enhancedPacket(0, 2, Packets.IPV6)
            .block(INTERFACE_STATISTICS_BLOCK, new byte[12])
            .toByteArray();

        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), "drop.pcapng");
            PcapWriter writer = PcapWriter.likeInput(reader, out))
        {
            final PcapFrame frame = new PcapFrame();
            while (reader.next(frame))
            {
                if (2 == frame.frameNumber())
                {
                    writer.write(frame);
                }
            }
        }

        final byte[] expected = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .block(NAME_RESOLUTION_BLOCK, new byte[4])
            .enhancedPacket(0, 2, Packets.IPV6)
            .block(INTERFACE_STATISTICS_BLOCK, new byte[12])
            .toByteArray();
        assertArrayEquals(expected, out.toByteArray());
    }

    @Test
    void shouldConvertTimestampResolutionsToNanoseconds()
    {
        assertEquals(1_500_000_000L, PcapNgTimestamps.toNanoseconds(1_500_000, 6));
        assertEquals(1_500_000_000L, PcapNgTimestamps.toNanoseconds(15, 1));
        assertEquals(7, PcapNgTimestamps.toNanoseconds(7, 9));
        assertEquals(1, PcapNgTimestamps.toNanoseconds(1_999, 12));
        assertEquals(3_000_000_000L, PcapNgTimestamps.toNanoseconds(3, 0));
        assertEquals(3_000_000_000L, PcapNgTimestamps.toNanoseconds(3, 0x80));
        assertEquals(1_750_000_000L, PcapNgTimestamps.toNanoseconds(7, 0x82));
        assertEquals(500_000_000L, PcapNgTimestamps.toNanoseconds(1L << 62, 0x80 | 63));
        assertEquals(999_999_999L, PcapNgTimestamps.toNanoseconds((1L << 40) - 1, 0x80 | 40));
    }

    @Test
    void shouldBuildOptionsAsSpecified()
    {
        final CaptureFileBuilder file = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN);
        assertArrayEquals(new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .u16(1).u16(3).hex("616263").u8(0).u16(0).u16(0).toByteArray(), file.options(OPT_COMMENT, ascii("abc")));
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
