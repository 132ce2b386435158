package org.esp4j.tun.daemon;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.esp4j.core.counters.CounterDescriptor;
import org.esp4j.core.counters.CounterDescriptors;

/**
 * The daemon's own counters (TUN, carriers, packet ring, offloads, inbound filter, SIP bridge), next to the
 * {@link org.esp4j.core.counters.XfrmCounter}s in the same counters file: Agrona type id {@link #TYPE_ID}, key = the
 * counter's explicit {@link Counter#id()}, label = its {@link Counter#label()}. Ids are never reused and labels never
 * change (see {@link CounterDescriptor}); a new counter takes the next id, at the end. Drops the ESP processor names
 * ({@code Esp4jOutTooBig}, {@code Esp4jInNatKeepalive}) are counted among the XfrmCounters; these are the daemon's
 * reasons. Each packet read and not delivered is counted against exactly one counter of either set.
 */
public final class DaemonCounters
{
    /** Agrona counter type id (apart from XfrmCounter's 1100 and the per-SA counters' 1200 + n). */
    public static final int TYPE_ID = 1300;

    /** The counters. */
    public enum Counter implements CounterDescriptor
    {
        /** Datagrams bigger than the receive area (dropped). */
        TunCarrierTruncated(0, "TunCarrierTruncated"),
        /** RFC 3948 non-ESP-marker datagrams (IKE) on the UDP carrier: no IKE here, dropped. */
        TunCarrierNonEspMarker(1, "TunCarrierNonEspMarker"),
        /** Datagrams without packet info (destination unknown), dropped. */
        TunCarrierNoPktinfo(2, "TunCarrierNoPktinfo"),
        /** Packets from a carrier that were not ESP (the processor would pass them): not delivered. */
        TunCarrierPlaintext(3, "TunCarrierPlaintext"),
        /** Outbound ESP for which no carrier of its kind is open (e.g. ESP-in-UDP SA with carrier=raw). */
        TunNoCarrier(4, "TunNoCarrier"),
        /** ICMPv6 packet-too-big / ICMP fragmentation-needed answers written into the TUN. */
        TunIcmpTooBigSent(5, "TunIcmpTooBigSent"),
        /** Fragments read from the TUN whose addresses a protect/discard out-policy covers: dropped, never sent clear. */
        TunOutFragmentDropped(6, "TunOutFragmentDropped"),
        /** Outbound IPv4 ESP packets fragmented by the daemon (DF clear, bigger than the path). */
        TunFragmented(7, "TunFragmented"),
        /** Packets read from the TUN. */
        TunPacketsRead(8, "TunPacketsRead"),
        /** Packets read from the carriers. */
        TunCarrierPacketsRead(9, "TunCarrierPacketsRead"),
        /** Errors thrown inside an agent (should stay 0). */
        TunAgentErrors(10, "TunAgentErrors"),
        /** TCP super-packets read from the TUN (offloads on): each is cut into segments, counted in TunPacketsRead. */
        TunGsoPacketsRead(11, "TunGsoPacketsRead"),
        /** Segments cut from TCP super-packets. */
        TunGsoSegments(12, "TunGsoSegments"),
        /** Coalesced TCP packets written into the TUN (offloads on). */
        TunGroPacketsWritten(13, "TunGroPacketsWritten"),
        /** Segments joined into them. */
        TunGroSegments(14, "TunGroSegments"),
        /**
         * Clear packets the nftables inbound filter dropped on the real interface (never read by the daemon): also
         * counted in XfrmInTmplMismatch or XfrmInPolBlock, as a kernel stack would count them.
         */
        TunInFilterDropped(15, "TunInFilterDropped"),
        /** ESP packets taken from the packet ring ({@code carrier.ring}); also in TunCarrierPacketsRead. */
        TunRingPacketsRead(16, "TunRingPacketsRead"),
        /**
         * ESP packets lost because the packet ring was full (the kernel's {@code PACKET_STATISTICS}; its early-drop rule
         * dropped them too): the ring's equivalent of a socket's receive-buffer overflow.
         */
        TunRingDrops(17, "TunRingDrops"),
        /**
         * ESP copies on the packet ring let go because their SPI is none of the daemon's inbound SAs: the early-drop
         * rule left those packets to the kernel (its own XFRM SAs, or the raw socket, which counts an unknown SPI
         * as XfrmInNoStates). Not a drop: each such packet is also read, or handled, on the kernel's path.
         */
        TunRingLeftToKernel(18, "TunRingLeftToKernel"),
        /**
         * Packets read from the TUN with a link-local source or a multicast/broadcast destination (the kernel's own
         * router solicitations, MLD reports, DAD probes): they belong to the TUN's link and are never relayed.
         */
        TunOutLinkScopeDropped(19, "TunOutLinkScopeDropped"),
        /** SIP bridge: TCP flows with reassembly state now (a gauge, at most sip.tcp.flows). */
        TunSipTcpFlows(20, "TunSipTcpFlows"),
        /** SIP bridge: bytes buffered for partial SIP messages over TCP now (a gauge, at most 256 x 128 KiB). */
        TunSipTcpBufferedBytes(21, "TunSipTcpBufferedBytes"),
        /** SIP bridge: TCP flows evicted (least recently used) to stay within sip.tcp.flows, or their buffers within 256. */
        TunSipTcpFlowsEvicted(22, "TunSipTcpFlowsEvicted"),
        /** SIP bridge: TCP flows with a partial message (or segments after a hole) dropped after 60 s without a segment. */
        TunSipTcpFlowsIdleExpired(23, "TunSipTcpFlowsIdleExpired"),
        /** SIP bridge: partial SIP messages dropped because a flow would buffer more than 128 KiB. */
        TunSipTcpFlowsOverflowed(24, "TunSipTcpFlowsOverflowed"),
        /** SIP bridge (passive P-CSCF): sets not installed because another live registration uses the flow or SPI. */
        TunSipFlowConflicts(25, "TunSipFlowConflicts"),
        /**
         * Second copies of one ESP packet taken by both the packet ring and the raw socket while an SPI moves between
         * them (see RingDuplicates): dropped, and not counted as XfrmInStateSeqError.
         */
        TunRingDuplicateCopy(26, "TunRingDuplicateCopy"),
        /** Packets read from the TUN device that were not IP (ids 27-29 were XfrmCounter ids 35-37, same labels). */
        Esp4jTunHdrError(27, "Esp4jTunHdrError"),
        /** Read or write errors on the TUN device. */
        Esp4jTunIoError(28, "Esp4jTunIoError"),
        /** Read or write errors on the carrier sockets. */
        Esp4jCarrierIoError(29, "Esp4jCarrierIoError"),
        /** SIP bridge: outbound messages held until the SAs and filters they announce are in force (HoldArea). */
        TunSipHeld(32, "TunSipHeld"),
        /** SIP bridge: held messages sent on once their changes were in force. */
        TunSipHeldReleased(33, "TunSipHeldReleased"),
        /** SIP bridge: messages dropped, not sent in clear, because the hold area was full. */
        TunSipHoldFull(34, "TunSipHoldFull"),
        /** SIP bridge: held messages dropped, not sent in clear: their changes not in force, or not within the deadline. */
        TunSipHoldNotInForce(35, "TunSipHoldNotInForce"),
        /**
         * SIP bridge: TCP segments that arrived after a hole in their flow (one lost on the way, sent again later),
         * kept until the hole was filled so that the message across it is not lost.
         */
        TunSipTcpSegmentsAhead(36, "TunSipTcpSegmentsAhead"),
        /**
         * SIP bridge: holes in a TCP flow given up on (more segments after them than a flow keeps): the message across
         * the hole is lost, framing starts over at the next message start.
         */
        TunSipTcpHolesSkipped(37, "TunSipTcpHolesSkipped"),
        /**
         * SIP bridge: packets the SIP watch's raw sockets returned but could not hand on (bigger than the receive
         * area, no packet info, malformed, a receive error): lost to the watch although the kernel counted no drop.
         */
        TunSipWatchReceiveDropped(38, "TunSipWatchReceiveDropped"),
        /**
         * Packet threads: spin windows opened after work ({@code idle.spin.us}), the thread's load being below
         * {@code idle.spin.load.pct}: the thread yielded and looked for packets instead of sleeping in poll().
         */
        TunIdleSpinWindows(39, "TunIdleSpinWindows"),
        /**
         * Packet threads: spin windows not opened after work because the packet threads' load was at or above
         * {@code idle.spin.load.pct} (bulk traffic), or ended early because another thread needed the CPU: the
         * thread slept in poll().
         */
        TunIdleSpinSkipped(40, "TunIdleSpinSkipped"),
        /**
         * SIP bridge: TCP flows whose partial message (or segments kept after a hole) was dropped because a SYN began
         * a new connection on the same addresses and ports (the old one died unseen): never joined to the new bytes.
         */
        TunSipTcpPartialsDroppedByNewConnection(45, "TunSipTcpPartialsDroppedByNewConnection"),
        /**
         * SIP bridge: TCP flows whose partial message (or segments kept after a hole) was dropped because a RST, or a
         * FIN after every byte before it, ended the connection before the message completed.
         */
        TunSipTcpPartialsDroppedByClose(46, "TunSipTcpPartialsDroppedByClose"),
        /**
         * {@code packet.threads=auto}: the inbound agent's thread lent it to the outbound agent's thread (the packet
         * load was low when it was about to sleep): from then on one thread carries both directions.
         */
        TunInboundLent(47, "TunInboundLent"),
        /**
         * {@code packet.threads=auto}: the outbound agent's thread gave the inbound agent back to its own thread (its
         * load reached {@code idle.spin.load.pct}): two threads carry the traffic again.
         */
        TunInboundReturned(48, "TunInboundReturned"),
        /**
         * SIP bridge: TCP segments dropped as an earlier connection's on the same addresses and ports, never framed:
         * before the SYN that began the flow's connection, at or after its FIN (also late segments of a closed flow), or
         * with a TCP timestamp older than that SYN's.
         */
        TunSipTcpSegmentsOfEarlierConnection(53, "TunSipTcpSegmentsOfEarlierConnection"),
        /**
         * SIP bridge: TCP segments dropped because they start beyond the receive window of their flow's next byte (or
         * far before it): a connection before the current one, or a place the watch lost.
         */
        TunSipTcpSegmentsOutsideWindow(54, "TunSipTcpSegmentsOutsideWindow"),
        /**
         * SIP bridge: TCP flows started over at a run of contiguous segments outside the window: the watch had lost
         * its place in the connection (a SYN it missed).
         */
        TunSipTcpFlowsResynchronised(55, "TunSipTcpFlowsResynchronised");

