package org.esp4j.core.counters;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.EpochClock;
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

    /** How long a freed per-SA counter id waits before it counts for another SA. */
    public static final long FREE_TO_REUSE_TIMEOUT_MS = 1000;

    /** Type id of a counter that holds a freed per-SA counter id during {@link #FREE_TO_REUSE_TIMEOUT_MS}. */
    public static final int RETIRED_TYPE_ID = 1299;

    /**
     * Reuse delay to give the {@link CountersManager} itself: none, as this class keeps the delay in
     * {@link RetiredCounters}. Agrona's own delay keeps freed ids in a list that every allocation scans and shifts,
     * O(recent deletions) per counter: at thousands of SA deletions a second that is most of a registration's cost.
     */
    public static final long MANAGER_FREE_TO_REUSE_TIMEOUT_MS = 0;

    private static final String RETIRED_LABEL = "retired sa counter";
    private static final SaCounter[] SA_COUNTERS = SaCounter.values();

    private final CountersManager countersManager;
    private final AtomicBuffer valuesBuffer;
    private final int[] counterOffsets = new int[XfrmCounter.values().length];
    private final int[] counterIds;
    private final EpochClock epochClock;
    private final RetiredCounters retired = new RetiredCounters();
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[8]);
    private final UnsafeBuffer labelBuffer = new UnsafeBuffer(new byte[CountersReader.MAX_LABEL_LENGTH]);

    /**
     * Counters on a caller-supplied manager, e.g. one over a {@link CountersFile}.
     *
     * @param countersManager where to allocate; must have room for {@link XfrmCounter#values()}, and should have
     *                        been made with {@link #MANAGER_FREE_TO_REUSE_TIMEOUT_MS} (its own delay would add to
     *                        this class's and bring back the scans).
     */
    public XfrmCounters(final CountersManager countersManager)
    {
        this(countersManager, SystemEpochClock.INSTANCE);
    }

    /**
     * @param countersManager as {@link #XfrmCounters(CountersManager)}.
     * @param epochClock      clock of the per-SA counters' reuse delay.
     */
    public XfrmCounters(final CountersManager countersManager, final EpochClock epochClock)
    {
        this.countersManager = countersManager;
        this.epochClock = epochClock;
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
        return new XfrmCounters(new CountersManager(
            metaData, values, StandardCharsets.US_ASCII, SystemEpochClock.INSTANCE, MANAGER_FREE_TO_REUSE_TIMEOUT_MS));
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
     * <p>
     * O(1) whatever the number of SAs and of recent deletions: ids whose reuse delay has passed are taken from the
     * head of {@link RetiredCounters}, others from the manager's high-water mark (its free list stays near empty).
     *
     * @param spi         unsigned SPI.
     * @param description text for the label, e.g. {@code "spi 0x0008a23a dst 2001::1"}.
     * @return the SA's counters.
     */
    public SaCounters allocateSaCounters(final long spi, final String description)
    {
        synchronized (countersManager)
        {
            final int needed = SA_COUNTERS.length;
            final long nowMs = epochClock.time();
            if (countersManager.available() + retired.dueCount(nowMs, needed) < needed)
            {
                return SaCounters.privateCounters();
            }
            final int[] ids = new int[needed];
            keyBuffer.putLong(0, spi);
            for (final SaCounter counter : SA_COUNTERS)
            {
                final int labelLength = putLabel(counter, description);
                final int due = retired.pollDue(nowMs);
                if (due >= 0)
                {
                    // back to the manager (reusable at once: its own delay is 0) and straight out again for this SA
                    countersManager.free(due);
                }
                ids[counter.ordinal()] = countersManager.allocate(
                    counter.typeId(), keyBuffer, 0, 8, labelBuffer, 0, labelLength);
            }
            return SaCounters.sharedCounters(valuesBuffer, ids);
        }
    }

    private int putLabel(final SaCounter counter, final String description)
    {
        int length = labelBuffer.putStringWithoutLengthAscii(0, "sa ");
        length += labelBuffer.putStringWithoutLengthAscii(length, counter.label());
        length += labelBuffer.putStringWithoutLengthAscii(length, ": ");
        return length + labelBuffer.putStringWithoutLengthAscii(
            length, description, 0, CountersReader.MAX_LABEL_LENGTH - length);
    }

    /**
     * Return an SA's counters. Readers of the manager stop seeing them at once; each id is reused only after
     * {@link #FREE_TO_REUSE_TIMEOUT_MS}, so a reader that looked an SA's counter up by id just before never reads
     * another SA's count under it. Meanwhile the id is held by a counter of type {@link #RETIRED_TYPE_ID}.
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
            final long deadlineMs = epochClock.time() + FREE_TO_REUSE_TIMEOUT_MS;
            for (final int id : ids)
            {
                countersManager.free(id);
                if (countersManager.available() > 0)
                {
                    // takes the id just freed: the manager's free list holds nothing else that is reusable
                    retired.add(countersManager.allocate(RETIRED_LABEL, RETIRED_TYPE_ID), deadlineMs);
                }
            }
        }
    }

    /** @return per-SA counter ids waiting out their reuse delay. */
    public int retiredCount()
    {
        synchronized (countersManager)
        {
            return retired.size();
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
