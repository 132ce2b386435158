package org.esp4j.tun.daemon;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.IcvBatch;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.tun.carrier.CarrierReceiver;
import org.esp4j.tun.carrier.CarrierStatus;
import org.esp4j.tun.device.TunPort;
import org.esp4j.tun.offload.TunWriter;
import org.esp4j.tun.offload.UdpCoalescer;

/**
 * The inbound data path, on its own thread (with {@code packet.threads=one}, on the outbound agent's; with
 * {@code packet.threads=auto}, on the outbound agent's while the traffic is sparse, {@link InboundHandoff}): packets
 * from the carriers (packet ring, raw ESP receivers, UDP carriers), each
 * an IP header and ESP, go through {@link EspProcessor#inbound(UnsafeBuffer, int, int, boolean)} with the carrier's
 * word on whether they came in UDP; the plaintext of verified ESP is written into the
 * TUN, so the kernel delivers it to the application's socket. Everything else is dropped and counted against one
 * reason (by the processor, or here for carrier-level reasons). Owns its processor and buffers (single thread);
 * drains at most {@code burst} packets per descriptor per duty cycle.
 * <p>
 * Plaintext goes to the TUN through a {@link TunWriter}: with TUN offloads on, consecutive TCP segments of one
 * flow within a batch are written as one GSO packet (GRO), so the kernel's TCP takes them, and acknowledges them,
 * once; the train is written out at the end of each batch. Where the TUN also takes UDP segmentation offload,
 * consecutive datagrams of one UDP flow are joined the same way first ({@link UdpCoalescer}).
 * <p>
 * The TUN and the carriers are reached through small interfaces ({@link TunPort}, {@link CarrierReceiver}) so the
 * agent can be tested with substitutes. The TUN has one implementation at run time; the receivers are drained one
 * carrier at a time, and whether a carrier's packets came in UDP is read once, not per packet.
 */
public final class InboundAgent implements Agent, InboundHandoff.Duty
{
    private final TunPort tun;
    private final EspProcessor processor;
    private final XfrmCounters counters;
    private final DaemonCounters daemonCounters;
    private final CarrierReceiver[] receivers;
    /** Per receiver, read once: its packets came in UDP (RFC 3948). */
    private final boolean[] udpEncapsulated;
    private final int burst;
    /** Received packets: one buffer, or with an ICV batch one per packet of a batch whose MACs are computed together. */
    private final UnsafeBuffer[] ring;
    private final int[] received;
    private final TunWriter tunWriter;
    /** In front of {@link #tunWriter}: joins UDP datagrams where the TUN takes UDP GSO, passes the rest on. */
    private final UdpCoalescer udpWriter;
    private final String roleName;
    /** Receivers [0, ringReceivers) are the packet ring. */
    private final int ringReceivers;
    private final RingDuplicates duplicates = new RingDuplicates();
    private boolean fromRing;
    private boolean fromUdp;
    private ReceiveReadiness readiness;
    /** With {@code packet.threads=auto}: the readiness of each side's poll set ({@link InboundHandoff}). */
    private final ReceiveReadiness[] readinessBySide = new ReceiveReadiness[2];
    /** Marked for each UDP datagram written to the TUN ({@code packet.yield=udp}); unread unless set by the daemon. */
    private PacketScheduling.DatagramMark datagramMark = new PacketScheduling.DatagramMark();
    /** With {@code packet.threads=auto}: the mark of each side's thread. */
    private final PacketScheduling.DatagramMark[] datagramMarkBySide = new PacketScheduling.DatagramMark[2];
    /** The idle strategy of the thread that runs this agent, whose open window says the traffic is sparse; or null. */
    private PollIdleStrategy idleWindow;
    /** With {@code packet.threads=auto}: the idle strategy of each side's thread. */
    private final PollIdleStrategy[] idleWindowBySide = new PollIdleStrategy[2];
    /** What the receivers were last told ({@link CarrierReceiver#endReadAtShortBatch}). */
    private boolean endAtShortBatch;
    /** The duty cycle's time, for {@link RingDuplicates} (read once per cycle, not per packet). */
    private long dutyCycleNs;

