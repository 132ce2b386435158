package org.esp4j.tun.daemon;

import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicy;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.tun.carrier.PacketRingReceiver;
import org.esp4j.tun.routing.EspEarlyDrop;
import org.esp4j.tun.routing.InboundClearFilter;
import org.esp4j.tun.routing.LocalAddresses;
import org.esp4j.tun.routing.PolicyRouting;
import org.esp4j.tun.routing.SteeringPrefix;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The daemon's host state behind the {@link DaemonConductor}: policy routing (steering), the nftables inbound filter,
 * the packet ring and its early-drop table, and the outbound agent's fragment guard. Every method runs on the
 * conductor thread; the objects it drives are not touched by any other thread after start (the packet agents get
 * their part as commands on their own queues).
 */
final class DaemonHostState implements DaemonConductor.HostState
{
    /** Reading the filter's counters runs {@code nft}: not every sweep. */
    private static final long FILTER_POLL_NS = 2_000_000_000L;

    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd;
    private final XfrmCounters counters;
    private final DaemonCounters daemonCounters;
    private final PolicyRouting routing;
    private final InboundClearFilter inboundFilter;
    private final PacketRingReceiver packetRing;
    private final EspEarlyDrop espEarlyDrop;
    private final OutboundAgent outbound;
    private final SequenceReservations reservations;
    private final PolicyHostView policyView;
    private final String tunName;
    private final Consumer<String> log;
    private long lastFilterPollNs;
    private String lastError;
    /**
     * The SPD's host state (filter, guard, steering) must be computed again by the sweep: before the first
     * successful update, after a failed one, or when the filter's table went missing. Otherwise the conductor's
     * update after each change is the only one: an idle sweep costs nothing per policy (40,000 of a P-CSCF's UEs).
     */
    private boolean policyResyncNeeded = true;
    private final InboundSpis ringSpis = new InboundSpis();

    /**
     * @param routing       the installed policy routing, or null (tests).
     * @param inboundFilter the installed inbound filter, or null when off.
     * @param packetRing    the packet ring, or null when off (then espEarlyDrop is null too).
     * @param outbound      the outbound agent whose fragment guard follows the SPD, or null (tests).
     */
    DaemonHostState(
        final SecurityAssociationDatabase sad,
        final SecurityPolicyDatabase spd,
        final XfrmCounters counters,
        final DaemonCounters daemonCounters,
        final Collection<SteeringPrefix> configuredPrefixes,
        final PolicyRouting routing,
        final InboundClearFilter inboundFilter,
        final PacketRingReceiver packetRing,
        final EspEarlyDrop espEarlyDrop,
        final OutboundAgent outbound,
        final SequenceReservations reservations,
        final String tunName,
        final Consumer<String> log)
    {
        this.sad = sad;
        this.spd = spd;
        this.counters = counters;
        this.daemonCounters = daemonCounters;
        this.policyView = new PolicyHostView(configuredPrefixes);
        this.routing = routing;
        this.inboundFilter = inboundFilter;
        this.packetRing = packetRing;
        this.espEarlyDrop = espEarlyDrop;
        this.outbound = outbound;
        this.reservations = reservations;
        this.tunName = tunName;
        this.log = log;
    }

    /** The inbound filter first (it is what fail-closed waits for), then the guard and the steering. */
    public void onPoliciesChanged() throws IOException
    {
        policyResyncNeeded = true;
        syncPolicies();
        policyResyncNeeded = false;
    }

    private void syncPolicies() throws IOException
    {
        final boolean whole = policyView.follow(spd);
        try
        {
            // the inbound filter first (fail-closed waits for it): the changed elements, else the whole SPD
            if (inboundFilter != null &&
                (whole || !inboundFilter.change(policyView.changedPolicies(), policyView.changedAdded())))
            {
                count(inboundFilter.sync(spd.list()));
            }
            if (outbound != null && policyView.guardChanged())
            {
                if (!outbound.onGuardedSelectors(policyView.guardedSelectors()))
                {
                    throw new IOException("outbound agent's command queue is full");
                }
                policyView.guardApplied();
            }
            if (routing != null)
            {
                if (whole)
                {
                    final Set<SteeringPrefix> prefixes = policyView.steering();
                    if (!prefixes.equals(routing.installed()))
                    {
                        routing.update(prefixes);
                    }
                }
                else if (!policyView.steeringAdded().isEmpty() || !policyView.steeringRemoved().isEmpty())
                {
                    routing.change(policyView.steeringAdded(), policyView.steeringRemoved());
                }
            }
            policyView.steeringApplied();
        }
        catch (final IOException | RuntimeException ex)
        {
            policyView.invalidate(); // the retry applies the whole state, whatever part of the diff the host took
            throw ex;
        }
    }

    public void reserveSequences()
    {
        if (reservations != null)
        {
            reservations.reserve(sad);
        }
    }

    public void onSasChanged()
    {
        syncPacketRing();
    }

