package org.esp4j.tun.daemon;

import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tells what each change did to the SPD as policy events ({@code ip xfrm monitor}: added, updated, deleted), read from
 * the SPD's change journal ({@link SecurityPolicyDatabase#changesSince}): O(policies changed) per change, whatever the
 * number of policies. A P-CSCF with 10,000 registered UEs holds 80,000 policies, and a copy and compare of all of them
 * after each change made every {@code policy add} cost about 50 ms (issue 14); the control socket always listens for
 * these events, so that cost was paid by every change.
 * <p>
 * One change's events are its net effect per selector and direction, as a compare of the SPD before and after it would
 * give: a policy deleted then added again (an {@code update}) is one {@link DaemonConductor.PolicyEventType#UPDATED};
 * a policy added then deleted within one change is nothing. The deletes come first, then the adds and updates, each in
 * the order the change made them. A flush, or a change larger than the journal, is told by comparing the whole SPD
 * with the policies this follower knows (kept from the journal, O(1) per change).
 * <p>
 * Conductor thread only.
 */
final class PolicyEventFollower
{
    /** A policy's identity in the SPD: its selector and direction. */
    private record PolicyKey(TrafficSelector selector, PolicyDirection direction)
    {
        static PolicyKey of(final SecurityPolicy policy)
        {
            return new PolicyKey(policy.selector(), policy.direction());
        }
    }

    private static final SecurityPolicy ABSENT = null;

    private final SecurityPolicyDatabase spd;
    /** The SPD as the listeners last heard of it; null while nobody listens (then nothing is kept). */
    private Map<PolicyKey, SecurityPolicy> policies;
    /** {@link SecurityPolicyDatabase#changeCount()} that {@link #policies} matches. */
    private long seenChange;
    // one change's journal entries, and each touched key's policy before the change (reused per change)
    private final List<SecurityPolicy> changedPolicies = new ArrayList<>();
    private final List<Boolean> changedAdded = new ArrayList<>();
    private final Map<PolicyKey, SecurityPolicy> before = new LinkedHashMap<>();

    /**
     * @param spd the SPD to follow; the policies it holds now are known, not told.
     * @param listened whether to keep the policies now (someone listens).
     */
    PolicyEventFollower(final SecurityPolicyDatabase spd, final boolean listened)
    {
        this.spd = spd;
        synchronized (spd)
        {
            seenChange = spd.changeCount();
            policies = listened ? snapshot() : null;
        }
    }

    /**
     * Before a change, when someone listens: know the SPD as it is, if it is not known (a listener just arrived).
     */
    void knowCurrent()
    {
        if (policies == null)
        {
            synchronized (spd) // the list and its change count from the same moment
            {
                policies = snapshot();
                seenChange = spd.changeCount();
            }
        }
    }

    /**
     * After a change: did it move the SPD? When someone listens, tell them what it did.
     *
     * @param listened whether anyone listens now.
     * @param events   told each event, in order (when listened).
     * @return true if the SPD changed.
     */
    boolean afterChange(final boolean listened, final DaemonConductor.PolicyEventListener events)
    {
        final long changes = spd.changeCount();
        if (changes == seenChange)
        {
            return false;
        }
        if (!listened || policies == null)
        {
            policies = null; // nobody to tell: keep nothing, know the SPD again when someone listens
            seenChange = changes;
            return true;
        }
        changedPolicies.clear();
        changedAdded.clear();
        final long now = spd.changesSince(seenChange, this::onJournalChange);
        if (now < 0)
        {
            publishWholeDiff(events);
        }
        else
        {
            seenChange = now;
            publishNetEffect(events);
        }
        return true;
    }

    private void onJournalChange(final SecurityPolicy policy, final boolean added)
    {
        changedPolicies.add(policy);
        changedAdded.add(added);
    }

    private void publishNetEffect(final DaemonConductor.PolicyEventListener events)
    {
        before.clear();
        for (int i = 0; i < changedPolicies.size(); i++)
        {
            final SecurityPolicy policy = changedPolicies.get(i);
            final PolicyKey key = PolicyKey.of(policy);
            if (!before.containsKey(key))
            {
                before.put(key, policies.get(key));
            }
            if (changedAdded.get(i))
            {
                policies.put(key, policy);
            }
            else
            {
                policies.remove(key);
            }
        }
        for (final Map.Entry<PolicyKey, SecurityPolicy> entry : before.entrySet())
        {
            if (entry.getValue() != ABSENT && !policies.containsKey(entry.getKey()))
            {
                events.onPolicyEvent(DaemonConductor.PolicyEventType.DELETED, entry.getValue());
            }
        }
        for (final Map.Entry<PolicyKey, SecurityPolicy> entry : before.entrySet())
        {
            final SecurityPolicy after = policies.get(entry.getKey());
            if (after != null && after != entry.getValue())
            {
                events.onPolicyEvent(entry.getValue() == ABSENT ?
                    DaemonConductor.PolicyEventType.ADDED : DaemonConductor.PolicyEventType.UPDATED, after);
            }
        }
        before.clear();
        changedPolicies.clear();
        changedAdded.clear();
    }

    /** A flush, or more changes than the journal keeps: compare the whole SPD with what was known (O(policies)). */
    private void publishWholeDiff(final DaemonConductor.PolicyEventListener events)
    {
        final Map<PolicyKey, SecurityPolicy> now;
        synchronized (spd)
        {
            now = snapshot();
            seenChange = spd.changeCount();
        }
        for (final Map.Entry<PolicyKey, SecurityPolicy> entry : policies.entrySet())
        {
            if (!now.containsKey(entry.getKey()))
            {
                events.onPolicyEvent(DaemonConductor.PolicyEventType.DELETED, entry.getValue());
            }
        }
        for (final Map.Entry<PolicyKey, SecurityPolicy> entry : now.entrySet())
        {
            final SecurityPolicy was = policies.get(entry.getKey());
            if (was != entry.getValue())
            {
                events.onPolicyEvent(was == null ?
                    DaemonConductor.PolicyEventType.ADDED : DaemonConductor.PolicyEventType.UPDATED, entry.getValue());
            }
        }
        policies = now;
    }

    private Map<PolicyKey, SecurityPolicy> snapshot()
    {
        final List<SecurityPolicy> all = spd.list();
        final Map<PolicyKey, SecurityPolicy> now = new HashMap<>(Math.max(16, all.size() * 4 / 3 + 1));
        for (final SecurityPolicy policy : all)
        {
            now.put(PolicyKey.of(policy), policy);
        }
        return now;
    }
}
