package org.esp4j.core.spd;

import org.esp4j.core.selector.TrafficSelector;
import org.esp4j.core.sa.SaState;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The security policy database (RFC 4301 §4.4.1): ordered policies per direction, lowest priority value first,
 * ties to the policy added first (as Linux).
 * <p>
 * Lookups are O(1) in the common IMS case: policies with exact selectors (single addresses, one protocol, single
 * ports) sit in a hash table; the few wildcard policies (a 5060 bypass, a catch-all) are scanned in priority order,
 * and only those that would beat the exact match. Lookups take no lock and allocate nothing; changes take this
 * object's lock and publish new tables with volatile writes, so they are safe while packets flow.
 */
public final class SecurityPolicyDatabase
{
    // Priorities are unsigned 32-bit, as in Linux's struct xfrm_userpolicy_info.
    private static final Comparator<SecurityPolicy> ORDER =
        ((Comparator<SecurityPolicy>)(a, b) -> Integer.compareUnsigned(a.priority(), b.priority()))
        .thenComparingLong(SecurityPolicy::sequence);

    private final Map<PolicyDirection, Direction> directions = new EnumMap<>(PolicyDirection.class);
    private int nextIndex = 1;
    private long nextSequence;
    private long changes;
    private volatile int size;
    private List<SecurityPolicy> listed;
    private long listedAtChange;
    /**
     * The last {@link #JOURNAL_CAPACITY} changes, by change number: the policy added or deleted (a flush is recorded
     * as {@link #FLUSHED}). Readers that follow the SPD apply these instead of a {@link #list()} of every policy.
     */
    private final SecurityPolicy[] journalPolicies = new SecurityPolicy[JOURNAL_CAPACITY];
    private final boolean[] journalAdded = new boolean[JOURNAL_CAPACITY];

    /** Changes kept for {@link #changesSince}: a reader further behind takes {@link #list()} instead. */
    public static final int JOURNAL_CAPACITY = 8192;

    /** A change read from the journal ({@link #changesSince}). */
    @FunctionalInterface
    public interface ChangeHandler
    {
        /**
         * @param policy the policy added or deleted.
         * @param added  true if it was added, false if deleted (an update is a delete, then an add).
         */
        void onPolicyChange(SecurityPolicy policy, boolean added);
    }

    private static final SecurityPolicy FLUSHED = null;

    /**
     * @return negative if {@code a} comes before {@code b} in lookup order (lower priority value, then added first),
     * positive if after, 0 for the same policy.
     */
    public static int compareLookupOrder(final SecurityPolicy a, final SecurityPolicy b)
    {
        return ORDER.compare(a, b);
    }

    public SecurityPolicyDatabase()
    {
        for (final PolicyDirection direction : PolicyDirection.values())
        {
            directions.put(direction, new Direction());
        }
    }

    /**
     * Add a policy ({@code ip xfrm policy add}).
     *
     * @param config the policy.
     * @return the installed policy.
     * @throws IllegalStateException if a policy with the same selector and direction exists.
     */
    public synchronized SecurityPolicy add(final PolicyConfig config)
    {
        if (find(config.selector(), config.direction()) != null)
        {
            throw new IllegalStateException("policy exists: " + config.selector() + " dir " + config.direction().xfrmName());
        }
        final int index = config.index() != 0 ? config.index() : nextIndex++;
        final SecurityPolicy policy = new SecurityPolicy(config, index, nextSequence++);
        directions.get(config.direction()).add(policy);
        size++;
        record(policy, true);
        return policy;
    }

    /**
     * Replace the policy with the same selector and direction, or add it ({@code ip xfrm policy update}).
     *
     * @param config the policy.
     * @return the installed policy.
     */
    public synchronized SecurityPolicy update(final PolicyConfig config)
    {
        delete(config.selector(), config.direction());
        return add(config);
    }

    /**
     * @param selector  the policy's selector.
     * @param direction its direction.
     * @return the policy or null.
     */
    public synchronized SecurityPolicy find(final TrafficSelector selector, final PolicyDirection direction)
    {
        return directions.get(direction).bySelector.get(selector);
    }

