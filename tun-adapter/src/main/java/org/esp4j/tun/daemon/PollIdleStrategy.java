package org.esp4j.tun.daemon;

import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.tun.jna.PollFds;

/**
 * Idle strategy of the packet agents: after work, give the CPU away with {@link Thread#yield()} between duty cycles
 * for at least {@link #MIN_YIELDS} idle rounds and, while the traffic is sparse, until {@code spinNs} have passed
 * since the first idle round (setting {@code idle.spin.us}), then block in {@code poll(2)} on the agent's
 * descriptors for at most {@code timeoutMs}, so an idle daemon uses no CPU and wakes as soon as a descriptor is
 * readable.
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
 * <b>Adaptive window</b> ({@code idle.spin.load.pct}): the window pays for request/response traffic, where each
 * packet finds the thread idle and a wake-up from {@code poll} is on the round trip's critical path. Under bulk
 * traffic it does not: packets queue while the thread works, wake-ups are few per packet, and a thread that never
 * sleeps keeps its CPU from ever going idle, so the scheduler's idle balancing no longer moves the applications'
 * and the kernel's runnable threads onto it (TCP lost 1-15 % with a fixed window, RESULTS.md). So the strategy
 * measures the thread's load, the share of wall time spent in duty cycles with work, decayed over about
 * {@link #LOAD_HORIZON_NS}, publishes it to the daemon's other packet thread ({@link PacketLoad}), and opens the
 * window only while the threads' loads add up to less than {@code spinLoadPercent}. The packet threads' load does not
 * show a CPU that other threads need (bulk UDP: the sending application and the kernel's softirqs keep both CPUs busy
 * while each agent has a few microseconds per datagram to do, and a spinning agent costs them rate), so the window
 * also ends, and none opens for {@link #LOAD_HORIZON_NS}, when one of its rounds took over
 * {@link #CONTENDED_ROUND_NS}: the thread yielded to, or was preempted by, another thread that ran that long. At 100
 * the window opens after all work and runs its length, as a fixed window. The clock is read at each change between
 * busy and idle (once per wake-up, never on a busy duty cycle that follows another), and only when {@code spinNs} is
 * not 0.
 * <p>
 * With {@code packet.threads=auto} the load also decides which thread runs the inbound agent
 * ({@link InboundHandoff}): a {@link LoadListener} hears it at each change from busy to idle, and says whether the
 * window may open (only while one thread carries both directions); the load is measured then even when {@code spinNs}
 * is 0.
 * <p>
 * Owned by the agent's thread; its outputs to other threads are its slot of {@link PacketLoad} and the two counters
 * (windows opened, windows skipped or cut short for load).
 */
public final class PollIdleStrategy implements IdleStrategy
{
    /** Idle rounds that yield before polling, whatever {@code spinNs}: two measured better than none (RESULTS.md). */
    static final int MIN_YIELDS = 2;

    /** The load is the busy share of about this much recent wall time (older time is halved away). */
    static final long LOAD_HORIZON_NS = 2_000_000L;

    /**
     * A round of the window that took longer than this (from one look to the next: a duty cycle, a poll and a yield,
     * a few microseconds when the CPU is free) means another thread had the CPU meanwhile for longer than a whole
     * request/response exchange takes on a shared CPU (the other daemon's agent, the application and the kernel, each
     * 5-15 us; a CPU-bound thread gets a scheduler slice of 0.75 ms or more): it needs the CPU, so the window ends
     * (even if its time is up) and none opens for {@link #LOAD_HORIZON_NS}. 50 us cut the windows of request/response
     * traffic on 2 CPUs too often (RESULTS.md).
     */
    static final long CONTENDED_ROUND_NS = 250_000L;

    /** Blocks until a descriptor is readable or {@code timeoutMs} pass ({@link PollFds#poll(int)}). */
    @FunctionalInterface
    public interface Poller
    {
        int poll(int timeoutMs);
    }

    /** Told the thread's load at each change from busy to idle (on the thread, once per wake-up with work). */
    @FunctionalInterface
    public interface LoadListener
    {
        /**
         * @param loadPercent the thread's load just measured, 0..100 ({@link #loadPercent()}).
         * @return true if the idle window may open now (then still only below {@code spinLoadPercent}).
         */
        boolean onLoad(int loadPercent);
    }

    private final Poller poller;
    private final int timeoutMs;
    private final long spinNs;
    private final int spinLoadPercent;
    private final NanoClock clock;
    private final Runnable yielder;
    private final AtomicCounter windowsOpened;
    private final AtomicCounter windowsSkipped;
    private final PacketLoad daemonLoad;
    private final int loadSlot;
    /** The load is measured: there is a window to gate ({@code spinNs > 0}) or a {@link LoadListener}. */
    private boolean measuring;
    private LoadListener loadListener;
    private int idleCount;
    private boolean busy;
    private boolean spinning;
    private long idleSinceNs;
    private long busySinceNs;
    private long busyNs;
    private long spanNs;
    private long lastRoundNs;
    private long contendedUntilNs;

