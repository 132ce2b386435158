package org.esp4j.core.counters;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The global {@link XfrmCounter}s and the per-SA {@link SaCounter}s, held in an Agrona {@link CountersManager} so
 * that another process can read them (see {@link CountersFile}).
 * <p>
 * Increments are atomic and may come from any thread; allocation and freeing of per-SA counters happen under the
 * SAD's lock (the {@link CountersManager} is not thread-safe for allocation, so this class serialises it).
 */
public final class XfrmCounters
{
    /** Per-SA counters the default in-memory manager has room for before SAs fall back to private counters. */
    public static final int DEFAULT_SA_CAPACITY = 1024;

    /** How long a freed counter waits before reuse. */
    public static final long FREE_TO_REUSE_TIMEOUT_MS = 1000;

    private final CountersManager countersManager;
    private final AtomicBuffer valuesBuffer;
    private final int[] counterOffsets = new int[XfrmCounter.values().length];
    private final int[] counterIds;

    /**
     * Counters on a caller-supplied manager, e.g. one over a {@link CountersFile}.
     *
     * @param countersManager where to allocate; must have room for {@link XfrmCounter#values()}.
     */
    public XfrmCounters(final CountersManager countersManager)
    {
        this.countersManager = countersManager;
        this.valuesBuffer = countersManager.valuesBuffer();
        // indexed by ordinal, as counterOffsets
        this.counterIds = CounterDescriptors.allocate(countersManager, XfrmCounter.TYPE_ID, XfrmCounter.values());
        for (int i = 0; i < counterIds.length; i++)
        {
            counterOffsets[i] = CountersReader.counterOffset(counterIds[i]);
        }
    }

    /**
     * @return counters in process memory with room for {@link #DEFAULT_SA_CAPACITY} SAs' counters.
     */
    public static XfrmCounters inMemory()
    {
        return inMemory(DEFAULT_SA_CAPACITY);
    }

    /**
     * @param saCapacity number of SAs whose counters go on the shared manager.
     * @return counters in process memory.
     */
    public static XfrmCounters inMemory(final int saCapacity)
    {
        final int counters = XfrmCounter.values().length + saCapacity * SaCounter.values().length;
        final UnsafeBuffer metaData = new UnsafeBuffer(
            ByteBuffer.allocateDirect(counters * CountersReader.METADATA_LENGTH));
        final UnsafeBuffer values = new UnsafeBuffer(
            ByteBuffer.allocateDirect(counters * CountersReader.COUNTER_LENGTH));
        // Freed counters wait a second before reuse: a packet thread may still be counting on a deleted SA.
        return new XfrmCounters(new CountersManager(
            metaData, values, StandardCharsets.US_ASCII, SystemEpochClock.INSTANCE, FREE_TO_REUSE_TIMEOUT_MS));
    }

    /**
     * Count one event.
     *
     * @param counter which.
     */
    public void increment(final XfrmCounter counter)
    {
        valuesBuffer.getAndAddLong(counterOffsets[counter.ordinal()], 1);
    }

    /**
     * Count events seen elsewhere, e.g. packets an nftables rule dropped on the daemon's behalf. Atomic, like
     * {@link #increment}, so any thread may call it.
     *
     * @param counter which.
     * @param delta   how many (not negative).
     */
    public void add(final XfrmCounter counter, final long delta)
    {
        if (delta < 0)
        {
            throw new IllegalArgumentException("negative delta: " + delta);
        }
        valuesBuffer.getAndAddLong(counterOffsets[counter.ordinal()], delta);
    }

    /**
     * @param counter which.
     * @return current value.
     */
    public long get(final XfrmCounter counter)
    {
        return valuesBuffer.getLongVolatile(counterOffsets[counter.ordinal()]);
    }

    /**
     * @param counter which.
     * @return its Agrona counter id.
     */
    public int counterId(final XfrmCounter counter)
    {
        return counterIds[counter.ordinal()];
    }

    /** @return the manager behind the counters. */
    public CountersManager countersManager()
    {
        return countersManager;
    }

    /**
     * Allocate the per-SA counters for an SA. When the shared manager is full the SA gets private counters, which
     * work the same but are not visible to other processes.
     *
     * @param spi         unsigned SPI.
     * @param description text for the label, e.g. {@code "spi 0x0008a23a dst 2001::1"}.
     * @return the SA's counters.
     */
    public SaCounters allocateSaCounters(final long spi, final String description)
    {
        synchronized (countersManager)
        {
            final int needed = SaCounter.values().length;
            if (countersManager.available() < needed)
            {
                return SaCounters.privateCounters();
            }
            final int[] ids = new int[needed];
            final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[8]);
            keyBuffer.putLong(0, spi);
            final UnsafeBuffer labelBuffer = new UnsafeBuffer(new byte[CountersReader.MAX_LABEL_LENGTH]);
            for (final SaCounter counter : SaCounter.values())
            {
                final String label = "sa " + counter.label() + ": " + description;
                final int labelLength = labelBuffer.putStringWithoutLengthAscii(
                    0, label.length() > CountersReader.MAX_LABEL_LENGTH ?
                    label.substring(0, CountersReader.MAX_LABEL_LENGTH) : label);
                ids[counter.ordinal()] = countersManager.allocate(
                    counter.typeId(), keyBuffer, 0, 8, labelBuffer, 0, labelLength);
            }
            return SaCounters.sharedCounters(valuesBuffer, ids);
        }
    }

    /**
     * Return an SA's counters to the manager.
     *
     * @param saCounters from {@link #allocateSaCounters(long, String)}.
     */
    public void freeSaCounters(final SaCounters saCounters)
    {
        final int[] ids = saCounters.counterIds();
        if (ids == null)
        {
            return;
        }
        synchronized (countersManager)
        {
            for (final int id : ids)
            {
                countersManager.free(id);
            }
        }
    }

    /**
     * Render like {@code /proc/net/xfrm_stat}: one counter a line, name padded, value right-aligned.
     *
     * @return the text.
     */
    public String toXfrmStat()
    {
        final StringBuilder sb = new StringBuilder();
        for (final XfrmCounter counter : XfrmCounter.values())
        {
            sb.append(String.format("%-24s\t%d%n", counter.label(), get(counter)));
        }
        return sb.toString();
    }
}
