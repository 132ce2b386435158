package org.esp4j.tun.sip;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.esp.ParsedPacket;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.sip.SipBridge;
import org.esp4j.sip.TcpReassembly;
import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.aka.AkaKeyring;
import org.esp4j.sip.espcore.EspCoreSaSink;
import org.esp4j.sip.ip.IpPacket;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.LifecycleEvent;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.lifecycle.SaSpec;
import org.esp4j.sip.lifecycle.SecurityAssociationSink;
import org.esp4j.tun.log.LogLevel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The SIP bridge inside the daemon: watches the plaintext SIP that crosses the host (REGISTER and its answers) and
 * installs and removes the sec-agree SAs and policies (TS 33.203 §7, RFC 3329) in the daemon's own SAD and SPD, so
 * an unmodified SIP client or P-CSCF gets IPsec.
 * <p>
 * What the host sends is seen on the outbound agent's thread, from the TUN, in two steps around the SPD lookup of
 * the agent's processor (this class is the agent's {@link PlaintextObserver}): {@link #beforeLookup} on the packet the
 * processor parsed, {@link #afterLookup} with the SPD's answer; what it receives, on the {@link SipSniffer}'s thread,
 * from raw sockets. A cheap filter on the parsed ports (5060, the ports of the SAs, and the ports the UE announced in
 * its Security-Client) keeps other traffic out; the rest runs under this object's lock (SIP is control plane) and
 * is parsed once more, for SIP. The bridge is
 * {@link LifecycleConfig#passive() passive}: it cannot rewrite a message, so a P-CSCF takes the keys from the
 * S-CSCF's 401 ({@code ck}/{@code ik}, or the configured K) and the Security-Server from the 401 the P-CSCF
 * application sends to the UE; a P-CSCF daemon must therefore steer its UEs' prefix (to see that 401) and see the
 * S-CSCF's 401 arrive on port 5060.
 *
 * <h2>Ordering, enforced rather than left to timing</h2>
 * <ol>
 * <li><b>Received before sent.</b> A SIP application's message answers what it received: the UE's protected
 * REGISTER answers the 401, the P-CSCF's 401 to the UE forwards the S-CSCF's, its 200 OK answers the protected
 * REGISTER. The kernel queues the copy for raw sockets before it hands a packet to the application's socket (raw
 * delivery comes first in {@code ip_local_deliver_finish} / {@code ip6_protocol_deliver_rcu}), so whatever an
 * outbound message answers is already queued on the sniffer's sockets when that message reaches the observer. The
 * observer drains those sockets first ({@link #beforeLookup}, before the SPD lookup), under this lock (the sniffer
 * thread holds it too while it receives and processes, so a packet is never half taken), and only then looks at the
 * outbound message. Should the sniffer thread change the SAs between the lookup and {@link #afterLookup}, or the
 * outbound message itself install some, the processor is asked to look the message up again. Without this, a
 * client that answers the 401 before the sniffer thread ran would send its protected REGISTER through a TUN without
 * SAs, where the SPD, having no policy for the new ports yet, passes it in clear; and a P-CSCF whose 200 OK beat the
 * protected REGISTER to the bridge would never establish the set.</li>
 * <li><b>Sent, then removed.</b> A sent message is to be fed once it has gone out ({@link SipBridge}), but the
 * observer sees it before the SPD: the P-CSCF's final response to a de-registration, or its failure response to a
 * protected REGISTER, would remove the very SAs that must protect it, and with their policies gone it would leave in
 * clear. Removals caused by an outbound message are therefore deferred to {@link #onDutyCycleEnd()}, when the
 * packet has been protected and sent (an SA installed again meanwhile under the same SPI and destination cancels
 * its pending removal).</li>
 * </ol>
 * Should the SAs still be missing after the drain (the 401 lost to a full socket buffer, the AKA check failed, no
 * keys), an outbound request carrying Security-Verify -- the client's statement that it travels over the SAs -- that
 * the SPD would let through in clear (the processor's lookup says {@link EspVerdict#PASS}) is held back: the processor
 * drops it and counts it against {@link XfrmCounter#XfrmOutNoStates}, as the
 * kernel counts a packet whose protect policy has no state. It is never sent in clear. (Over TCP this looks at
 * segments: a SYN on the new connection carries no SIP and is not held; after the drain its SAs exist unless the
 * bridge failed.)
 *
 * <h2>One owner, fail closed, and held per message</h2>
 * The bridge does not change the SAD and SPD itself: the installs, removals and lifetime changes of one bridge step
 * are one batch the daemon's conductor applies ({@link ChangeApplier#submit}), in order, with a ticket (1, 2, ...).
 * No thread waits for it. The conductor reports a batch once the nftables inbound filter drops clear packets on the
 * new flows (it applies the batches that arrive together with one {@code nft} transaction). With a
 * {@link #holdArea hold area} (the daemon's), an outbound message whose own step installed SAs -- the P-CSCF's 401
 * read from the TUN --, a packet of a flow (addresses and ports) whose SAs are under way -- the UE's protected
 * REGISTER right after the 401 was received --, and a packet of a flow with a packet held, are
 * copied into the {@link HoldArea} ({@code TAKEN}) and sent on, through the processor again and in the order held,
 * when their ticket is reported in force; when a batch is reported not in force, or the deadline passes, they are
 * dropped and counted, never sent. Every other flow keeps going meanwhile. A request with Security-Verify that would
 * leave in clear waits the same way while its flow's SAs are under way, and is dropped
 * ({@link XfrmCounter#XfrmOutNoStates}) when none are. Since the changes are
 * queued, never refused, the bridge's books always hold what it asked for: SAs of a batch reported not in force stay
 * tracked and are removed with their registration. Without a hold area (tests, {@link #INLINE}) batches are in force
 * when submitted, and a message whose step changed the SAs is looked up again.
 * <p>
 * When the SAs of a registration go (de-registration, a failed protected REGISTER, expiry), the SAs are deleted at
 * once but their policies stay for {@link #LINGER_NS} (64*T1 = 32 s, RFC 3261 Timer F/H), so a retransmitted final
 * response and any other packet of those port pairs (BYE, OPTIONS, TCP teardown) is dropped and counted
 * ({@code XfrmOutNoStates} outbound, the inbound filter inbound), never sent in clear; an SA installed again on the
 * same flow and SPI meanwhile cancels the linger, one of another flow on the same SPI and destination does not
 * ({@link PolicyLinger}). The same holds for a removal still deferred or parked: an SA installed on its SPI and
 * destination voids it when the flow is the same (a re-install); of another flow, the SAD entry is left to the new SA
 * and only the old flow's policies go, at the point the removal would have run.
 * <p>
 * Nothing here throws into the packet path: errors are logged (never with keys) and counted.
 */
public final class DaemonSipBridge implements PlaintextObserver
{
    /** The unprotected SIP port the first REGISTER and the 401 use. */
    public static final int SIP_PORT = 5060;

    /** Most packets per socket the observer drains before it looks at an outbound message (bounds a flood). */
    static final int DRAIN_LIMIT = 1024;

    /** Most times one outbound message is looked up again before it is held back (the SAs kept changing). */
    static final int MAX_LOOKUPS = 4;
    private static final byte[] SECURITY_VERIFY = "security-verify".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final InboundSource NO_SOURCE = limit -> 0;

    /** How long the policies of removed SIP SAs keep their flows blocked: 64*T1 (T1 = 500 ms), RFC 3261 17.1.2.2. */
    public static final long LINGER_NS = 32_000_000_000L;

    /**
     * Applies the bridge's SAD/SPD changes on the owner of control state (the daemon's conductor).
     */
    public interface ChangeApplier
    {
        /**
         * Queue a change for the owner without waiting for it. Changes run in the order submitted.
         *
         * @param change the change (run on the owner's thread).
         * @param done   told on the owner's thread once the host follows the change (null), or why it does not (the
         *               change threw, could not be queued, or the host does not enforce it yet); must not block.
         */
        void submit(Runnable change, Consumer<RuntimeException> done);

        /** From within a change: run {@code change} on the owner after {@code delayNs}, replacing one of that key. */
        void schedule(String key, long delayNs, Runnable change);

        /** From within a change: cancel the scheduled change of that key, if any. */
        void cancel(String key);
    }

    /** Without a daemon (tests): changes run on the caller, in force at once, removals at once (no linger). */
    public static final ChangeApplier INLINE = new ChangeApplier()
    {
        public void submit(final Runnable change, final Consumer<RuntimeException> done)
        {
            change.run();
            done.accept(null);
        }

        public void schedule(final String key, final long delayNs, final Runnable change)
        {
            change.run();
        }

        public void cancel(final String key)
        {
        }
    };

    /**
     * Received SIP the bridge drains before it looks at what the host sends: the {@link SipSniffer}'s sockets.
     */
    @FunctionalInterface
    public interface InboundSource
    {
        /**
         * Hand the packets queued so far to {@link DaemonSipBridge#onReceived}. Called with the bridge's lock held.
         *
         * @param limit most packets to take from each socket.
         * @return packets taken.
         */
        int drain(int limit);
    }

    private final SipBridge bridge;
    private final OrderedSink sink;
    private final ChangeApplier applier;
    private final Consumer<String> log;
    /** Changes the bridge's last step made, handed to the applier as one batch (guarded by the lock). */
    private final List<Runnable> changes = new ArrayList<>();
    /** Where outbound messages wait for their changes (outbound thread); null: changes are in force when submitted. */
    private HoldArea hold;
    /** The newest ticket handed to the applier (guarded by the lock). */
    private long issued;
    /** The held packet going through the processor again (outbound thread), or null. */
    private Held replaying;
    private HoldArea.Release release;
    private Reinjector reinjector;
    /** SAs installed by the current step, for {@link #pendingFlows} (guarded by the lock). */
    private final List<SaSpec> installing = new ArrayList<>();
    /** SAs removed by the current step that leave their flow without SAs, for {@link #pendingFlows} (the lock). */
    private final List<SaSpec> removing = new ArrayList<>();
    /** The SPIs of the SAs on each flow in the bridge's books (guarded by the lock): a re-registration's new SAs may
     * share a flow with the old ones being removed, which then stays protected. */
    private final java.util.Map<Flow, java.util.Set<Long>> liveSpis = new java.util.HashMap<>();
    /** Entries of {@link #pendingFlows} that remove their flow's SAs (guarded by the lock). */
    private int pendingRemovals;
    /** The flows of SAs handed to the owner and not yet settled, with their newest ticket (guarded by the lock). */
    private final java.util.Map<Flow, Pending> pendingFlows = new java.util.HashMap<>();
    private final java.util.ArrayDeque<PendingFlow> pendingOrder = new java.util.ArrayDeque<>();
    /** Flows with packets in the hold area: how many, and the newest ticket among them (outbound thread). */
    private final java.util.Map<Flow, long[]> heldFlows = new java.util.HashMap<>();
    /** The view {@link #isWatched(UnsafeBuffer, byte[], int, int)} reads received packets through (own lock). */
    private final UnsafeBuffer receivedView = new UnsafeBuffer(new byte[0]);
    /**
     * The watched ports as a 65,536-bit set, replaced whole after each SIP event: the per-packet check is one bit
     * whatever the number of UEs (their ports can number tens of thousands on a P-CSCF).
     */
    private volatile long[] watchedPorts = portSet(new int[] { SIP_PORT }, 1);
    /** The engine's {@link SipBridge#protectedPortsChanges()} when {@link #watchedPorts} was built (the lock). */
    private long watchedPortsChanges;
    private volatile boolean removalsDeferred;
    private InboundSource inbound = NO_SOURCE;
    private long errors;
    private long held;
    private final LongSupplier clockNs;
    /** The periodic summary line (log.summary.s), or null for none (the lock). */
    private SipSummary summary;
    /** Held packets dropped (outbound thread). */
    private long heldDropped;
    /** SA installs so far (guarded by the lock): a change between the lookup and afterLookup makes it stale. */
    private long installs;
    // the outbound message between beforeLookup and its last afterLookup (outbound thread, under the lock)
    private long installsSeen;
    private boolean fed;
    private int lookups;

    /**
     * @param role    UE or P-CSCF.
     * @param aka     the subscriber's AKA algorithm (K and OP/OPc), for IK/CK; null when unknown (a P-CSCF then
     *                takes {@code ck}/{@code ik} from the S-CSCF's 401).
     * @param sad     the daemon's SAD.
     * @param spd     the daemon's SPD.
     * @param clockNs the clock for SA lifetimes.
     * @param log     where lifecycle events are written (without keys).
     */
    public DaemonSipBridge(
        final Role role,
        final AkaAlgorithm aka,
        final SecurityAssociationDatabase sad,
        final SecurityPolicyDatabase spd,
        final LongSupplier clockNs,
        final Consumer<String> log)
    {
        this(role, aka, null, sad, spd, clockNs, log, 0, INLINE);
    }

    /**
     * @param role        UE or P-CSCF.
     * @param aka         the subscriber's AKA algorithm, or null.
     * @param keyring     the keys of many subscribers by IMPI (a UE farm's, or the UEs a P-CSCF serves), used instead
     *                    of {@code aka}; null for one subscriber.
     * @param sad         the daemon's SAD.
     * @param spd         the daemon's SPD.
     * @param clockNs     the clock for SA lifetimes.
     * @param log         where lifecycle events are written (without keys).
     * @param udpEspPort  0 for raw-ESP SAs; the RFC 3948 port for ESP-in-UDP SAs (a daemon with only the UDP carrier).
     * @param applier     applies the SAD/SPD changes on the owner of control state (the daemon's conductor).
     */
    public DaemonSipBridge(
        final Role role,
        final AkaAlgorithm aka,
        final AkaKeyring keyring,
        final SecurityAssociationDatabase sad,
        final SecurityPolicyDatabase spd,
        final LongSupplier clockNs,
        final Consumer<String> log,
        final int udpEspPort,
        final ChangeApplier applier)
    {
        this.log = log;
        this.clockNs = clockNs;
        final LifecycleConfig.Builder config = LifecycleConfig.builder(role).nanoClock(clockNs).passive(true);
        if (aka != null)
        {
            config.akaAlgorithm(aka);
        }
        config.akaKeyring(keyring);
        this.applier = applier;
        sink = new OrderedSink(new OwnedSink(
            new PolicyLinger(new EspCoreSaSink(sad, spd, 1000, udpEspPort), sad, applier, LINGER_NS), this));
        bridge = new SipBridge(config.build(), sink, event -> { });
    }

    /**
     * @param periodNs the most often a summary line of the bridge's work is logged ({@code log.summary.s}, at warn,
     *                 and only after a period in which something happened); 0: never.
     */
    public synchronized void summaryPeriod(final long periodNs)
    {
        summary = periodNs > 0 ? new SipSummary(periodNs, clockNs.getAsLong()) : null;
    }

    /**
     * @param maxFlows most SIP-over-TCP flows whose sequence numbers the bridge keeps ({@code sip.tcp.flows}).
     */
    public synchronized void tcpFlows(final int maxFlows)
    {
        bridge.tcpReassembly().maxFlows(maxFlows);
    }

    /**
     * @param source what to drain before an outbound message is looked at (the sniffer), or null for nothing.
     */
    public synchronized void inboundSource(final InboundSource source)
    {
        inbound = source == null ? NO_SOURCE : source;
    }

    /**
     * Take what the inbound source has queued (the sniffer thread's duty cycle).
     *
     * @param limit most packets to take from each socket.
     * @return packets taken.
     */
    public synchronized int drainReceived(final int limit)
    {
        return inbound.drain(limit);
    }

    /**
     * A plaintext IP packet the host received (from the sniffer: arrived in clear, or decapsulated by the daemon).
     *
     * @param array  packet bytes.
     * @param offset IP header start.
     * @param length packet length.
     */
    public void onReceived(final byte[] array, final int offset, final int length)
    {
        final boolean watched;
        synchronized (receivedView)
        {
            watched = isWatched(receivedView, array, offset, length);
        }
        if (watched)
        {
            synchronized (this)
            {
                feed(array, offset, length);
            }
        }
    }

    /**
     * Hold outbound messages per packet while their changes go into force, instead of waiting on the outbound thread
     * (see the class comment). Set before the outbound agent starts.
     *
     * @param area the hold area, drained by {@link #releaseHeld} on the outbound thread.
     */
    public synchronized void holdArea(final HoldArea area)
    {
        hold = area;
    }

    /**
     * A plaintext packet the host sends, read from the TUN and parsed by the processor, before the SPD lookup: if its
     * ports are watched, first what was received is drained (ordering rule 1). A held packet handed back is always
     * watched, and nothing is drained for it (it goes out in the order it was held).
     *
     * @return true if the packet is watched ({@link #afterLookup} follows).
     */
    public boolean beforeLookup(final ParsedPacket packet)
    {
        if (replaying == null && !isWatched(packet.protocol(), packet.sourcePort(), packet.destinationPort()))
        {
            return false;
        }
        synchronized (this)
        {
            if (replaying == null)
            {
                inbound.drain(DRAIN_LIMIT);
            }
            installsSeen = installs;
            fed = false;
            lookups = 1;
            return true;
        }
    }

    /**
     * The SPD's answer for a watched packet: held back if it carries Security-Verify and would leave in clear, else
     * fed to the bridge (its removals deferred to {@link #onDutyCycleEnd()}); with a {@link #holdArea hold area}, taken
     * into it while the changes it or an earlier message made are not in force.
     *
     * @return {@code HOLD} when the packet must not leave (the processor counts it against
     * {@link XfrmCounter#XfrmOutNoStates}), {@code TAKEN} when it waits in the hold area, {@code LOOK_UP_AGAIN} when
     * the SAs changed since the lookup, else {@code CONTINUE}.
     */
    public int afterLookup(final int verdict, final ParsedPacket packet)
    {
        synchronized (this)
        {
            if (hold == null && installs != installsSeen)
            {
                return lookUpAgain(); // the sniffer thread installed SAs since the lookup: it may be stale
            }
            if (fed)
            {
                return CONTINUE;
            }
            fed = true;
            byte[] array = packet.buffer().byteArray();
            int offset = packet.buffer().wrapAdjustment() + packet.offset();
            if (array == null) // direct memory: SIP is control plane, a copy is fine
            {
                array = new byte[packet.length()];
                packet.buffer().getBytes(packet.offset(), array);
                offset = 0;
            }
            final Held replay = replaying;
            final IpPacket ip;
            try
            {
                ip = IpPacket.parse(array, offset, packet.length());
            }
            catch (final IllegalArgumentException ex)
            {
                if (replay == null)
                {
                    report(List.of(LifecycleEvent.parseError(ex.getMessage()))); // as SipBridge.onIpPacket reports it
                }
                return CONTINUE; // the SPD's answer stands; nothing for the bridge
            }
            final boolean verifyInClear = verdict == EspVerdict.PASS && carriesSecurityVerify(ip, array);
            if (hold != null)
            {
                return afterLookupHolding(packet, ip, array, verifyInClear, replay);
            }
            if (verifyInClear)
            {
                return holdBack(ip);
            }
            final boolean removedEarlier = isRemovedThisCycle(new Flow(ip.src(), ip.dst(), ip.srcPort(), ip.dstPort()));
            sink.deferring = true;
            try
            {
                feed(ip, array);
            }
            finally
            {
                sink.deferring = false;
                removalsDeferred = sink.hasDeferred();
            }
            if (removedEarlier && installs == installsSeen)
            {
                return dropOnRemovedFlow(ip);
            }
            return installs != installsSeen ? lookUpAgain() : CONTINUE;
        }
    }

    /**
     * {@link #afterLookup} with a hold area: changes go into force while the outbound thread goes on. A packet waits
     * only for what concerns its flow (its source and destination address and port, UDP or TCP alike): the SAs its own
     * message installs, the SAs of its flow under way (in the SPD already or not: their filters may not be in force),
     * and the packets of its flow held before it.
     */
    private int afterLookupHolding(
        final ParsedPacket packet,
        final IpPacket ip,
        final byte[] array,
        final boolean verifyInClear,
        final Held replay)
    {
        final Flow flow = new Flow(ip.src(), ip.dst(), ip.srcPort(), ip.dstPort());
        final long waitFor = replay == null ? waitFor(flow) : 0;
        // before this message's own removals join them: an earlier message of this duty cycle (the first 200 OK to a
        // de-REGISTER, read in the same batch as its retransmission) may have removed its flow's SAs
        final boolean removedEarlier = isRemovedThisCycle(flow);
        if (verifyInClear)
        {
            if (waitFor > 0)
            {
                return take(packet, new Held(false, null, flow), waitFor); // its SAs are under way (a 401 received)
            }
            if (replay != null)
            {
                applyRemovals(replay.removals);
            }
            return holdBack(ip); // none under way: they are not coming
        }
        if (replay != null && replay.fed)
        {
            restoreRemovals(replay.removals);
            // its changes are in force and the lookup saw them, unless a message released before it removed them, or
            // a later change removes them and is not applied yet (its ticket follows the one this packet waited for:
            // e.g. a new unprotected round of the client deleting the temporary set the held REGISTER waited for)
            return removedEarlier || isBeingRemoved(flow) ? dropOnRemovedFlow(ip) : CONTINUE;
        }
        final long installsBefore = installs;
        sink.deferring = true;
        try
        {
            feed(ip, array);
        }
        finally
        {
            sink.deferring = false;
        }
        if (installs == installsBefore && (removedEarlier || isBeingRemoved(flow)))
        {
            // sent after the step that removes its flow's SAs (a retransmitted final response): an SA being deleted
            // is never used, whether or not the owner has deleted it yet, or even been handed the removal
            removalsDeferred = sink.hasDeferred();
            return dropOnRemovedFlow(ip);
        }
        if (installs != installsBefore || waitFor > 0)
        {
            // it announces SAs (or waits for its flow's): it leaves once they and their filters are in force
            return take(packet, new Held(true, sink.takeDeferred(), flow),
                installs != installsBefore ? issued : waitFor);
        }
        removalsDeferred = sink.hasDeferred();
        return CONTINUE;
    }

    /**
     * @return the ticket a packet of this flow must wait for (0: none): the newest of its flow's packets held before
     * it, and of its flow's SAs under way.
     */
    private long waitFor(final Flow flow)
    {
        final long settled = hold.settled();
        while (!pendingOrder.isEmpty() && pendingOrder.peekFirst().ticket() <= settled)
        {
            final PendingFlow done = pendingOrder.pollFirst();
            final Pending newest = pendingFlows.get(done.flow());
            if (newest != null && newest.ticket() == done.ticket())
            {
                pendingFlows.remove(done.flow());
                if (newest.removal() && --pendingRemovals == 0)
                {
                    updateWatchedPorts();
                }
            }
        }
        long ticket = 0;
        final long[] held = heldFlows.get(flow);
        if (held != null)
        {
            ticket = held[1];
        }
        // whatever the lookup said: the SAs may be in the SPD already while their filters are not yet in force
        final Pending pending = pendingFlows.get(flow);
        if (pending != null)
        {
            ticket = Math.max(ticket, pending.ticket());
        }
        return ticket;
    }

    /**
     * @return true if removals an earlier message of this duty cycle caused leave this flow without SAs: deferred to
     * {@link #onDutyCycleEnd()} (that message is still being protected with them), so neither handed to the owner nor
     * in {@link #pendingFlows} yet, but decided all the same (under the lock).
     */
    private boolean isRemovedThisCycle(final Flow flow)
    {
        final java.util.Set<Long> live = liveSpis.get(flow);
        if (live == null || !sink.hasDeferred())
        {
            return false;
        }
        for (final Long spi : live)
        {
            if (!sink.isDeferred(spi, flow.src(), flow.dst(), flow.srcPort(), flow.dstPort()))
            {
                return false; // an SA stays on the flow (a re-registration's new SAs share it)
            }
        }
        return true;
    }

    /**
     * A packet on a flow whose SAs are being removed: dropped as XfrmOutNoStates, never protected with them. Logged at
     * debug only: one line per packet (a de-registering farm retransmits thousands), the counter says how many.
     */
    private int dropOnRemovedFlow(final IpPacket ip)
    {
        held++;
        LogLevel.log(log, LogLevel.DEBUG, "sip-bridge: packet from [" + ip.src().getHostAddress() + "]:" + ip.srcPort() + " to [" +
            ip.dst().getHostAddress() + "]:" + ip.dstPort() + " on a flow whose SAs are being removed: dropped, " +
            "not sent with them (XfrmOutNoStates)");
        return HOLD;
    }

    /** @return true if the newest change under way on this flow removes its SAs (after {@link #waitFor}). */
    private boolean isBeingRemoved(final Flow flow)
    {
        final Pending pending = pendingFlows.get(flow);
        return pending != null && pending.removal();
    }

    /** Into the hold area until {@code ticket} is in force; if it is full, the packet is dropped (counted there). */
    private int take(final ParsedPacket packet, final Held held, final long ticket)
    {
        if (!hold.hold(packet.buffer(), packet.offset(), packet.length(), ticket, held))
        {
            log.accept("sip-bridge: hold area full (" + HoldArea.MAX_PACKETS + " packets): a message waiting for " +
                "its SAs was dropped, not sent in clear (TunSipHoldFull)");
            applyRemovals(held.removals);
            return TAKEN;
        }
        final long[] count = heldFlows.computeIfAbsent(held.flow, f -> new long[2]);
        count[0]++;
        count[1] = Math.max(count[1], ticket);
        return TAKEN;
    }

    /** A held packet leaves the hold area (released or dropped): its flow has one fewer waiting (outbound thread). */
    private void unheld(final Held held)
    {
        final long[] count = heldFlows.get(held.flow);
        if (count != null && --count[0] == 0)
        {
            heldFlows.remove(held.flow);
        }
    }

    /** The SPD would send a request with Security-Verify in clear: drop it, counted as XfrmOutNoStates. */
    private int holdBack(final IpPacket ip)
    {
        held++;
        log.accept("sip-bridge: request with Security-Verify from [" + ip.src().getHostAddress() + "]:" +
            ip.srcPort() + " to [" + ip.dst().getHostAddress() + "]:" + ip.dstPort() +
            " has no SAs: dropped, not sent in clear (XfrmOutNoStates)");
        return HOLD;
    }

    /**
     * Start of the outbound duty cycle: hand back the held packets whose changes are in force, in the order they were
     * held, and drop those whose changes are not (outbound thread).
     *
     * @return packets handed back or dropped.
     */
    public int releaseHeld(final Reinjector into)
    {
        final HoldArea area = hold;
        if (area == null)
        {
            return 0;
        }
        reinjector = into;
        if (release == null)
        {
            release = (packet, offset, length, attachment) ->
            {
                replaying = (Held)attachment;
                unheld(replaying);
                try
                {
                    reinjector.reinject(packet, offset, length);
                }
                finally
                {
                    replaying = null;
                }
            };
        }
        return area.doWork(release);
    }

    /**
     * A held packet was dropped (deadline, not in force): what its message removed goes now (outbound thread). Logged
     * at the 1st, 2nd, 4th, 8th... drop, so a lab sees why a SIP message never left without a line per drop.
     */
    public void onHeldDropped(final Object attachment)
    {
        if (Long.bitCount(++heldDropped) == 1)
        {
            log.accept("sip-bridge: held message dropped, not sent in clear: its SAs and filters were refused or not " +
                "in force within the deadline (" + heldDropped + " so far, TunSipHoldNotInForce)");
        }
        if (attachment instanceof Held held)
        {
            unheld(held);
            synchronized (this)
            {
                applyRemovals(held.removals);
            }
        }
    }

    /** The SAs changed under a looked-up message: look again, a bounded number of times, then hold it back. */
    private int lookUpAgain()
    {
        installsSeen = installs;
        if (++lookups > MAX_LOOKUPS)
        {
            held++;
            log.accept("sip-bridge: SAs kept changing while a message was looked up: dropped (XfrmOutNoStates)");
            return HOLD;
        }
        return LOOK_UP_AGAIN;
    }

    /** The outbound duty cycle sent what it read: apply the removals its messages caused. */
    public void onDutyCycleEnd()
    {
        if (removalsDeferred)
        {
            synchronized (this)
            {
                removalsDeferred = false;
                try
                {
                    sink.applyDeferred();
                }
                catch (final RuntimeException ex)
                {
                    errors++;
                    log.accept("sip-bridge: " + ex.getMessage());
                }
                submitChanges();
                updateWatchedPorts(); // the deferred removals are under way now (or leave SAs on their flows)
            }
        }
    }

    /** Removals a held message caused, back to wait for the end of the duty cycle that sends it. */
    private void restoreRemovals(final List<SaSpec> removals)
    {
        if (removals != null && !removals.isEmpty())
        {
            sink.restore(removals);
            removalsDeferred = true;
        }
    }

    /** Removals a dropped message caused: its SAs go now (the message will not use them). */
    private void applyRemovals(final List<SaSpec> removals)
    {
        if (removals != null && !removals.isEmpty())
        {
            sink.removeNow(removals);
            submitChanges();
        }
    }

    /**
     * Hand the changes of the bridge's last step to the owner as one batch with the next ticket (under the lock). They
     * are tracked by the bridge whatever their outcome: an SA reported not in force is still removed when its set
     * goes (no change is lost from the bridge's books, issue 14).
     */
    private void submitChanges()
    {
        if (changes.isEmpty())
        {
            return;
        }
        final Runnable[] batch = changes.toArray(new Runnable[0]);
        changes.clear();
        final long ticket = ++issued;
        final HoldArea area = hold;
        if (area != null)
        {
            // removals first: a flow whose SAs the same step removes and installs (new SPIs) is being installed
            for (final SaSpec sa : removing)
            {
                pending(sa, ticket, true);
            }
            for (final SaSpec sa : installing)
            {
                pending(sa, ticket, false);
            }
            if (!removing.isEmpty())
            {
                updateWatchedPorts();
            }
        }
        installing.clear();
        removing.clear();
        applier.submit(() -> runAll(batch), error ->
        {
            if (error != null)
            {
                log.accept("sip-bridge: changes " + ticket + " not in force (" + error.getMessage() +
                    "): the messages waiting for them are dropped, not sent in clear");
            }
            if (area != null)
            {
                area.onOutcome(ticket, error == null);
            }
        });
    }

    private void pending(final SaSpec sa, final long ticket, final boolean removal)
    {
        final Flow flow = new Flow(sa.src(), sa.dst(), sa.srcPort(), sa.dstPort());
        final Pending replaced = pendingFlows.put(flow, new Pending(ticket, removal));
        pendingRemovals += (removal ? 1 : 0) - (replaced != null && replaced.removal() ? 1 : 0);
        pendingOrder.addLast(new PendingFlow(ticket, flow));
    }

    /** One batch on the owner: every change runs; the first error (if any) fails the batch. */
    private static void runAll(final Runnable[] batch)
    {
        RuntimeException failed = null;
        for (final Runnable change : batch)
        {
            try
            {
                change.run();
            }
            catch (final RuntimeException ex)
            {
                if (failed == null)
                {
                    failed = ex;
                }
                else
                {
                    failed.addSuppressed(ex);
                }
            }
        }
        if (failed != null)
        {
            throw failed;
        }
    }

    /**
     * Copy the bridge's bounded-memory figures into the daemon's counters.
     *
     * @param counters where they go.
     */
    public synchronized void publish(final SipBridgeCounters counters)
    {
        counters.update(bridge);
    }

    /** Expire SA sets whose lifetime ran out; call about once a second. */
    public synchronized void poll()
    {
        try
        {
            report(bridge.expire());
        }
        catch (final RuntimeException ex)
        {
            errors++;
            log.accept("sip-bridge: " + ex.getMessage());
        }
        submitChanges();
        logSummary();
    }

    /** The summary line, when one is due and something happened since the last (the lock). */
    private void logSummary()
    {
        if (summary == null)
        {
            return;
        }
        final TcpReassembly tcp = bridge.tcpReassembly();
        final long tcpDropped = tcp.flowsIdleExpired() + tcp.flowsOverflowed() + tcp.holesSkipped() +
            tcp.partialsDroppedByNewConnection() + tcp.partialsDroppedByClose();
        final String line = summary.line(clockNs.getAsLong(), hold == null ? 0 : hold.dropped(), tcpDropped, errors,
            bridge.activeSas().size());
        if (line != null)
        {
            LogLevel.log(log, LogLevel.WARN, "sip-bridge: " + line);
        }
    }

    /** @return number of messages the bridge could not handle. */
    public synchronized long errors()
    {
        return errors;
    }

    /**
     * @return outbound packets held back because they carried Security-Verify and their SAs were missing, or because
     * the SAs of their flow were being removed.
     */
    public synchronized long heldWithoutSas()
    {
        return held;
    }

    /** @return the SAs the bridge has installed (and not yet removed). */
    public synchronized List<SaSpec> activeSas()
    {
        return bridge.activeSas();
    }

    private void feed(final byte[] array, final int offset, final int length)
    {
        feed(() -> bridge.onIpPacket(array, offset, length));
    }

    /** As {@link #feed(byte[], int, int)}, for a packet parsed already. */
    private void feed(final IpPacket ip, final byte[] array)
    {
        feed(() -> bridge.onIpPacket(ip, array));
    }

    /** Runs one bridge step and hands its changes to the owner (SIP traffic, not the packet path: lambdas are fine). */
    private void feed(final Supplier<List<LifecycleEvent>> step)
    {
        try
        {
            report(step.get());
        }
        catch (final RuntimeException ex)
        {
            errors++;
            log.accept("sip-bridge: " + ex.getMessage());
        }
        finally
        {
            submitChanges();
        }
    }

    /** A request carrying Security-Verify (RFC 3329 §2.3.1: it travels over the agreed SAs). */
    private static boolean carriesSecurityVerify(final IpPacket ip, final byte[] array)
    {
        return ip != null && hasHeader(array, ip.payloadOffset(), ip.payloadOffset() + ip.payloadLength(), SECURITY_VERIFY);
    }

    /** A header line {@code name:} (any case, optional blanks before the colon) in {@code [from, to)}. */
    static boolean hasHeader(final byte[] array, final int from, final int to, final byte[] lowerName)
    {
        for (int i = from; i + lowerName.length < to; i++)
        {
            if (array[i] != '\n')
            {
                continue;
            }
            int at = i + 1;
            int k = 0;
            while (k < lowerName.length && at < to && (array[at] | 0x20) == lowerName[k])
            {
                at++;
                k++;
            }
            while (k == lowerName.length && at < to && (array[at] == ' ' || array[at] == '\t'))
            {
                at++;
            }
            if (k == lowerName.length && at < to && array[at] == ':')
            {
                return true;
            }
        }
        return false;
    }

    private void report(final List<LifecycleEvent> events)
    {
        if (events.isEmpty())
        {
            return;
        }
        final LogLevel detail = LogLevel.enabled(log, LogLevel.DEBUG) ? LogLevel.DEBUG : LogLevel.INFO;
        for (final LifecycleEvent event : events)
        {
            if (summary != null)
            {
                summary.onEvent(event.type());
            }
            final LogLevel level = SipEventLine.level(event.type());
            if (LogLevel.enabled(log, level)) // below info, not even built: a dozen lines per registration
            {
                LogLevel.log(log, level, "sip-bridge: " + SipEventLine.text(event, detail));
            }
        }
        if (bridge.protectedPortsChanges() != watchedPortsChanges || pendingRemovals > 0)
        {
            updateWatchedPorts();
        }
    }

    /**
     * The ports the cheap filter lets through: 5060, the ports of the SAs, and those of flows whose SAs are being
     * removed (their packets are dropped until the removal is in force, see {@link #isBeingRemoved}), including
     * removals still deferred to the end of the duty cycle or parked with a held message: the SAs are off the bridge's
     * books then, but still in the SAD, and a retransmission in the same batch must meet the bridge, not only the SPD.
     * The engine keeps its ports as bits, so this costs a copy of 8 KiB whatever the number of SAs.
     */
    private void updateWatchedPorts()
    {
        final long[] bits = new long[(1 << 16) / Long.SIZE];
        bridge.protectedPortsInto(bits);
        watchedPortsChanges = bridge.protectedPortsChanges();
        setPort(bits, SIP_PORT);
        sink.addRemovedPorts(bits);
        if (pendingRemovals > 0)
        {
            for (final java.util.Map.Entry<Flow, Pending> entry : pendingFlows.entrySet())
            {
                if (entry.getValue().removal())
                {
                    setPort(bits, entry.getKey().srcPort());
                    setPort(bits, entry.getKey().dstPort());
                }
            }
        }
        watchedPorts = bits;
    }

    private static void setPort(final long[] bits, final int port)
    {
        bits[port >>> 6] |= 1L << port;
    }

    private static long[] portSet(final int[] ports, final int count)
    {
        final long[] bits = new long[(1 << 16) / Long.SIZE];
        for (int i = 0; i < count; i++)
        {
            bits[ports[i] >>> 6] |= 1L << ports[i];
        }
        return bits;
    }

    /** The cheap filter for what the sniffer received (not parsed by a processor): read the ports in place. */
    private boolean isWatched(final UnsafeBuffer view, final byte[] array, final int offset, final int length)
    {
        if (length < Ipv4Header.MIN_LENGTH)
        {
            return false;
        }
        view.wrap(array, offset, length);
        final int version = Ipv4Header.version(view, 0);
        final int protocol;
        final int transport;
        if (version == Ipv4Header.VERSION)
        {
            protocol = Ipv4Header.protocol(view, 0);
            transport = Ipv4Header.headerLength(view, 0);
        }
        else if (version == Ipv6Header.VERSION && length >= Ipv6Header.LENGTH + 4)
        {
            final long walk = Ipv6Header.walkExtensionHeaders(view, 0, length, 0);
            protocol = Ipv6Header.isWalkTruncated(walk) ? -1 : Ipv6Header.walkProtocol(walk);
            transport = Ipv6Header.walkUpperOffset(walk);
        }
        else
        {
            return false;
        }
        if (transport + 4 > length)
        {
            return false;
        }
        return isWatched(protocol, UdpHeader.sourcePort(view, transport), UdpHeader.destinationPort(view, transport));
    }

    /** The cheap filter: UDP or TCP to or from a watched port. */
    private boolean isWatched(final int protocol, final int sourcePort, final int destinationPort)
    {
        if (protocol != IpProtocol.UDP && protocol != IpProtocol.TCP)
        {
            return false;
        }
        final long[] bits = watchedPorts;
        return (bits[sourcePort >>> 6] & 1L << sourcePort) != 0 ||
            (bits[destinationPort >>> 6] & 1L << destinationPort) != 0;
    }

    /** What a held packet carries: whether the bridge has seen it, the removals it caused (or null), its flow. */
    private record Held(boolean fed, List<SaSpec> removals, Flow flow)
    {
    }

    /** A flow as the bridge's policies select it: addresses and ports (its policies cover UDP and TCP alike). */
    private record Flow(java.net.InetAddress src, java.net.InetAddress dst, int srcPort, int dstPort)
    {
    }

    /** SAs of a flow handed to the owner with a ticket. */
    private record PendingFlow(long ticket, Flow flow)
    {
    }

    /** The newest change under way on a flow: its ticket, and whether it removes the flow's SAs. */
    private record Pending(long ticket, boolean removal)
    {
    }

    /**
     * The SAD/SPD sink whose changes run on the owner of control state, with the policies of removed SAs lingering.
     */
    private static final class OwnedSink implements SecurityAssociationSink
    {
        private final PolicyLinger target;
        private final DaemonSipBridge bridge;

        OwnedSink(final PolicyLinger target, final DaemonSipBridge bridge)
        {
            this.target = target;
            this.bridge = bridge;
        }

        public void install(final SaSpec sa)
        {
            bridge.installs++; // under the bridge's lock, as every feed
            bridge.installing.add(sa);
            bridge.liveSpis.computeIfAbsent(flow(sa), f -> new java.util.HashSet<>()).add(sa.spi());
            apply(() -> target.install(sa));
        }

        public void remove(final SaSpec sa)
        {
            forget(sa);
            // the SA goes now (never used again); its policies keep the flow blocked for the linger time
            apply(() -> target.remove(sa));
        }

        /**
         * Remove the policies of an SA whose SPI and destination a new SA of another flow took over: the SAD entry is
         * the new SA's, the old flow's policies go all the same (after the linger time).
         */
        void removePolicies(final SaSpec sa)
        {
            forget(sa);
            apply(() -> target.removePolicies(sa));
        }

        private void forget(final SaSpec sa)
        {
            final Flow flow = flow(sa); // under the bridge's lock, as every feed
            final java.util.Set<Long> spis = bridge.liveSpis.get(flow);
            if (spis != null && spis.remove(sa.spi()) && spis.isEmpty())
            {
                bridge.liveSpis.remove(flow);
                bridge.removing.add(sa); // its flow is left without SAs
            }
        }

        public void extendLifetime(final SaSpec sa, final long lifetimeNs)
        {
            apply(() -> target.extendLifetime(sa, lifetimeNs));
        }

        private void apply(final Runnable change)
        {
            bridge.changes.add(change); // under the bridge's lock; submitted as one batch at the end of the step
        }

        private static Flow flow(final SaSpec sa)
        {
            return new Flow(sa.src(), sa.dst(), sa.srcPort(), sa.dstPort());
        }
    }

    /**
     * The SAD/SPD sink with removals held back while an outbound message is fed (see the class comment); guarded
     * by the bridge's lock.
     */
    private static final class OrderedSink implements SecurityAssociationSink
    {
        private final OwnedSink target;
        private final List<SaSpec> deferred = new ArrayList<>();
        /** The deferred removals of messages waiting in the hold area, each list its message's. */
        private final List<List<SaSpec>> parked = new ArrayList<>();
        /** Deferred or parked removals whose SPI and destination a new SA of another flow took: policies only. */
        private final java.util.Set<SaSpec> policiesOnly =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        private boolean deferring;

        OrderedSink(final OwnedSink target)
        {
            this.target = target;
        }

        public void install(final SaSpec sa)
        {
            // The same SPI and destination again replaces the SA in the SAD (keyed by both): a pending removal would
            // delete the new one. Of the same flow it is a re-install, the removal is void; of another flow (a UE
            // back from another address, a freed SPI reused) the old flow's policies must still go, at the same point.
            replaceRemoval(deferred, sa);
            for (final List<SaSpec> removals : parked)
            {
                replaceRemoval(removals, sa);
            }
            target.install(sa);
        }

        private void replaceRemoval(final List<SaSpec> removals, final SaSpec sa)
        {
            for (final java.util.Iterator<SaSpec> it = removals.iterator(); it.hasNext(); )
            {
                final SaSpec old = it.next();
                if (old.spi() == sa.spi() && old.dst().equals(sa.dst()))
                {
                    if (OwnedSink.flow(old).equals(OwnedSink.flow(sa)))
                    {
                        policiesOnly.remove(old);
                        it.remove();
                    }
                    else
                    {
                        policiesOnly.add(old);
                    }
                }
            }
        }

        private void applyRemoval(final SaSpec sa)
        {
            if (policiesOnly.remove(sa))
            {
                target.removePolicies(sa);
            }
            else
            {
                target.remove(sa);
            }
        }

        public void remove(final SaSpec sa)
        {
            if (deferring)
            {
                deferred.add(sa);
            }
            else
            {
                target.remove(sa);
            }
        }

        public void extendLifetime(final SaSpec sa, final long lifetimeNs)
        {
            target.extendLifetime(sa, lifetimeNs);
        }

        boolean hasDeferred()
        {
            return !deferred.isEmpty();
        }

        /** Set in {@code bits} the ports of the removals deferred, or parked with held messages. */
        void addRemovedPorts(final long[] bits)
        {
            addPorts(deferred, bits);
            for (int i = 0; i < parked.size(); i++)
            {
                addPorts(parked.get(i), bits);
            }
        }

        private static void addPorts(final List<SaSpec> sas, final long[] bits)
        {
            for (int i = 0; i < sas.size(); i++)
            {
                setPort(bits, sas.get(i).srcPort());
                setPort(bits, sas.get(i).dstPort());
            }
        }

        /** @return true if the removal of this SA (SPI and selector) waits for the end of the duty cycle. */
        boolean isDeferred(final long spi, final java.net.InetAddress src, final java.net.InetAddress dst,
            final int srcPort, final int dstPort)
        {
            for (int i = 0; i < deferred.size(); i++)
            {
                final SaSpec sa = deferred.get(i);
                if (sa.spi() == spi && sa.srcPort() == srcPort && sa.dstPort() == dstPort && sa.src().equals(src) &&
                    sa.dst().equals(dst))
                {
                    return true;
                }
            }
            return false;
        }

        void applyDeferred()
        {
            for (final SaSpec sa : deferred)
            {
                applyRemoval(sa);
            }
            deferred.clear();
        }

        /** @return the removals deferred so far, parked with a held message (null if none). */
        List<SaSpec> takeDeferred()
        {
            if (deferred.isEmpty())
            {
                return null;
            }
            final List<SaSpec> removals = new ArrayList<>(deferred);
            deferred.clear();
            parked.add(removals);
            return removals;
        }

        /** A held message was released: its removals wait for the end of the duty cycle again. */
        void restore(final List<SaSpec> removals)
        {
            unpark(removals);
            deferred.addAll(removals);
        }

        /** A held message was dropped: its removals now. */
        void removeNow(final List<SaSpec> removals)
        {
            unpark(removals);
            for (final SaSpec sa : removals)
            {
                applyRemoval(sa);
            }
        }

        private void unpark(final List<SaSpec> removals)
        {
            for (int i = 0; i < parked.size(); i++)
            {
                if (parked.get(i) == removals)
                {
                    parked.remove(i);
                    return;
                }
            }
        }
    }
}
