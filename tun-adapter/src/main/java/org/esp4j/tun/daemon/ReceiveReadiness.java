package org.esp4j.tun.daemon;

import org.esp4j.tun.jna.PollFds;

/**
 * Which of an agent's sockets a duty cycle reads: those that {@code poll(2)} last reported readable, those whose
 * last read filled a whole burst (more may be queued), and every one of them once every {@link #SWEEP_CYCLES}
 * duty cycles. A socket with nothing queued then costs no {@code recvmmsg(2)} that only answers {@code EAGAIN}:
 * with a packet ring beside the raw sockets, a packet used to cost one such call per raw socket per duty cycle, and
 * a few duty cycles run per wake-up.
 * <p>
 * Nothing waits longer for it: {@code poll} is level-triggered, so a socket with data makes the next poll return at
 * once and report it; and an agent that never idles (a busy packet ring) still reads every socket at least every
 * {@link #SWEEP_CYCLES} duty cycles. Owned by the agent's thread, which also runs the idle strategy that polls.
 */
final class ReceiveReadiness
{
    /** Every socket is read at least once in this many duty cycles (a power of two). */
    static final int SWEEP_CYCLES = 64;
    private static final short READY = PollFds.READY_EVENTS;

    private final PollFds fds;
    /** Index in {@link #fds} of receiver 0 (the agent may poll other descriptors before its receivers). */
    private final int fdOffset;
    private final int first;
    private final boolean[] more;
    private int cycle;
    private boolean sweep;

    /**
     * @param fds      the descriptors the agent's idle strategy polls, the receivers' in their order from
     *                 {@code fdOffset}, or null: every receiver is read every duty cycle.
     * @param fdOffset index in {@code fds} of receiver 0.
     * @param first    receivers [0, first) need no system call to look at (a memory-mapped ring): always read.
     * @param count    receivers in all.
     */
    ReceiveReadiness(final PollFds fds, final int fdOffset, final int first, final int count)
    {
        this.fds = fds;
        this.fdOffset = fdOffset;
        this.first = first;
        more = new boolean[count];
    }

    /** Start a duty cycle. */
    void beginCycle()
    {
        sweep = (++cycle & (SWEEP_CYCLES - 1)) == 0;
    }

    /** Read every receiver in the next duty cycle (another thread polled them last; what it saw is not here). */
    void sweepNext()
    {
        cycle = SWEEP_CYCLES - 1;
    }

    /** @return true if receiver {@code index} should be read in this duty cycle. */
    boolean shouldRead(final int index)
    {
        return fds == null || index < first || sweep || more[index] || (fds.revents(fdOffset + index) & READY) != 0;
    }

    /**
     * Receiver {@code index} was read.
     *
     * @param full true if it gave a whole burst: it may have more, read it again next cycle.
     */
    void read(final int index, final boolean full)
    {
        more[index] = full;
        if (fds != null)
        {
            fds.clearRevents(fdOffset + index);
        }
    }
}
