package org.esp4j.core.counters;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * A memory-mapped file holding Agrona counters, so {@code esp4j stat} (or any Agrona {@link CountersReader}) can
 * read a running daemon's counters without talking to it, as Aeron's CnC file allows.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Magic "E4JC" (0x45344a43)                 |
 *  +---------------------------------------------------------------+
 *  |                          Version (1)                          |
 *  +---------------------------------------------------------------+
 *  |                      Metadata Length                          |
 *  +---------------------------------------------------------------+
 *  |                       Values Length                           |
 *  +---------------------------------------------------------------+
 *  |                  Padding to HEADER_LENGTH (64)               ...
 *  +---------------------------------------------------------------+
 *  |                  Metadata (Agrona layout)                    ...
 *  +---------------------------------------------------------------+
 *  |                   Values (Agrona layout)                     ...
 *  +---------------------------------------------------------------+
 * </pre>
 * Header fields are big-endian; the Agrona sections use Agrona's native layout.
 */
public final class CountersFile implements AutoCloseable
{
    public static final int MAGIC = 0x45344a43;
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int METADATA_LENGTH_OFFSET = 8;
    public static final int VALUES_LENGTH_OFFSET = 12;
    public static final int HEADER_LENGTH = 64;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer metaDataBuffer;
    private final UnsafeBuffer valuesBuffer;

    private CountersFile(final MappedByteBuffer mapped, final int metaDataLength, final int valuesLength)
    {
        this.mapped = mapped;
        metaDataBuffer = new UnsafeBuffer(mapped, HEADER_LENGTH, metaDataLength);
        valuesBuffer = new UnsafeBuffer(mapped, HEADER_LENGTH + metaDataLength, valuesLength);
    }

    /**
     * Create (or replace) a counters file with room for a number of counters.
     *
     * @param path        file to create.
     * @param maxCounters counters it can hold.
     * @return the mapped file.
     */
    public static CountersFile create(final Path path, final int maxCounters)
    {
        final int metaDataLength = maxCounters * CountersReader.METADATA_LENGTH;
        final int valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        final File file = path.toFile();
        if (file.exists() && !file.delete())
        {
            throw new IllegalStateException("cannot replace counters file " + path);
        }
        final MappedByteBuffer mapped = IoUtil.mapNewFile(file, HEADER_LENGTH + (long)metaDataLength + valuesLength);
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        header.putInt(METADATA_LENGTH_OFFSET, metaDataLength, BIG_ENDIAN);
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength, BIG_ENDIAN);
        header.putInt(VERSION_OFFSET, VERSION, BIG_ENDIAN);
        // Published last with release semantics, so a reader never sees the magic before the lengths; the value is
        // written so the bytes in the file are big-endian whatever the machine's order.
        header.putIntOrdered(MAGIC_OFFSET,
            java.nio.ByteOrder.nativeOrder() == BIG_ENDIAN ? MAGIC : Integer.reverseBytes(MAGIC));
        return new CountersFile(mapped, metaDataLength, valuesLength);
    }

    /**
     * Map an existing counters file for reading.
     *
     * @param path file written by {@link #create(Path, int)}.
     * @return the mapped file.
     */
    public static CountersFile open(final Path path)
    {
        final File file = path.toFile();
        if (!file.exists())
        {
            throw new IllegalArgumentException("no counters file at " + path + " (is the daemon running?)");
        }
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(file, "esp4j counters");
        if (mapped.capacity() < HEADER_LENGTH)
        {
            IoUtil.unmap(mapped);
            throw new IllegalArgumentException(path + " is not an esp4j counters file (too short)");
        }
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        if (header.getInt(MAGIC_OFFSET, BIG_ENDIAN) != MAGIC || header.getInt(VERSION_OFFSET, BIG_ENDIAN) != VERSION)
        {
            IoUtil.unmap(mapped);
            throw new IllegalArgumentException(path + " is not an esp4j counters file (bad magic or version)");
        }
        final int metaDataLength = header.getInt(METADATA_LENGTH_OFFSET, BIG_ENDIAN);
        final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET, BIG_ENDIAN);
        if ((long)HEADER_LENGTH + metaDataLength + valuesLength > mapped.capacity())
        {
            IoUtil.unmap(mapped);
            throw new IllegalArgumentException(path + " is truncated");
        }
        return new CountersFile(mapped, metaDataLength, valuesLength);
    }

    /** @return a manager that allocates counters in this file (for the owning process only). */
    public CountersManager newCountersManager()
    {
        return new CountersManager(metaDataBuffer, valuesBuffer, StandardCharsets.US_ASCII,
            org.agrona.concurrent.SystemEpochClock.INSTANCE, XfrmCounters.FREE_TO_REUSE_TIMEOUT_MS);
    }

    /** @return a reader of the counters in this file. */
    public CountersReader newCountersReader()
    {
        return new CountersReader(metaDataBuffer, valuesBuffer, StandardCharsets.US_ASCII);
    }

    public void close()
    {
        IoUtil.unmap(mapped);
    }
}