    /**
     * Delete a policy ({@code ip xfrm policy delete}).
     *
     * @param selector  the policy's selector.
     * @param direction its direction.
     * @return true if it existed.
     */
    public synchronized boolean delete(final TrafficSelector selector, final PolicyDirection direction)
    {
        final SecurityPolicy policy = find(selector, direction);
        if (policy == null)
        {
            return false;
        }
        directions.get(direction).remove(policy);
        size--;
        record(policy, false);
        return true;
    }

    /** Delete every policy ({@code ip xfrm policy flush}). */
    public synchronized void flush()
    {
        for (final Direction direction : directions.values())
        {
            direction.clear();
        }
        size = 0;
        record(FLUSHED, false);
    }

    private void record(final SecurityPolicy policy, final boolean added)
    {
        final int slot = (int)(changes & (JOURNAL_CAPACITY - 1));
        journalPolicies[slot] = policy;
        journalAdded[slot] = added;
        changes++;
    }

    /**
     * Hand the changes after {@code fromChange} (a {@link #changeCount()} read earlier) to {@code handler}, in order,
     * so that a reader keeps state derived from the policies in O(changes) rather than O(policies).
     *
     * @param fromChange the change count the reader's state matches.
     * @param handler    called for each add and delete since, under this database's lock (must not call back).
     * @return the change count now, which the reader's state then matches; or -1, having called nothing, when the
     * changes since are no longer all kept or include a flush (or {@code fromChange} is not one of this database's):
     * the reader then computes its state again from {@link #list()}.
     */
    public synchronized long changesSince(final long fromChange, final ChangeHandler handler)
    {
        if (fromChange < 0 || fromChange > changes || changes - fromChange > JOURNAL_CAPACITY)
        {
            return -1;
        }
        for (long change = fromChange; change < changes; change++)
        {
            if (journalPolicies[(int)(change & (JOURNAL_CAPACITY - 1))] == FLUSHED)
            {
                return -1;
            }
        }
        for (long change = fromChange; change < changes; change++)
        {
            final int slot = (int)(change & (JOURNAL_CAPACITY - 1));
            handler.onPolicyChange(journalPolicies[slot], journalAdded[slot]);
        }
        return changes;
    }

    /**
     * All policies, per direction in lookup order: an unmodifiable snapshot, made (copied and sorted) once per
     * {@link #changeCount() change}, so that the several readers of one change (a daemon's conductor, its filters,
     * its routing) do not each sort 80,000 policies.
     *
     * @return all policies, per direction in lookup order.
     */
    public synchronized List<SecurityPolicy> list()
    {
        if (listed == null || listedAtChange != changes)
        {
            final List<SecurityPolicy> result = new ArrayList<>(size);
            for (final PolicyDirection direction : PolicyDirection.values())
            {
                final List<SecurityPolicy> all = new ArrayList<>(directions.get(direction).bySelector.values());
                all.sort(ORDER);
                result.addAll(all);
            }
            listed = Collections.unmodifiableList(result);
            listedAtChange = changes;
        }
        return listed;
    }

    /**
     * A count of the changes made so far (every add and delete, an update counting as both, and every flush): a
     * reader that remembers it knows in O(1) whether anything changed since, without {@link #list()}, which copies
     * and sorts every policy.
     *
     * @return the number of changes since this database was made.
     */
    public synchronized long changeCount()
    {
        return changes;
    }

    /** @return number of policies. */
    public int size()
    {
        return size;
    }

    /**
     * @param direction in, out or fwd.
     * @return number of policies of that direction ({@code ip xfrm policy count}), in O(1).
     */
    public synchronized int size(final PolicyDirection direction)
    {
        return directions.get(direction).bySelector.size();
    }

    /** @return true when no policy is installed. */
    public boolean isEmpty()
    {
        return size == 0;
    }

