package org.esp4j.tun.daemon;

import org.agrona.concurrent.IdleStrategy;
import org.esp4j.tun.jna.PollFds;

/**
 * Idle strategy of the packet agents: after work, spin a little ({@code esp4j.idle.spins}, default 0), then yield a
 * little ({@code esp4j.idle.yields}, default 2), then block in {@code poll(2)} on the agent's descriptors for at most
 * {@code timeoutMs}, so an idle daemon uses no CPU and wakes as soon as a descriptor is readable.
 */
public final class PollIdleStrategy implements IdleStrategy
{
    // Each idle round calls the agent's doWork, i.e. one non-blocking receive system call per socket, so spinning
    // is not free: on a small machine the spins of four agent threads starve the kernel and the applications that
    // make the traffic (100 spins made a 200-byte round trip 4x slower). The defaults block in poll() almost at
    // once; two yields first measured better than none for the round trip's median (benchmarks/RESULTS.md).
    private static final int SPINS = Integer.getInteger("esp4j.idle.spins", 0);
    private static final int YIELDS = Integer.getInteger("esp4j.idle.yields", 2);

    private final PollFds fds;
    private final int timeoutMs;
    private int idleCount;

    public PollIdleStrategy(final PollFds fds, final int timeoutMs)
    {
        this.fds = fds;
        this.timeoutMs = timeoutMs;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    public void idle()
    {
        if (idleCount < SPINS)
        {
            Thread.onSpinWait();
        }
        else if (idleCount < SPINS + YIELDS)
        {
            Thread.yield();
        }
        else
        {
            fds.poll(timeoutMs);
        }
        idleCount++;
    }

    public void reset()
    {
        idleCount = 0;
    }

    public String alias()
    {
        return "poll";
    }
}
