package org.esp4j.tun.daemon;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.esp4j.tun.jna.PollFds;

/**
 * Idle strategy of the packet agents: after work, give the CPU away with {@link Thread#yield()} between duty cycles
 * for at least {@link #MIN_YIELDS} idle rounds and until {@code spinNs} have passed since the first idle round
 * (setting {@code idle.spin.us}), then block in {@code poll(2)} on the agent's descriptors for at most
 * {@code timeoutMs}, so an idle daemon uses no CPU and wakes as soon as a descriptor is readable.
 * <p>
 * Why yield and not spin: each idle round runs the agent's duty cycle, i.e. a non-blocking read, and on a small
 * machine a spinning thread takes the CPU from the applications and the other agents that make the traffic. A
 * yield lets any runnable thread of the CPU go first and costs one system call when there is none; meanwhile the
 * CPU does not halt, so a packet that arrives within the window is read without a wake-up from {@code poll}
 * (which on a VM is a halted vCPU woken by an inter-processor interrupt). {@code spinNs} of 0 keeps the two yields.
 * Each round of the window past those two also polls without waiting: the agents read a socket only when the last
 * poll reported it readable, so without it a datagram on a UDP carrier (or a raw socket) that arrived inside the
 * window would wait for the window to end; when that poll finds a descriptor ready the round does not yield.
 * <p>
 * Owned by the agent's thread. The clock is read only once idle rounds begin, never on a busy duty cycle.
 */
public final class PollIdleStrategy implements IdleStrategy
{
    /** Idle rounds that yield before polling, whatever {@code spinNs}: two measured better than none (RESULTS.md). */
    static final int MIN_YIELDS = 2;

    /** Blocks until a descriptor is readable or {@code timeoutMs} pass ({@link PollFds#poll(int)}). */
    @FunctionalInterface
    interface Poller
    {
        int poll(int timeoutMs);
    }

    private final Poller poller;
    private final int timeoutMs;
    private final long spinNs;
    private final NanoClock clock;
    private final Runnable yielder;
    private int idleCount;
    private long idleSinceNs;

    /**
     * @param fds       the agent's descriptors.
     * @param timeoutMs longest poll.
     * @param spinNs    how long after the last work to keep yielding before polling (0: {@link #MIN_YIELDS} yields).
     */
    public PollIdleStrategy(final PollFds fds, final int timeoutMs, final long spinNs)
    {
        this(fds::poll, timeoutMs, spinNs, SystemNanoClock.INSTANCE, Thread::yield);
    }

    PollIdleStrategy(
        final Poller poller, final int timeoutMs, final long spinNs, final NanoClock clock, final Runnable yielder)
    {
        if (spinNs < 0)
        {
            throw new IllegalArgumentException("spinNs must be >= 0: " + spinNs);
        }
        this.poller = poller;
        this.timeoutMs = timeoutMs;
        this.spinNs = spinNs;
        this.clock = clock;
        this.yielder = yielder;
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
        if (idleCount < MIN_YIELDS)
        {
            if (idleCount == 0 && spinNs > 0)
            {
                idleSinceNs = clock.nanoTime();
            }
            idleCount++;
            yielder.run();
        }
        else if (spinNs > 0 && clock.nanoTime() - idleSinceNs < spinNs)
        {
            // a poll that does not wait: it refreshes which sockets are readable (ReceiveReadiness reads a socket
            // only when the last poll said so), and a descriptor that is ready goes to the duty cycle at once
            if (poller.poll(0) <= 0)
            {
                yielder.run();
            }
        }
        else
        {
            poller.poll(timeoutMs);
        }
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
