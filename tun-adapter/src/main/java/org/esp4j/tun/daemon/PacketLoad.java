package org.esp4j.tun.daemon;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The recent load of each of a daemon's packet threads, so that each thread's idle window follows the daemon's load
 * and not its own alone: with two threads under bulk TCP the inbound agent carries only ACKs and is mostly idle,
 * but its window would spin on the CPU the busy outbound agent, the applications and the kernel need.
 * <p>
 * One slot per thread, each written only by its own thread ({@link #publish}, an ordered store) and read by all
 * ({@link #totalPercent}). A slot holds the load with the time it was measured and whether the thread was going idle
 * ({@link #publish}) or starting a run of duty cycles with work ({@link #publishBusy}). An idle thread's load older
 * than {@link PollIdleStrategy#LOAD_HORIZON_NS} no longer counts (its thread has been asleep since, so it is not
 * busy); a busy thread's counts as 100 % once its run has lasted that long (under bulk traffic a packet thread may
 * work for hundreds of milliseconds without an idle round, and so without publishing).
 * <p>
 * With {@link #markLoadedAt} set, each {@link #publish} also remembers when the total reached that load
 * ({@link #loadedWithin}): a load that no longer counts (its thread has slept for a horizon) is not yet a sustained
 * low load, and {@link InboundHandoff} lends only after one.
 */
public final class PacketLoad
{
    /** The load in bits 0-6, the busy flag in bit 7, the time in the top 56 bits. */
    private static final int LOAD_BITS = 8;
    private static final long LOAD_MASK = (1L << LOAD_BITS) - 1;
    private static final long BUSY = 1L << (LOAD_BITS - 1);
    private static final long PERCENT_MASK = BUSY - 1;

    private final AtomicLongArray slots;
    /** When a publish last found the total at or above {@link #markLoadedAt}'s load; 0: never. */
    private final AtomicLong loadedAtNs = new AtomicLong();
    private int markLoadedAtPercent = Integer.MAX_VALUE;

    /**
     * @param threads packet threads of the daemon.
     */
    public PacketLoad(final int threads)
    {
        slots = new AtomicLongArray(threads);
    }

    /**
     * Remember when a {@link #publish} found the total load at or above {@code percent} (set before the threads
     * start).
     *
     * @param percent the load that counts as loaded.
     * @return this.
     */
    PacketLoad markLoadedAt(final int percent)
    {
        markLoadedAtPercent = percent;
        return this;
    }

    /**
     * Thread {@code thread}'s load now.
     *
     * @param thread      the caller's slot.
     * @param loadPercent its load, 0..100.
     * @param nowNs       when it was measured.
     */
    void publish(final int thread, final int loadPercent, final long nowNs)
    {
        slots.lazySet(thread, (nowNs << LOAD_BITS) | loadPercent);
        // at a change to idle only (once per wake-up with work): the loads of both threads as they stand now
        if (markLoadedAtPercent <= 100 &&
            (loadPercent >= markLoadedAtPercent || totalPercent(nowNs) >= markLoadedAtPercent))
        {
            loadedAtNs.lazySet(nowNs == 0 ? 1 : nowNs);
        }
    }

    /**
     * @param nowNs    the time now.
     * @param windowNs how far back to look.
     * @return true if a {@link #publish} found the total load at or above {@link #markLoadedAt}'s within the last
     * {@code windowNs}.
     */
    boolean loadedWithin(final long nowNs, final long windowNs)
    {
        final long atNs = loadedAtNs.get();
        return atNs != 0 && nowNs - atNs < windowNs;
    }

    /**
     * Thread {@code thread} starts a run of duty cycles with work now.
     *
     * @param thread      the caller's slot.
     * @param loadPercent its load before the run, 0..100.
     * @param nowNs       when the run started.
     */
    void publishBusy(final int thread, final int loadPercent, final long nowNs)
    {
        slots.lazySet(thread, (nowNs << LOAD_BITS) | BUSY | loadPercent);
    }

    /**
     * @return true if a thread is in a run of duty cycles with work ({@link #publishBusy}) and has not gone idle
     * since: its slot's load is that of before the run, which says nothing of the run itself.
     */
    boolean anyBusy()
    {
        for (int i = 0; i < slots.length(); i++)
        {
            if ((slots.get(i) & BUSY) != 0)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @param nowNs the time now.
     * @return the sum of the threads' loads measured within the last {@link PollIdleStrategy#LOAD_HORIZON_NS}, a
     * thread busy for longer than that counted as 100.
     */
    int totalPercent(final long nowNs)
    {
        int total = 0;
        for (int i = 0; i < slots.length(); i++)
        {
            final long slot = slots.get(i);
            // the time is kept in the slot's top 56 bits: subtract there, so the age is right for any nanoTime
            // origin (negative, or past 2^55) and wraps as nanoTime differences do
            final long ageNs = ((nowNs << LOAD_BITS) - (slot & ~LOAD_MASK)) >> LOAD_BITS;
            if (slot != 0 && ageNs < PollIdleStrategy.LOAD_HORIZON_NS)
            {
                total += (int)(slot & PERCENT_MASK);
            }
            else if ((slot & BUSY) != 0)
            {
                total += 100;
            }
        }
        return total;
    }
}
