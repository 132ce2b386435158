package org.esp4j.tun.daemon;

import org.agrona.concurrent.CachedNanoClock;
import org.esp4j.core.spd.PolicyConfig;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.core.xfrm.XfrmPolicyParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conductor through its ports, as aeron-driver tests its agents: a fake host state records what it was told,
 * the test drives {@link DaemonConductor#doWork()} on its own thread and a cached clock moves time.
 */
class DaemonConductorTest
{
    private static final String POLICY =
        "src 2001:db8::1/128 dst 2001:db8::2/128 proto udp sport 5060 dport 5062 dir in tmpl src 2001:db8::2 " +
        "dst 2001:db8::1 proto esp spi 0x1000 mode transport";

    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final CachedNanoClock clock = new CachedNanoClock();
    private final FakeHost host = new FakeHost();
    private final List<String> log = new ArrayList<>();
    private final List<String> policyEvents = new ArrayList<>();
    private final DaemonConductor conductor = new DaemonConductor(spd, host, clock, log::add);

    DaemonConductorTest()
    {
        conductor.subscribe((type, policy) -> policyEvents.add(type + " " + policy.direction().xfrmName()));
    }

    @Test
    void shouldCommitTheInboundFilterBeforeItReportsAPolicyAddDone()
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY);
        final CompletableFuture<Object> done = conductor.offer(() -> spd.add(policy));
        assertNotNull(done);
        assertFalse(done.isDone(), "queued, not applied by the caller");
        assertEquals(0, spd.size(), "only the conductor thread changes the SPD");

        host.onPolicies = () -> assertFalse(done.isDone(), "the change is reported only after the filter commit");
        conductor.doWork();

        assertTrue(done.isDone() && !done.isCompletedExceptionally());
        assertEquals(1, host.policyCommits);
        assertEquals(1, host.filterSawPolicies, "the host saw the new policy when it committed");
        assertEquals(List.of("ADDED in"), policyEvents);
    }

    @Test
    void shouldEmitUpdatedAndDeletedPolicyEventsAsItAppliesThemAndFollowTheBatchWithOneHostUpdate()
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY);
        conductor.offer(() -> spd.add(policy));
        conductor.offer(() -> spd.update(policy));
        conductor.offer(() -> spd.delete(policy.selector(), policy.direction()));
        conductor.doWork();

        assertEquals(List.of("ADDED in", "UPDATED in", "DELETED in"), policyEvents, "one event per change, in order");
        assertEquals(1, host.policyCommits, "three changes queued together: one host update");
    }

    @Test
    void shouldWorkOutPolicyEventsOnlyWhileAListenerListens()
    {
        // the control socket always subscribes; events cost a walk of the SPD per change, so only for a monitor
        final List<String> monitored = new ArrayList<>();
        final boolean[] listening = { false };
        final DaemonConductor quiet = new DaemonConductor(spd, host, clock, log::add);
        quiet.subscribe(new DaemonConductor.PolicyEventListener()
        {
            public void onPolicyEvent(final DaemonConductor.PolicyEventType type, final org.esp4j.core.spd.SecurityPolicy policy)
            {
                monitored.add(type + " " + policy.direction().xfrmName());
            }

            public boolean isListening()
            {
                return listening[0];
            }
        });
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY);
        quiet.offer(() -> spd.add(policy));
        quiet.doWork();
        assertEquals(List.of(), monitored, "no monitor: no events");
        assertEquals(1, host.policyCommits, "the host follows the change all the same");

        listening[0] = true; // a monitor connects
        quiet.offer(() -> spd.update(policy));
        quiet.offer(() -> spd.delete(policy.selector(), policy.direction()));
        quiet.doWork();
        assertEquals(List.of("UPDATED in", "DELETED in"), monitored);
    }

    @Test
    void shouldPublishTheNetEffectOfOneChangeThatAddsAndDeletesSeveralPolicies()
    {
        final PolicyConfig kept = XfrmPolicyParser.parseAdd(POLICY);
        final PolicyConfig gone = XfrmPolicyParser.parseAdd(POLICY.replace("dport 5062", "dport 6000"));
        final PolicyConfig brief = XfrmPolicyParser.parseAdd(POLICY.replace("dport 5062", "dport 6001"));
        conductor.offer(() -> spd.add(gone));
        conductor.doWork();
        policyEvents.clear();

        conductor.offer(() ->
        {
            spd.add(kept);
            spd.add(brief);
            spd.delete(gone.selector(), gone.direction());
            return spd.delete(brief.selector(), brief.direction()); // added and deleted within the change: no event
        });
        conductor.doWork();

        assertEquals(List.of("DELETED in", "ADDED in"), policyEvents, "deletes first, as a diff of the SPD gives them");
    }

    @Test
    void shouldPublishEveryPolicyEventWhenOneChangeOutrunsTheSpdJournalOrFlushes()
    {
        final int count = SecurityPolicyDatabase.JOURNAL_CAPACITY + 1;
        final CompletableFuture<Object> added = conductor.offer(() ->
        {
            for (int i = 0; i < count; i++)
            {
                spd.add(XfrmPolicyParser.parseAdd(POLICY.replace("dport 5062", "dport " + (1024 + i))));
            }
            return null;
        });
        conductor.doWork();
        added.join();
        assertEquals(count, spd.size());
        assertEquals(count, policyEvents.stream().filter("ADDED in"::equals).count(), "from a walk of the SPD");

        policyEvents.clear();
        conductor.offer(() ->
        {
            spd.flush();
            return spd.add(XfrmPolicyParser.parseAdd(POLICY.replace("dport 5062", "dport 40000")));
        });
        conductor.doWork();
        assertEquals(count, policyEvents.stream().filter("DELETED in"::equals).count());
        assertEquals(List.of("ADDED in"), policyEvents.stream().filter(e -> !e.startsWith("DELETED")).toList());
    }

    @Test
    void shouldApplyChangesThatArriveTogetherAsOneHostUpdateAndReportEachOnlyAfterIt()
    {
        final List<CompletableFuture<Object>> done = new ArrayList<>();
        for (int i = 0; i < 100; i++)
        {
            final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY.replace("dport 5062", "dport " + (6000 + i)));
            done.add(conductor.offer(() -> spd.add(policy)));
        }
        host.onPolicies = () -> assertTrue(done.stream().noneMatch(CompletableFuture::isDone),
            "none is reported before the host follows");
        conductor.doWork();

        assertEquals(1, host.policyCommits, "100 policy adds (registrations arriving together): one nft transaction");
        assertEquals(100, host.filterSawPolicies, "and it held all of them");
        assertTrue(done.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
        assertEquals(100, policyEvents.size());
    }

    @Test
    void shouldBatchDeletesAsItBatchesAdds()
    {
        final List<PolicyConfig> policies = new ArrayList<>();
        for (int i = 0; i < DaemonConductor.COMMANDS_PER_DUTY_CYCLE + 10; i++)
        {
            final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY.replace("dport 5062", "dport " + (6000 + i)));
            policies.add(policy);
            spd.add(policy);
        }
        for (final PolicyConfig policy : policies)
        {
            conductor.offer(() -> spd.delete(policy.selector(), policy.direction()));
        }
        conductor.doWork();
        assertEquals(1, host.policyCommits, "at most " + DaemonConductor.COMMANDS_PER_DUTY_CYCLE + " per batch");
        assertEquals(10, host.filterSawPolicies);
        conductor.doWork();
        assertEquals(2, host.policyCommits, "the rest in the next duty cycle");
        assertEquals(0, host.filterSawPolicies);
    }

    @Test
    void shouldFailOnlyTheChangesOfABatchThatMovedPoliciesWhenTheHostRefusesIt()
    {
        host.refuse = true;
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY);
        final CompletableFuture<Object> add = conductor.offer(() -> spd.add(policy));
        final CompletableFuture<Integer> other = conductor.offer(() -> 5);
        conductor.doWork();

        assertTrue(add.isCompletedExceptionally(), "not in force");
        assertEquals(5, other.join(), "a change that moved no policy does not wait for the filter");
        assertEquals(1, spd.size(), "applied: the conductor keeps retrying the host until it follows");
    }

    @Test
    void shouldNotTouchTheHostWhenAChangeLeavesTheSpdAsItWas()
    {
        final CompletableFuture<Integer> done = conductor.offer(spd::size);
        conductor.doWork();

        assertEquals(0, done.join());
        assertEquals(0, host.policyCommits);
        assertTrue(policyEvents.isEmpty());
        assertEquals(1, host.reservations, "sequence reservations are checked on the duty cycle's tick");
    }

    @Test
    void shouldFailTheChangeAndRetryWhileTheHostRefusesTheFilter()
    {
        host.refuse = true;
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY);
        final CompletableFuture<Object> done = conductor.offer(() -> spd.add(policy));
        conductor.doWork();

        assertTrue(done.isCompletedExceptionally(), "not reported in force while the filter is not");
        final Throwable cause = assertThrows(Exception.class, done::join).getCause();
        assertTrue(cause instanceof DaemonConductor.NotAppliedException, cause.toString());
        assertTrue(cause.getMessage().contains("nft refused"), cause.getMessage());

        host.refuse = false;
        conductor.doWork();
        assertEquals(1, host.policyCommits, "no retry in a hot loop");
        clock.advance(DaemonConductor.SA_SYNC_INTERVAL_NS);
        conductor.doWork();
        assertEquals(2, host.policyCommits, "retried after " + DaemonConductor.SA_SYNC_INTERVAL_NS + " ns");
        conductor.doWork();
        assertEquals(2, host.policyCommits, "and no more once it committed");
    }

    @Test
    void shouldPassAChangesOwnErrorToItsSenderAndCarryOn()
    {
        final CompletableFuture<Object> failed = conductor.offer(() ->
        {
            throw new IllegalArgumentException("no such SA");
        });
        final CompletableFuture<Integer> next = conductor.offer(() -> 7);
        conductor.doWork();

        assertEquals("no such SA", assertThrows(Exception.class, failed::join).getCause().getMessage());
        assertEquals(7, next.join());
    }

    @Test
    void shouldRunAScheduledChangeWhenDueUnlessCancelledAndFollowItsPolicies()
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY);
        conductor.offer(() -> spd.add(policy));
        conductor.doWork();
        conductor.offer(() ->
        {
            conductor.schedule("linger", 32_000_000_000L, () -> spd.delete(policy.selector(), policy.direction()));
            conductor.schedule("other", 1_000_000_000L, () -> log.add("other ran"));
            return null;
        });
        conductor.doWork();
        conductor.offer(() -> conductor.cancel("other"));
        conductor.doWork();
        assertEquals(1, conductor.scheduled());

        clock.advance(31_000_000_000L);
        conductor.doWork();
        assertEquals(1, spd.size(), "the policy lingers");

        clock.advance(1_000_000_000L);
        conductor.doWork();
        assertEquals(0, spd.size());
        assertEquals(List.of("ADDED in", "DELETED in"), policyEvents);
        assertEquals(2, host.policyCommits, "the host follows the deferred change too");
        assertFalse(log.contains("other ran"));
    }

    @Test
    void shouldGiveItsNextTimerAsTheDeadlineItsIdleStrategyParksUntil()
    {
        conductor.doWork(); // the first reservation tick is due at once
        final long start = clock.nanoTime();
        assertEquals(start + DaemonConductor.SA_SYNC_INTERVAL_NS, conductor.nextDeadlineNs(),
            "idle: the sequence reservations' tick comes first");

        conductor.offer(() ->
        {
            conductor.schedule("soon", 5_000_000L, () -> log.add("soon ran"));
            return null;
        });
        conductor.doWork();
        assertEquals(start + 5_000_000L, conductor.nextDeadlineNs(), "a deferred change due earlier comes first");

        clock.advance(5_000_000L);
        conductor.doWork();
        assertTrue(log.contains("soon ran"));
        assertEquals(start + DaemonConductor.SA_SYNC_INTERVAL_NS, conductor.nextDeadlineNs(),
            "once it ran: the reservations' tick again");
    }

    @Test
    void shouldRunOnlyTheNewestScheduleOfAKeyOnceAndNoneCancelledAmongManyLingers()
    {
        final List<String> ran = new ArrayList<>();
        conductor.offer(() ->
        {
            for (int i = 0; i < 40_000; i++) // the lingering policies of 10,000 de-registered UEs
            {
                final int sa = i;
                conductor.schedule("linger " + i, 32_000_000_000L, () -> ran.add("old " + sa));
            }
            conductor.schedule("linger 7", 1_000_000_000L, () -> ran.add("new 7")); // re-scheduled: replaces
            for (int i = 10; i < 40_000; i++)
            {
                conductor.cancel("linger " + i); // installed again: no removal
            }
            return null;
        });
        conductor.doWork();
        assertEquals(10, conductor.scheduled());

        clock.advance(1_000_000_000L);
        conductor.doWork();
        assertEquals(List.of("new 7"), ran);
        clock.advance(31_000_000_000L);
        conductor.doWork();
        assertEquals(10, ran.size(), ran.toString());
        assertFalse(ran.contains("old 7"), "a replaced schedule never runs");
        assertEquals(0, conductor.scheduled());
    }

    @Test
    void shouldExpireLingeringPoliciesThatFallDueTogetherInBoundedBatchesInOrderUntilNoneIsLeft()
    {
        // a mass de-registration: 1,000 policies linger, all due at the same time
        final int lingering = 1_000;
        final List<PolicyConfig> policies = new ArrayList<>();
        for (int i = 0; i < lingering; i++)
        {
            policies.add(XfrmPolicyParser.parseAdd(POLICY.replace("sport 5060", "sport " + (10_000 + i))));
        }
        conductor.offer(() ->
        {
            for (final PolicyConfig policy : policies)
            {
                spd.add(policy);
                conductor.schedule("linger " + policy.selector(), 32_000_000_000L,
                    () -> spd.delete(policy.selector(), policy.direction()));
            }
            return null;
        });
        conductor.doWork();
        final List<String> deleted = new ArrayList<>();
        conductor.subscribe((type, policy) -> deleted.add(type + " " + policy.selector().sourcePortLow()));
        final int commitsBefore = host.policyCommits;

        clock.advance(32_000_000_000L);
        conductor.doWork();
        assertEquals(lingering - DaemonConductor.DEFERRED_PER_DUTY_CYCLE, spd.size(), "one bounded batch per cycle");
        assertEquals(commitsBefore + 1, host.policyCommits, "the batch's removals: one host update");
        assertEquals(lingering - DaemonConductor.DEFERRED_PER_DUTY_CYCLE, host.filterSawPolicies,
            "the host followed the batch's removals");

        int cycles = 1;
        while (conductor.scheduled() > 0)
        {
            assertTrue(conductor.doWork() > 0, "a cycle with due removals left is busy");
            assertTrue(++cycles <= 10, "every due removal runs within a few cycles");
        }
        assertEquals(0, spd.size(), "no lingering policy is left");
        assertEquals(4, cycles, "1,000 removals at 256 per cycle");
        final List<String> expected = new ArrayList<>();
        for (int i = 0; i < lingering; i++)
        {
            expected.add("DELETED " + (10_000 + i));
        }
        assertEquals(expected, deleted, "one event per removal, in the order the removals were scheduled");
    }

    @Test
    void shouldApplyACommandQueuedDuringAMassExpiryInTheNextDutyCycleAheadOfTheRemovalsStillDue()
    {
        final int lingering = 3 * DaemonConductor.DEFERRED_PER_DUTY_CYCLE;
        conductor.offer(() ->
        {
            for (int i = 0; i < lingering; i++)
            {
                final int sport = 10_000 + i;
                final PolicyConfig policy =
                    XfrmPolicyParser.parseAdd(POLICY.replace("sport 5060", "sport " + sport));
                spd.add(policy);
                conductor.schedule("linger " + sport, 32_000_000_000L,
                    () -> spd.delete(policy.selector(), policy.direction()));
            }
            return null;
        });
        conductor.doWork();
        clock.advance(32_000_000_000L);
        conductor.doWork(); // the first batch of removals

        final PolicyConfig added = XfrmPolicyParser.parseAdd(POLICY);
        final CompletableFuture<Object> command = conductor.offer(() -> spd.add(added));
        conductor.doWork();
        assertTrue(command.isDone() && !command.isCompletedExceptionally(), "not held up behind the whole expiry");
        assertEquals(lingering - 2 * DaemonConductor.DEFERRED_PER_DUTY_CYCLE + 1, spd.size(),
            "the command, then the next bounded batch of removals");

        conductor.doWork();
        assertEquals(1, spd.size(), "only the policy the command added is left");
        assertEquals(0, conductor.scheduled());
    }

    @Test
    void shouldSweepOnceASecondAndCoalesceSaFollowUps()
    {
        for (int i = 0; i < 10; i++)
        {
            conductor.offer(() -> null);
        }
        conductor.doWork();
        assertEquals(1, host.saSyncs, "ten SA changes, one ring update");
        conductor.offer(() -> null);
        conductor.doWork();
        assertEquals(1, host.saSyncs, "not again within " + DaemonConductor.SA_SYNC_INTERVAL_NS + " ns");
        clock.advance(DaemonConductor.SA_SYNC_INTERVAL_NS);
        conductor.doWork();
        assertEquals(2, host.saSyncs);

        assertEquals(0, host.sweeps);
        clock.advance(DaemonConductor.SWEEP_INTERVAL_NS);
        conductor.doWork();
        conductor.doWork();
        assertEquals(1, host.sweeps);
    }

    @Test
    void shouldRunAChangeAtOnceWhenAskedOnItsOwnThreadAndWaitForItOnAnother() throws Exception
    {
        conductor.onStart(); // this thread is the conductor's
        assertEquals(3, conductor.apply(() -> 3, 1_000_000_000L));

        final CompletableFuture<Integer> fromOther = CompletableFuture.supplyAsync(
            () -> conductor.apply(() -> 4, 10_000_000_000L));
        while (!fromOther.isDone())
        {
            conductor.doWork();
            Thread.onSpinWait();
        }
        assertEquals(4, fromOther.get());
    }

    /**
     * The SIP bridge's port: a submitted change's outcome is told by the conductor itself, once the host follows it
     * (or why not), never by whichever thread registers a callback after the conductor completed it.
     */
    @Test
    void shouldTellASubmittedChangesOutcomeOnItsThreadOnlyAfterTheHostFollowsItOrWhyNot()
    {
        final List<String> outcomes = new ArrayList<>();
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY);
        assertTrue(conductor.submit(() -> spd.add(policy), error -> outcomes.add(host.policyCommits + " " + error)));
        assertEquals(List.of(), outcomes, "queued, not applied by the caller");
        conductor.doWork();
        assertEquals(List.of("1 null"), outcomes, "told once, after the filter commit");

        host.refuse = true;
        conductor.submit(() -> spd.delete(policy.selector(), policy.direction()),
            error -> outcomes.add(error.getClass().getSimpleName()));
        conductor.doWork();
        assertEquals("NotAppliedException", outcomes.get(1), "the host does not enforce it: told so");

        conductor.submit(() -> { }, error -> outcomes.add(error.getMessage()));
        conductor.onClose();
        assertEquals(List.of("1 null", "NotAppliedException", "daemon stopping"), outcomes);
    }

    @Test
    void shouldLogADutyCycleSlowerThanASecondAndWhichPartTookTheTime()
    {
        final PolicyConfig policy = XfrmPolicyParser.parseAdd(POLICY);
        conductor.offer(() -> spd.add(policy));
        host.onPolicies = () -> clock.advance(1_500_000_000L); // nft took 1.5 s
        conductor.doWork();
        assertTrue(log.stream().anyMatch(line -> line.equals("conductor: slow duty cycle: 1500 ms for the changes " +
            "and their host update, 0 ms for deferred changes, retries, SA follow-up and sweep")), log.toString());

        log.clear();
        conductor.doWork();
        assertEquals(List.of(), log, "a quick duty cycle says nothing");
    }

    @Test
    void shouldRefuseWaitingChangesWhenItCloses()
    {
        final CompletableFuture<Object> queued = conductor.offer(() -> null);
        conductor.onClose();
        final Throwable cause = assertThrows(Exception.class, queued::join).getCause();
        assertEquals("daemon stopping", cause.getMessage());
    }

    private final class FakeHost implements DaemonConductor.HostState
    {
        Runnable onPolicies = () -> { };
        boolean refuse;
        int policyCommits;
        int filterSawPolicies;
        int saSyncs;
        int sweeps;
        int reservations;

        public void onPoliciesChanged() throws IOException
        {
            policyCommits++;
            onPolicies.run();
            if (refuse)
            {
                throw new IOException("nft refused");
            }
            filterSawPolicies = spd.size();
        }

        public void onSasChanged()
        {
            saSyncs++;
        }

        public void sweep()
        {
            sweeps++;
        }

        public void reserveSequences()
        {
            reservations++;
        }
    }
}
