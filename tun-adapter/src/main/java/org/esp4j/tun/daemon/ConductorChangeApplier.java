package org.esp4j.tun.daemon;

import org.esp4j.tun.sip.DaemonSipBridge;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The SIP bridge's changes, applied by the daemon's {@link DaemonConductor}. Each batch's outcome is told on the
 * conductor thread ({@link DaemonConductor#submit}), never on the submitter's: the hold area's coalesced outcome
 * command has one producer, and a second one (a callback run by whichever thread registers it on a future that the
 * conductor completed first) raced it and could lose its queued command, so that no held packet was released again.
 * Only a change refused for a full queue is told on the submitter's thread (the hold area takes outcomes from any
 * thread, see {@link org.esp4j.tun.sip.HoldArea#onOutcome}).
 */
final class ConductorChangeApplier implements DaemonSipBridge.ChangeApplier
{
    private final DaemonConductor conductor;
    private final long timeoutNs;

    /**
     * @param conductor the owner of control state.
     * @param timeoutNs how long a submitter waits for room in a full command queue before the change is reported
     *                  not applied.
     */
    ConductorChangeApplier(final DaemonConductor conductor, final long timeoutNs)
    {
        this.conductor = conductor;
        this.timeoutNs = timeoutNs;
    }

    public void submit(final Runnable change, final Consumer<RuntimeException> done)
    {
        // a full queue (1024 batches) is back-pressure: wait for room, bounded, rather than lose a change
        final long deadlineNs = System.nanoTime() + timeoutNs;
        while (!conductor.submit(change, done)) // done is told on the conductor thread, whenever the change completes
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                done.accept(new DaemonConductor.NotAppliedException("daemon busy: " +
                    DaemonConductor.COMMAND_QUEUE_CAPACITY + " changes queued"));
                return;
            }
            LockSupport.parkNanos(100_000);
        }
    }

    public void schedule(final String key, final long delayNs, final Runnable change)
    {
        conductor.schedule(key, delayNs, change);
    }

    public void cancel(final String key)
    {
        conductor.cancel(key);
    }
}