    /**
     * @param receivers the carriers: packet ring, raw ESP receivers (carrier=raw), UDP carriers (carrier=udp), drained
     *                  in this order.
     * @param ringReceivers how many of the first receivers are the packet ring (0 or 1): a packet both it and a raw
     *                  socket took is recognised ({@link RingDuplicates}).
     * @param usoSegments most datagrams of one UDP flow joined into one TUN write ({@link UdpCoalescer}).
     */
    public InboundAgent(
        final TunPort tun,
        final EspProcessor processor,
        final XfrmCounters counters,
        final DaemonCounters daemonCounters,
        final CarrierReceiver[] receivers,
        final int ringReceivers,
        final int burst,
        final int usoSegments)
    {
        this.ringReceivers = ringReceivers;
        this.tun = tun;
        this.processor = processor;
        this.counters = counters;
        this.daemonCounters = daemonCounters;
        this.receivers = receivers.clone();
        udpEncapsulated = new boolean[receivers.length];
        for (int i = 0; i < receivers.length; i++)
        {
            udpEncapsulated[i] = receivers[i].udpEncapsulated();
        }
        this.burst = burst;
        final IcvBatch icvBatch = processor.icvBatch();
        final int ringSize = icvBatch != null ? Math.min(icvBatch.lanes(), IcvBatch.CAPACITY) : 1;
        ring = new UnsafeBuffer[ringSize];
        for (int i = 0; i < ringSize; i++)
        {
            ring[i] = new UnsafeBuffer(new byte[EspProcessor.MAX_HEADROOM + EspProcessor.MAX_PACKET_LENGTH +
                EspProcessor.MAX_TAILROOM]);
        }
        received = new int[ringSize];
        tunWriter = new TunWriter((address, length) -> tun.write(0, address, length), tun.vnetHeaderLength(),
            true, daemonCounters.counter(DaemonCounters.Counter.TunGroPacketsWritten),
            daemonCounters.counter(DaemonCounters.Counter.TunGroSegments),
            daemonCounters.counter(DaemonCounters.Counter.Esp4jTunIoError));
        udpWriter = new UdpCoalescer((address, length) -> tun.write(0, address, length), tun.udpOffload(),
            usoSegments, tunWriter::offer, daemonCounters.counter(DaemonCounters.Counter.TunGroPacketsWritten),
            daemonCounters.counter(DaemonCounters.Counter.TunGroSegments),
            daemonCounters.counter(DaemonCounters.Counter.Esp4jTunIoError));
        roleName = "esp4j-inbound-" + tun.name();
        readiness = new ReceiveReadiness(null, 0, ringReceivers, this.receivers.length);
    }

    /**
     * Read a socket receiver only when the idle strategy's last poll found it readable (see
     * {@link ReceiveReadiness}); set before the agent starts.
     *
     * @param fds      what the idle strategy polls: from {@code fdOffset} one descriptor per receiver, in the
     *                 receivers' order (before them, the outbound agent's when one thread runs both).
     * @param fdOffset index in {@code fds} of the first receiver's descriptor.
     */
    public void pollReadiness(final org.esp4j.tun.jna.PollFds fds, final int fdOffset)
    {
        readiness = new ReceiveReadiness(fds, fdOffset, ringReceivers, receivers.length);
    }

    /**
     * With {@code packet.threads=auto}: the poll set of the outbound agent's thread, which runs this agent while it is
     * lent ({@link InboundHandoff}); {@link #pollReadiness} names the home thread's. Set before the agents start.
     *
     * @param fds      what the outbound thread polls while it holds this agent.
     * @param fdOffset index in {@code fds} of the first receiver's descriptor.
     */
    public void lentPollReadiness(final org.esp4j.tun.jna.PollFds fds, final int fdOffset)
    {
        readinessBySide[InboundHandoff.HOME] = readiness;
        readinessBySide[InboundHandoff.LENT] = new ReceiveReadiness(fds, fdOffset, ringReceivers, receivers.length);
    }

    /**
     * With {@code packet.yield=udp}: what this agent marks when it writes a UDP datagram to the TUN, the mark of the
     * thread that runs it; with {@code packet.threads=auto}, {@code lent} is the outbound thread's. Set before the
     * agents start.
     */
    public void datagramMarks(final PacketScheduling.DatagramMark home, final PacketScheduling.DatagramMark lent)
    {
        datagramMark = home;
        datagramMarkBySide[InboundHandoff.HOME] = home;
        datagramMarkBySide[InboundHandoff.LENT] = lent;
    }

    /**
     * The idle strategies of the threads that run this agent ({@code home}, and with {@code packet.threads=auto} the
     * outbound thread's as {@code lent}, else null): while the running thread's idle window is open, a carrier's
     * batch that the kernel did not fill ends its reading ({@link CarrierReceiver#endReadAtShortBatch}). Set before
     * the agents start.
     */
    public void idleWindows(final PollIdleStrategy home, final PollIdleStrategy lent)
    {
        idleWindow = home;
        idleWindowBySide[InboundHandoff.HOME] = home;
        idleWindowBySide[InboundHandoff.LENT] = lent;
    }

    public void heldBy(final int side)
    {
        if (datagramMarkBySide[side] != null)
        {
            datagramMark = datagramMarkBySide[side];
        }
        if (idleWindowBySide[side] != null)
        {
            idleWindow = idleWindowBySide[side];
        }
        readiness = readinessBySide[side];
        readiness.sweepNext();
    }

