package org.esp4j.core.pcap;

import org.esp4j.core.pcap.PcapTestSupport.FrameView;
import org.esp4j.core.text.Hex;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import static org.esp4j.core.pcap.PcapTestSupport.copy;
import static org.esp4j.core.pcap.PcapTestSupport.copyUntouched;
import static org.esp4j.core.pcap.PcapTestSupport.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassicPcapTest
{
    @Test
    void shouldReadBigEndianMicrosecondFile() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN)
            .pcapHeader(false, 262144, LinkType.ETHERNET)
            .pcapRecord(1_700_000_000L, 123_456, Packets.ethernet(Packets.IPV4, LinkType.ETHERTYPE_IPV4))
            .pcapRecord(1_700_000_001L, 999_999, Packets.ethernet(Packets.IPV6, LinkType.ETHERTYPE_IPV6))
            .toByteArray();
        assertEquals("a1b2c3d4", Hex.encode(capture, 0, 4));

        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), "be.pcap"))
        {
            assertEquals(CaptureFormat.PCAP, reader.format());
            assertEquals(ByteOrder.BIG_ENDIAN, reader.byteOrder());
            assertEquals(LinkType.ETHERNET, reader.interfaceLinkType(0));
            assertEquals(262144, reader.interfaceSnapLength(0));
        }

        final List<FrameView> frames = readAll(capture);
        assertEquals(2, frames.size());
        assertEquals(1_700_000_000_123_456_000L, frames.get(0).timestampNs());
        assertEquals(1_700_000_001_999_999_000L, frames.get(1).timestampNs());
        assertEquals(14, frames.get(0).networkOffset());
        assertEquals(14, frames.get(1).networkOffset());
        assertEquals(LinkType.ETHERNET, frames.get(1).linkType());
        assertEquals(2, frames.get(1).frameNumber());
        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldReadLittleEndianNanosecondFile() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(true, 65535, LinkType.RAW)
            .pcapRecord(1_700_000_000L, 123_456_789, Packets.IPV4)
            .toByteArray();
        assertEquals("4d3cb2a1", Hex.encode(capture, 0, 4));

        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), "ns.pcap"))
        {
            assertTrue(reader.nanosecondTimestamps());
            assertEquals(ByteOrder.LITTLE_ENDIAN, reader.byteOrder());
        }
        final List<FrameView> frames = readAll(capture);
        assertEquals(1_700_000_000_123_456_789L, frames.get(0).timestampNs());
        assertEquals(0, frames.get(0).networkOffset());
        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldReadBigEndianNanosecondFile() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN)
            .pcapHeader(true, 65535, LinkType.IPV6)
            .pcapRecord(5, 7, Packets.IPV6)
            .toByteArray();

        final List<FrameView> frames = readAll(capture);
        assertEquals(5_000_000_007L, frames.get(0).timestampNs());
        assertEquals(LinkType.IPV6, frames.get(0).linkType());
        assertEquals(0, frames.get(0).networkOffset());
        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldKeepOriginalLengthOfFrameCutBySnaplen() throws IOException
    {
        final byte[] cut = Arrays.copyOf(Packets.IPV6, 32);
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(false, 32, LinkType.RAW)
            .pcapRecord(1, 2, cut, 1500)
            .toByteArray();

        final FrameView frame = readAll(capture).get(0);
        assertEquals(32, frame.capturedLength());
        assertEquals(1500, frame.originalLength());
        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldTakeLinkTypeFromLowSixteenBitsBesideFcsInformation() throws IOException
    {
        // FCS length 4 announced in bits 28-31 plus the f bit (draft-ietf-opsawg-pcap §4).
        final long linkTypeField = (0x1L << 28) | (1L << 27) | LinkType.ETHERNET;
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(false, 65535, linkTypeField)
            .pcapRecord(1, 2, Packets.ethernet(Packets.IPV4, LinkType.ETHERTYPE_IPV4))
            .toByteArray();

        assertEquals(LinkType.ETHERNET, readAll(capture).get(0).linkType());
        assertArrayEquals(capture, copyUntouched(capture));
    }

    @Test
    void shouldRewriteOnlyEditedFrameKeepingTimestampAndLinkHeader() throws IOException
    {
        final byte[] first = Packets.ethernet(Packets.IPV6, LinkType.ETHERTYPE_VLAN, LinkType.ETHERTYPE_IPV6);
        final byte[] second = Packets.ethernet(Packets.IPV4, LinkType.ETHERTYPE_IPV4);
        final byte[] capture = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN)
            .pcapHeader(false, 65535, LinkType.ETHERNET)
            .pcapRecord(10, 20, first)
            .pcapRecord(11, 21, second)
            .toByteArray();
        final byte[] shorterIpv6 = Arrays.copyOf(Packets.IPV6, 40);
        shorterIpv6[39] = 0x55;

        final byte[] rewritten = copy(capture, frame ->
        {
            if (1 == frame.frameNumber())
            {
                frame.replaceNetworkLayer(shorterIpv6, 0, shorterIpv6.length);
            }
        });

        final byte[] expectedFirst = new byte[18 + 40];
        System.arraycopy(first, 0, expectedFirst, 0, 18);
        System.arraycopy(shorterIpv6, 0, expectedFirst, 18, 40);
        final byte[] expected = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN)
            .pcapHeader(false, 65535, LinkType.ETHERNET)
            .pcapRecord(10, 20, expectedFirst)
            .pcapRecord(11, 21, second)
            .toByteArray();
        assertArrayEquals(expected, rewritten);
    }

    @Test
    void shouldRewriteFrameEditedInPlace() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(false, 65535, LinkType.RAW)
            .pcapRecord(1, 2, Packets.IPV4, 60) // original length differs: a rewritten frame gets the new length
            .toByteArray();

        final byte[] rewritten = copy(capture, frame -> frame.data()[frame.length() - 1] = 0x7F);

        final byte[] edited = Packets.IPV4.clone();
        edited[edited.length - 1] = 0x7F;
        final byte[] expected = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(false, 65535, LinkType.RAW)
            .pcapRecord(1, 2, edited)
            .toByteArray();
        assertArrayEquals(expected, rewritten);
    }

    @Test
    void shouldRefuseToGrowFrameBeyondSnaplen() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(false, 40, LinkType.RAW)
            .pcapRecord(1, 2, Packets.IPV4)
            .toByteArray();

        final byte[] longerThanSnaplen = Arrays.copyOf(Packets.IPV6, 41);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> copy(capture, frame -> frame.replaceNetworkLayer(longerThanSnaplen, 0, longerThanSnaplen.length)));
        assertEquals("frame 1 of 41 bytes exceeds the file's snaplen 40", ex.getMessage());
    }

    @Test
    void shouldRejectFrameFromOtherFormat() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(false, 65535, LinkType.RAW)
            .toByteArray();
        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), "empty.pcap");
            PcapWriter writer = PcapWriter.likeInput(reader, new ByteArrayOutputStream()))
        {
            assertThrows(IllegalArgumentException.class, () -> writer.write(new PcapFrame()));
            assertThrows(IllegalStateException.class,
                () -> PcapWriter.likeInput(reader, new ByteArrayOutputStream()));
        }
    }

    @Test
    void shouldReadHeaderOnlyFileAsEmpty() throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(false, 65535, LinkType.RAW)
            .toByteArray();

        assertEquals(List.of(), readAll(capture));
        assertArrayEquals(capture, copyUntouched(capture));
    }
}
