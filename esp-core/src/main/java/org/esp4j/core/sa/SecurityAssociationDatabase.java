package org.esp4j.core.sa;

import org.esp4j.core.ip.IpAddressText;
import org.agrona.concurrent.NanoClock;
import org.esp4j.core.counters.SaCounters;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.ip.IpAddressBits;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The security association database (RFC 4301 §4.4.2): SAs by SPI and destination (RFC 4301 §4.1 allows lookup by
 * SPI alone or by SPI and destination; both are offered).
 * <p>
 * Packet threads look SAs up without locks or allocation ({@link SaTable}); adding, updating and deleting take this
 * object's lock and are safe while packets flow.
 * <p>
 * Deleting an SA (or flushing) is safe while packets flow, by epoch-based reclamation ({@link EpochReclamation}):
 * <ol>
 *   <li>at once, the SA is marked {@link SaState#DELETED} and leaves the table: a packet that looks it up from then
 *       on does not find it, and a packet thread that holds it (a call in flight) sees the mark, so the SA protects
 *       and delivers nothing more. A packet already through the crypto is dropped as {@code XfrmOutStateInvalid} or
 *       {@code XfrmInStateInvalid};</li>
 *   <li>later, once every packet thread ({@link #registerReader() reader}, one per {@code EspProcessor}) has left
 *       the call it was in, the SA is reclaimed: its transforms are destroyed and dropped, its keys zeroed, its
 *       counters freed. That happens on the next change of the database or {@link #poll()}, or at once when no
 *       packet is in flight; {@link #reclaim()} forces a try.</li>
 * </ol>
 * So keys are never wiped under a packet thread, nor reused after the SA is gone.
 */
public final class SecurityAssociationDatabase
{
    private final SaTable table = new SaTable();
    private final EpochReclamation reclamation = new EpochReclamation();
    private final XfrmCounters counters;
    private final NanoClock clock;
    private final SaEventListener listener;
    private final long epochOffsetNs;
    /** Each SA's next time-limit check, so that {@link #poll()} looks only at the SAs due; guarded by this. */
    private final DeadlineQueue<SecurityAssociation> timeChecks = new DeadlineQueue<>();
    /** Adds, updates and deletes so far (written under this object's lock). */
    private volatile long changes;
    /**
     * The last {@link #JOURNAL_CAPACITY} changes, by change number: SPI and destination of the SA added, updated or
     * deleted (not the SA itself: the journal keeps no deleted SA's keys reachable).
     */
    private final long[] journalSpis = new long[JOURNAL_CAPACITY];
    private final InetAddress[] journalDestinations = new InetAddress[JOURNAL_CAPACITY];
    private final byte[] journalTypes = new byte[JOURNAL_CAPACITY];

    /** Changes kept for {@link #changesSince}: a reader further behind takes {@link #list()} instead. */
    public static final int JOURNAL_CAPACITY = 8192;
    private static final byte JOURNAL_ADDED = 1;
    private static final byte JOURNAL_UPDATED = 2;
    private static final byte JOURNAL_DELETED = 3;

    /** An SA added to or deleted from the database, read from the journal ({@link #changesSince}). */
    @FunctionalInterface
    public interface ChangeHandler
    {
        /**
         * @param spi         the SA's SPI (unsigned 32-bit).
         * @param destination its destination.
         * @param added       true if added, false if deleted.
         */
        void onSaChange(long spi, InetAddress destination, boolean added);
    }
    /** Raised by a packet thread when an SA reaches its {@link SecurityAssociation#alertAtOutboundSequence} mark. */
    private volatile boolean sequenceAlert;

    /**
     * @param counters where per-SA counters are allocated.
     * @param clock    the clock lifetimes are measured with.
     * @param listener SA events.
     */
    public SecurityAssociationDatabase(final XfrmCounters counters, final NanoClock clock, final SaEventListener listener)
    {
        this.counters = counters;
        this.clock = clock;
        this.listener = listener == null ? SaEventListener.NO_OP : listener;
        epochOffsetNs = System.currentTimeMillis() * 1_000_000L - clock.nanoTime();
    }

    /** @return the clock. */
    public NanoClock clock()
    {
        return clock;
    }

    /** @return the counters. */
    public XfrmCounters counters()
    {
        return counters;
    }

    /**
     * Add an SA ({@code ip xfrm state add}).
     *
     * @param config the SA.
     * @return the new SA.
     * @throws IllegalStateException if an SA with the same SPI and destination exists.
     */
    public SecurityAssociation add(final SaConfig config)
    {
        final SecurityAssociation sa;
        synchronized (this)
        {
            final long dstHigh = IpAddressBits.high(config.destination());
            final long dstLow = IpAddressBits.low(config.destination());
            if (table.get(config.spi(), dstHigh, dstLow) != null)
            {
                throw new IllegalStateException("SA exists: spi " + config.spiHex() + " dst " +
                    IpAddressText.format(config.destination()));
            }
            final SaCounters saCounters = counters.allocateSaCounters(
                config.spi(), "spi " + config.spiHex() + " dst " + IpAddressText.format(config.destination()));
            final long nowNs = clock.nanoTime();
            sa = new SecurityAssociation(config, saCounters, nowNs, epochOffsetNs, listener);
            sa.owner(this);
            table.put(sa);
            scheduleTimeCheckLocked(sa, nowNs);
            recordLocked(sa, JOURNAL_ADDED);
            reclaimLocked();
        }
        listener.onSaEvent(SaEventType.ADDED, sa);
        return sa;
    }

    /**
     * Change an SA in place ({@code ip xfrm state update}). As in Linux, only the lifetime limits may change: the SA
     * keeps its sequence numbers, replay window and counters, so an update can never reopen a replay window or make
     * the sender start again at 1. Any other difference is refused.
     *
     * @param config the new config (same SPI, addresses, algorithms, keys, selector and encapsulation).
     * @return the updated SA.
     * @throws IllegalStateException    if there is no such SA.
     * @throws IllegalArgumentException if anything but the lifetime differs.
     */
    public SecurityAssociation update(final SaConfig config)
    {
        final SecurityAssociation sa;
        synchronized (this)
        {
            sa = get(config.spi(), config.destination());
            if (sa == null)
            {
                throw new IllegalStateException("no SA to update: spi " + config.spiHex() + " dst " +
                    IpAddressText.format(config.destination()));
            }
            final String difference = differenceOtherThanLifetime(sa.config(), config);
            if (difference != null)
            {
                throw new IllegalArgumentException("update may change only the lifetime limits; " + difference +
                    " differs (delete and add the SA instead)");
            }
            sa.updateLifetime(config.lifetime(), clock.nanoTime()); // reschedules its time check
            recordLocked(sa, JOURNAL_UPDATED);
            reclaimLocked();
        }
        listener.onSaEvent(SaEventType.UPDATED, sa);
        return sa;
    }

    private static String differenceOtherThanLifetime(final SaConfig a, final SaConfig b)
    {
        if (!a.source().equals(b.source()))
        {
            return "src";
        }
        if (a.integrityAlgorithm() != b.integrityAlgorithm() || a.icvLengthBits() != b.icvLengthBits())
        {
            return "auth algorithm";
        }
        if (a.encryptionAlgorithm() != b.encryptionAlgorithm())
        {
            return "enc algorithm";
        }
        if (a.replayWindowSize() != b.replayWindowSize() || a.esn() != b.esn())
        {
            return "replay-window or esn";
        }
        if (a.icmp() != b.icmp())
        {
            return "flag icmp";
        }
        if (a.encapsulation() != b.encapsulation() ||
            a.encapsulationSourcePort() != b.encapsulationSourcePort() ||
            a.encapsulationDestinationPort() != b.encapsulationDestinationPort())
        {
            return "encap";
        }
        if (!a.selector().equals(b.selector()) || a.reqid() != b.reqid())
        {
            return "sel or reqid";
        }
        final byte[] keyA = a.integrityKey();
        final byte[] keyB = b.integrityKey();
        final byte[] encA = a.encryptionKey();
        final byte[] encB = b.encryptionKey();
        try
        {
            return java.security.MessageDigest.isEqual(keyA, keyB) && java.security.MessageDigest.isEqual(encA, encB) ?
                null : "key";
        }
        finally
        {
            java.util.Arrays.fill(keyA, (byte)0);
            java.util.Arrays.fill(keyB, (byte)0);
            java.util.Arrays.fill(encA, (byte)0);
            java.util.Arrays.fill(encB, (byte)0);
        }
    }

    /**
     * @param spi         unsigned SPI.
     * @param destination destination address.
     * @return the SA or null.
     */
    public SecurityAssociation get(final long spi, final InetAddress destination)
    {
        return table.get(spi, IpAddressBits.high(destination), IpAddressBits.low(destination));
    }

    /**
     * Packet-path lookup by SPI and destination; no allocation.
     *
     * @param spi             unsigned SPI.
     * @param destinationHigh destination high bits.
     * @param destinationLow  destination low bits.
     * @return the SA or null.
     */
    public SecurityAssociation lookup(final long spi, final long destinationHigh, final long destinationLow)
    {
        return table.get(spi, destinationHigh, destinationLow);
    }

    /**
     * Packet-path lookup by SPI alone (RFC 4301 §4.1: a receiver may choose SPIs unique on their own).
     *
     * @param spi unsigned SPI.
     * @return an SA with this SPI or null.
     */
    public SecurityAssociation lookupBySpi(final long spi)
    {
        return table.getBySpi(spi);
    }

    /**
     * Delete an SA ({@code ip xfrm state delete}): no packet uses it from now on; its keys are zeroed and its counters
     * freed once no packet thread is inside a call that found it (see the class comment).
     *
     * @param spi         unsigned SPI.
     * @param destination destination.
     * @return true if it existed.
     */
    public boolean delete(final long spi, final InetAddress destination)
    {
        final SecurityAssociation sa;
        synchronized (this)
        {
            sa = get(spi, destination);
            if (sa == null)
            {
                return false;
            }
            removeLocked(sa);
            reclaimLocked();
        }
        return true;
    }

    /**
     * Delete the given SA if it is still in the database.
     *
     * @param sa the SA.
     * @return true if it was.
     */
    public boolean delete(final SecurityAssociation sa)
    {
        synchronized (this)
        {
            if (table.get(sa.spi(), sa.destinationHigh(), sa.destinationLow()) != sa)
            {
                return false;
            }
            removeLocked(sa);
            reclaimLocked();
        }
        return true;
    }

    /** Delete every SA ({@code ip xfrm state flush}). */
    public void flush()
    {
        synchronized (this)
        {
            final List<SecurityAssociation> all = new ArrayList<>();
            table.forEach(all::add);
            for (final SecurityAssociation sa : all)
            {
                removeLocked(sa);
            }
            table.clear();
            timeChecks.clear();
            reclaimLocked();
        }
    }

    /** @return a snapshot of all SAs. */
    public List<SecurityAssociation> list()
    {
        final List<SecurityAssociation> result = new ArrayList<>();
        synchronized (this)
        {
            table.forEach(result::add);
        }
        return result;
    }

    /** @return number of SAs. */
    public int size()
    {
        synchronized (this)
        {
            return table.size();
        }
    }

    /**
     * Sweep the time limits of idle SAs (a packet also checks its SA's limits). Call periodically, e.g. once a
     * second from a control agent. Only the SAs whose next time-limit check is due are looked at (a deadline queue
     * kept on add, update and delete, each SA's earliest soft or hard add/use deadline), so a poll with
     * nothing due costs the same whatever the number of SAs.
     *
     * @return number of SAs whose time limits this poll covers (all SAs of the database).
     */
    public int poll()
    {
        final long nowNs = clock.nanoTime();
        List<SecurityAssociation> due = null;
        final int covered;
        synchronized (this)
        {
            covered = table.size();
            if (timeChecks.size() > 0)
            {
                final List<SecurityAssociation> polled = new ArrayList<>();
                timeChecks.pollDue(nowNs, Integer.MAX_VALUE, (sa, deadlineNs) -> polled.add(sa));
                due = polled;
            }
        }
        if (due != null && !due.isEmpty())
        {
            for (final SecurityAssociation sa : due)
            {
                sa.pollTimeLimits(nowNs); // outside the lock: it may raise events
            }
            synchronized (this)
            {
                for (final SecurityAssociation sa : due)
                {
                    if (sa.state() != SaState.DELETED)
                    {
                        scheduleTimeCheckLocked(sa, nowNs);
                    }
                }
            }
        }
        reclaim();
        return covered;
    }

    /** @return the time of an SA's next time-limit check, or {@code Long.MAX_VALUE} if none is queued (tests). */
    synchronized long nextTimeCheckNs(final SecurityAssociation sa)
    {
        return timeChecks.deadlineNs(sa);
    }

    /**
     * @return adds, updates and deletes so far: a watcher that reads the same value twice saw the same SAs in
     * between (an expiry is not a change: the SA stays until deleted).
     */
    public long changes()
    {
        return changes;
    }

    private void recordLocked(final SecurityAssociation sa, final byte type)
    {
        final long change = changes;
        final int slot = (int)(change & (JOURNAL_CAPACITY - 1));
        journalSpis[slot] = sa.spi();
        journalDestinations[slot] = sa.config().destination();
        journalTypes[slot] = type;
        changes = change + 1;
    }

    /**
     * Hand the adds and deletes after {@code fromChange} (a {@link #changes()} read earlier) to {@code handler}, in
     * order, so that a reader keeps state derived from the SAs (the packet ring's SPIs) in O(changes) rather than
     * O(SAs). A flush is a delete per SA.
     *
     * @param fromChange the change count the reader's state matches.
     * @param handler    called for each add and delete since, under this database's lock (must not call back).
     * @return the change count now, which the reader's state then matches; or -1, having called nothing, when the
     * changes since are no longer all kept (or {@code fromChange} is not one of this database's): the reader then
     * computes its state again from {@link #list()}.
     */
    public synchronized long changesSince(final long fromChange, final ChangeHandler handler)
    {
        final long now = changes;
        if (fromChange < 0 || fromChange > now || now - fromChange > JOURNAL_CAPACITY)
        {
            return -1;
        }
        for (long change = fromChange; change < now; change++)
        {
            final int slot = (int)(change & (JOURNAL_CAPACITY - 1));
            if (journalTypes[slot] != JOURNAL_UPDATED)
            {
                handler.onSaChange(journalSpis[slot], journalDestinations[slot], journalTypes[slot] == JOURNAL_ADDED);
            }
        }
        return now;
    }

    /**
     * Take the sequence alert: true if an SA took an outbound sequence number at or above the mark set with
     * {@link SecurityAssociation#alertAtOutboundSequence(long)}, or had its sequence set, since the last call. For
     * one watcher (the daemon's sequence reservations), which looks at its SAs again only then.
     *
     * @return whether the alert was raised.
     */
    public boolean takeSequenceAlert()
    {
        if (sequenceAlert)
        {
            sequenceAlert = false;
            return true;
        }
        return false;
    }

    void onSequenceAlert()
    {
        if (!sequenceAlert)
        {
            sequenceAlert = true;
        }
    }

    void onLifetimeChanged(final SecurityAssociation sa)
    {
        synchronized (this)
        {
            if (sa.state() != SaState.DELETED)
            {
                scheduleTimeCheckLocked(sa, clock.nanoTime());
            }
        }
    }

    private void scheduleTimeCheckLocked(final SecurityAssociation sa, final long nowNs)
    {
        final long nextNs = sa.nextTimeCheckNs(nowNs);
        if (nextNs == Long.MAX_VALUE)
        {
            timeChecks.remove(sa);
        }
        else
        {
            timeChecks.schedule(sa, nextNs);
        }
    }

    /**
     * Register a packet thread (an {@code EspProcessor}) for {@link EpochReclamation}: it gets an epoch slot and its
     * own transform of each SA.
     *
     * @return the reader, for one thread.
     */
    public EpochReclamation.Reader registerReader()
    {
        synchronized (this)
        {
            return reclamation.register();
        }
    }

    /**
     * Unregister a reader that no thread uses any more: it no longer holds back reclamation, and its transforms are
     * destroyed.
     *
     * @param reader the reader.
     */
    public void unregisterReader(final EpochReclamation.Reader reader)
    {
        synchronized (this)
        {
            final List<SecurityAssociation> live = new ArrayList<>();
            table.forEach(live::add);
            reclamation.unregister(reader, live);
            reclaimLocked();
        }
    }

    /**
     * Reclaim deleted SAs that no packet thread can still be using (their keys zeroed, transforms dropped, counters
     * freed). Done after every change and by {@link #poll()}; callable at any time.
     *
     * @return SAs deleted and still waiting for packet threads.
     */
    public int reclaim()
    {
        synchronized (this)
        {
            reclaimLocked();
            return reclamation.limboSize();
        }
    }

    private void reclaimLocked()
    {
        reclamation.reclaim(sa -> counters.freeSaCounters(sa.counters()));
    }

    private void removeLocked(final SecurityAssociation sa)
    {
        sa.markDeleted();
        table.remove(sa);
        timeChecks.remove(sa);
        recordLocked(sa, JOURNAL_DELETED);
        reclamation.retire(sa);
        listener.onSaEvent(SaEventType.DELETED, sa);
    }
}
