package org.esp4j.core.pcap;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Buffered input that counts the bytes consumed, so every error can name its file offset.
 */
final class CaptureInput implements AutoCloseable
{
    private static final int BUFFER_SIZE_BYTES = 64 * 1024;

    private final InputStream in;
    private final String name;
    private long offset;

    CaptureInput(final InputStream in, final String name)
    {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, BUFFER_SIZE_BYTES);
        this.name = name;
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

    public void close() throws IOException
    {
        in.close();
    }
}