    /**
     * Find the policy for a packet. No lock, no allocation.
     *
     * @param direction in or out.
     * @param srcHigh   source address high bits.
     * @param srcLow    source address low bits.
     * @param dstHigh   destination address high bits.
     * @param dstLow    destination address low bits.
     * @param protocol  next-layer protocol.
     * @param srcPort   source port (0 if none).
     * @param dstPort   destination port (0 if none).
     * @return the policy or null.
     */
    public SecurityPolicy lookup(
        final PolicyDirection direction,
        final long srcHigh,
        final long srcLow,
        final long dstHigh,
        final long dstLow,
        final int protocol,
        final int srcPort,
        final int dstPort)
    {
        final Direction table = directions.get(direction);
        SecurityPolicy best = table.exact.get(srcHigh, srcLow, dstHigh, dstLow, protocol, srcPort, dstPort);
        final SecurityPolicy[] wildcards = table.wildcards;
        for (final SecurityPolicy policy : wildcards)
        {
            if (best != null && ORDER.compare(policy, best) >= 0)
            {
                break;
            }
            if (policy.selector().matches(srcHigh, srcLow, dstHigh, dstLow, protocol, srcPort, dstPort))
            {
                best = policy;
                break;
            }
        }
        return best;
    }

    /**
     * The SA a protect policy uses for a packet: the cached one while it is usable and still matches, else a
     * search of the SAD (by SPI and destination when the template names them, else by scanning).
     *
     * @param policy  a PROTECT policy.
     * @param sad     the SAD.
     * @param dstHigh packet destination high bits.
     * @param dstLow  packet destination low bits.
     * @return a usable SA or null.
     */
    public static SecurityAssociation resolveSa(
        final SecurityPolicy policy, final SecurityAssociationDatabase sad, final long dstHigh, final long dstLow)
    {
        final SecurityAssociation cached = policy.cachedSa();
        // Only a VALID SA is kept: once it is dying (soft limit reached) a rekeyed successor should take over.
        if (cached != null && cached.state() == SaState.VALID &&
            cached.destinationHigh() == dstHigh && cached.destinationLow() == dstLow)
        {
            return cached;
        }
        SecurityAssociation found = null;
        final TemplateConfig template = policy.template();
        if (template != null && template.spi() != TemplateConfig.ANY_SPI)
        {
            final SecurityAssociation sa = sad.lookup(template.spi(), dstHigh, dstLow);
            if (sa != null && sa.isUsable() && policy.templateMatches(sa))
            {
                found = sa;
            }
        }
        else if (template != null)
        {
            // Slow path, once per policy until the SA changes: a VALID SA before a dying one, then the newest.
            for (final SecurityAssociation sa : sad.list())
            {
                if (sa.isUsable() && sa.destinationHigh() == dstHigh && sa.destinationLow() == dstLow &&
                    policy.templateMatches(sa) && (found == null || isBetterSa(sa, found)))
                {
                    found = sa;
                }
            }
        }
        policy.cachedSa(found);
        return found;
    }

    private static boolean isBetterSa(final SecurityAssociation candidate, final SecurityAssociation current)
    {
        final boolean candidateValid = candidate.state() == SaState.VALID;
        final boolean currentValid = current.state() == SaState.VALID;
        if (candidateValid != currentValid)
        {
            return candidateValid;
        }
        return candidate.addTimeNs() >= current.addTimeNs();
    }

    /**
     * Policies of one direction: an exact-match hash table plus sorted wildcards for packet threads, and a map by
     * selector for the (locked) control plane.
     */
    private static final class Direction
    {
        final Map<TrafficSelector, SecurityPolicy> bySelector = new LinkedHashMap<>();
        volatile ExactTable exact = new ExactTable();
        volatile SecurityPolicy[] wildcards = new SecurityPolicy[0];

        void clear()
        {
            bySelector.clear();
            exact = new ExactTable();
            wildcards = new SecurityPolicy[0];
        }

        void add(final SecurityPolicy policy)
        {
            bySelector.put(policy.selector(), policy);
            if (policy.selector().isExact())
            {
                exact.put(policy);
            }
            else
            {
                final SecurityPolicy[] updated = Arrays.copyOf(wildcards, wildcards.length + 1);
                updated[updated.length - 1] = policy;
                Arrays.sort(updated, ORDER);
                wildcards = updated;
            }
        }

