package org.esp4j.core.pcap;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Buffered input that counts the bytes consumed, so every error can name its file offset.
 * <p>
 * A record or block declares its own length, which a corrupt or hostile file can set to anything up to 4 GiB.
 * {@link #readRecord} therefore never allocates a declared length up front: it reads no more than the file has left
 * (when its size is known) and grows the buffer only as bytes actually arrive, so a 40-byte file declaring a
 * 256 MiB record costs kilobytes and ends in a "truncated" error, not an {@link OutOfMemoryError}.
 */
final class CaptureInput implements AutoCloseable
{
    private static final int BUFFER_SIZE_BYTES = 64 * 1024;
    /** Most the record buffer grows beyond the bytes read so far, while a declared length is being read. */
    static final int GROWTH_STEP_BYTES = 1024 * 1024;
    /** {@link #sizeBytes} of a stream whose size is not known. */
    static final long UNKNOWN_SIZE = -1;

    private final InputStream in;
    private final String name;
    private final long sizeBytes;
    private long offset;

    /**
     * @param sizeBytes size of the whole file, or {@link #UNKNOWN_SIZE} (a pipe, a stream).
     */
    CaptureInput(final InputStream in, final String name, final long sizeBytes)
    {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, BUFFER_SIZE_BYTES);
        this.name = name;
        this.sizeBytes = sizeBytes;
    }

    String name()
    {
        return name;
    }

    /**
     * @return offset of the next byte to be read, from the start of the file.
     */
    long offset()
    {
        return offset;
    }

    /**
     * Reads up to length bytes, fewer only at end of file.
     *
     * @return number of bytes read, 0 at end of file.
     */
    int read(final byte[] destination, final int destinationOffset, final int length) throws IOException
    {
        final int count = in.readNBytes(destination, destinationOffset, length);
        offset += count;
        return count;
    }

    /**
     * Reads a record or block body of a declared length into the frame's record buffer at recordOffset, growing
     * that buffer only as bytes arrive (see the class comment).
     *
     * @return number of bytes read: length, or fewer if the file ends first.
     */
    int readRecord(final PcapFrame frame, final int recordOffset, final int length) throws IOException
    {
        final long left = UNKNOWN_SIZE == sizeBytes ? Long.MAX_VALUE : Math.max(0, sizeBytes - offset);
        final int wanted = (int)Math.min(length, left);
        int total = 0;
        while (total < wanted)
        {
            final int chunk = Math.min(wanted - total, GROWTH_STEP_BYTES);
            final byte[] record = frame.recordWithCapacity(recordOffset + total + chunk);
            final int count = read(record, recordOffset + total, chunk);
            total += count;
            if (count < chunk)
            {
                break;
            }
        }
        return total;
    }

    public void close() throws IOException
    {
        in.close();
    }
}
