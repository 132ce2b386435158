package org.esp4j.tun.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * The daemon's own counters, next to the {@link org.esp4j.core.counters.XfrmCounter}s in the same counters file
 * (Agrona type id {@link #TYPE_ID}, key = ordinal, label = name). TUN and carrier errors that
 * {@link org.esp4j.core.counters.XfrmCounter} already names ({@code Esp4jTunHdrError}, {@code Esp4jTunIoError},
 * {@code Esp4jCarrierIoError}, {@code Esp4jOutTooBig}, {@code Esp4jInNatKeepalive}) are counted there; these are
 * the finer reasons. Each packet read and not delivered is counted against exactly one counter of either set.
 */
public final class DaemonCounters
{
    /** Agrona counter type id (apart from XfrmCounter's 1100 and the per-SA counters' 1200 + n). */
    public static final int TYPE_ID = 1300;

    /** The counters. */
    public enum Counter
    {
        /** Datagrams bigger than the receive area (dropped). */
        TunCarrierTruncated,
        /** RFC 3948 non-ESP-marker datagrams (IKE) on the UDP carrier: no IKE here, dropped. */
        TunCarrierNonEspMarker,
        /** Datagrams without packet info (destination unknown), dropped. */
        TunCarrierNoPktinfo,
        /** Packets from a carrier that were not ESP (the processor would pass them): not delivered. */
        TunCarrierPlaintext,
        /** Outbound ESP for which no carrier of its kind is open (e.g. ESP-in-UDP SA with carrier=raw). */
        TunNoCarrier,
        /** ICMPv6 packet-too-big / ICMP fragmentation-needed answers written into the TUN. */
        TunIcmpTooBigSent,
        /** Fragments read from the TUN whose addresses a protect/discard out-policy covers: dropped, never sent clear. */
        TunOutFragmentDropped,
        /** Outbound IPv4 ESP packets fragmented by the daemon (DF clear, bigger than the path). */
        TunFragmented,
        /** Packets read from the TUN. */
        TunPacketsRead,
        /** Packets read from the carriers. */
        TunCarrierPacketsRead,
        /** Errors thrown inside an agent (should stay 0). */
        TunAgentErrors,
        /** TCP super-packets read from the TUN (offloads on): each is cut into segments, counted in TunPacketsRead. */
        TunGsoPacketsRead,
        /** Segments cut from TCP super-packets. */
        TunGsoSegments,
        /** Coalesced TCP packets written into the TUN (offloads on). */
        TunGroPacketsWritten,
        /** Segments joined into them. */
        TunGroSegments,
        /**
         * Clear packets the nftables inbound filter dropped on the real interface (never read by the daemon): also
         * counted in XfrmInTmplMismatch or XfrmInPolBlock, as a kernel stack would count them.
         */
        TunInFilterDropped,
        /** ESP packets taken from the packet ring ({@code carrier.ring}); also in TunCarrierPacketsRead. */
        TunRingPacketsRead,
        /**
         * ESP packets lost because the packet ring was full (the kernel's {@code PACKET_STATISTICS}; its early-drop rule
         * dropped them too): the ring's equivalent of a socket's receive-buffer overflow.
         */
        TunRingDrops,
        /**
         * ESP copies on the packet ring let go because their SPI is none of the daemon's inbound SAs: the early-drop
         * rule left those packets to the kernel (its own XFRM SAs, or the raw socket, which counts an unknown SPI
         * as XfrmInNoStates). Not a drop: each such packet is also read, or handled, on the kernel's path.
         */
        TunRingLeftToKernel,
        /**
         * Packets read from the TUN with a link-local source or a multicast/broadcast destination (the kernel's own
         * router solicitations, MLD reports, DAD probes): they belong to the TUN's link and are never relayed.
         */
        TunOutLinkScopeDropped,
        /** SIP bridge: TCP flows with reassembly state now (a gauge, at most 256). */
        TunSipTcpFlows,
        /** SIP bridge: bytes buffered for partial SIP messages over TCP now (a gauge, at most 256 x 128 KiB). */
        TunSipTcpBufferedBytes,
        /** SIP bridge: TCP flows evicted (least recently used) to stay within the flow cap. */
        TunSipTcpFlowsEvicted,
        /** SIP bridge: TCP flows dropped after 60 s without a segment. */
        TunSipTcpFlowsIdleExpired,
        /** SIP bridge: partial SIP messages dropped because a flow would buffer more than 128 KiB. */
        TunSipTcpFlowsOverflowed,
        /** SIP bridge (passive P-CSCF): sets not installed because another live registration uses the flow or SPI. */
        TunSipFlowConflicts,
        /**
         * Second copies of one ESP packet taken by both the packet ring and the raw socket while an SPI moves between
         * them (see RingDuplicates): dropped, and not counted as XfrmInStateSeqError.
         */
        TunRingDuplicateCopy
    }

    private final AtomicCounter[] counters = new AtomicCounter[Counter.values().length];

    public DaemonCounters(final CountersManager manager)
    {
        final UnsafeBuffer key = new UnsafeBuffer(new byte[4]);
        final UnsafeBuffer label = new UnsafeBuffer(new byte[CountersReader.MAX_LABEL_LENGTH]);
        synchronized (manager)
        {
            for (final Counter counter : Counter.values())
            {
                key.putInt(0, counter.ordinal());
                final int labelLength = label.putStringWithoutLengthAscii(0, counter.name());
                final int id = manager.allocate(TYPE_ID, key, 0, 4, label, 0, labelLength);
                counters[counter.ordinal()] = new AtomicCounter(manager.valuesBuffer(), id, manager);
            }
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
            sb.append(String.format("%-24s\t%d%n", counter.name(), get(counter)));
        }
        return sb.toString();
    }
}
