package org.esp4j.tun.daemon;

import org.agrona.concurrent.IdleStrategy;
import org.esp4j.tun.jna.PollFds;

/**
 * Idle strategy of the packet agents: once a duty cycle finds no work, block in {@code poll(2)} on the agent's
 * descriptors for at most {@code timeoutMs}, so an idle daemon uses no CPU and wakes as soon as a descriptor is
 * readable (optionally after {@code esp4j.idle.spins} spins and {@code esp4j.idle.yields} yields, default 0 each).
 */
public final class PollIdleStrategy implements IdleStrategy
{
    // Each idle round calls the agent's doWork, i.e. one non-blocking receive system call per socket, so spinning
    // is not free: on a small machine the spins of four agent threads starve the kernel and the applications that
    // make the traffic. Yielding is not free either: sched_yield is a system call and a context switch, and a
    // thread that yields stays runnable, so on a busy machine it waits behind other work for its whole time slice
    // where a thread woken from poll() would have preempted it. A poll() with a packet already queued returns at
    // once, so the default blocks in poll() as soon as a duty cycle finds nothing; spin or yield only where cores
    // are to spare (benchmarks/RESULTS.md, latency of a 200-byte round trip).
    private static final int SPINS = Integer.getInteger("esp4j.idle.spins", 0);
    private static final int YIELDS = Integer.getInteger("esp4j.idle.yields", 0);

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
