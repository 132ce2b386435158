package org.esp4j.core.pcap;

import org.esp4j.core.testutil.ByteArrayBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcapMalformedInputTest
{
    private static final String NAME = "capture.pcap";

    @Test
    void shouldRejectEmptyFile()
    {
        assertEquals("capture.pcap: at offset 0: not a pcap or pcapng file (only 0 bytes)",
            openFails(new byte[0]).getMessage());
    }

    @Test
    void shouldRejectUnknownMagic()
    {
        final byte[] text = "GET / HTTP/1.1\r\n".getBytes();

        assertEquals("capture.pcap: at offset 0: not a pcap or pcapng file (magic 0x47455420)",
            openFails(text).getMessage());
    }

    @Test
    void shouldRejectTruncatedPcapFileHeader()
    {
        final byte[] header = pcapHeader(ByteOrder.LITTLE_ENDIAN, 65535).toByteArray();

        assertEquals("capture.pcap: at offset 10: truncated pcap file header: 10 of 24 bytes",
            openFails(Arrays.copyOf(header, 10)).getMessage());
    }

    @Test
    void shouldRejectUnsupportedPcapVersion()
    {
        final byte[] header = new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .u32(0xA1B2C3D4L).u16(1).u16(0).u32(0).u32(0).u32(65535).u32(1).toByteArray();

        assertEquals("capture.pcap: at offset 4: unsupported pcap major version 1", openFails(header).getMessage());
    }

    @Test
    void shouldRejectCapturedLengthBeyondSnaplen()
    {
        final byte[] capture = pcapHeader(ByteOrder.LITTLE_ENDIAN, 65535)
            .u32(1).u32(0).u32(70000).u32(70000).zeros(16).toByteArray();

        assertEquals("capture.pcap: frame 1 at offset 24: captured length 70000 exceeds snaplen 65535",
            nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectHugeCapturedLengthWhenSnaplenIsZero()
    {
        final byte[] capture = pcapHeader(ByteOrder.BIG_ENDIAN, 0)
            .u32(1).u32(0).u32(0xFFFF_FFF0L).u32(20).toByteArray();

        assertEquals("capture.pcap: frame 1 at offset 24: captured length 4294967280 exceeds limit 268435456",
            nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectTruncatedLastRecord()
    {
        final byte[] capture = pcapHeader(ByteOrder.LITTLE_ENDIAN, 65535)
            .u32(1).u32(0).u32(4).u32(4).hex("45000014")
            .u32(2).u32(0).u32(20).u32(20).hex("4500001400")
            .toByteArray();

        assertEquals("capture.pcap: frame 2 at offset 44: truncated record: captured length 20 but only 5 bytes "
            + "left in file", nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectTruncatedRecordHeader()
    {
        final byte[] capture = pcapHeader(ByteOrder.LITTLE_ENDIAN, 65535).u32(1).u16(0).toByteArray();

        assertEquals("capture.pcap: frame 1 at offset 24: truncated record header: 6 of 16 bytes",
            nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectBadByteOrderMagic()
    {
        final byte[] capture = new ByteArrayBuilder(ByteOrder.LITTLE_ENDIAN)
            .u32(0x0A0D0D0A).u32(28).u32(0x11223344).u16(1).u16(0).u64(-1).u32(28).toByteArray();

        assertEquals("capture.pcap: block type 0x0a0d0d0a at offset 0: bad byte-order magic 0x44332211",
            openFails(capture).getMessage());
    }

    @Test
    void shouldRejectUnsupportedPcapNgVersion()
    {
        final byte[] capture = new ByteArrayBuilder(ByteOrder.BIG_ENDIAN)
            .u32(0x0A0D0D0A).u32(28).u32(0x1A2B3C4D).u16(2).u16(0).u64(-1).u32(28).toByteArray();

        assertEquals("capture.pcap: block type 0x0a0d0d0a at offset 0: unsupported pcapng major version 2",
            openFails(capture).getMessage());
    }

    @Test
    void shouldRejectBlockLengthNotMultipleOfFour()
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .raw(new ByteArrayBuilder(ByteOrder.LITTLE_ENDIAN).u32(1).u32(22).zeros(14).toByteArray())
            .toByteArray();

        assertEquals("capture.pcap: block type 0x00000001 at offset 28: bad block total length 22 "
            + "(must be a multiple of 4, at least 20, at most 268435456)", nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectMismatchedTrailingBlockLength()
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.BIG_ENDIAN)
            .sectionHeader(ByteOrder.BIG_ENDIAN)
            .raw(new ByteArrayBuilder(ByteOrder.BIG_ENDIAN).u32(0xBAD).u32(16).u32(0).u32(20).toByteArray())
            .toByteArray();

        assertEquals("capture.pcap: block type 0x00000bad at offset 28: trailing block total length 20 differs "
            + "from leading 16", nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectTruncatedLastBlock()
    {
        final byte[] whole = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .enhancedPacket(0, 1, Packets.IPV4)
            .toByteArray();
        final byte[] capture = Arrays.copyOf(whole, whole.length - 6);

        assertEquals("capture.pcap: block type 0x00000006 at offset 48: truncated block: total length 60 but only "
            + "54 bytes left in file (frame 1)", nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectTruncatedBlockHeader()
    {
        final byte[] whole = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .raw(new byte[]{6, 0, 0})
            .toByteArray();

        assertEquals("capture.pcap: at offset 28: truncated block header: 3 of 8 bytes",
            nextFails(whole).getMessage());
    }

    @Test
    void shouldRejectPacketForUndescribedInterface()
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .enhancedPacket(1, 1, Packets.IPV4)
            .toByteArray();

        assertEquals("capture.pcap: frame 1 at offset 48: enhanced packet block for interface 1 but the section "
            + "describes 1", nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectCapturedLengthBeyondBlock()
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .raw(new ByteArrayBuilder(ByteOrder.LITTLE_ENDIAN)
                .u32(6).u32(36).u32(0).u32(0).u32(0).u32(100).u32(100).hex("45000014").u32(36).toByteArray())
            .toByteArray();

        assertEquals("capture.pcap: frame 1 at offset 48: captured length 100 exceeds the block's room of 4 bytes",
            nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectSimplePacketWithoutInterface()
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .simplePacket(20, Arrays.copyOf(Packets.IPV4, 20))
            .toByteArray();

        assertEquals("capture.pcap: frame 1 at offset 28: simple packet block but the section describes no "
            + "interface", nextFails(capture).getMessage());
    }

    @Test
    void shouldRejectInterfaceOptionOverrunningBlock()
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0,
                new ByteArrayBuilder(ByteOrder.LITTLE_ENDIAN).u16(9).u16(40).u32(0).toByteArray())
            .toByteArray();

        assertEquals("capture.pcap: block type 0x00000001 at offset 28: option 9 of length 40 overruns the block",
            nextFails(capture).getMessage());
    }

    @Test
    void shouldNameFileOpenedFromPath(@TempDir final Path directory) throws IOException
    {
        final Path file = directory.resolve("broken.pcap");
        Files.write(file, pcapHeader(ByteOrder.LITTLE_ENDIAN, 65535).u32(1).toByteArray());

        try (PcapReader reader = new PcapReader(file))
        {
            final PcapFormatException ex = assertThrows(PcapFormatException.class, () -> reader.next(new PcapFrame()));
            assertEquals("broken.pcap: frame 1 at offset 24: truncated record header: 4 of 16 bytes", ex.getMessage());
        }
    }

    @Test
    void shouldRefuseToReplaceNetworkLayerOfNonIpFrame() throws IOException
    {
        final byte[] arp = Packets.ethernet(new byte[28], 0x0806);
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .pcapHeader(false, 65535, LinkType.ETHERNET)
            .pcapRecord(1, 0, arp)
            .toByteArray();

        try (PcapReader reader = new PcapReader(new ByteArrayInputStream(capture), NAME))
        {
            final PcapFrame frame = new PcapFrame();
            assertTrue(reader.next(frame));
            assertEquals(-1, frame.networkOffset());
            assertThrows(IllegalStateException.class, () -> frame.replaceNetworkLayer(Packets.IPV4, 0, 20));
            assertFalse(reader.next(frame));
        }
    }

    @Test
    void shouldNotAllocateDeclaredLengthOfTruncatedPcapRecord(@TempDir final Path directory) throws IOException
    {
        // the 40-byte file of issue 15: a file header and one record header declaring 256 MiB, and nothing more
        final byte[] capture = pcapHeader(ByteOrder.LITTLE_ENDIAN, 0xFFFF_FFFFL)
            .u32(1).u32(0).u32(ClassicPcapDecoder.MAX_CAPTURED_LENGTH).u32(64).toByteArray();
        assertEquals(40, capture.length);
        final String expected = "capture.pcap: frame 1 at offset 24: truncated record: captured length 268435456 " +
            "but only 0 bytes left in file";

        assertFailsWithoutAllocatingDeclaredLength(capture, expected, directory);
    }

    @Test
    void shouldNotAllocateDeclaredLengthOfTruncatedPcapNgBlock(@TempDir final Path directory) throws IOException
    {
        final byte[] capture = new CaptureFileBuilder(ByteOrder.LITTLE_ENDIAN)
            .sectionHeader(ByteOrder.LITTLE_ENDIAN)
            .interfaceDescription(LinkType.RAW, 0, new byte[0])
            .raw(new ByteArrayBuilder(ByteOrder.LITTLE_ENDIAN).u32(6).u32(PcapNgDecoder.MAX_BLOCK_LENGTH).u32(0)
                .toByteArray())
            .toByteArray();
        final String expected = "capture.pcap: block type 0x00000006 at offset 48: truncated block: total length " +
            "268435456 but only 12 bytes left in file (frame 1)";

        assertFailsWithoutAllocatingDeclaredLength(capture, expected, directory);
    }

    @Test
    void shouldNotAllocateDeclaredLengthOfTruncatedSectionHeader(@TempDir final Path directory) throws IOException
    {
        final byte[] capture = new ByteArrayBuilder(ByteOrder.LITTLE_ENDIAN)
            .u32(0x0A0D0D0A).u32(PcapNgDecoder.MAX_BLOCK_LENGTH).u32(0x1A2B3C4D).u16(1).u16(0).toByteArray();
        final String expected = "capture.pcap: block type 0x0a0d0d0a at offset 0: truncated block: total length " +
            "268435456 but only 16 bytes left in file";

        assertFailsWithoutAllocatingDeclaredLength(capture, expected, directory);
    }

    /**
     * Reads the capture from a stream (size unknown) and from a file (size known): both fail with the expected
     * message, and neither allocates more than a small fraction of the declared 256 MiB.
     */
    private static void assertFailsWithoutAllocatingDeclaredLength(
        final byte[] capture, final String expected, final Path directory) throws IOException
    {
        final long limitBytes = 4L * CaptureInput.GROWTH_STEP_BYTES;
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();

        long before = threads.getCurrentThreadAllocatedBytes();
        assertEquals(expected, readFails(() -> new PcapReader(new ByteArrayInputStream(capture), NAME)).getMessage());
        final long fromStream = threads.getCurrentThreadAllocatedBytes() - before;

        final Path file = directory.resolve(NAME);
        Files.write(file, capture);
        before = threads.getCurrentThreadAllocatedBytes();
        assertEquals(expected, readFails(() -> new PcapReader(file)).getMessage());
        final long fromFile = threads.getCurrentThreadAllocatedBytes() - before;

        assertTrue(fromStream < limitBytes, "allocated " + fromStream + " bytes reading a stream");
        assertTrue(fromFile < limitBytes, "allocated " + fromFile + " bytes reading a file");
    }

    private interface ReaderOpener
    {
        PcapReader open() throws IOException;
    }

    private static PcapFormatException readFails(final ReaderOpener opener)
    {
        return assertThrows(PcapFormatException.class, () ->
        {
            try (PcapReader reader = opener.open())
            {
                final PcapFrame frame = new PcapFrame();
                while (reader.next(frame))
                {
                    // read until the error
                }
            }
        });
    }

    private static ByteArrayBuilder pcapHeader(final ByteOrder order, final long snapLength)
    {
        return new ByteArrayBuilder(order).u32(0xA1B2C3D4L).u16(2).u16(4).u32(0).u32(0).u32(snapLength).u32(101);
    }

    private static PcapFormatException openFails(final byte[] capture)
    {
        return assertThrows(PcapFormatException.class,
            () -> new PcapReader(new ByteArrayInputStream(capture), NAME).close());
    }

    private static PcapFormatException nextFails(final byte[] capture)
    {
        return readFails(() -> new PcapReader(new ByteArrayInputStream(capture), NAME));
    }
}
