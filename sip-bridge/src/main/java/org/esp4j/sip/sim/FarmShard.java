package org.esp4j.sip.sim;

/**
 * One process's slice of a UE farm ({@code esp4j sim ue --ues N --shard I/S}): shard I of S (1-based) runs UEs
 * {@code first} to {@code first + count - 1} of the N, where {@code first = floor((I - 1) * N / S)}. The slices of the
 * S shards are contiguous, do not overlap, cover 0 to N - 1 and differ in size by one at most. A UE keeps its index
 * in the whole farm, so its address, subscriber and SPIs are those it would have in one process, and the P-CSCF side
 * ({@code sim pcscf --ues N}, the daemons' {@code sip.subscribers}) needs nothing new.
 * <p>
 * Why: a UE over TCP holds up to six descriptors, so one process of N UEs needs about 6N open files, and a
 * container's hard limit ({@code ulimit -Hn}) may be below that.
 *
 * @param number 1 to {@code shards}.
 * @param shards how many processes share the farm.
 * @param first  index of this shard's first UE in the whole farm.
 * @param count  UEs in this shard.
 */
public record FarmShard(int number, int shards, int first, int count)
{
    /**
     * @param ues the whole farm.
     * @return the one shard of a farm in one process.
     */
    public static FarmShard whole(final int ues)
    {
        return of(1, 1, ues);
    }

    /**
     * @param number 1 to {@code shards}.
     * @param shards at least 1, at most {@code ues}.
     * @param ues    the whole farm.
     * @return that shard's slice.
     * @throws IllegalArgumentException naming {@code --shard}, when the numbers do not fit.
     */
    public static FarmShard of(final int number, final int shards, final int ues)
    {
        if (shards < 1 || number < 1 || number > shards)
        {
            throw new IllegalArgumentException("--shard: expected I/S with 1 <= I <= S, got " + number + "/" + shards);
        }
        if (shards > ues)
        {
            throw new IllegalArgumentException("--shard: " + shards + " shards for " + ues + " UEs (at most one per UE)");
        }
        final int first = (int)((number - 1L) * ues / shards);
        final int end = (int)((long)number * ues / shards);
        return new FarmShard(number, shards, first, end - first);
    }

    /**
     * @param text {@code I/S}, as {@code --shard} takes it.
     * @param ues  the whole farm.
     * @return that shard's slice.
     * @throws IllegalArgumentException naming {@code --shard}, with the text, when it is malformed or does not fit.
     */
    public static FarmShard parse(final String text, final int ues)
    {
        final int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1)
        {
            throw new IllegalArgumentException("--shard: expected I/S (shard I of S, from 1), got '" + text + "'");
        }
        try
        {
            return of(Integer.parseInt(text.substring(0, slash)), Integer.parseInt(text.substring(slash + 1)), ues);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--shard: expected I/S (shard I of S, from 1), got '" + text + "'");
        }
    }

    /** @return one past this shard's last UE index. */
    public int end()
    {
        return first + count;
    }

    /** @return true when this shard is the whole farm. */
    public boolean isWhole()
    {
        return shards == 1;
    }

    public String toString()
    {
        return number + "/" + shards + " (UEs " + first + ".." + (end() - 1) + ")";
    }
}
