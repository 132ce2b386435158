package org.esp4j.core.pcap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.esp4j.core.pcap.ByteOrderAccess.getInt;

/**
 * Reads the frames of a classic pcap (draft-ietf-opsawg-pcap) or pcapng (draft-ietf-opsawg-pcapng) file, telling
 * the two apart by the first four bytes:
 * <pre>
 *   a1 b2 c3 d4 / d4 c3 b2 a1   pcap, microsecond timestamps, big- / little-endian
 *   a1 b2 3c 4d / 4d 3c b2 a1   pcap, nanosecond timestamps, big- / little-endian
 *   0a 0d 0d 0a                 pcapng Section Header Block (byte order follows in its byte-order magic)
 * </pre>
 * Usage, with one reusable frame:
 * <pre>{@code
 * try (PcapReader reader = new PcapReader(path))
 * {
 *     final PcapFrame frame = new PcapFrame();
 *     while (reader.next(frame)) { ... frame.data(), frame.networkOffset() ... }
 * }
 * }</pre>
 * Malformed input raises {@link PcapFormatException} naming the file, offset and frame. Not thread-safe.
 */
public final class PcapReader implements AutoCloseable
{
    private final CaptureInput input;
    private final CaptureFormat format;
    private final CaptureDecoder decoder;
    private long framesRead;
    private boolean writerAttached;

    /**
     * @param path capture file; its file name is used in error messages.
     * @throws IOException on I/O errors or if the file is neither pcap nor pcapng.
     */
    public PcapReader(final Path path) throws IOException
    {
        this(Files.newInputStream(path), String.valueOf(path.getFileName()),
            Files.isRegularFile(path) ? Files.size(path) : CaptureInput.UNKNOWN_SIZE);
    }

    /**
     * @param in   capture bytes; closed by {@link #close()}.
     * @param name file name for error messages.
     * @throws IOException on I/O errors or if the stream is neither pcap nor pcapng.
     */
    public PcapReader(final InputStream in, final String name) throws IOException
    {
        this(in, name, CaptureInput.UNKNOWN_SIZE);
    }

    private PcapReader(final InputStream in, final String name, final long sizeBytes) throws IOException
    {
        input = new CaptureInput(in, name, sizeBytes);
        try
        {
            final byte[] magicBytes = new byte[4];
            final int read = input.read(magicBytes, 0, magicBytes.length);
            if (read < magicBytes.length)
            {
                throw PcapFormatException.atFile(name, 0,
                    "not a pcap or pcapng file (only " + read + " bytes)");
            }

            final int magic = getInt(magicBytes, 0, ByteOrder.BIG_ENDIAN);
            if (PcapNgDecoder.SECTION_HEADER_BLOCK == magic)
            {
                format = CaptureFormat.PCAPNG;
                decoder = new PcapNgDecoder(input, magicBytes, new PcapFrame());
            }
            else if (ClassicPcapDecoder.MAGIC_MICROSECONDS == magic || ClassicPcapDecoder.MAGIC_NANOSECONDS == magic)
            {
                format = CaptureFormat.PCAP;
                decoder = new ClassicPcapDecoder(input, magicBytes, ByteOrder.BIG_ENDIAN);
            }
            else if (ClassicPcapDecoder.MAGIC_MICROSECONDS == Integer.reverseBytes(magic) ||
                ClassicPcapDecoder.MAGIC_NANOSECONDS == Integer.reverseBytes(magic))
            {
                format = CaptureFormat.PCAP;
                decoder = new ClassicPcapDecoder(input, magicBytes, ByteOrder.LITTLE_ENDIAN);
            }
            else
            {
                throw PcapFormatException.atFile(name, 0,
                    "not a pcap or pcapng file (magic 0x" + String.format("%08x", magic) + ")");
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            input.close();
            throw ex;
        }
    }

    /**
     * Reads the next frame into the given one, replacing its contents.
     *
     * @param frame reusable frame to fill.
     * @return true if a frame was read, false at the end of the file.
     * @throws PcapFormatException if the file is malformed or ends inside a record or block.
     */
    public boolean next(final PcapFrame frame) throws IOException
    {
        final boolean hasFrame = decoder.next(frame, framesRead + 1);
        if (hasFrame)
        {
            framesRead++;
        }
        return hasFrame;
    }

    /**
     * @return the file name used in error messages.
     */
    public String name()
    {
        return input.name();
    }

    public CaptureFormat format()
    {
        return format;
    }

    /**
     * @return byte order of the file (pcap) or of the current section (pcapng).
     */
    public ByteOrder byteOrder()
    {
        return decoder.byteOrder();
    }

    /**
     * @return number of frames returned so far.
     */
    public long framesRead()
    {
        return framesRead;
    }

    /**
     * @return bytes consumed from the input so far.
     */
    public long bytesRead()
    {
        return input.offset();
    }

    /**
     * @return interfaces known so far: 1 for pcap; the current section's IDBs read so far for pcapng.
     */
    public int interfaceCount()
    {
        return decoder.interfaceCount();
    }

    /**
     * @param interfaceId 0 for pcap; an IDB index of the current section for pcapng.
     * @return LINKTYPE_* of that interface.
     */
    public int interfaceLinkType(final int interfaceId)
    {
        return decoder.interfaceLinkType(interfaceId);
    }

    /**
     * @param interfaceId 0 for pcap; an IDB index of the current section for pcapng.
     * @return snapshot length in bytes, 0 meaning unlimited.
     */
    public long interfaceSnapLength(final int interfaceId)
    {
        return decoder.interfaceSnapLength(interfaceId);
    }

    /**
     * @return whether a pcap file has nanosecond timestamps (magic 0xa1b23c4d); false for pcapng, whose
     * resolution is per interface.
     */
    public boolean nanosecondTimestamps()
    {
        return decoder instanceof ClassicPcapDecoder && ((ClassicPcapDecoder)decoder).nanosecondTimestamps();
    }

    public void close() throws IOException
    {
        input.close();
    }

    CaptureDecoder decoder()
    {
        return decoder;
    }

    void attachWriter(final NonPacketBlockListener listener)
    {
        if (writerAttached)
        {
            throw new IllegalStateException(name() + ": a writer is already attached to this reader");
        }
        writerAttached = true;
        if (decoder instanceof PcapNgDecoder)
        {
            ((PcapNgDecoder)decoder).listener(listener);
        }
    }
}
