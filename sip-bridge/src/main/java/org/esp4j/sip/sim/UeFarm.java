package org.esp4j.sip.sim;

import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.Transport;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Many simulated UEs in one process ({@code esp4j sim ue --ues N}): UE i is a {@link UeSim} with its own address,
 * subscriber ({@link SubscriberSet}) and SPIs (spi-c and spi-s of the template plus 2i, so that one UE-role daemon in
 * front of the farm holds distinct inbound SPIs), and the template's ports. All of them share one thread and one
 * selector ({@link SocketSimTransport}); no thread per UE.
 * <p>
 * The run: UEs start their registration (REGISTER, 401, protected REGISTER, 200, SUBSCRIBE, NOTIFY) at most
 * {@code ratePerS} a second (0: no limit) with at most {@code concurrency} procedures in flight; each registered UE
 * re-registers {@code reregistrations} times, {@code reregisterIntervalMs} after its previous registration; once all
 * are done (or, with a hold, once the hold file exists or {@code holdMs} passed since the last registration, while
 * re-registering every interval), every registered UE de-registers under the same limits. {@link #stop()} (Ctrl-C)
 * starts the de-registration at once. A progress line each second, a summary at the end: time-to-200 (first REGISTER
 * to the 200 OK of the protected REGISTER) p50/p99/max, failures by reason, retransmissions.
 * <p>
 * Sustained load ({@code sustainMs} not 0): each UE de-registers as soon as it is registered and then registers
 * again, each time as a new UE of the same subscriber, address, ports and SPIs (a fresh AKA challenge and four new
 * SAs on each side), under the same limits, until {@code sustainMs} passed since the first REGISTER; then all
 * de-register. The progress line carries the registrations so far and the wall clock, so that a rate can be read over
 * any window of the run; time-to-200 is over the last N registrations.
 * <p>
 * The farm's tick (every 20 ms) visits only the UEs with something due: a message arrived, a retransmission or
 * timeout of their sim ({@link UeSim#nextDueMs()}), a re-registration's time, all kept in a {@link DueQueue}; and
 * those waiting for a slot under the limits, in a queue in the order they became ready. So an idle registered UE costs
 * nothing per tick, and a tick costs the work due in it, not N.
 * <p>
 * Memory is one UeSim (and its subscriber's keys) per UE, created when the UE starts; the time-to-200 samples are one
 * array of N. Not thread-safe, except {@link #stop()}.
 */
public final class UeFarm implements SocketSimTransport.Handler
{
    private static final long TICK_MS = 20;
    private static final long PROGRESS_MS = 1000;

    /**
     * What the farm runs.
     *
     * @param template             every UE's config but its address, subscriber and SPIs (its procedure is ignored).
     * @param subscribers          UE i is subscriber i.
     * @param first                index of this farm's first UE (a {@link FarmShard}'s; 0 for a whole farm): its
     *                             UE j is UE first + j of the whole farm (subscriber, address, SPIs).
     * @param ues                  how many UEs this farm runs.
     * @param address              UE i's address, by its index in the whole farm.
     * @param ratePerS             procedures started per second at most (0: no limit).
     * @param concurrency          procedures in flight at most.
     * @param reregistrations      re-registrations per UE before the de-registration (without a hold).
     * @param reregisterIntervalMs from a UE's registration to its next re-registration.
     * @param holdMs               when not 0: stay registered this long after the last UE registered, then
     *                             de-register (re-registering every interval meanwhile, if one is given).
     * @param holdFile             when not null: stay registered until this file exists, then de-register.
     * @param timeoutMs            the whole run at most; what is not done by then fails.
     * @param sustainMs            when not 0: register and de-register each UE in turn this long (sustained load;
     *                             re-registrations and holds are not used then).
     */
    public record Settings(
        UeSimConfig template,
        SubscriberSet subscribers,
        int first,
        int ues,
        IntFunction<InetAddress> address,
        double ratePerS,
        int concurrency,
        int reregistrations,
        long reregisterIntervalMs,
        long holdMs,
        Path holdFile,
        long timeoutMs,
        long sustainMs)
    {
        /**
         * @throws IllegalArgumentException naming the option at fault.
         */
        public Settings
        {
            if (ues < 1 || first < 0 || (long)first + ues > subscribers.size())
            {
                throw new IllegalArgumentException("--ues: 1.." + subscribers.size() + " (the subscribers), got " +
                    (first == 0 ? "" : first + " + ") + ues);
            }
            final long last = (long)first + ues - 1;
            if (template.spiS() + 2L * last > 0xFFFF_FFFFL || template.spiC() + 2L * last > 0xFFFF_FFFFL)
            {
                throw new IllegalArgumentException("--spi-c/--spi-s: the SPIs of " + (last + 1) +
                    " UEs (+ 2 per UE) pass 2^32");
            }
            if (concurrency < 1)
            {
                throw new IllegalArgumentException("--concurrency: at least 1");
            }
            if (sustainMs < 0)
            {
                throw new IllegalArgumentException("--sustain: at least 0 s");
            }
        }

        /** A whole farm in one process (its first UE is UE 0), without sustained load. */
        public Settings(
            final UeSimConfig template,
            final SubscriberSet subscribers,
            final int ues,
            final IntFunction<InetAddress> address,
            final double ratePerS,
            final int concurrency,
            final int reregistrations,
            final long reregisterIntervalMs,
            final long holdMs,
            final Path holdFile,
            final long timeoutMs)
        {
            this(template, subscribers, 0, ues, address, ratePerS, concurrency, reregistrations, reregisterIntervalMs,
                holdMs, holdFile, timeoutMs, 0);
        }
    }

    private static final byte WAITING = 0;
    private static final byte REGISTERING = 1;
    private static final byte REGISTERED = 2;
    private static final byte REREGISTERING = 3;
    private static final byte DEREGISTERING = 4;
    private static final byte DEREGISTERED = 5;
    private static final byte FAILED = 6;
    /** Sustained load: de-registered, waiting for a slot to register again. */
    private static final byte BETWEEN = 7;
    private static final String[] PHASE_NAMES = { "waiting", "registering", "registered", "re-registering",
        "de-registering", "de-registered", "failed", "between registrations" };

    private final Settings settings;
    private final SocketSimTransport sockets;
    private final PrintStream out;
    private final CountingTransport transport;
    private final UeSim[] sims;
    private final byte[] phase;
    private final long[] startNs;
    private final long[] nextReregisterMs;
    private final int[] reregistered;
    private final long[] timeTo200Ns;
    private final long[] sampleNs;
    private final int[] phaseCount = new int[PHASE_NAMES.length];
    private final DueQueue due;
    private final int[] slotQueue;
    private final boolean[] waitingForSlot;
    private int slotQueueHead;
    private int slotQueueSize;
    private int owingReregistration;
    private long visits;
    private final Map<InetAddress, Integer> byAddress;
    private final Map<String, Integer> failures = new TreeMap<>();
    private volatile boolean stopRequested;

    private int started;
    private int samples;
    private long sentObserved;
    private long badInput;
    private long reregistrationsDone;
    private boolean deregistering;
    private boolean registrationPhaseOver;
    private long lastRegisteredMs;
    private double tokens;
    private long lastTickMs;
    private long registrationsAtLastProgress;
    private long lastProgressMs;
    private long firstStartMs = -1;
    private long allRegisteredMs = -1;
    private long firstStartEpochMs = -1;
    private long allRegisteredEpochMs = -1;
    private long registeredTotal;
    private long deregisteringSinceMs = -1;

    /**
     * @param settings what to run.
     * @param sockets  the farm's sockets (each UE listens on its address when it starts); set to open TCP
     *                 connections without blocking: one thread waiting for each UE's handshake through both daemons
     *                 in turn would make those round trips the farm's limit.
     * @param out      progress and summary lines.
     */
    public UeFarm(final Settings settings, final SocketSimTransport sockets, final PrintStream out)
    {
        this.settings = settings;
        this.sockets = sockets.connectWithoutBlocking();
        this.out = out;
        this.transport = new CountingTransport(sockets);
        final int n = settings.ues();
        sims = new UeSim[n];
        phase = new byte[n];
        startNs = new long[n];
        nextReregisterMs = new long[n];
        reregistered = new int[n];
        timeTo200Ns = new long[n];
        sampleNs = new long[n];
        byAddress = new HashMap<>(n * 2);
        phaseCount[WAITING] = n;
        due = new DueQueue(n);
        slotQueue = new int[n];
        waitingForSlot = new boolean[n];
    }

    /** Start the de-registration of every registered UE now (Ctrl-C); safe from any thread. */
    public void stop()
    {
        stopRequested = true;
    }

    /**
     * Run until every UE has de-registered or failed, or the timeout.
     *
     * @return true when no UE failed.
     * @throws IOException when the selector fails.
     */
    public boolean run() throws IOException
    {
        final long t0 = nowMs();
        final long deadline = t0 + settings.timeoutMs();
        lastTickMs = t0;
        lastProgressMs = t0;
        tokens = 1;
        while (!finished())
        {
            sockets.poll(5, this);
            final long now = nowMs();
            if (now - lastTickMs >= TICK_MS)
            {
                tick(now);
            }
            if (now - lastProgressMs >= PROGRESS_MS)
            {
                progress(now);
            }
            if (now - deadline >= 0)
            {
                timeout();
                break;
            }
        }
        progress(nowMs());
        summary(nowMs() - t0);
        return failures.isEmpty();
    }

    /**
     * @return UEs that failed so far.
     */
    public int failed()
    {
        return phaseCount[FAILED];
    }

    /**
     * @return UEs visited by the tick so far (each visit runs the UE's timers and moves it on): the tick's work.
     */
    public long visits()
    {
        return visits;
    }

    /**
     * @return failures by reason.
     */
    public Map<String, Integer> failures()
    {
        return failures;
    }

    /**
     * @return retransmitted requests so far (RFC 3261 timer E).
     */
    public long retransmissions()
    {
        return transport.sends - sentObserved;
    }

    private boolean finished()
    {
        // after stop(), the UEs never started count as done
        return (started == settings.ues() || deregistering) && phaseCount[DEREGISTERED] + phaseCount[FAILED] == started;
    }

    public void onMessage(final SimFlow flow, final SipMessage message) throws IOException
    {
        final Integer index = byAddress.get(flow.local().getAddress());
        if (index == null)
        {
            badInput++;
            return;
        }
        final UeSim sim = sims[index];
        final long now = nowMs();
        try
        {
            sim.onMessage(flow, message, now);
        }
        catch (final IOException ex)
        {
            fail(index, "cannot send: " + ex.getMessage());
        }
        due.schedule(index, now); // the next tick moves it on
    }

    public void onBadInput(final SimFlow flow, final String reason)
    {
        badInput++;
    }

    public void onSendFailed(final SimFlow flow, final String reason)
    {
        final Integer index = byAddress.get(flow.local().getAddress());
        if (index == null)
        {
            badInput++;
            return;
        }
        fail(index, "cannot send: " + reason);
    }

    private void tick(final long now)
    {
        final double rate = settings.ratePerS();
        if (rate > 0)
        {
            tokens = Math.min(tokens + rate * (now - lastTickMs) / 1000.0, Math.max(1, rate * 2 * TICK_MS / 1000.0));
        }
        lastTickMs = now;
        if (!deregistering && (stopRequested || started == settings.ues() && readyToDeregister(now)))
        {
            deregistering = true;
            deregisteringSinceMs = now;
            out.println("farm: de-registering " + phaseCount[REGISTERED] + " UEs" + (stopRequested ? " (stopped)" : ""));
            for (int i = 0; i < started; i++)
            {
                if (phase[i] == REGISTERED)
                {
                    waitForSlot(i);
                }
                else if (phase[i] == BETWEEN)
                {
                    move(i, DEREGISTERED);
                }
            }
        }
        while (!deregistering && started < settings.ues() && mayStart())
        {
            startRegistration(started++, now);
        }
        if (!registrationPhaseOver && started == settings.ues() && phaseCount[REGISTERING] == 0 &&
            (!sustaining() || deregistering))
        {
            registrationPhaseOver = true;
            out.println("farm: registration phase over: " + registeredTotal + " registered, " + phaseCount[FAILED] +
                " failed");
            out.flush();
        }
        for (int i = due.pollDue(now); i >= 0; i = due.pollDue(now))
        {
            visit(i, now);
        }
        startWaiting(now);
    }

    /** Run a UE's timers, move it on, and say when it is next due. */
    private void visit(final int i, final long now)
    {
        final byte current = phase[i];
        if (current == DEREGISTERED || current == FAILED)
        {
            return;
        }
        visits++;
        final UeSim sim = sims[i];
        try
        {
            sim.doWork(now);
            advance(i, sim, now);
        }
        catch (final IOException ex)
        {
            fail(i, "cannot send: " + ex.getMessage());
        }
        if (phase[i] == BETWEEN)
        {
            waitForSlot(i);
        }
        else if (phase[i] == REGISTERED)
        {
            if (deregistering || sustaining())
            {
                waitForSlot(i);
            }
            else if (wantsReregistration(i))
            {
                if (now - nextReregisterMs[i] >= 0)
                {
                    waitForSlot(i);
                }
                else
                {
                    due.schedule(i, nextReregisterMs[i]);
                }
            }
        }
        scheduleTimers(i, now);
    }

    private void scheduleTimers(final int i, final long now)
    {
        if (phase[i] != DEREGISTERED && phase[i] != FAILED)
        {
            // never at now: a UE due again at once waits for the next tick, which keeps the tick's loop finite
            due.schedule(i, Math.max(now + 1, sims[i].nextDueMs()));
        }
    }

    private void waitForSlot(final int i)
    {
        if (waitingForSlot[i])
        {
            return;
        }
        waitingForSlot[i] = true;
        slotQueue[(slotQueueHead + slotQueueSize++) % slotQueue.length] = i;
    }

    /** Re-register or de-register the registered UEs waiting for a slot, first come first served, as limits allow. */
    private void startWaiting(final long now)
    {
        while (slotQueueSize > 0)
        {
            final int i = slotQueue[slotQueueHead];
            final boolean ready = phase[i] == REGISTERED &&
                (deregistering || sustaining() || wantsReregistration(i) && now - nextReregisterMs[i] >= 0) ||
                phase[i] == BETWEEN && !deregistering && started == settings.ues(); // the first UEs first
            if (ready && !mayStart())
            {
                return;
            }
            slotQueueHead = (slotQueueHead + 1) % slotQueue.length;
            slotQueueSize--;
            waitingForSlot[i] = false;
            if (!ready)
            {
                due.schedule(i, now + 1); // whatever it is doing now, a visit finds out
                continue;
            }
            final UeSim sim = sims[i];
            try
            {
                if (phase[i] == BETWEEN)
                {
                    move(i, REGISTERING);
                    begin(i, config(i), now);
                    continue;
                }
                if (deregistering || sustaining())
                {
                    sim.deregister(now);
                    move(i, DEREGISTERING);
                }
                else
                {
                    sim.reregister(now);
                    move(i, REREGISTERING);
                }
            }
            catch (final IOException ex)
            {
                fail(i, "cannot send: " + ex.getMessage());
            }
            scheduleTimers(i, now);
        }
    }

    private void advance(final int i, final UeSim sim, final long now) throws IOException
    {
        final byte current = phase[i];
        if (current != REGISTERED && sim.state() == UeSim.State.FAILED)
        {
            fail(i, sim.failure());
            return;
        }
        switch (current)
        {
            case REGISTERING -> {
                if (sim.isRegistered())
                {
                    registeredTotal++;
                    lastRegisteredMs = now;
                    nextReregisterMs[i] = now + settings.reregisterIntervalMs();
                    move(i, REGISTERED);
                    if (phaseCount[REGISTERED] == settings.ues())
                    {
                        allRegisteredMs = now;
                        allRegisteredEpochMs = System.currentTimeMillis();
                    }
                }
            }
            case REREGISTERING -> {
                if (sim.isRegistered())
                {
                    reregistered[i]++;
                    reregistrationsDone++;
                    nextReregisterMs[i] = now + settings.reregisterIntervalMs();
                    move(i, REGISTERED);
                }
            }
            case DEREGISTERING -> {
                if (sim.state() == UeSim.State.DONE && !sim.isRegistered())
                {
                    if (sustaining() && !deregistering)
                    {
                        if (sim.unprotectedTcp() != null)
                        {
                            sockets.closeTcp(sim.unprotectedTcp()); // the next cycle opens its own
                        }
                        move(i, BETWEEN);
                        waitForSlot(i);
                    }
                    else
                    {
                        move(i, DEREGISTERED);
                    }
                }
            }
            default -> { } // a registered UE's next step waits for its time and a slot (visit, startWaiting)
        }
    }

    private boolean wantsReregistration(final int i)
    {
        final boolean holding = settings.holdMs() > 0 || settings.holdFile() != null;
        return holding ? settings.reregisterIntervalMs() > 0 : reregistered[i] < settings.reregistrations();
    }

    private boolean sustaining()
    {
        return settings.sustainMs() > 0;
    }

    private boolean readyToDeregister(final long now)
    {
        if (sustaining())
        {
            return firstStartMs >= 0 && now - firstStartMs >= settings.sustainMs();
        }
        if (phaseCount[REGISTERING] > 0 || phaseCount[REREGISTERING] > 0)
        {
            return false;
        }
        if (settings.holdFile() != null)
        {
            return Files.exists(settings.holdFile());
        }
        if (settings.holdMs() > 0)
        {
            return now - lastRegisteredMs >= settings.holdMs();
        }
        return owingReregistration == 0;
    }

    /** Takes a token (when rated) if the limits allow one more procedure. */
    private boolean mayStart()
    {
        if (inFlight() >= settings.concurrency() || settings.ratePerS() > 0 && tokens < 1)
        {
            return false;
        }
        if (settings.ratePerS() > 0)
        {
            tokens -= 1;
        }
        return true;
    }

    private int inFlight()
    {
        return phaseCount[REGISTERING] + phaseCount[REREGISTERING] + phaseCount[DEREGISTERING];
    }

    /** UE i's config: its index in the whole farm, which the P-CSCF side derives alike, gives all but the template. */
    private UeSimConfig config(final int i)
    {
        final UeSimConfig template = settings.template();
        final int ue = settings.first() + i;
        return new UeSimConfig(settings.subscribers().get(ue), settings.address().apply(ue), template.pcscf(),
            template.pcscfPort(), template.portC(), template.portS(), template.spiC() + 2L * ue,
            template.spiS() + 2L * ue, template.algorithms(), template.ealg(), template.transport(), 0, false,
            template.expiresS(), null, template.renewPortC());
    }

    private void startRegistration(final int i, final long now)
    {
        final UeSimConfig config = config(i);
        final InetAddress address = config.ue();
        if (firstStartMs < 0)
        {
            firstStartMs = now;
            firstStartEpochMs = System.currentTimeMillis();
            // the farm's own start (sustained load runs from here): what a script anchors a steady window on
            out.println("farm: first REGISTER at " + firstStartEpochMs);
            out.flush();
        }
        move(i, REGISTERING);
        byAddress.put(address, i);
        try
        {
            sockets.listen(address, config.portC(), false).listen(address, config.portS(),
                config.transport() != Transport.UDP);
            if (config.renewPortC() != 0)
            {
                sockets.listen(address, config.renewPortC(), false);
            }
            begin(i, config, now);
        }
        catch (final IOException ex)
        {
            fail(i, ex.getMessage());
        }
    }

    /** A new registration of UE i (already REGISTERING) on the sockets it listens on. */
    private void begin(final int i, final UeSimConfig config, final long now) throws IOException
    {
        sims[i] = new UeSim(config, transport, new Observer(i));
        startNs[i] = System.nanoTime();
        timeTo200Ns[i] = 0;
        sims[i].start(now);
        scheduleTimers(i, now);
    }

    private void move(final int i, final byte next)
    {
        // registered UEs that still owe a re-registration (without a hold): counted here, not searched for each tick
        final boolean owing = reregistered[i] < settings.reregistrations();
        if (phase[i] == REGISTERED && owing)
        {
            owingReregistration--;
        }
        if (next == REGISTERED && owing)
        {
            owingReregistration++;
        }
        phaseCount[phase[i]]--;
        phase[i] = next;
        phaseCount[next]++;
    }

    private void fail(final int i, final String reason)
    {
        if (phase[i] == FAILED)
        {
            return;
        }
        final InetAddress address = settings.address().apply(settings.first() + i);
        // by reason, not by UE: the UE's address (in either text form) becomes "UE"
        final String key = (reason == null ? "unknown" : reason.replace(
            org.esp4j.sip.util.InetAddressText.format(address), "UE").replace(address.getHostAddress(), "UE")) +
            " (while " + PHASE_NAMES[phase[i]] + ")";
        failures.merge(key, 1, Integer::sum);
        move(i, FAILED);
    }

    private void timeout()
    {
        for (int i = 0; i < settings.ues(); i++)
        {
            if (phase[i] != DEREGISTERED && phase[i] != FAILED)
            {
                fail(i, "not done within the timeout of " + settings.timeoutMs() / 1000 + " s");
            }
        }
        started = settings.ues();
    }

    private void progress(final long now)
    {
        final double seconds = Math.max(1, now - lastProgressMs) / 1000.0;
        final long done = registeredTotal + reregistrationsDone + phaseCount[DEREGISTERED];
        out.printf("farm: %d/%d registered, %d failed, %d in flight, %d de-registered, %.0f/s, %d registrations at %d%n",
            phaseCount[REGISTERED] + phaseCount[REREGISTERING], settings.ues(), phaseCount[FAILED], inFlight(),
            phaseCount[DEREGISTERED], (done - registrationsAtLastProgress) / seconds, registeredTotal,
            System.currentTimeMillis());
        out.flush();
        registrationsAtLastProgress = done;
        lastProgressMs = now;
    }

    private void summary(final long elapsedMs)
    {
        final long[] sorted = Arrays.copyOf(sampleNs, Math.min(samples, sampleNs.length));
        Arrays.sort(sorted);
        final double registrationS = allRegisteredMs < 0 || firstStartMs < 0 ? -1 :
            (allRegisteredMs - firstStartMs) / 1000.0;
        out.printf("farm: %d UEs in %.1f s: %d registered, %d re-registrations, %d de-registered, %d failed%n",
            settings.ues(), elapsedMs / 1000.0, registeredTotal, reregistrationsDone, phaseCount[DEREGISTERED],
            phaseCount[FAILED]);
        if (registrationS > 0)
        {
            out.printf("farm: all %d registered in %.2f s: %.0f registrations/s%n", settings.ues(), registrationS,
                settings.ues() / registrationS);
        }
        if (sustaining() && firstStartMs >= 0 && deregisteringSinceMs > firstStartMs)
        {
            out.printf("farm: sustained %d registrations in %.1f s: %.0f registrations/s%n", registeredTotal,
                (deregisteringSinceMs - firstStartMs) / 1000.0,
                registeredTotal * 1000.0 / (deregisteringSinceMs - firstStartMs));
        }
        if (samples > 0)
        {
            out.printf("farm: time-to-200 p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)%n",
                percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6, sorted[sorted.length - 1] / 1e6,
                sorted.length);
        }
        out.println("farm: retransmissions " + retransmissions() + ", unparsable or unknown input " + badInput);
        failures.forEach((reason, count) -> out.println("farm: failed " + count + ": " + reason));
        out.flush();
    }

    /**
     * Write what a run over several processes ({@link FarmShard}) needs to summarise the whole farm: the wall-clock
     * times (epoch ms) of this farm's first REGISTER and of its last UE's registration (-1 if not every UE
     * registered), then each UE's time-to-200 in microseconds, one per line.
     *
     * @param file where (replaced).
     * @throws IOException when it cannot be written.
     */
    public void writeTimes(final Path file) throws IOException
    {
        final int kept = Math.min(samples, sampleNs.length);
        final StringBuilder text = new StringBuilder(32 + kept * 10);
        text.append("# esp4j sim ue: first REGISTER and all registered (epoch ms), then time-to-200 per UE (us)\n")
            .append("first ").append(firstStartEpochMs).append('\n')
            .append("registered ").append(allRegisteredEpochMs).append('\n');
        for (int i = 0; i < kept; i++)
        {
            text.append(sampleNs[i] / 1000).append('\n');
        }
        Files.writeString(file, text);
    }

    private static long percentile(final long[] sorted, final double p)
    {
        return sorted[Math.min(sorted.length - 1, (int)Math.ceil(p * sorted.length) - 1)];
    }

    private static long nowMs()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    /** One UE's view: time-to-200 of its first registration, and what it sent (for the retransmission count). */
    private final class Observer implements SimObserver
    {
        private final int index;

        Observer(final int index)
        {
            this.index = index;
        }

        public void onMessage(final boolean sent, final SimFlow flow, final SipMessage message, final long spi,
            final long nowMs)
        {
            if (sent)
            {
                sentObserved++;
            }
            else if (phase[index] == REGISTERING && timeTo200Ns[index] == 0 && !message.isRequest() &&
                message.statusCode() == 200 && "REGISTER".equalsIgnoreCase(message.cseqMethod()))
            {
                timeTo200Ns[index] = Math.max(1, System.nanoTime() - startNs[index]);
                sampleNs[samples++ % sampleNs.length] = timeTo200Ns[index]; // sustained: the last N are kept
            }
        }

        public void onNote(final String text, final long nowMs)
        {
        }
    }

    /** Counts every send, so that retransmissions = sends - the messages the UEs reported sending. */
    private static final class CountingTransport implements SimTransport
    {
        private final SimTransport delegate;
        long sends;

        CountingTransport(final SimTransport delegate)
        {
            this.delegate = delegate;
        }

        public SimFlow send(final SimFlow flow, final byte[] message) throws IOException
        {
            sends++;
            return delegate.send(flow, message);
        }
    }
}
