package org.esp4j.tun.daemon;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Idle strategy of the {@link DaemonConductor}: after work, {@link #SPINS} spins and {@link #YIELDS} yields (a burst
 * of changes, the SIP bridge's, finds it awake), then a park until the conductor's next timer is due
 * ({@link DaemonConductor#nextDeadlineNs()}), at most {@link #MAX_PARK_NS}.
 * <p>
 * Why it may park that long: every change reaches the conductor through its queue, whose producers unpark it
 * ({@link DaemonConductor#offer}), so a queued change never waits for the park to end; everything else the conductor
 * does is on its timers (the sweep, the sequence reservations, SA follow-ups, retries, deferred changes). A park of
 * at most 1 ms whatever the timers, as the conductor had before, woke the daemon a thousand times a second, a cost
 * every packet shared (benchmarks/RESULTS.md, issue 17). The cap bounds what a timer the deadline does not know of
 * would wait, and how long closing the agent runner waits for the park to end.
 * <p>
 * Owned by the conductor's thread.
 */
final class ConductorIdleStrategy implements IdleStrategy
{
    /** Idle rounds that spin after work. */
    static final int SPINS = 10;
    /** Idle rounds that yield after the spins. */
    static final int YIELDS = 10;
    /** Longest park, whatever the timers. */
    static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(10);

    /** Parks the calling thread for up to the given nanoseconds (or until unparked). */
    @FunctionalInterface
    interface Parker
    {
        void park(long ns);
    }

    private final LongSupplier nextDeadlineNs;
    private final NanoClock clock;
    private final Parker parker;
    private int idleCount;

    /**
     * @param nextDeadlineNs when the conductor's next timer is due (its clock's nanoseconds).
     * @param clock          the conductor's clock.
     */
    ConductorIdleStrategy(final LongSupplier nextDeadlineNs, final NanoClock clock)
    {
        this(nextDeadlineNs, clock, java.util.concurrent.locks.LockSupport::parkNanos);
    }

    ConductorIdleStrategy(final LongSupplier nextDeadlineNs, final NanoClock clock, final Parker parker)
    {
        this.nextDeadlineNs = nextDeadlineNs;
        this.clock = clock;
        this.parker = parker;
    }

    /** @return a strategy for the given conductor on the system clock. */
    static ConductorIdleStrategy of(final DaemonConductor conductor)
    {
        return new ConductorIdleStrategy(conductor::nextDeadlineNs, SystemNanoClock.INSTANCE);
    }

    public void idle(final int workCount)
    {
        if (workCount <= 0)
        {
            idle();
            return;
        }
        idleCount = 0; // after work: spin and yield again before parking
    }

    public void idle()
    {
        final int round = idleCount < SPINS + YIELDS ? idleCount++ : idleCount;
        if (round < SPINS)
        {
            Thread.onSpinWait();
        }
        else if (round < SPINS + YIELDS)
        {
            Thread.yield();
        }
        else
        {
            final long untilDue = nextDeadlineNs.getAsLong() - clock.nanoTime();
            // a timer already due: the next duty cycle runs it; park a little so a timer that finds nothing to do
            // (it does not count as work) cannot make this a spin
            parker.park(Math.max(1_000L, Math.min(untilDue, MAX_PARK_NS)));
        }
    }

    public void reset()
    {
        idleCount = 0;
    }

    public String alias()
    {
        return "conductor";
    }
}