        static
        {
            CounterDescriptors.checkIds(values());
        }

        private final int id;
        private final String label;

        Counter(final int id, final String label)
        {
            this.id = id;
            this.label = label;
        }

        /** {@inheritDoc} */
        public int id()
        {
            return id;
        }

        /** {@inheritDoc} */
        public String label()
        {
            return label;
        }
    }

    private final AtomicCounter[] counters = new AtomicCounter[Counter.values().length];

    /**
     * @param manager where to allocate the counters (the one of the daemon's counters file).
     */
    public DaemonCounters(final CountersManager manager)
    {
        final int[] ids = CounterDescriptors.allocate(manager, TYPE_ID, Counter.values());
        for (int i = 0; i < ids.length; i++)
        {
            counters[i] = new AtomicCounter(manager.valuesBuffer(), ids[i], manager);
        }
    }

    /** @return the counter itself (for code outside this package that counts on the data path). */
    public AtomicCounter counter(final Counter counter)
    {
        return counters[counter.ordinal()];
    }

    public void increment(final Counter counter)
    {
        counters[counter.ordinal()].increment();
    }

    public void add(final Counter counter, final long delta)
    {
        counters[counter.ordinal()].getAndAdd(delta);
    }

    public long get(final Counter counter)
    {
        return counters[counter.ordinal()].get();
    }

    /** @return the counters as lines {@code name<TAB>value}. */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Counter counter : Counter.values())
        {
            sb.append(String.format("%-24s\t%d%n", counter.label(), get(counter)));
        }
        return sb.toString();
    }
}
