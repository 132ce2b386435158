package org.esp4j.tun.daemon;

import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.spd.PolicyAction;
import org.esp4j.core.spd.PolicyDirection;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.tun.routing.SteeringPrefix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host state derived from the SPD that does not need nftables: the prefixes to steer into the TUN and the
 * fragment guard's selectors, kept up to date from the SPD's change journal
 * ({@link SecurityPolicyDatabase#changesSince}) in O(changed policies) per change, so that one registration at a
 * P-CSCF holding 40,000 policies costs what it costs with 4. A full computation from {@link SecurityPolicyDatabase#list()}
 * is kept for the first follow, a flush, a reader too far behind the journal, and after the host refused a change
 * ({@link #invalidate()}); it gives the same result as the incremental path (tested).
 * <p>
 * Conductor thread only.
 */
final class PolicyHostView
{
    private final Collection<SteeringPrefix> configured;
    /** Steered prefix to the number of out-policies (and configured entries) that want it. */
    private final Map<SteeringPrefix, Integer> steeringUses = new HashMap<>();
    /** Prefixes that became wanted / unwanted since {@link #steeringApplied()}. */
    private final Set<SteeringPrefix> steeringAdded = new LinkedHashSet<>();
    private final Set<SteeringPrefix> steeringRemoved = new LinkedHashSet<>();
    /** Guarded policies packed at the front of {@link #guarded}, with their slots: swap-remove keeps deletes O(1). */
    private final Map<SecurityPolicy, Integer> guardedSlots = new IdentityHashMap<>();
    private SecurityPolicy[] guardedPolicies = new SecurityPolicy[16];
    private TrafficSelector[] guarded = new TrafficSelector[16];
    private int guardedCount;
    private boolean guardChanged;
    /** The changes the last {@link #follow} applied from the journal, in order (for the inbound filter). */
    private final List<SecurityPolicy> changedPolicies = new ArrayList<>();
    private final List<Boolean> changedAdded = new ArrayList<>();
    private boolean resynced;
    /** {@link SecurityPolicyDatabase#changeCount()} this view matches, or -1 (compute from the list). */
    private long syncedChange = -1;

    PolicyHostView(final Collection<SteeringPrefix> configured)
    {
        this.configured = List.copyOf(configured);
    }

    /**
     * Bring the view in line with the SPD: from its journal, or computed again when that is not possible.
     *
     * @return true if computed again from the whole SPD (the host then applies the whole state, not the diff).
     */
    boolean follow(final SecurityPolicyDatabase spd)
    {
        changedPolicies.clear();
        changedAdded.clear();
        final long now = syncedChange < 0 ? -1 : spd.changesSince(syncedChange, this::onJournalChange);
        if (now >= 0)
        {
            syncedChange = now;
            return resynced;
        }
        synchronized (spd) // the list and its change count from the same moment
        {
            resync(spd.list());
            syncedChange = spd.changeCount();
        }
        return true;
    }

    /** The host refused (part of) the last changes: the next {@link #follow} computes and applies it all again. */
    void invalidate()
    {
        syncedChange = -1;
    }

    void resync(final List<SecurityPolicy> policies)
    {
        steeringUses.clear();
        steeringAdded.clear();
        steeringRemoved.clear();
        guardedSlots.clear();
        Arrays.fill(guardedPolicies, 0, guardedCount, null);
        Arrays.fill(guarded, 0, guardedCount, null);
        guardedCount = 0;
        for (final SteeringPrefix prefix : configured)
        {
            steeringUses.merge(prefix, 1, Integer::sum);
        }
        for (final SecurityPolicy policy : policies)
        {
            onPolicyChange(policy, true);
        }
        steeringAdded.clear();
        steeringRemoved.clear();
        guardChanged = true;
        resynced = true;
    }

    private void onJournalChange(final SecurityPolicy policy, final boolean added)
    {
        changedPolicies.add(policy);
        changedAdded.add(added);
        onPolicyChange(policy, added);
    }

    /** @return the policies added or deleted by the changes the last {@link #follow} took from the journal, in order. */
    List<SecurityPolicy> changedPolicies()
    {
        return changedPolicies;
    }

    /** @return for each of {@link #changedPolicies()}: true if added, false if deleted. */
    List<Boolean> changedAdded()
    {
        return changedAdded;
    }

    void onPolicyChange(final SecurityPolicy policy, final boolean added)
    {
        final SteeringPrefix prefix = steeredPrefix(configured, policy);
        if (prefix != null)
        {
            if (added)
            {
                if (steeringUses.merge(prefix, 1, Integer::sum) == 1 && !steeringRemoved.remove(prefix))
                {
                    steeringAdded.add(prefix);
                }
            }
            else
            {
                final Integer uses = steeringUses.get(prefix);
                if (uses != null && uses > 1)
                {
                    steeringUses.put(prefix, uses - 1);
                }
                else if (uses != null)
                {
                    steeringUses.remove(prefix);
                    if (!steeringAdded.remove(prefix))
                    {
                        steeringRemoved.add(prefix);
                    }
                }
            }
        }
        if (isGuarded(policy))
        {
            if (added)
            {
                addGuarded(policy);
            }
            else
            {
                removeGuarded(policy);
            }
        }
    }

    private void addGuarded(final SecurityPolicy policy)
    {
        if (guardedSlots.containsKey(policy))
        {
            return;
        }
        if (guardedCount == guarded.length)
        {
            guarded = Arrays.copyOf(guarded, guardedCount * 2);
            guardedPolicies = Arrays.copyOf(guardedPolicies, guardedCount * 2);
        }
        guarded[guardedCount] = policy.selector();
        guardedPolicies[guardedCount] = policy;
        guardedSlots.put(policy, guardedCount++);
        guardChanged = true;
    }

    private void removeGuarded(final SecurityPolicy policy)
    {
        final Integer slot = guardedSlots.remove(policy);
        if (slot == null)
        {
            return;
        }
        final int last = --guardedCount;
        if (slot != last)
        {
            guarded[slot] = guarded[last];
            guardedPolicies[slot] = guardedPolicies[last];
            guardedSlots.put(guardedPolicies[slot], slot);
        }
        guarded[last] = null;
        guardedPolicies[last] = null;
        guardChanged = true;
    }

    /** @return every prefix to steer now (configured and from the out-policies). */
    Set<SteeringPrefix> steering()
    {
        return Set.copyOf(steeringUses.keySet());
    }

    /** @return prefixes that became wanted since {@link #steeringApplied()}. */
    Set<SteeringPrefix> steeringAdded()
    {
        return steeringAdded;
    }

    /** @return prefixes no longer wanted since {@link #steeringApplied()}. */
    Set<SteeringPrefix> steeringRemoved()
    {
        return steeringRemoved;
    }

    /** The host took the steering (whole or diff). */
    void steeringApplied()
    {
        steeringAdded.clear();
        steeringRemoved.clear();
        resynced = false;
    }

    /** @return true if the guarded selectors changed since {@link #guardApplied()}. */
    boolean guardChanged()
    {
        return guardChanged;
    }

    /** @return the guarded selectors now: a copy for the outbound agent (one array copy, no walk of the SPD). */
    TrafficSelector[] guardedSelectors()
    {
        return Arrays.copyOf(guarded, guardedCount);
    }

    /** The outbound agent took the guarded selectors. */
    void guardApplied()
    {
        guardChanged = false;
    }

    /**
     * A policy's prefix inside a configured one gets no steering rules of its own: the configured prefix's rules
     * steer the same packets (same priority, mark and table). So a P-CSCF with {@code steer=} on its UEs' prefix
     * makes no {@code ip rule} per registered UE (two rules and two {@code ip} runs each, otherwise, which the
     * kernel also walks for every packet of the host).
     *
     * @param configured the configured steering prefixes.
     * @param policy     a policy.
     * @return {@link #steeringPrefix(SecurityPolicy)}, or null when it is inside a configured prefix.
     */
    static SteeringPrefix steeredPrefix(final Collection<SteeringPrefix> configured, final SecurityPolicy policy)
    {
        final SteeringPrefix prefix = steeringPrefix(policy);
        if (prefix == null)
        {
            return null;
        }
        for (final SteeringPrefix outer : configured)
        {
            if (prefix.isInside(outer))
            {
                return null;
            }
        }
        return prefix;
    }

    /**
     * @return the destination prefix this policy steers into the TUN, or null: an out-policy that protects or discards
     * steers its selector's destination, or, for a protect policy with no destination selector, its tunnel end.
     */
    static SteeringPrefix steeringPrefix(final SecurityPolicy policy)
    {
        if (policy.direction() != PolicyDirection.OUT || policy.action() == PolicyAction.BYPASS)
        {
            return null;
        }
        final TrafficSelector selector = policy.selector();
        if (selector.destinationAddress() != null)
        {
            return new SteeringPrefix(selector.destinationAddress(), selector.destinationPrefixLength());
        }
        if (policy.action() == PolicyAction.PROTECT && policy.template() != null &&
            policy.template().destination() != null)
        {
            return SteeringPrefix.host(policy.template().destination());
        }
        return null;
    }

    /** @return true if the fragment guard drops unknown fragments this policy covers (out, protect or discard). */
    static boolean isGuarded(final SecurityPolicy policy)
    {
        return policy.direction() == PolicyDirection.OUT && policy.action() != PolicyAction.BYPASS;
    }
}
