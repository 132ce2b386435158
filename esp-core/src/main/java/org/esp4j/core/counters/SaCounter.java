package org.esp4j.core.counters;

/**
 * Per-SA statistics, as {@code ip -s xfrm state} shows them ("lifetime current" and "stats").
 */
public enum SaCounter
{
    /** Packets processed (protected or verified). */
    PACKETS("packets"),
    /** Bytes processed (payload before ESP on output, after ESP on input). */
    BYTES("bytes"),
    /** Packets dropped as replays or as left of the window. */
    REPLAY_DROPS("replay"),
    /** Packets whose ICV did not verify. */
    INTEGRITY_FAILURES("integrity-failed"),
    /** Time of first use, epoch ns (0 before). */
    FIRST_USE_EPOCH_NS("first-use-ns"),
    /** Time of last use, epoch ns (0 before). */
    LAST_USE_EPOCH_NS("last-use-ns");

    /** Agrona counter type ids of per-SA counters are {@code TYPE_ID_BASE + ordinal()}. */
    public static final int TYPE_ID_BASE = 1200;

    private final String label;

    SaCounter(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }

    public int typeId()
    {
        return TYPE_ID_BASE + ordinal();
    }
}
