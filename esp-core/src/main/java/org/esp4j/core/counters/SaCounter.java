package org.esp4j.core.counters;

import java.util.HashSet;
import java.util.Set;

/**
 * Per-SA statistics, as {@code ip -s xfrm state} shows them ("lifetime current" and "stats").
 * <p>
 * In the counters file each SA has one Agrona counter per entry: type id = the entry's explicit {@link #typeId()}
 * (never reused, whatever the enum order), key = the SA's SPI (8 bytes), label = "sa " + {@link #label()} + ": " +
 * the SA's description.
 */
public enum SaCounter
{
    /** Packets processed (protected or verified). */
    PACKETS(1200, "packets"),
    /** Bytes processed (payload before ESP on output, after ESP on input). */
    BYTES(1201, "bytes"),
    /** Packets dropped as replays or as left of the window. */
    REPLAY_DROPS(1202, "replay"),
    /** Packets whose ICV did not verify. */
    INTEGRITY_FAILURES(1203, "integrity-failed"),
    /** Time of first use, epoch ns (0 before). */
    FIRST_USE_EPOCH_NS(1204, "first-use-ns"),
    /** Time of last use, epoch ns (0 before). */
    LAST_USE_EPOCH_NS(1205, "last-use-ns");

    /** Agrona counter type ids of per-SA counters are {@code TYPE_ID_BASE} and up (explicit, see each entry). */
    public static final int TYPE_ID_BASE = 1200;

    static
    {
        final Set<Integer> typeIds = new HashSet<>();
        for (final SaCounter counter : values())
        {
            if (!typeIds.add(counter.typeId))
            {
                throw new IllegalStateException("per-SA counter type id " + counter.typeId + " used twice");
            }
        }
    }

    private final int typeId;
    private final String label;

    SaCounter(final int typeId, final String label)
    {
        this.typeId = typeId;
        this.label = label;
    }

    public String label()
    {
        return label;
    }

    /** @return the Agrona type id of this per-SA counter, stable across versions. */
    public int typeId()
    {
        return typeId;
    }

    /**
     * @param typeId an Agrona type id read from a counters file.
     * @return the per-SA counter of that type, or null if it is not one.
     */
    public static SaCounter byTypeId(final int typeId)
    {
        for (final SaCounter counter : values())
        {
            if (counter.typeId == typeId)
            {
                return counter;
            }
        }
        return null;
    }
}