    public void sweep()
    {
        sad.poll();
        try
        {
            if (policyResyncNeeded)
            {
                onPoliciesChanged(); // a failed follow-up, or a table deleted behind our back
            }
            if (inboundFilter != null)
            {
                final long now = System.nanoTime();
                if (now - lastFilterPollNs >= FILTER_POLL_NS)
                {
                    lastFilterPollNs = now;
                    count(inboundFilter.pollDrops());
                }
            }
            lastError = null;
        }
        catch (final IOException | RuntimeException ex)
        {
            policyResyncNeeded = true;
            final String message = "host state update failed: " + ex.getMessage();
            if (!message.equals(lastError))
            {
                log.accept(message);
            }
            lastError = message;
        }
        syncPacketRing();
    }

    /**
     * @return the destinations to steer: the out-policies' (protect, discard) destination prefixes + config. The full
     * computation, which {@link PolicyHostView} keeps incrementally (and tests compare against).
     */
    static List<SteeringPrefix> steeringPrefixes(
        final Collection<SteeringPrefix> configured, final List<SecurityPolicy> policies)
    {
        final Set<SteeringPrefix> prefixes = new LinkedHashSet<>(configured);
        for (final SecurityPolicy policy : policies)
        {
            final SteeringPrefix prefix = PolicyHostView.steeredPrefix(configured, policy);
            if (prefix != null)
            {
                prefixes.add(prefix);
            }
        }
        return new ArrayList<>(prefixes);
    }

    private void count(final InboundClearFilter.Drops drops)
    {
        if (drops.any())
        {
            counters.add(XfrmCounter.XfrmInTmplMismatch, drops.templateMismatch());
            counters.add(XfrmCounter.XfrmInPolBlock, drops.policyBlock());
            daemonCounters.counter(DaemonCounters.Counter.TunInFilterDropped)
                .getAndAdd(drops.templateMismatch() + drops.policyBlock());
        }
    }

    /**
     * Point the packet ring and its early-drop table at the host's current addresses and the SPIs of the SAs to them.
     * Changes go in an order that never loses a packet: the ring's filter and its owned SPIs are widened to both old
     * and new first, then the table is changed, then the ring narrowed; in between a packet may be taken by both
     * paths, and the inbound agent recognises the second copy ({@code TunRingDuplicateCopy}).
     * <p>
     * While the addresses stay, the SPIs follow the SAD's journal: O(changed SAs) per change, an {@code add element}
     * of the new SPIs and the ring's owned SPIs changed one by one, whatever the number of SAs. The whole computation runs at start, when the addresses move, when
     * the journal no longer holds every change since (a flush of many SAs), and after a failed update.
     */
    void syncPacketRing()
    {
        final PacketRingReceiver ring = packetRing;
        final EspEarlyDrop drop = espEarlyDrop;
        if (ring == null || drop == null)
        {
            return;
        }
        try
        {
            final LocalAddresses wanted = LocalAddresses.read(tunName);
            if (wanted.equals(drop.installed()) && ringSpis.follow(sad, wanted))
            {
                if (!ringSpis.added().isEmpty() || !ringSpis.removed().isEmpty())
                {
                    ring.addOwned(ringSpis.added()); // owned before the table drops them from the kernel's path
                    drop.change(ringSpis.added(), ringSpis.removed());
                    ring.removeOwned(ringSpis.removed()); // disowned once the table no longer drops them
                }
                return;
            }
            syncPacketRingWhole(ring, drop, wanted);
        }
        catch (final IOException | RuntimeException ex)
        {
            ringSpis.invalidate(); // the next sync computes and applies the whole state
            try
            {
                final LocalAddresses installed = drop.installed();
                ring.accept(installed.interfaces(), installed.addresses());
                ring.own(drop.installedSpis());
            }
            catch (final IOException | RuntimeException again)
            {
                // the filter stays wider than the table: duplicate copies, recognised, never losses
            }
            final String message = "packet ring update failed: " + ex.getMessage();
            if (!message.equals(lastError))
            {
                log.accept(message);
            }
            lastError = message;
        }
    }

    private void syncPacketRingWhole(final PacketRingReceiver ring, final EspEarlyDrop drop, final LocalAddresses wanted)
        throws IOException
    {
        final LocalAddresses old = drop.installed();
        ringSpis.resync(sad, wanted);
        final Set<Long> wantedSpis = new HashSet<>(ringSpis.spis());
        final Set<Long> oldSpis = new HashSet<>(drop.installedSpis());
        if (!wanted.equals(old) || !wantedSpis.equals(oldSpis))
        {
            final LocalAddresses both = old.union(wanted);
            if (both != null)
            {
                ring.accept(both.interfaces(), both.addresses());
            }
            else
            {
                // too many for one filter: all ESP to the raw socket meanwhile
                drop.install(LocalAddresses.NONE, Set.of());
                ring.accept(wanted.interfaces(), wanted.addresses());
            }
            final Set<Long> bothSpis = new HashSet<>(oldSpis);
            bothSpis.addAll(wantedSpis);
            ring.own(bothSpis);
            drop.install(wanted, wantedSpis);
            ring.accept(wanted.interfaces(), wanted.addresses());
            ring.own(wantedSpis);
        }
        lastError = null;
    }
}
