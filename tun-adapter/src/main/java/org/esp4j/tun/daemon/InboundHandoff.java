package org.esp4j.tun.daemon;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code packet.threads=auto}: the inbound agent's duty cycle runs on its own packet thread (the <em>home</em>) under
 * bulk traffic, and on the outbound agent's thread (the <em>guest</em>) while the traffic is sparse, so that one
 * thread carries request/response traffic (a round trip's two hops through the daemon need one thread awake, and one
 * idle window after the request also catches the reply) and two threads carry bulk traffic in both directions at
 * once.
 * <p>
 * <b>Ownership.</b> An owner token says which thread may run the inbound agent: {@link #HOME} or {@link #LENT}. Only
 * the holder changes it, and only to give the agent away: the home lends it ({@code HOME -> LENT}) when it is about
 * to sleep in {@code poll(2)} while the daemon's packet load ({@link PacketLoad}) has been below
 * {@code lendBelowPercent} for {@link #LEND_AFTER_LOW_NS} and the outbound thread is not in a run of duty cycles with
 * work ({@link PacketLoad#anyBusy()});
 * the guest gives it back ({@code LENT -> HOME}) when its own load, measured at a change from busy to idle
 * ({@link PollIdleStrategy.LoadListener}), reached {@code returnAtPercent}, or after
 * {@link #RETURN_AFTER_BUSY_CYCLES} duty cycles with work in a row. The home also lends at each of its changes from
 * busy to idle, as soon as its work is done. The token is a volatile write after the giver's last duty cycle and a
 * volatile read before the taker's first, so everything the agent's state holds is
 * passed on with it (happens-before), and the agent is never run by two threads at once. The gap between the two
 * thresholds keeps a load near one of them from passing the agent to and fro.
 * <p>
 * <b>Wake-ups.</b> A thread that gives the agent away wakes the taker, which may be asleep in {@code poll(2)}: the
 * guest polls the carriers only while it holds the agent (its poll set without them otherwise, or the carriers' data
 * would wake it, level-triggered, and it could not read them), so an {@code eventfd} in its poll set tells it it now
 * holds the agent; the home sleeps on its own {@code eventfd} alone while the agent is lent. Each thread still wakes
 * at its {@code idle.poll.ms} timeout, as before. A hand-off costs a write and a wake-up; it happens at changes
 * between sparse and bulk traffic, counted in {@code TunInboundLent} and {@code TunInboundReturned}.
 * <p>
 * <b>Poll sets.</b> The outbound thread polls one of two sets (its own descriptors, or those and the carriers' while
 * it holds the inbound agent): each agent reads a descriptor when the set it polled last reported it
 * ({@link ReceiveReadiness}), so the guest tells the outbound agent which set it polls ({@link Outbound#tunPolledWith})
 * and the inbound agent which it holds ({@link Duty#heldBy}), and each reads everything once after a change. Holding
 * both, the thread does not poll while either agent has work, so after {@link #STALE_POLL_BUSY_CYCLES} duty cycles
 * with work in a row each agent reads its descriptors in every cycle until the run ends, as an agent on its own thread
 * does while it has work: what the last poll said is too old to trust.
 * <p>
 * <b>Idle window.</b> Only the guest holding both agents opens the {@code idle.spin.us} window: that is where it pays
 * (the reply to a request this thread sent arrives on this thread). With two threads the window would make neither
 * reply faster (it wakes the other, sleeping thread) and costs CPU per packet at moderate rates, so the threads then
 * sleep in {@code poll(2)} after work as with {@code packet.threads=two} and no window.
 * <p>
 * Each side reaches the agent through {@link Duty}, so the hand-off can be tested with substitutes.
 */
public final class InboundHandoff
{
    /** The inbound agent's own thread runs it. */
    static final int HOME = 0;
    /** The outbound agent's thread runs it. */
    static final int LENT = 1;

    /**
     * The guest gives the inbound agent back after this many duty cycles with work in a row: a run that long (each
     * cycle takes up to a burst per descriptor) is bulk traffic, which may go on for hundreds of milliseconds
     * without the idle round at which the guest's load is measured. Request/response traffic has one or two.
     */
    static final int RETURN_AFTER_BUSY_CYCLES = 256;

    /**
     * The home lends the agent only after the daemon's packet load has stayed below {@code lendBelowPercent} for this
     * long: ten load horizons ({@link PollIdleStrategy#LOAD_HORIZON_NS}). A thread's load stops counting once it has
     * slept or been preempted for one horizon, and a bulk sender on a busy 2-vCPU machine often pauses for longer
     * (a scheduler tick is 4 ms at HZ=250, and a preempting CPU-bound thread may run several slices): lending at
     * each such pause passed the agent to and fro ~80 times a second under TCP (RESULTS.md). Request/response
     * traffic loses only the first 20 ms after bulk traffic to two threads.
     */
    static final long LEND_AFTER_LOW_NS = 10 * PollIdleStrategy.LOAD_HORIZON_NS;

    /**
     * Duty cycles with work in a row, holding both agents, after which each reads its descriptors in every cycle
     * (a run that long has not polled for that long). One or two is a wake-up's work: the poll before it is fresh.
     */
    static final int STALE_POLL_BUSY_CYCLES = 2;

    private static final int OUT_WORK = 1;
    private static final int IN_WORK = 2;

    /** The inbound agent as either side sees it. */
    public interface Duty
    {
        /** One duty cycle, by the token's holder only. @return work done. */
        int doWork();

        /**
         * The calling thread now holds the agent ({@link #HOME} or {@link #LENT}): look at the descriptors that
         * thread polls, and read every receiver once (the last poll of that set may be stale).
         */
        void heldBy(int side);

        /** Read every receiver in the next duty cycle: the thread has not polled for a while. */
        void sweepNext();
    }

    /** The outbound agent as the guest drives it: whose poll its TUN gate follows. */
    public interface Outbound extends Agent
    {
        /**
         * The thread is about to poll the set it polls while the inbound agent is at {@code side}: {@link #HOME},
         * its own descriptors; {@link #LENT}, those and the carriers'. The TUN gate now follows that set.
         */
        void tunPolledWith(int side);

        /** Read the TUN in the next duty cycle: the thread has not polled for a while. */
        void readTunNext();
    }

    private final AtomicInteger owner = new AtomicInteger(HOME);
    private final Runnable wakeGuest;
    private final Runnable wakeHome;
    private final int lendBelowPercent;
    private final int returnAtPercent;
    private final AtomicCounter lent;
    private final AtomicCounter returned;

    /**
     * @param wakeGuest        wakes the guest's poll (its hand-off {@code eventfd}).
     * @param wakeHome         wakes the home's poll while lent (its {@code eventfd}).
     * @param lendBelowPercent the home lends while the daemon's packet load is below this.
     * @param returnAtPercent  the guest gives back once its own load is at least this (above lendBelowPercent).
     * @param lent             counts hand-offs to the guest.
     * @param returned         counts hand-offs back home.
     */
    public InboundHandoff(
        final Runnable wakeGuest,
        final Runnable wakeHome,
        final int lendBelowPercent,
        final int returnAtPercent,
        final AtomicCounter lent,
        final AtomicCounter returned)
    {
        if (lendBelowPercent >= returnAtPercent)
        {
            throw new IllegalArgumentException(
                "lendBelowPercent must be below returnAtPercent: " + lendBelowPercent + ", " + returnAtPercent);
        }
        this.wakeGuest = wakeGuest;
        this.wakeHome = wakeHome;
        this.lendBelowPercent = lendBelowPercent;
        this.returnAtPercent = returnAtPercent;
        this.lent = lent;
        this.returned = returned;
    }

    /**
     * @param idleSpinLoadPct the idle window's load gate ({@code idle.spin.load.pct}).
     * @return the load below which the home lends: a quarter of the gate (request/response traffic keeps a thread
     * busy a few per cent of the time).
     */
    public static int lendBelowPercent(final int idleSpinLoadPct)
    {
        return idleSpinLoadPct / 4;
    }

    /**
     * @param idleSpinLoadPct the idle window's load gate ({@code idle.spin.load.pct}).
     * @return the guest's load at which it gives the agent back: half the gate, so that a moderate one-way rate runs
     * on two threads without the window (which would spin after every datagram); above
     * {@link #lendBelowPercent(int)}, the gap keeping a load between them from passing the agent to and fro.
     */
    public static int returnAtPercent(final int idleSpinLoadPct)
    {
        return Math.max(idleSpinLoadPct / 2, lendBelowPercent(idleSpinLoadPct) + 1);
    }

    /** @return {@link #HOME} or {@link #LENT}, the holder now. */
    int owner()
    {
        return owner.get();
    }

    private void lend()
    {
        owner.set(LENT);
        lent.increment();
        wakeGuest.run();
    }

    private void giveBack()
    {
        owner.set(HOME);
        returned.increment();
        wakeHome.run();
    }

    /**
     * The inbound agent's own thread: runs the agent while it holds it, and is the {@link PollIdleStrategy.Poller}
     * of that thread's idle strategy, which decides, when the thread is about to sleep, whether to lend the agent and
     * sleep on the hand-off {@code eventfd} instead of the carriers.
     */
    public static final class Home implements Agent, PollIdleStrategy.Poller, PollIdleStrategy.LoadListener
    {
        private final InboundHandoff handoff;
        private final Duty duty;
        private final String roleName;
        private final PollIdleStrategy.Poller carriers;
        private final PollIdleStrategy.Poller wake;
        private final Runnable clearWake;
        private final PacketLoad load;
        private final NanoClock clock;
        private boolean holding = true;
        /** When this thread last saw the load at or above the lend threshold (as if long ago at the start). */
        private long loadedAtNs;

        /**
         * @param carriers  polls the carriers' descriptors (while held).
         * @param wake      polls the home's hand-off {@code eventfd} alone (while lent).
         * @param clearWake takes a pending signal of that {@code eventfd}.
         * @param load      the daemon's packet load.
         */
        public Home(
            final InboundHandoff handoff,
            final Duty duty,
            final String roleName,
            final PollIdleStrategy.Poller carriers,
            final PollIdleStrategy.Poller wake,
            final Runnable clearWake,
            final PacketLoad load,
            final NanoClock clock)
        {
            this.handoff = handoff;
            this.duty = duty;
            this.roleName = roleName;
            this.carriers = carriers;
            this.wake = wake;
            this.clearWake = clearWake;
            this.load = load;
            this.clock = clock;
            load.markLoadedAt(handoff.lendBelowPercent);
            loadedAtNs = clock.nanoTime() - LEND_AFTER_LOW_NS;
        }

        public int doWork()
        {
            if (!holding)
            {
                if (handoff.owner() == LENT)
                {
                    return 0;
                }
                holding = true;
                duty.heldBy(HOME);
            }
            return duty.doWork();
        }

        /** @return false: no idle window here (two threads carry the traffic, or the guest carries it all). */
        public boolean onLoad(final int loadPercent)
        {
            // as soon as the work is done, not only before sleeping: the first reply then already finds one thread
            if (holding && mayLend())
            {
                holding = false;
                handoff.lend();
            }
            return false;
        }

        /**
         * The load has been low for {@link #LEND_AFTER_LOW_NS}, as this thread saw it and as each thread's
         * {@link PacketLoad#publish} saw it: a load that stopped counting because its thread paused is not yet a low
         * load. This thread's slot is idle when it asks (it published its load just before), so a busy slot is the
         * outbound thread's: a run that began after a short idle gap still shows the low load of before it, and
         * under bulk traffic the guest would give the agent back within {@link #RETURN_AFTER_BUSY_CYCLES}. A busy
         * slot only stops this lend (request/response traffic starts a run at each packet); the run's load counts
         * when it ends, or once it has lasted a horizon.
         */
        private boolean mayLend()
        {
            final long nowNs = clock.nanoTime();
            if (load.totalPercent(nowNs) >= handoff.lendBelowPercent)
            {
                loadedAtNs = nowNs;
                return false;
            }
            return !load.anyBusy() && nowNs - loadedAtNs >= LEND_AFTER_LOW_NS &&
                !load.loadedWithin(nowNs, LEND_AFTER_LOW_NS);
        }

        public int poll(final int timeoutMs)
        {
            if (holding)
            {
                // a round of the idle window looks without waiting; a thread about to sleep lends
                if (timeoutMs == 0 || !mayLend())
                {
                    return carriers.poll(timeoutMs);
                }
                holding = false;
                handoff.lend();
            }
            // take the signal first: a give-back after this leaves the eventfd readable, so the poll returns at once
            clearWake.run();
            return handoff.owner() == LENT ? wake.poll(timeoutMs) : 1;
        }

        public String roleName()
        {
            return roleName;
        }
    }

    /**
     * The outbound agent's thread: runs the outbound agent, and the inbound agent while it is lent; polls the
     * carriers only then. It is its thread's {@link PollIdleStrategy.Poller} and {@link PollIdleStrategy.LoadListener}.
     */
    public static final class Guest implements Agent, PollIdleStrategy.Poller, PollIdleStrategy.LoadListener
    {
        private final InboundHandoff handoff;
        private final Outbound outbound;
        private final Duty duty;
        private final PollIdleStrategy.Poller own;
        private final PollIdleStrategy.Poller withCarriers;
        private final Runnable clearWake;
        private boolean holding;
        private int busyCycles;
        /** Which directions had work in this busy run and the one before ({@link #OUT_WORK}, {@link #IN_WORK}). */
        private int runDirections;
        private int previousRunDirections;

        /**
         * @param outbound     the outbound agent.
         * @param own          polls the outbound agent's descriptors and the guest's hand-off {@code eventfd}.
         * @param withCarriers polls those and the carriers' descriptors (while the inbound agent is lent).
         * @param clearWake    takes a pending signal of the hand-off {@code eventfd}.
         */
        public Guest(
            final InboundHandoff handoff,
            final Outbound outbound,
            final Duty duty,
            final PollIdleStrategy.Poller own,
            final PollIdleStrategy.Poller withCarriers,
            final Runnable clearWake)
        {
            this.handoff = handoff;
            this.outbound = outbound;
            this.duty = duty;
            this.own = own;
            this.withCarriers = withCarriers;
            this.clearWake = clearWake;
        }

        public void onStart()
        {
            outbound.onStart();
        }

        public int doWork() throws Exception
        {
            if (busyCycles >= STALE_POLL_BUSY_CYCLES)
            {
                // holding both, no poll since the run began: the other agent's work kept the thread from it
                outbound.readTunNext();
                duty.sweepNext();
            }
            int work = outbound.doWork();
            if (work > 0)
            {
                runDirections |= OUT_WORK;
            }
            if (!holding && handoff.owner() == LENT)
            {
                holding = true;
                duty.heldBy(LENT);
            }
            if (holding)
            {
                final int inWork = duty.doWork();
                if (inWork > 0)
                {
                    runDirections |= IN_WORK;
                }
                work += inWork;
                // a long run without an idle round is bulk traffic: its load is told only at the run's end
                if (work == 0)
                {
                    busyCycles = 0;
                }
                else if (++busyCycles >= RETURN_AFTER_BUSY_CYCLES)
                {
                    giveBack();
                }
            }
            return work;
        }

        /**
         * @return true while this thread carries both directions and both had work in this busy run or the one
         * before: the idle window then catches the reply. Traffic one way only (a stream sent or received) has no
         * reply to catch, and a window after each of its wake-ups would cost CPU per packet.
         */
        public boolean onLoad(final int loadPercent)
        {
            if (holding && loadPercent >= handoff.returnAtPercent)
            {
                giveBack();
            }
            final boolean bothWays = (runDirections | previousRunDirections) == (OUT_WORK | IN_WORK);
            previousRunDirections = runDirections;
            runDirections = 0;
            return holding && bothWays;
        }

        private void giveBack()
        {
            holding = false;
            busyCycles = 0;
            handoff.giveBack();
        }

        public int poll(final int timeoutMs)
        {
            // the signal may come after the take-over saw LENT: take it at every look, or a readable eventfd would
            // keep every poll from sleeping
            clearWake.run();
            outbound.tunPolledWith(holding ? LENT : HOME);
            return holding ? withCarriers.poll(timeoutMs) : own.poll(timeoutMs);
        }

        public void onClose()
        {
            outbound.onClose();
        }

        public String roleName()
        {
            return outbound.roleName();
        }
    }
}