    public void sweepNext()
    {
        readiness.sweepNext();
    }

    public String roleName()
    {
        return roleName;
    }

    public int doWork()
    {
        int work = 0;
        if (ringReceivers > 0)
        {
            dutyCycleNs = System.nanoTime();
        }
        readiness.beginCycle();
        final boolean sparse = idleWindow != null && idleWindow.windowOpen();
        if (sparse != endAtShortBatch)
        {
            endAtShortBatch = sparse;
            for (final CarrierReceiver receiver : receivers)
            {
                receiver.endReadAtShortBatch(sparse);
            }
        }
        for (int i = 0; i < receivers.length; i++)
        {
            if (readiness.shouldRead(i))
            {
                fromRing = i < ringReceivers;
                fromUdp = udpEncapsulated[i];
                final int taken = drain(receivers[i]);
                readiness.read(i, taken == burst);
                work += taken;
            }
        }
        // nothing waits for more traffic: a train ends with the batch
        udpWriter.flush();
        tunWriter.flush();
        return work;
    }

    /** At most {@code burst} packets from one carrier, a ring at a time. */
    private int drain(final CarrierReceiver receiver)
    {
        int taken = 0;
        while (taken < burst)
        {
            int count = 0;
            while (count < ring.length && taken < burst)
            {
                final int n = receiver.receive(ring[count], EspProcessor.MAX_HEADROOM, EspProcessor.MAX_PACKET_LENGTH);
                if (n == CarrierStatus.NONE)
                {
                    break;
                }
                received[count++] = n;
                taken++;
            }
            handle(count);
            if (count < ring.length)
            {
                break;
            }
        }
        return taken;
    }

    /** The packets received into ring[0..count): MACs computed together (if batching), then each handled in order. */
    private void handle(final int count)
    {
        if (count > 1)
        {
            for (int i = 0; i < count; i++)
            {
                if (received[i] >= 0)
                {
                    processor.prepareInbound(ring[i], EspProcessor.MAX_HEADROOM, received[i]);
                }
            }
            processor.completeIcvs();
        }
        for (int i = 0; i < count; i++)
        {
            onReceived(ring[i], received[i]);
        }
        processor.clearPrepared();
    }

    private void onReceived(final UnsafeBuffer packet, final int n)
    {
        daemonCounters.increment(DaemonCounters.Counter.TunCarrierPacketsRead);
        if (n < 0)
        {
            countCarrierStatus(n);
            return;
        }
        final boolean checkCopies = ringReceivers > 0;
        if (checkCopies && duplicates.isSecondCopy(packet, EspProcessor.MAX_HEADROOM, n, fromRing, dutyCycleNs))
        {
            daemonCounters.increment(DaemonCounters.Counter.TunRingDuplicateCopy);
            return;
        }
        final int verdict = processor.inbound(packet, EspProcessor.MAX_HEADROOM, n, fromUdp);
        if (verdict == EspVerdict.DELIVER)
        {
            if (checkCopies)
            {
                duplicates.remember(fromRing, dutyCycleNs);
            }
            final int offset = processor.resultOffset();
            if (carriesUdp(packet, offset))
            {
                datagramMark.mark();
            }
            udpWriter.offer(packet, offset, processor.resultLength());
        }
        else if (verdict == EspVerdict.PASS)
        {
            // not ESP: the kernel already has its own copy; writing it into the TUN would deliver it twice
            daemonCounters.increment(DaemonCounters.Counter.TunCarrierPlaintext);
        }
    }

    /** The plaintext at {@code offset} (a verified IP packet) is a UDP datagram (no IPv6 extension header before). */
    private static boolean carriesUdp(final UnsafeBuffer packet, final int offset)
    {
        return (Ipv4Header.version(packet, offset) == Ipv4Header.VERSION ? Ipv4Header.protocol(packet, offset) :
            Ipv6Header.nextHeader(packet, offset)) == IpProtocol.UDP;
    }

    private void countCarrierStatus(final int status)
    {
        switch (status)
        {
            case CarrierStatus.NAT_KEEPALIVE:
                counters.increment(XfrmCounter.Esp4jInNatKeepalive);
                break;
            case CarrierStatus.NON_ESP_MARKER:
                daemonCounters.increment(DaemonCounters.Counter.TunCarrierNonEspMarker);
                break;
            case CarrierStatus.TRUNCATED:
                daemonCounters.increment(DaemonCounters.Counter.TunCarrierTruncated);
                break;
            case CarrierStatus.NO_PKTINFO:
                daemonCounters.increment(DaemonCounters.Counter.TunCarrierNoPktinfo);
                break;
            case CarrierStatus.MALFORMED:
                counters.increment(XfrmCounter.XfrmInHdrError);
                break;
            default:
                daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
                break;
        }
    }
}
