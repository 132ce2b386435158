package org.esp4j.core.counters;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Set;

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
 * <h2>Access</h2>
 * The counters show SPIs, peers and traffic, so the file is created mode 0600 (owner only, created exclusively, never
 * through an existing file or link), or 0640 with a group given ({@code counters.group}) whose members may read it.
 * Readers ({@link #open(Path)}) map it read-only, so anyone allowed to read the file can, without write access; a
 * file that is missing, unreadable or not a counters file is a one-line {@link IllegalArgumentException}.
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

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_AND_GROUP_READ = PosixFilePermissions.fromString("rw-r-----");

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
        return create(path, maxCounters, null);
    }

    /**
     * Create (or replace) a counters file with room for a number of counters, readable by its owner only, or also
     * by a group.
     *
     * @param path        file to create.
     * @param maxCounters counters it can hold.
     * @param group       group that may read the file (mode 0640), or null for the owner alone (mode 0600).
     * @return the mapped file.
     * @throws IllegalArgumentException if the group does not exist.
     * @throws IllegalStateException    if the file cannot be created.
     */
    public static CountersFile create(final Path path, final int maxCounters, final String group)
    {
        final int metaDataLength = maxCounters * CountersReader.METADATA_LENGTH;
        final int valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        final MappedByteBuffer mapped;
        try
        {
            Files.deleteIfExists(path);
            // CREATE_NEW (O_EXCL) with the mode given at creation: never through a link someone left in /dev/shm,
            // and never readable by others, not even for a moment
            try (FileChannel channel = FileChannel.open(path,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(OWNER_ONLY)))
            {
                if (group != null)
                {
                    Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(
                        path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group));
                    Files.setPosixFilePermissions(path, OWNER_AND_GROUP_READ);
                }
                mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0,
                    HEADER_LENGTH + (long)metaDataLength + valuesLength);
            }
        }
        catch (final UserPrincipalNotFoundException ex)
        {
            deleteQuietly(path);
            throw new IllegalArgumentException("counters.group: no such group '" + group + "'");
        }
        catch (final IOException ex)
        {
            deleteQuietly(path);
            throw new IllegalStateException("cannot create counters file " + path + ": " + ex, ex);
        }
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
        if (Files.isDirectory(path))
        {
            throw new IllegalArgumentException(path + " is a directory, not a counters file");
        }
        final MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        catch (final NoSuchFileException ex)
        {
            throw new IllegalArgumentException("no counters file at " + path + " (is the daemon running?)");
        }
        catch (final AccessDeniedException ex)
        {
            throw new IllegalArgumentException(path + ": permission denied (the counters file is readable by the " +
                "daemon's user, and by the group named in counters.group if any)");
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(path + ": cannot read: " + ex.getMessage());
        }
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
            org.agrona.concurrent.SystemEpochClock.INSTANCE, XfrmCounters.MANAGER_FREE_TO_REUSE_TIMEOUT_MS);
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

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ignore)
        {
            // the error being reported matters more
        }
    }
}