        void remove(final SecurityPolicy policy)
        {
            bySelector.remove(policy.selector());
            if (policy.selector().isExact())
            {
                exact.remove(policy);
            }
            else
            {
                wildcards = Arrays.stream(wildcards).filter(p -> p != policy).toArray(SecurityPolicy[]::new);
            }
        }
    }

    /**
     * Open-addressing table of exact-selector policies, read lock-free (same scheme as the SAD's table: volatile
     * slots, tombstones, rebuild-and-publish).
     */
    private static final class ExactTable
    {
        private static final Object TOMBSTONE = new Object();

        private volatile AtomicReferenceArray<Object> slots = new AtomicReferenceArray<>(64);
        private int size;
        private int used;

        SecurityPolicy get(
            final long srcHigh, final long srcLow, final long dstHigh, final long dstLow,
            final int protocol, final int srcPort, final int dstPort)
        {
            final AtomicReferenceArray<Object> table = slots;
            final int mask = table.length() - 1;
            int index = hash(srcHigh, srcLow, dstHigh, dstLow, protocol, srcPort, dstPort) & mask;
            while (true)
            {
                final Object entry = table.get(index);
                if (entry == null)
                {
                    return null;
                }
                if (entry != TOMBSTONE)
                {
                    final TrafficSelector s = ((SecurityPolicy)entry).selector();
                    if (s.sourceLow() == srcLow && s.destinationLow() == dstLow && s.sourceHigh() == srcHigh &&
                        s.destinationHigh() == dstHigh && s.protocol() == protocol &&
                        s.sourcePortLow() == srcPort && s.destinationPortLow() == dstPort)
                    {
                        return (SecurityPolicy)entry;
                    }
                }
                index = (index + 1) & mask;
            }
        }

        void put(final SecurityPolicy policy)
        {
            if ((used + 1) * 2 > slots.length())
            {
                rebuild(size + 1);
            }
            insert(slots, policy);
            size++;
        }

        void remove(final SecurityPolicy policy)
        {
            final AtomicReferenceArray<Object> table = slots;
            final int mask = table.length() - 1;
            int index = hashOf(policy) & mask;
            while (table.get(index) != null)
            {
                if (table.get(index) == policy)
                {
                    table.set(index, TOMBSTONE);
                    size--;
                    return;
                }
                index = (index + 1) & mask;
            }
        }

        private void insert(final AtomicReferenceArray<Object> table, final SecurityPolicy policy)
        {
            final int mask = table.length() - 1;
            int index = hashOf(policy) & mask;
            while (table.get(index) != null && table.get(index) != TOMBSTONE)
            {
                index = (index + 1) & mask;
            }
            if (table.get(index) == null)
            {
                used++;
            }
            table.set(index, policy);
        }

        private void rebuild(final int minimumSize)
        {
            int capacity = 64;
            while (capacity < minimumSize * 4)
            {
                capacity <<= 1;
            }
            final AtomicReferenceArray<Object> old = slots;
            final AtomicReferenceArray<Object> table = new AtomicReferenceArray<>(capacity);
            used = 0;
            for (int i = 0; i < old.length(); i++)
            {
                final Object entry = old.get(i);
                if (entry != null && entry != TOMBSTONE)
                {
                    insert(table, (SecurityPolicy)entry);
                }
            }
            slots = table;
        }

        private static int hashOf(final SecurityPolicy policy)
        {
            final TrafficSelector s = policy.selector();
            return hash(s.sourceHigh(), s.sourceLow(), s.destinationHigh(), s.destinationLow(), s.protocol(),
                s.sourcePortLow(), s.destinationPortLow());
        }

        private static int hash(
            final long srcHigh, final long srcLow, final long dstHigh, final long dstLow,
            final int protocol, final int srcPort, final int dstPort)
        {
            long h = srcLow * 0x9E37_79B9_7F4A_7C15L;
            h = (h ^ dstLow) * 0x9E37_79B9_7F4A_7C15L;
            h = (h ^ srcHigh ^ (dstHigh << 1)) * 0x9E37_79B9_7F4A_7C15L;
            h = (h ^ ((long)protocol << 32) ^ ((long)srcPort << 16) ^ dstPort) * 0x9E37_79B9_7F4A_7C15L;
            return (int)(h ^ (h >>> 32));
        }
    }
}
