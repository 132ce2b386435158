package org.esp4j.tun.daemon;

import org.agrona.concurrent.IdleStrategy;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.SchedAttr;

import java.util.function.Consumer;

/**
 * How the packet threads share the CPUs with the applications whose traffic they carry ({@code packet.yield},
 * {@code packet.sched}, {@code packet.slice.us}).
 * <p>
 * Why: through the daemons a UDP stream keeps four threads busy on the machine (the sending application, the sender's
 * outbound agent, the receiver's inbound agent, the receiving application) where the kernel path keeps two. A
 * receiving application whose socket buffer holds about a millisecond of traffic (the default 208 KiB) loses
 * datagrams whenever it waits longer than that for a CPU, and a packet thread that has just woken it and goes on with
 * its next burst can hold the CPU for a whole scheduler slice (RESULTS.md: every datagram lost at the best rate is
 * lost at that socket). So a packet thread may:
 * <ul>
 *   <li>yield the CPU ({@code sched_yield(2)}, which is what {@link Thread#yield()} calls on Linux) after each duty
 *       cycle that did work, so a thread it woke (the application its TUN write delivered to, or the one its carrier
 *       sends woke) runs before its next burst; {@code sched_yield} returns at once when nothing else is runnable on
 *       the CPU;</li>
 *   <li>run as {@code SCHED_BATCH}: its own wake-ups then do not preempt the application;</li>
 *   <li>ask for a shorter EEVDF slice (Linux 6.12+), so the scheduler may give the CPU to a woken application after
 *       that slice rather than after the default one.</li>
 * </ul>
 * The scheduler is reached through {@link Scheduler} so the logic can be tested with a substitute.
 */
public final class PacketScheduling
{
    /**
     * {@code packet.yield}: which packet threads yield after a duty cycle with work; {@code UDP}: both threads, but
     * only after a duty cycle that carried a UDP datagram. A UDP receiver has no back-pressure (a datagram its socket
     * cannot hold is lost), while TCP's window throttles the sender, so a yield after TCP work only costs.
     */
    public enum Yield
    {
        OFF, INBOUND, OUTBOUND, BOTH, UDP;

        /** @return true if the thread of that direction yields (with one packet thread, either direction). */
        boolean inbound()
        {
            return this == INBOUND || this == BOTH || this == UDP;
        }

        boolean outbound()
        {
            return this == OUTBOUND || this == BOTH || this == UDP;
        }
    }

    /**
     * Set by an agent when its duty cycle carried a UDP datagram, taken by its thread's idle strategy
     * ({@code packet.yield=udp}). One per packet thread: only that thread writes and reads it.
     */
    public static final class DatagramMark
    {
        private boolean marked;

        /** The current duty cycle carried a UDP datagram. */
        public void mark()
        {
            marked = true;
        }

        /** @return true if a UDP datagram was carried since the last call. */
        boolean take()
        {
            final boolean wasMarked = marked;
            marked = false;
            return wasMarked;
        }
    }

    /** {@code packet.sched}: the packet threads' fair policy. */
    public enum Policy
    {
        OTHER(SchedAttr.SCHED_OTHER), BATCH(SchedAttr.SCHED_BATCH);

        final int linuxPolicy;

        Policy(final int linuxPolicy)
        {
            this.linuxPolicy = linuxPolicy;
        }
    }

    /** The kernel's side, on the calling thread. */
    public interface Scheduler
    {
        /**
         * @param policy  {@link SchedAttr#SCHED_OTHER} or {@link SchedAttr#SCHED_BATCH}.
         * @param sliceNs custom slice, 0 for the default.
         * @return 0 or the errno of the refusal.
         */
        int setThisThread(int policy, long sliceNs);

        /** Give the CPU to any other runnable thread of this CPU first. */
        void yieldNow();
    }

    /** The Linux scheduler through {@link SchedAttr} and {@link Thread#yield()}. */
    public static final Scheduler LINUX = new Scheduler()
    {
        public int setThisThread(final int policy, final long sliceNs)
        {
            return SchedAttr.setThisThread(policy, sliceNs);
        }

        public void yieldNow()
        {
            Thread.yield();
        }
    };

    /** Thread slots, as {@link PacketLoad}'s: the outbound (or only) thread, the inbound thread. */
    public static final int OUTBOUND_THREAD = 0;
    public static final int INBOUND_THREAD = 1;

    private final Yield yield;
    private final Policy policy;
    private final long sliceNs;
    private final Scheduler scheduler;

    public PacketScheduling(final Yield yield, final Policy policy, final long sliceNs, final Scheduler scheduler)
    {
        this.yield = yield;
        this.policy = policy;
        this.sliceNs = sliceNs;
        this.scheduler = scheduler;
    }

    /** @return true if the policy or slice differ from the kernel's defaults, i.e. a thread must be set at start. */
    boolean setsThreads()
    {
        return policy != Policy.OTHER || sliceNs != 0;
    }

    /**
     * On a packet thread as it starts: the policy and slice. A refusal (an older kernel without custom slices) is
     * logged and the thread carries packets with the kernel's defaults.
     */
    void applyToThisThread(final Consumer<String> log)
    {
        if (!setsThreads())
        {
            return;
        }
        final int errno = scheduler.setThisThread(policy.linuxPolicy, sliceNs);
        if (errno != 0)
        {
            log.accept("warning: packet thread " + Thread.currentThread().getName() + " keeps the default " +
                "scheduling (packet.sched=" + policy.name().toLowerCase() + ", packet.slice.us=" + sliceNs / 1000 +
                "): " + LibC.describe(errno));
        }
    }

    /**
     * @param idle      the thread's idle strategy.
     * @param slot      {@link #OUTBOUND_THREAD} or {@link #INBOUND_THREAD}.
     * @param oneThread the thread runs both directions ({@code packet.threads=one}).
     * @param mark      what the thread's agents mark when they carry a UDP datagram; with {@code packet.yield=udp}
     *                  the thread yields only after a duty cycle that marked it.
     * @return {@code idle}, or {@code idle} behind a yield after each duty cycle with work if the thread yields.
     */
    IdleStrategy idleStrategy(
        final IdleStrategy idle, final int slot, final boolean oneThread, final DatagramMark mark)
    {
        final boolean yields = oneThread ? yield != Yield.OFF :
            slot == INBOUND_THREAD ? yield.inbound() : yield.outbound();
        if (!yields)
        {
            return idle;
        }
        return new YieldAfterWork(idle, scheduler, yield == Yield.UDP ? mark : null);
    }

    /**
     * Yields after a duty cycle with work (with a {@link DatagramMark}: only if the cycle marked it), then idles as
     * {@code delegate} would.
     */
    static final class YieldAfterWork implements IdleStrategy
    {
        private final IdleStrategy delegate;
        private final Scheduler scheduler;
        /** Null: yield after any work. */
        private final DatagramMark mark;

        YieldAfterWork(final IdleStrategy delegate, final Scheduler scheduler, final DatagramMark mark)
        {
            this.delegate = delegate;
            this.scheduler = scheduler;
            this.mark = mark;
        }

        public void idle(final int workCount)
        {
            // the mark is taken on every cycle, so one from a cycle without work is not carried into the next
            final boolean carried = mark == null || mark.take();
            if (workCount > 0 && carried)
            {
                scheduler.yieldNow();
            }
            delegate.idle(workCount);
        }

        public void idle()
        {
            delegate.idle();
        }

        public void reset()
        {
            delegate.reset();
        }

        public String alias()
        {
            return delegate.alias();
        }
    }
}
