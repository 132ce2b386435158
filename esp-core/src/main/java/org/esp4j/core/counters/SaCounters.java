package org.esp4j.core.counters;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * One SA's {@link SaCounter} values: either Agrona counters on the shared manager (visible to other processes) or
 * private ones. Either way an update is one atomic operation on a buffer at a precomputed offset.
 */
public final class SaCounters
{
    private final AtomicBuffer buffer;
    private final int[] counterIds;
    private final int packetsOffset;
    private final int bytesOffset;
    private final int replayDropsOffset;
    private final int integrityFailuresOffset;
    private final int firstUseOffset;
    private final int lastUseOffset;

    private SaCounters(final AtomicBuffer buffer, final int[] counterIds, final int[] offsets)
    {
        this.buffer = buffer;
        this.counterIds = counterIds;
        packetsOffset = offsets[SaCounter.PACKETS.ordinal()];
        bytesOffset = offsets[SaCounter.BYTES.ordinal()];
        replayDropsOffset = offsets[SaCounter.REPLAY_DROPS.ordinal()];
        integrityFailuresOffset = offsets[SaCounter.INTEGRITY_FAILURES.ordinal()];
        firstUseOffset = offsets[SaCounter.FIRST_USE_EPOCH_NS.ordinal()];
        lastUseOffset = offsets[SaCounter.LAST_USE_EPOCH_NS.ordinal()];
    }

    static SaCounters sharedCounters(final AtomicBuffer valuesBuffer, final int[] counterIds)
    {
        final int[] offsets = new int[counterIds.length];
        for (int i = 0; i < counterIds.length; i++)
        {
            offsets[i] = CountersReader.counterOffset(counterIds[i]);
        }
        return new SaCounters(valuesBuffer, counterIds, offsets);
    }

    /** @return counters in a private buffer (not visible outside the process). */
    public static SaCounters privateCounters()
    {
        final int count = SaCounter.values().length;
        final int[] offsets = new int[count];
        for (int i = 0; i < count; i++)
        {
            offsets[i] = i * 8;
        }
        // long[]-sized byte[]: the array base is 8-byte aligned on 64-bit JVMs, as atomic operations need.
        return new SaCounters(new UnsafeBuffer(new byte[count * 8]), null, offsets);
    }

    int[] counterIds()
    {
        return counterIds;
    }

    /** @return true when another process can read these counters. */
    public boolean isShared()
    {
        return counterIds != null;
    }

    /**
     * Count one packet of the given size and record its time.
     *
     * @param bytes   size counted against the SA.
     * @param epochNs now.
     */
    public void onPacket(final int bytes, final long epochNs)
    {
        buffer.getAndAddLong(packetsOffset, 1);
        buffer.getAndAddLong(bytesOffset, bytes);
        if (buffer.getLongVolatile(firstUseOffset) == 0)
        {
            buffer.compareAndSetLong(firstUseOffset, 0, epochNs);
        }
        buffer.putLongRelease(lastUseOffset, epochNs);
    }

    public void onReplayDrop()
    {
        buffer.getAndAddLong(replayDropsOffset, 1);
    }

    public void onIntegrityFailure()
    {
        buffer.getAndAddLong(integrityFailuresOffset, 1);
    }

    public long packets()
    {
        return buffer.getLongVolatile(packetsOffset);
    }

    public long bytes()
    {
        return buffer.getLongVolatile(bytesOffset);
    }

    public long replayDrops()
    {
        return buffer.getLongVolatile(replayDropsOffset);
    }

    public long integrityFailures()
    {
        return buffer.getLongVolatile(integrityFailuresOffset);
    }

    /** @return epoch ns of first use, 0 if never used. */
    public long firstUseEpochNs()
    {
        return buffer.getLongVolatile(firstUseOffset);
    }

    /** @return epoch ns of last use, 0 if never used. */
    public long lastUseEpochNs()
    {
        return buffer.getLongVolatile(lastUseOffset);
    }
}