    /**
     * @param fds             the agent's descriptors.
     * @param timeoutMs       longest poll.
     * @param spinNs          how long after the last work to keep yielding before polling (0: {@link #MIN_YIELDS}
     *                        yields).
     * @param spinLoadPercent open the window only while the daemon's packet load is below this (1..100; 100:
     *                        always).
     * @param daemonLoad      the loads of the daemon's packet threads, this one's in slot {@code loadSlot}.
     * @param loadSlot        this thread's slot in {@code daemonLoad}.
     * @param windowsOpened   counts windows opened after work (shared by the daemon's packet threads).
     * @param windowsSkipped  counts windows not opened because the daemon's packet threads were busy.
     */
    public PollIdleStrategy(
        final PollFds fds,
        final int timeoutMs,
        final long spinNs,
        final int spinLoadPercent,
        final PacketLoad daemonLoad,
        final int loadSlot,
        final AtomicCounter windowsOpened,
        final AtomicCounter windowsSkipped)
    {
        this(fds::poll, timeoutMs, spinNs, spinLoadPercent, SystemNanoClock.INSTANCE, Thread::yield,
            daemonLoad, loadSlot, windowsOpened, windowsSkipped);
    }

    PollIdleStrategy(
        final Poller poller,
        final int timeoutMs,
        final long spinNs,
        final int spinLoadPercent,
        final NanoClock clock,
        final Runnable yielder,
        final PacketLoad daemonLoad,
        final int loadSlot,
        final AtomicCounter windowsOpened,
        final AtomicCounter windowsSkipped)
    {
        if (spinNs < 0)
        {
            throw new IllegalArgumentException("spinNs must be >= 0: " + spinNs);
        }
        if (spinLoadPercent < 1 || spinLoadPercent > 100)
        {
            throw new IllegalArgumentException("spinLoadPercent must be 1..100: " + spinLoadPercent);
        }
        this.poller = poller;
        this.timeoutMs = timeoutMs;
        this.spinNs = spinNs;
        this.spinLoadPercent = spinLoadPercent;
        this.clock = clock;
        this.yielder = yielder;
        this.windowsOpened = windowsOpened;
        this.windowsSkipped = windowsSkipped;
        this.daemonLoad = daemonLoad;
        this.loadSlot = loadSlot;
        measuring = spinNs > 0;
        idleSinceNs = measuring ? clock.nanoTime() : 0; // a new thread starts idle
        contendedUntilNs = idleSinceNs;
    }

    /**
     * Measure the load even without a window, and tell {@code listener} at each change from busy to idle (set before
     * the thread starts).
     *
     * @param listener told the thread's load on its thread.
     * @return this.
     */
    PollIdleStrategy loadListener(final LoadListener listener)
    {
        loadListener = listener;
        if (!measuring)
        {
            measuring = true;
            idleSinceNs = clock.nanoTime();
            contendedUntilNs = idleSinceNs;
        }
        return this;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            if (!busy && measuring)
            {
                // idle to busy: the idle time (yields, window, poll) since the first idle round
                final long nowNs = clock.nanoTime();
                account(0, nowNs - idleSinceNs);
                busySinceNs = nowNs;
                busy = true;
                daemonLoad.publishBusy(loadSlot, loadPercent(), nowNs);
            }
            idleCount = 0;
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
            if (idleCount == 0 && measuring)
            {
                final long nowNs = clock.nanoTime();
                if (busy)
                {
                    // busy to idle: the busy time since the first duty cycle with work
                    account(nowNs - busySinceNs, nowNs - busySinceNs);
                    idleSinceNs = nowNs;
                    busy = false;
                }
                final int loadPercent = loadPercent();
                daemonLoad.publish(loadSlot, loadPercent, nowNs);
                final boolean windowAllowed = loadListener == null || loadListener.onLoad(loadPercent);
                if (spinNs > 0)
                {
                    spinning = windowAllowed && (spinLoadPercent == 100 ||
                        (daemonLoad.totalPercent(nowNs) < spinLoadPercent && nowNs - contendedUntilNs >= 0));
                    (spinning ? windowsOpened : windowsSkipped).increment();
                    lastRoundNs = nowNs;
                }
            }
            idleCount++;
            yielder.run();
        }
        else if (spinning)
        {
            window();
        }
        else
        {
            poller.poll(timeoutMs);
        }
    }

    private void window()
    {
        final long nowNs = clock.nanoTime();
        if (spinLoadPercent < 100 && nowNs - lastRoundNs > CONTENDED_ROUND_NS)
        {
            // the CPU went to another thread for a while (a yield to it, or a preemption): it is wanted
            contendedUntilNs = nowNs + LOAD_HORIZON_NS;
            spinning = false;
            windowsSkipped.increment();
            poller.poll(timeoutMs);
        }
        else if (nowNs - idleSinceNs >= spinNs)
        {
            spinning = false;
            poller.poll(timeoutMs);
        }
        else
        {
            lastRoundNs = nowNs;
            // a poll that does not wait: it refreshes which sockets are readable (ReceiveReadiness reads a socket
            // only when the last poll said so), and a descriptor that is ready goes to the duty cycle at once
            if (poller.poll(0) <= 0)
            {
                yielder.run();
            }
        }
    }

    public void reset()
    {
        idleCount = 0;
    }

    /**
     * @return true from the opening of an idle window after work until it ends without work (then the thread polls
     * and sleeps) or is cut for load; a duty cycle that finds work in the window still sees it open. Read on the
     * thread only.
     */
    boolean windowOpen()
    {
        return spinning;
    }

    public String alias()
    {
        return "poll";
    }

    /** @return the thread's recent load in percent (busy share of the last ~{@link #LOAD_HORIZON_NS}). */
    int loadPercent()
    {
        return spanNs == 0 ? 0 : (int)(busyNs * 100 / spanNs);
    }

    private void account(final long busy, final long span)
    {
        busyNs += busy;
        spanNs += span;
        while (spanNs > LOAD_HORIZON_NS)
        {
            busyNs >>= 1;
            spanNs >>= 1;
        }
    }
}
