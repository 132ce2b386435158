package org.esp4j.core.pcap;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;

import static org.esp4j.core.pcap.ByteOrderAccess.alignTo4;
import static org.esp4j.core.pcap.ByteOrderAccess.getUnsignedShort;
import static org.esp4j.core.pcap.ByteOrderAccess.putInt;
import static org.esp4j.core.pcap.ByteOrderAccess.putShort;

/**
 * Writes frames read by a {@link PcapReader} back out in the reader's format, so the offline tool can emit a
 * decrypted copy of a capture that opens like the original.
 * <ul>
 *     <li>pcap: the input's 24-byte file header as read (same magic, byte order, timestamp resolution, snaplen,
 *     linktype), then one record per written frame.</li>
 *     <li>pcapng: the current Section Header Block (with its section length set to -1, "not specified", since the
 *     lengths may change) and the Interface Description Blocks read so far; every later block the reader does
 *     not return as a frame (new sections, IDBs, name resolution, statistics, obsolete packet blocks, unknown
 *     types) is copied in its place, i.e. before the frame that followed it in the input.</li>
 * </ul>
 * A frame whose bytes and length are unchanged is written as the exact bytes of its input record or block.
 * A changed frame is re-encoded in its section's byte order with the original timestamp and with captured and
 * original length both set to the new length: a pcap record; an Enhanced Packet Block keeping interface and
 * options (except epb_hash, which would no longer match); a Simple Packet Block becomes an Enhanced Packet Block
 * on interface 0 with timestamp 0, since SPBs cannot carry more than the snaplen of interface 0.
 * <p>
 * Not thread-safe.
 */
public final class PcapWriter implements AutoCloseable
{
    private static final byte[] ZERO_PADDING = new byte[4];
    private static final int SECTION_LENGTH_UNSPECIFIED_BYTE = 0xFF;

    private final OutputStream out;
    private final CaptureFormat format;
    private final ArrayDeque<PendingBlock> pendingBlocks = new ArrayDeque<>();
    private final byte[] header = new byte[PcapNgDecoder.EPB_DATA_OFFSET];
    private byte[] options = new byte[256];
    private long framesWritten;

    private PcapWriter(final OutputStream out, final CaptureFormat format)
    {
        this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(out, 64 * 1024);
        this.format = format;
    }

    /**
     * @param reader the input whose format to copy; from now on it hands its non-packet blocks to this writer.
     * @param out    destination; closed by {@link #close()}.
     * @return a writer that has already written the file header (pcap) or SHB and IDBs (pcapng).
     * @throws IllegalStateException if another writer is attached to the reader.
     */
    public static PcapWriter likeInput(final PcapReader reader, final OutputStream out) throws IOException
    {
        final PcapWriter writer = new PcapWriter(out, reader.format());
        if (CaptureFormat.PCAP == reader.format())
        {
            writer.out.write(((ClassicPcapDecoder)reader.decoder()).fileHeader());
        }
        else
        {
            final PcapNgDecoder decoder = (PcapNgDecoder)reader.decoder();
            final byte[] sectionHeader = decoder.sectionHeader();
            writer.out.write(withUnspecifiedSectionLength(sectionHeader, sectionHeader.length));
            for (final byte[] interfaceDescription : decoder.interfaceDescriptions())
            {
                writer.out.write(interfaceDescription);
            }
        }
        reader.attachWriter(writer::onNonPacketBlock);
        return writer;
    }

    /**
     * @param reader the input whose format to copy.
     * @param path   destination file, created or truncated.
     * @return see {@link #likeInput(PcapReader, OutputStream)}.
     */
    public static PcapWriter likeInput(final PcapReader reader, final Path path) throws IOException
    {
        final OutputStream out = Files.newOutputStream(path);
        try
        {
            return likeInput(reader, out);
        }
        catch (final IOException | RuntimeException ex)
        {
            out.close();
            throw ex;
        }
    }

    /**
     * Writes the frame's current bytes: verbatim if unchanged since it was read, re-encoded otherwise.
     *
     * @param frame a frame filled by the reader this writer copies.
     * @throws IllegalArgumentException if the frame was not read from a file of this writer's format, or a pcap
     *                                  frame grew beyond the file's snaplen.
     */
    public void write(final PcapFrame frame) throws IOException
    {
        checkFrameFormat(frame);
        writePendingBlocksUpTo(frame.frameNumber());

        if (frame.isUnchanged())
        {
            out.write(frame.record, 0, frame.recordLength);
        }
        else if (PcapFrame.KIND_PCAP_RECORD == frame.kind)
        {
            writePcapRecord(frame);
        }
        else
        {
            writeEnhancedPacketBlock(frame);
        }
        framesWritten++;
    }

    /**
     * @return number of frames written so far.
     */
    public long framesWritten()
    {
        return framesWritten;
    }

    /**
     * Writes the non-packet blocks read so far and flushes the stream.
     */
    public void flush() throws IOException
    {
        writePendingBlocksUpTo(Long.MAX_VALUE);
        out.flush();
    }

    /**
     * Flushes (including trailing non-packet blocks the reader has passed) and closes the output stream.
     */
    public void close() throws IOException
    {
        try
        {
            flush();
        }
        finally
        {
            out.close();
        }
    }

