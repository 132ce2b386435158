package org.esp4j.tun.daemon;

import org.agrona.concurrent.SystemNanoClock;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The SIP bridge's port to the conductor: the conductor runs on a thread of the test's, the bridge submits from
 * another, as the daemon's outbound and sniffer threads do.
 */
class ConductorChangeApplierTest
{
    private static final int CHANGES = 20_000;

    /**
     * The hold area takes outcomes from the conductor's thread only (its coalesced command queue has one producer).
     * A change the conductor completes before the submitter returns from {@code submit} must still be reported there,
     * not on the submitter's thread (a second producer that can lose the command, and every release after it).
     */
    @Test
    void shouldReportEveryOutcomeOnTheConductorThreadEvenWhenTheChangeCompletesBeforeSubmitReturns() throws Exception
    {
        final DaemonConductor conductor = new DaemonConductor(
            new SecurityPolicyDatabase(), new IdleHost(), SystemNanoClock.INSTANCE, message -> { });
        final ConductorChangeApplier applier = new ConductorChangeApplier(conductor, TimeUnit.SECONDS.toNanos(10));
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread conductorThread = new Thread(() ->
        {
            conductor.onStart();
            while (running.get())
            {
                conductor.doWork();
            }
        }, "test-conductor");
        final AtomicInteger reported = new AtomicInteger();
        final AtomicInteger elsewhere = new AtomicInteger();
        conductorThread.start();
        try
        {
            for (int i = 0; i < CHANGES; i++)
            {
                applier.submit(() -> { }, error ->
                {
                    if (Thread.currentThread() != conductorThread)
                    {
                        elsewhere.incrementAndGet();
                    }
                    reported.incrementAndGet();
                });
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (reported.get() < CHANGES && System.nanoTime() - deadlineNs < 0)
            {
                Thread.onSpinWait();
            }
        }
        finally
        {
            running.set(false);
            conductorThread.join();
        }
        assertEquals(CHANGES, reported.get(), "every change reported");
        assertEquals(0, elsewhere.get(), "outcomes reported on another thread than the conductor's");
    }

    private static final class IdleHost implements DaemonConductor.HostState
    {
        public void onPoliciesChanged() throws IOException
        {
        }

        public void onSasChanged()
        {
        }

        public void sweep()
        {
        }

        public void reserveSequences()
        {
        }
    }
}
