package org.esp4j.tun.daemon;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.selector.TrafficSelector;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one owner of the daemon's control state, as the Aeron media driver's {@code DriverConductor} is: the only
 * thread that changes the SAD and the SPD, and the host state that follows them (policy routing, the nftables
 * inbound filter, the packet ring's filter and owned SPIs, the fragment guard, the steering), whether the change
 * comes from the control socket or from the SIP bridge.
 * <pre>
 *   control socket thread --\                                   /--> SAD, SPD
 *   SIP bridge (outbound,  ---> command queue --> conductor ---+---> HostState: filter commit, routes, ring, guard
 *   sniffer threads)      --/   (many to one)      (this)       \--> policy events (xfrm monitor)
 *                                                                \--> packet agents' own command queues
 * </pre>
 * Other threads never touch that state: they {@link #offer} a change (a {@link Supplier} run on the conductor's
 * thread) and, where they must answer for it, {@link #apply wait} for its outcome. The conductor applies the change,
 * then, if the SPD changed, brings the host state in line ({@link HostState#onPoliciesChanged()}, which returns once
 * the nftables inbound filter has committed) and publishes the policy events, and only then completes the change:
 * so a {@code policy add} is reported done, and a SIP message that announced new protected ports is let go, only
 * when the drop rules for clear packets on those flows are in force (fail closed, issue 11 (a)).
 * <p>
 * <b>Batches.</b> The changes queued when a duty cycle starts (up to {@link #COMMANDS_PER_DUTY_CYCLE}) run one after
 * the other, each with its own policy events, and then the host follows all of them at once: the registrations that
 * arrive together (adds) or leave together (deletes) cost one {@code nft -f} transaction, not one each. None of them
 * is reported before that. Whether a change moved the SPD is told by {@link SecurityPolicyDatabase#changeCount()}; the
 * SPD is walked to name what moved only while someone listens for policy events ({@code xfrm monitor}).
 * <p>
 * SA changes move the packet ring's owned SPIs; that costs an {@code nft} run, so it is coalesced
 * ({@link #SA_SYNC_INTERVAL_NS}): until then the raw socket takes the new SPI's packets, nothing is lost. Once a
 * second ({@link #SWEEP_INTERVAL_NS}) the conductor sweeps: SA lifetimes, the host's addresses, the filter's drop
 * counters ({@link HostState#sweep()}). Deferred changes ({@link #schedule}, e.g. the policies of a de-registered
 * SIP flow lingering for 64*T1) run on the same thread when due, in the order of their due times (then of their
 * scheduling), at most {@link #DEFERRED_PER_DUTY_CYCLE} per duty cycle, so that 80,000 lingering policies expiring
 * together do not hold up the commands queued behind them.
 * <p>
 * Errors of a change are the change's (its future fails); errors of the host state are logged once and retried by
 * the sweep; nothing escapes into the agent runner.
 */
public final class DaemonConductor implements Agent
{
    /** The periodic sweep: SA lifetimes, addresses, steering, filter counters. */
    public static final long SWEEP_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    /**
     * SA changes are followed by the packet ring at most this often (each follow-up may run {@code nft}); a host
     * state update that failed is retried this often.
     */
    public static final long SA_SYNC_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);

    /** A duty cycle longer than this is logged (which part took the time): a held SIP message waits on it. */
    static final long SLOW_DUTY_CYCLE_NS = TimeUnit.SECONDS.toNanos(1);

    /** Changes queued before {@link #offer} refuses more. */
    public static final int COMMAND_QUEUE_CAPACITY = 1024;

    /**
     * Most changes applied as one batch: they run one after the other, then the host follows all of them at once (one
     * {@code nft -f} transaction for the registrations that arrived together), then each is reported.
     */
    static final int COMMANDS_PER_DUTY_CYCLE = 256;

    /**
     * Most deferred changes run in one duty cycle, the rest (already due) in the next ones, each batch followed by one
     * host update. A mass de-registration at a P-CSCF lets the policies of 40,000 SAs expire together: run at once,
     * that is one duty cycle of over a second, during which no control command and no SIP change is applied. Running
     * a due removal a few cycles late keeps the flow blocked a little longer (fail closed: its SA is gone already).
     */
    static final int DEFERRED_PER_DUTY_CYCLE = 256;

    /**
     * The host state that follows the SAD and SPD: the port through which the conductor reaches routes, rules,
     * nftables and the packet agents (a fake in unit tests). Called on the conductor thread only.
     */
    public interface HostState
    {
        /**
         * The SPD changed: update the fragment guard, the steering rules and the inbound filter. Returns when the
         * inbound filter's change has committed.
         *
         * @throws IOException if the host refused a change (the sweep tries again).
         */
        void onPoliciesChanged() throws IOException;

        /** The SAD changed: follow it with the packet ring's owned SPIs (coalesced by the conductor). */
        void onSasChanged();

        /** Once a second: SA lifetimes, the host's addresses, steering and filter counters. */
        void sweep();

        /**
         * Every {@link #SA_SYNC_INTERVAL_NS}: persist the outbound sequence reservations that moved or are new
         * (cheap when none did).
         */
        void reserveSequences();
    }

    /** Told about each policy change the conductor applied, on the conductor thread (must not block). */
    @FunctionalInterface
    public interface PolicyEventListener
    {
        void onPolicyEvent(PolicyEventType type, SecurityPolicy policy);

        /**
         * @return true while the listener wants events (the control socket's: while an {@code xfrm monitor} client
         * is connected). Finding a change's events walks the whole SPD, O(policies) per change: 80,000 policies at a
         * P-CSCF with 10,000 UEs made each registration cost milliseconds of the conductor for events no one read.
         */
        default boolean isListening()
        {
            return true;
        }
    }

    /** A policy change as {@code ip xfrm monitor} reports it (XFRM_MSG_NEWPOLICY, _UPDPOLICY, _DELPOLICY). */
    public enum PolicyEventType
    {
        ADDED, UPDATED, DELETED
    }

    /**
     * The conductor did not apply a change (stopping, queue full, no answer in time), or applied it but the host
     * state does not follow it yet (an {@code nft} or {@code ip} failure; the conductor keeps retrying).
     */
    public static final class NotAppliedException extends IllegalStateException
    {
        private static final long serialVersionUID = 1L;

        public NotAppliedException(final String message)
        {
            super(message);
        }
    }

    private record PolicyKey(TrafficSelector selector, PolicyDirection direction)
    {
    }

    private static final class Change<T>
    {
        final Supplier<T> action;
        final CompletableFuture<T> result = new CompletableFuture<>();
        /** Told the outcome on the conductor thread (see {@link #submit}), or null. */
        Consumer<RuntimeException> done;
        // what running it gave, kept until the batch's host update is done (conductor thread)
        T value;
        RuntimeException error;
        boolean changedPolicies;

        Change(final Supplier<T> action)
        {
            this.action = action;
        }

        void run()
        {
            try
            {
                value = action.get();
            }
            catch (final RuntimeException ex)
            {
                error = ex;
            }
        }

        /** @param hostError why the host does not enforce the batch's policy changes yet, or null. */
        void complete(final String hostError)
        {
            if (error != null)
            {
                fail(error);
            }
            else if (changedPolicies && hostError != null)
            {
                fail(new NotAppliedException("applied, but the host does not enforce it yet (retrying): " + hostError));
            }
            else
            {
                result.complete(value);
                report(null);
            }
        }

        void fail(final RuntimeException ex)
        {
            result.completeExceptionally(ex);
            report(ex);
        }

        private void report(final RuntimeException ex)
        {
            if (done != null)
            {
                done.accept(ex);
            }
        }
    }

    /** @param seq the order of scheduling: of two due at the same time, the one scheduled first runs first. */
    private record Deferred(long dueNs, long seq, String key, Runnable action)
    {
    }

    private final ManyToOneConcurrentArrayQueue<Change<?>> commandQueue =
        new ManyToOneConcurrentArrayQueue<>(COMMAND_QUEUE_CAPACITY);
    private final SecurityPolicyDatabase spd;
    private final HostState host;
    private final NanoClock clock;
    private final Consumer<String> log;
    private final List<PolicyEventListener> policyListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Scheduled actions by key (the one that runs), and by due time (entries replaced or cancelled stay until due). */
    private final Map<String, Deferred> deferred = new HashMap<>();
    private final java.util.PriorityQueue<Deferred> deferredByDue =
        new java.util.PriorityQueue<>((a, b) -> a.dueNs() != b.dueNs() ?
            Long.signum(a.dueNs() - b.dueNs()) : Long.compare(a.seq(), b.seq()));
    private long deferredSeq;
    private int deferredPerDutyCycle = DEFERRED_PER_DUTY_CYCLE;
    private final List<Change<?>> batch = new ArrayList<>();
    private final Consumer<Change<?>> onChange = batch::add;
    /**
     * The SPD as the policy listeners last heard of it, kept by the SPD's change journal (O(changes), not a walk of
     * every policy per change: thousands of UEs' policies, and the control socket always listens); null while nobody
     * listens.
     */
    private Map<PolicyKey, SecurityPolicy> policies;
    /** The policies one change touched, each with what it was before the change (null: absent), in journal order. */
    private final Map<PolicyKey, SecurityPolicy> touched = new java.util.LinkedHashMap<>();
    private final SecurityPolicyDatabase.ChangeHandler journalReader = this::onJournalEntry;
    /** {@link SecurityPolicyDatabase#changeCount()} when the SPD was last looked at. */
    private long seenSpdChanges;
    private boolean policiesDirty;
    private boolean sasDirty;
    private long nextSweepNs;
    private long nextSaSyncNs;
    private long nextPolicyRetryNs;
    private long nextReserveNs;
    private String lastHostError;
    private String hostError;
    private volatile Thread thread;

    /**
     * @param spd   the SPD whose changes are followed (read here to tell what a change did).
     * @param host  the host state port.
     * @param clock the clock of the sweep and deferred changes.
     * @param log   where errors go.
     */
    public DaemonConductor(
        final SecurityPolicyDatabase spd, final HostState host, final NanoClock clock, final Consumer<String> log)
    {
        this.spd = spd;
        this.host = host;
        this.clock = clock;
        this.log = log;
        policies = snapshot();
        seenSpdChanges = spd.changeCount();
        nextSweepNs = clock.nanoTime() + SWEEP_INTERVAL_NS;
    }

    public String roleName()
    {
        return "esp4j-conductor";
    }

    public void onStart()
    {
        thread = Thread.currentThread();
    }

    /**
     * @param listener told about each policy change (the control socket's {@code xfrm monitor}).
     * @return closing it unsubscribes.
     */
    public AutoCloseable subscribe(final PolicyEventListener listener)
    {
        policyListeners.add(listener);
        return () -> policyListeners.remove(listener);
    }

    /**
     * Queue a change for the conductor thread (any thread).
     *
     * @param action the change; it runs on the conductor thread.
     * @return its outcome, completed once the host state follows it; null if the queue is full.
     */
    public <T> CompletableFuture<T> offer(final Supplier<T> action)
    {
        final Change<T> change = new Change<>(action);
        return enqueue(change) ? change.result : null;
    }

    private boolean enqueue(final Change<?> change)
    {
        if (!commandQueue.offer(change))
        {
            return false;
        }
        final Thread conductor = thread;
        if (conductor != null)
        {
            java.util.concurrent.locks.LockSupport.unpark(conductor); // out of its idle park at once
        }
        return true;
    }

    /**
     * Queue a change whose outcome is told to {@code done} on the conductor thread, in the order the changes were
     * queued, once the host follows it (null) or why it does not (any thread). Unlike a callback on {@link #offer}'s
     * future, which runs on the thread that registers it when the change completed first, {@code done} never runs on
     * the caller's thread: a single-producer receiver (the hold area) can rely on it.
     *
     * @param action the change; it runs on the conductor thread.
     * @param done   told the outcome on the conductor thread; must not block or throw.
     * @return false if the queue is full (then {@code done} is never told).
     */
    public boolean submit(final Runnable action, final Consumer<RuntimeException> done)
    {
        final Change<Object> change = new Change<>(() ->
        {
            action.run();
            return null;
        });
        change.done = done;
        return enqueue(change);
    }

    /**
     * Queue a change and wait for it (any thread but the conductor's, where it runs at once).
     *
     * @param action    the change.
     * @param timeoutNs how long to wait for the conductor.
     * @return what the change returned.
     * @throws RuntimeException what the change threw, or {@link IllegalStateException} when the queue is full or
     *                          the conductor did not answer in time (the change may still be applied later).
     */
    public <T> T apply(final Supplier<T> action, final long timeoutNs)
    {
        if (Thread.currentThread() == thread)
        {
            final Change<T> change = new Change<>(action);
            runChange(change);
            change.complete(change.changedPolicies ? followPolicies() : null);
            try
            {
                return change.result.join();
            }
            catch (final java.util.concurrent.CompletionException ex)
            {
                throw ex.getCause() instanceof RuntimeException re ? re : ex;
            }
        }
        final CompletableFuture<T> result = offer(action);
        if (result == null)
        {
            throw new NotAppliedException("daemon busy: " + COMMAND_QUEUE_CAPACITY + " changes queued");
        }
        try
        {
            return result.get(timeoutNs, TimeUnit.NANOSECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof RuntimeException re ? re : new IllegalStateException(ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new NotAppliedException("daemon did not apply the change within " +
                TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new NotAppliedException("interrupted while waiting for the daemon");
        }
    }

    /**
     * Run {@code action} on the conductor thread after {@code delayNs} (call on the conductor thread, from a change).
     * A later {@link #schedule} or {@link #cancel} with the same key replaces or cancels it.
     */
    public void schedule(final String key, final long delayNs, final Runnable action)
    {
        // O(log n): the policies of 40,000 de-registered SAs linger at once
        final Deferred entry = new Deferred(clock.nanoTime() + delayNs, deferredSeq++, key, action);
        deferred.put(key, entry);
        deferredByDue.add(entry);
    }

    /** Cancel a scheduled action (conductor thread). @return true if one was pending. */
    public boolean cancel(final String key)
    {
        return deferred.remove(key) != null;
    }

    /**
     * Change {@link #DEFERRED_PER_DUTY_CYCLE}: for benchmarks/scripts/LingerExpiryCycles.java, which compares the
     * duty cycles of a mass expiry with and without the bound in one run (before the conductor starts).
     */
    void deferredPerDutyCycle(final int limit)
    {
        deferredPerDutyCycle = limit;
    }

    /** @return scheduled actions not yet run (conductor thread, or tests). */
    int scheduled()
    {
        return deferred.size();
    }

    public int doWork()
    {
        final long startNs = clock.nanoTime();
        int work = applyBatch();
        final long nowNs = clock.nanoTime();
        work += followUps(nowNs);
        final long endNs = clock.nanoTime();
        if (endNs - startNs > SLOW_DUTY_CYCLE_NS)
        {
            log.accept("conductor: slow duty cycle: " + TimeUnit.NANOSECONDS.toMillis(nowNs - startNs) +
                " ms for the changes and their host update, " + TimeUnit.NANOSECONDS.toMillis(endNs - nowNs) +
                " ms for deferred changes, retries, SA follow-up and sweep");
        }
        return work;
    }

    /**
     * When the next of the conductor's timers is due (its clock's nanoseconds): the sweep, the sequence reservations,
     * the SA follow-up and policy retry when pending, the first deferred change. Its idle strategy
     * ({@link ConductorIdleStrategy}) parks until then, as changes unpark it. Conductor thread only.
     */
    long nextDeadlineNs()
    {
        long deadline = nextSweepNs;
        if (nextReserveNs - deadline < 0)
        {
            deadline = nextReserveNs;
        }
        if (sasDirty && nextSaSyncNs - deadline < 0)
        {
            deadline = nextSaSyncNs;
        }
        if (policiesDirty && nextPolicyRetryNs - deadline < 0)
        {
            deadline = nextPolicyRetryNs;
        }
        final Deferred first = deferredByDue.peek();
        if (first != null && first.dueNs() - deadline < 0)
        {
            deadline = first.dueNs();
        }
        return deadline;
    }

    private int followUps(final long nowNs)
    {
        int work = 0;
        work += runDue(nowNs);
        if (policiesDirty && nowNs - nextPolicyRetryNs >= 0)
        {
            work++;
            syncPolicies(); // a change whose follow-up failed: try again until the host takes it
        }
        if (sasDirty && nowNs - nextSaSyncNs >= 0)
        {
            work++;
            sasDirty = false;
            nextSaSyncNs = nowNs + SA_SYNC_INTERVAL_NS;
            guarded(host::onSasChanged);
        }
        if (nowNs - nextReserveNs >= 0)
        {
            nextReserveNs = nowNs + SA_SYNC_INTERVAL_NS;
            guarded(host::reserveSequences);
        }
        if (nowNs - nextSweepNs >= 0)
        {
            work++;
            nextSweepNs = nowNs + SWEEP_INTERVAL_NS;
            guarded(host::sweep);
        }
        return work;
    }

    public void onClose()
    {
        // changes still queued are refused: their senders stop waiting at once
        commandQueue.drain(change -> change.fail(new NotAppliedException("daemon stopping")));
    }

    /**
     * The changes queued so far (up to {@link #COMMANDS_PER_DUTY_CYCLE}): each runs and its policy events are
     * published in order, then the host follows them all at once, then each is reported.
     */
    private int applyBatch()
    {
        final int count = commandQueue.drain(onChange, COMMANDS_PER_DUTY_CYCLE);
        if (count == 0)
        {
            return 0;
        }
        boolean policiesChanged = false;
        for (int i = 0; i < batch.size(); i++)
        {
            final Change<?> change = batch.get(i);
            runChange(change);
            policiesChanged |= change.changedPolicies;
        }
        final String hostError = policiesChanged ? followPolicies() : null;
        for (int i = 0; i < batch.size(); i++)
        {
            batch.get(i).complete(hostError);
        }
        batch.clear();
        return count;
    }

    private void runChange(final Change<?> change)
    {
        snapshotIfListened();
        change.run();
        change.changedPolicies = notePolicyChanges();
        sasDirty = true;
    }

    /** @return null when the host enforces the SPD now, else why not (it is retried). */
    private String followPolicies()
    {
        policiesDirty = true;
        syncPolicies();
        return policiesDirty ? hostError : null;
    }

    private int runDue(final long nowNs)
    {
        if (deferredByDue.isEmpty())
        {
            return 0;
        }
        int count = 0;
        boolean policiesChanged = false;
        // replaced or cancelled entries cost a poll each and are not counted: only the changes that run are bounded
        for (Deferred due = deferredByDue.peek();
            due != null && nowNs - due.dueNs() >= 0 && count < deferredPerDutyCycle;
            due = deferredByDue.peek())
        {
            deferredByDue.poll();
            if (deferred.get(due.key()) != due)
            {
                continue; // replaced or cancelled
            }
            deferred.remove(due.key());
            snapshotIfListened();
            try
            {
                due.action().run();
            }
            catch (final RuntimeException ex)
            {
                log.accept("deferred change " + due.key() + " failed: " + ex.getMessage());
            }
            policiesChanged |= notePolicyChanges();
            count++;
        }
        if (count > 0)
        {
            sasDirty = true;
            if (policiesChanged)
            {
                followPolicies();
            }
        }
        return count;
    }

    /** Before a change: have the SPD as it was, if someone listens for policy events and it is not known. */
    private void snapshotIfListened()
    {
        if (policies == null && anyListening())
        {
            policies = snapshot();
            seenSpdChanges = spd.changeCount();
        }
    }

    /**
     * After a change: did it move the SPD? Publishes what it did (walking the SPD) only when someone listens.
     *
     * @return true if the SPD changed.
     */
    private boolean notePolicyChanges()
    {
        final long changes = spd.changeCount();
        if (changes == seenSpdChanges)
        {
            return false;
        }
        if (!anyListening())
        {
            seenSpdChanges = changes;
            policies = null; // taken again before the next change once someone listens
            return true;
        }
        if (policies != null)
        {
            final long followed = spd.changesSince(seenSpdChanges, journalReader);
            if (followed >= 0)
            {
                seenSpdChanges = followed;
                publishTouched();
                return true;
            }
            // the journal no longer holds them all, or a flush: diff against a walk of the SPD below
        }
        seenSpdChanges = changes;
        final Map<PolicyKey, SecurityPolicy> now = snapshot();
        if (policies != null)
        {
            for (final Map.Entry<PolicyKey, SecurityPolicy> entry : policies.entrySet())
            {
                if (!now.containsKey(entry.getKey()))
                {
                    publish(PolicyEventType.DELETED, entry.getValue());
                }
            }
            for (final Map.Entry<PolicyKey, SecurityPolicy> entry : now.entrySet())
            {
                final SecurityPolicy before = policies.get(entry.getKey());
                if (before != entry.getValue())
                {
                    publish(before == null ? PolicyEventType.ADDED : PolicyEventType.UPDATED, entry.getValue());
                }
            }
        }
        policies = now;
        return true;
    }

    private boolean anyListening()
    {
        for (final PolicyEventListener listener : policyListeners)
        {
            if (listener.isListening())
            {
                return true;
            }
        }
        return false;
    }

    /** One add or delete of the SPD's journal (under the SPD's lock: only notes it). */
    private void onJournalEntry(final SecurityPolicy policy, final boolean added)
    {
        final PolicyKey key = new PolicyKey(policy.selector(), policy.direction());
        if (!touched.containsKey(key))
        {
            touched.put(key, policies.get(key));
        }
        if (added)
        {
            policies.put(key, policy);
        }
        else
        {
            policies.remove(key);
        }
    }

    /** The events of the policies a change touched, as a diff of the SPD before and after it would give them. */
    private void publishTouched()
    {
        for (final Map.Entry<PolicyKey, SecurityPolicy> entry : touched.entrySet())
        {
            if (entry.getValue() != null && !policies.containsKey(entry.getKey()))
            {
                publish(PolicyEventType.DELETED, entry.getValue());
            }
        }
        for (final Map.Entry<PolicyKey, SecurityPolicy> entry : touched.entrySet())
        {
            final SecurityPolicy after = policies.get(entry.getKey());
            if (after != null && after != entry.getValue())
            {
                publish(entry.getValue() == null ? PolicyEventType.ADDED : PolicyEventType.UPDATED, after);
            }
        }
        touched.clear();
    }

    private Map<PolicyKey, SecurityPolicy> snapshot()
    {
        final Map<PolicyKey, SecurityPolicy> now = new HashMap<>();
        for (final SecurityPolicy policy : spd.list())
        {
            now.put(new PolicyKey(policy.selector(), policy.direction()), policy);
        }
        return now;
    }

    private void syncPolicies()
    {
        try
        {
            host.onPoliciesChanged();
            policiesDirty = false;
            lastHostError = null;
            hostError = null;
        }
        catch (final IOException | RuntimeException ex)
        {
            hostError = String.valueOf(ex.getMessage());
            nextPolicyRetryNs = clock.nanoTime() + SA_SYNC_INTERVAL_NS;
            logOnce("host state update failed (retrying): " + ex.getMessage());
        }
    }

    private void publish(final PolicyEventType type, final SecurityPolicy policy)
    {
        for (final PolicyEventListener listener : policyListeners)
        {
            try
            {
                listener.onPolicyEvent(type, policy);
            }
            catch (final RuntimeException ex)
            {
                log.accept("policy event listener failed: " + ex);
            }
        }
    }

    private void guarded(final Runnable action)
    {
        try
        {
            action.run();
        }
        catch (final RuntimeException ex)
        {
            logOnce("conductor: " + ex);
        }
    }

    private void logOnce(final String message)
    {
        if (!message.equals(lastHostError))
        {
            log.accept(message);
        }
        lastHostError = message;
    }
}