    private void onNonPacketBlock(final byte[] block, final int length, final int blockType, final long nextFrame)
    {
        final byte[] copy = PcapNgDecoder.SECTION_HEADER_BLOCK == blockType ?
            withUnspecifiedSectionLength(block, length) : Arrays.copyOf(block, length);
        pendingBlocks.addLast(new PendingBlock(nextFrame, copy));
    }

    private void writePendingBlocksUpTo(final long frameNumber) throws IOException
    {
        while (!pendingBlocks.isEmpty() && pendingBlocks.peekFirst().nextFrameNumber <= frameNumber)
        {
            out.write(pendingBlocks.pollFirst().bytes);
        }
    }

    private void checkFrameFormat(final PcapFrame frame)
    {
        final boolean isPcapFrame = PcapFrame.KIND_PCAP_RECORD == frame.kind;
        if (PcapFrame.KIND_NONE == frame.kind || isPcapFrame != (CaptureFormat.PCAP == format))
        {
            throw new IllegalArgumentException("frame " + frame.frameNumber() + " was not read from a " + format +
                " file; a writer can only copy frames of its reader's format");
        }
    }

    private void writePcapRecord(final PcapFrame frame) throws IOException
    {
        final int length = frame.length();
        if (0 != frame.snapLength && length > frame.snapLength)
        {
            throw new IllegalArgumentException("frame " + frame.frameNumber() + " of " + length +
                " bytes exceeds the file's snaplen " + frame.snapLength);
        }

        final ByteOrder order = frame.recordByteOrder;
        System.arraycopy(frame.record, 0, header, 0, 8); // timestamp seconds and fraction, as read
        putInt(header, 8, length, order);
        putInt(header, 12, length, order);
        out.write(header, 0, ClassicPcapDecoder.RECORD_HEADER_LENGTH);
        out.write(frame.data(), 0, length);
    }

    private void writeEnhancedPacketBlock(final PcapFrame frame) throws IOException
    {
        final ByteOrder order = frame.recordByteOrder;
        final int length = frame.length();
        final int optionsLength;
        if (PcapFrame.KIND_ENHANCED_PACKET_BLOCK == frame.kind)
        {
            System.arraycopy(frame.record, 8, header, 8, 12); // interface id, timestamp high and low, as read
            optionsLength = copyOptionsExceptHash(frame, order);
        }
        else
        {
            Arrays.fill(header, 8, 20, (byte)0);
            optionsLength = 0;
        }

        final int paddedLength = alignTo4(length);
        final int totalLength = PcapNgDecoder.EPB_FIXED_LENGTH + paddedLength + optionsLength;
        putInt(header, 0, PcapNgDecoder.ENHANCED_PACKET_BLOCK, order);
        putInt(header, 4, totalLength, order);
        putInt(header, 20, length, order);
        putInt(header, 24, length, order);

        out.write(header, 0, PcapNgDecoder.EPB_DATA_OFFSET);
        out.write(frame.data(), 0, length);
        out.write(ZERO_PADDING, 0, paddedLength - length);
        out.write(options, 0, optionsLength);
        putInt(header, 0, totalLength, order);
        out.write(header, 0, 4);
    }

    /** Copies the EPB's options into {@link #options}, dropping epb_hash; returns their length in bytes. */
    private int copyOptionsExceptHash(final PcapFrame frame, final ByteOrder order)
    {
        final byte[] block = frame.record;
        final int optionsEnd = frame.recordLength - PcapNgDecoder.BLOCK_TRAILER_LENGTH;
        int option = PcapNgDecoder.EPB_DATA_OFFSET + alignTo4(frame.capturedLength());
        int copied = 0;
        while (option + 4 <= optionsEnd)
        {
            final int code = getUnsignedShort(block, option, order);
            final int valueLength = getUnsignedShort(block, option + 2, order);
            final int optionLength = 4 + alignTo4(valueLength);
            if (PcapNgDecoder.OPTION_END_OF_OPTIONS == code || option + optionLength > optionsEnd)
            {
                break;
            }
            if (PcapNgDecoder.OPTION_EPB_HASH != code)
            {
                ensureOptionsCapacity(copied + optionLength + 4);
                System.arraycopy(block, option, options, copied, optionLength);
                copied += optionLength;
            }
            option += optionLength;
        }

        if (copied > 0)
        {
            putShort(options, copied, PcapNgDecoder.OPTION_END_OF_OPTIONS, order);
            putShort(options, copied + 2, 0, order);
            copied += 4;
        }
        return copied;
    }

    private void ensureOptionsCapacity(final int capacity)
    {
        if (capacity > options.length)
        {
            options = Arrays.copyOf(options, Math.max(capacity, 2 * options.length));
        }
    }

    private static byte[] withUnspecifiedSectionLength(final byte[] sectionHeader, final int length)
    {
        final byte[] copy = Arrays.copyOf(sectionHeader, length);
        // -1 is all ones in either byte order.
        Arrays.fill(copy, PcapNgDecoder.SHB_SECTION_LENGTH_OFFSET, PcapNgDecoder.SHB_SECTION_LENGTH_OFFSET + 8,
            (byte)SECTION_LENGTH_UNSPECIFIED_BYTE);
        return copy;
    }

    private static final class PendingBlock
    {
        final long nextFrameNumber;
        final byte[] bytes;

        PendingBlock(final long nextFrameNumber, final byte[] bytes)
        {
            this.nextFrameNumber = nextFrameNumber;
            this.bytes = bytes;
        }
    }
}
