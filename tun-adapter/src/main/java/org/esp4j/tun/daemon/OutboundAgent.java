package org.esp4j.tun.daemon;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.IcvBatch;
import org.esp4j.core.esp.EspCarrier;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.tun.carrier.IpCarrierSender;
import org.esp4j.tun.carrier.UdpCarrierSender;
import org.esp4j.tun.device.TunDevice;
import org.esp4j.tun.device.TunLinkScope;
import org.esp4j.tun.device.TunPort;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.offload.TcpSegmenter;
import org.esp4j.tun.offload.UdpSegmenter;
import org.esp4j.tun.offload.VirtioNetHeader;
import org.esp4j.tun.sip.PlaintextObserver;

import java.nio.ByteOrder;

/**
 * The outbound data path, on its own thread (with {@code packet.threads=one}, shared with the inbound agent): plaintext IP packets read from the TUN go through
 * {@link EspProcessor#outbound}, in carrier mode; ESP leaves through the carrier the processor names
 * ({@link EspProcessor#resultCarrier()}): the raw carrier (header-included raw socket, {@link IpCarrierSender}) or, for
 * ESP_IN_UDP SAs, the UDP carrier ({@link UdpCarrierSender}, whose socket adds the UDP header); bypassed packets leave
 * unchanged through the raw socket; discarded ones are counted by the processor.
 * <p>
 * The TUN and the carriers are reached through small interfaces ({@link TunPort}, {@link IpCarrierSender},
 * {@link UdpCarrierSender}) so the agent can be tested with substitutes; in the daemon each has one implementation
 * ({@link TunDevice}, {@code RawIpSender}, {@code UdpEncapCarrier}), which keeps the calls monomorphic.
 * <p>
 * Per packet: one {@code read(2)} into the native receive area, one copy into the heap packet buffer (the JDK's
 * digests and ciphers work on arrays), the processor in place, one copy into the carrier's native transmit area and
 * one {@code sendto/sendmsg(2)}, or for raw ESP and bypassed packets a slot of a batch that leaves in one
 * {@code sendmmsg(2)} at the end of the duty cycle, and for ESP-in-UDP a place in a UDP GSO train (one
 * {@code sendmsg(2)} for the datagrams of a TCP super-packet). Nothing is allocated. Owns its processor and buffers (single thread).
 * <p>
 * With TUN offloads (see {@link TunDevice}), one read may carry a TCP super-packet of up to 64 KiB: it is cut here
 * ({@link TcpSegmenter}) straight into the packet buffer, so the kernel's TCP and the TUN pay once per 64 KiB instead
 * of once per segment; partial checksums the kernel leaves ({@code NEEDS_CSUM}) are completed before ESP covers them.
 * <p>
 * Too big for the path once ESP is added: IPv6 and IPv4-with-DF are answered with ICMPv6 Packet Too Big / ICMP
 * Fragmentation Needed written into the TUN ({@link TooBigResponder}); IPv4 without DF is fragmented by the daemon
 * (raw carrier) or by the kernel (UDP carrier, DF clear on its socket).
 * <p>
 * Fragments made by the kernel in front of the TUN never reach the processor (see {@link FragmentGuard}): those of
 * protected or discarded traffic are dropped, the others leave unchanged.
 */
public final class OutboundAgent implements InboundHandoff.Outbound
{
    /**
     * Sees each parsed plaintext packet around the processor's SPD lookup (the SIP bridge), or null; set before start.
     */
    private PlaintextObserver plaintextObserver;
    /** New settings from the conductor, applied by this agent's thread at the start of a duty cycle. */
    private final OneToOneConcurrentArrayQueue<Runnable> commandQueue = new OneToOneConcurrentArrayQueue<>(64);
    /** The newest guard snapshot the conductor sent, and whether a command to apply it is queued. */
    private final java.util.concurrent.atomic.AtomicReference<org.esp4j.core.selector.TrafficSelector[]> latestGuarded =
        new java.util.concurrent.atomic.AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicBoolean guardCommandQueued =
        new java.util.concurrent.atomic.AtomicBoolean();
    private final Runnable applyLatestGuarded = this::applyLatestGuardedSelectors;
    /** Packets the observer held (the SIP bridge's, until their SAs are in force) come back through here. */
    private final PlaintextObserver.Reinjector reinjector = this::reinject;

    /** Largest growth of a packet on the wire by ESP: UDP 8 + ESP header 8 + IV 16 + padding 15 + trailer 2 + ICV 32. */
    public static final int MAX_ESP_OVERHEAD = 81;
    private static final java.util.function.Consumer<Runnable> RUN = Runnable::run;
    static final int V4 = 0;
    static final int V6 = 1;

    private final TunPort tun;
    private final EspProcessor processor;
    private final FragmentGuard fragmentGuard;
    private final XfrmCounters counters;
    private final DaemonCounters daemonCounters;
    private final IpCarrierSender[] rawSenders;
    private final UdpCarrierSender[] udpCarriers;
    private final boolean rawCarrier;
    private final int pathMtu;
    private final int burst;
    private final NativeArea receive;
    /** Where packets are built and protected: one buffer, or with an ICV batch one per packet awaiting its ICV. */
    private final UnsafeBuffer[] ring;
    private final int[] pendingOffsets;
    private final int[] pendingLengths;
    private final int[] pendingFamilies;
    private final int[] pendingCarriers;
    private final int[] pendingEspOffsets;
    private final int[] pendingPeerPorts;
    private final boolean batching;
    private int pendingCount;
    private final UnsafeBuffer original = new UnsafeBuffer(new byte[EspProcessor.MAX_PACKET_LENGTH]);
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[EspProcessor.MAX_PACKET_LENGTH]);
    private final NativeArea answer = new NativeArea(VirtioNetHeader.LENGTH + EspProcessor.MAX_PACKET_LENGTH);
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final UdpSegmenter udpSegmenter = new UdpSegmenter();
    private final int vnetHeaderLength;
    private short fragmentId = 1;
    /** Marked for each UDP datagram read from the TUN ({@code packet.yield=udp}); unread unless set by the daemon. */
    private PacketScheduling.DatagramMark datagramMark = new PacketScheduling.DatagramMark();
    /** The idle strategy of this agent's thread, whose open window says the traffic is sparse; null: none. */
    private PollIdleStrategy idleWindow;
    /** The last duty cycle read nothing from the TUN. */
    private boolean previousCycleIdle = true;
    /** When the TUN is worth a read (see {@link #pollReadiness}); without one, every duty cycle reads it. */
    private ReceiveReadiness tunReadiness = new ReceiveReadiness(null, 0, 0, 1);
    /** With {@code packet.threads=auto}: the TUN gate of each poll set of this agent's thread ({@link InboundHandoff}). */
    private final ReceiveReadiness[] tunReadinessBySide = new ReceiveReadiness[2];

    /**
     * @param processor   this agent's processor: set to carrier mode here ({@link EspProcessor#carrierPayloads}).
     * @param rawSenders  header-included senders, [0] IPv4, [1] IPv6 (an entry may be null if the family is off).
     * @param udpCarriers UDP carriers, [0] IPv4, [1] IPv6, or nulls when carrier=raw.
     * @param rawCarrier  true if raw ESP may be sent (carrier raw or both).
     */
    public OutboundAgent(
        final TunPort tun,
        final EspProcessor processor,
        final FragmentGuard fragmentGuard,
        final XfrmCounters counters,
        final DaemonCounters daemonCounters,
        final IpCarrierSender[] rawSenders,
        final UdpCarrierSender[] udpCarriers,
        final boolean rawCarrier,
        final int pathMtu,
        final int burst)
    {
        this.tun = tun;
        this.processor = processor;
        this.fragmentGuard = fragmentGuard;
        this.counters = counters;
        this.daemonCounters = daemonCounters;
        this.rawSenders = rawSenders;
        this.udpCarriers = udpCarriers;
        this.rawCarrier = rawCarrier;
        this.pathMtu = pathMtu;
        this.burst = burst;
        processor.carrierPayloads(true);
        vnetHeaderLength = tun.vnetHeaderLength();
        // with TSO a read carries up to 64 KiB of TCP behind the IP header (IPv6: 40 bytes more than IPv4 allows)
        receive = new NativeArea(vnetHeaderLength + EspProcessor.MAX_PACKET_LENGTH + 64);
        final IcvBatch icvBatch = processor.icvBatch();
        batching = icvBatch != null;
        final int ringSize = batching ? Math.min(icvBatch.lanes(), IcvBatch.CAPACITY) : 1;
        ring = new UnsafeBuffer[ringSize];
        for (int i = 0; i < ringSize; i++)
        {
            ring[i] = new UnsafeBuffer(new byte[EspProcessor.MAX_HEADROOM + EspProcessor.MAX_PACKET_LENGTH +
                EspProcessor.MAX_TAILROOM]);
        }
        pendingOffsets = new int[ringSize];
        pendingLengths = new int[ringSize];
        pendingFamilies = new int[ringSize];
        pendingCarriers = new int[ringSize];
        pendingEspOffsets = new int[ringSize];
        pendingPeerPorts = new int[ringSize];
    }

    /**
     * @param observer sees each parsed plaintext packet from the TUN before and after the processor's SPD lookup and
     *                 may hold it back; told when a duty cycle has sent what it read (called on the agent thread).
     *                 Set before the agent starts.
     */
    public void plaintextObserver(final PlaintextObserver observer)
    {
        plaintextObserver = observer;
        processor.outboundObserver(observer);
    }

    /**
     * The conductor's proxy (as aeron-driver's {@code SenderProxy}): the fragment guard takes the selectors of the
     * new SPD on this agent's thread, at its next duty cycle.
     *
     * Snapshots coalesce: only the newest matters, so at most one guard command waits in the queue and it takes the
     * newest snapshot when it runs. A burst of policy changes while this thread waits on the conductor (the SIP bridge
     * holding an announcing message until its SAs are in force) then cannot fill the queue with stale snapshots.
     *
     * @param selectors the out-policies' protect/discard selectors.
     * @return false if the queue is full (the conductor tries again at its next sweep).
     */
    public boolean onGuardedSelectors(final org.esp4j.core.selector.TrafficSelector[] selectors)
    {
        latestGuarded.set(selectors);
        if (guardCommandQueued.getAndSet(true))
        {
            return true; // the queued command will take this snapshot
        }
        if (commandQueue.offer(applyLatestGuarded))
        {
            return true;
        }
        guardCommandQueued.set(false);
        return false;
    }

    private void applyLatestGuardedSelectors()
    {
        guardCommandQueued.set(false); // before the read: a snapshot set after it queues a command of its own
        fragmentGuard.guard(latestGuarded.get());
    }

    /**
     * Read the TUN only when it may hold a packet ({@link ReceiveReadiness}): when the poll of the agent's idle
     * strategy last reported it readable, or the last duty cycle stopped at a full burst. The TUN read that found
     * nothing then ends a wake-up's reads; the duty cycles of the idle rounds that follow (a yield each) make none,
     * and a packet that comes meanwhile is seen by the poll that ends them, which returns at once. Only for an agent
     * that has its own thread, or shares it through {@link InboundHandoff}, which asks for reads
     * ({@link #readTunNext}) while the inbound agent keeps the thread from polling; with
     * {@code packet.threads=one} the thread may never idle while the inbound agent has work, so its idle strategy would
     * not poll. Set before the agent starts.
     *
     * @param fds      the descriptors the agent's idle strategy polls.
     * @param fdOffset index in {@code fds} of the TUN's queue 0.
     */
    public void pollReadiness(final org.esp4j.tun.jna.PollFds fds, final int fdOffset)
    {
        tunReadiness = new ReceiveReadiness(fds, fdOffset, 0, 1);
        tunReadinessBySide[InboundHandoff.HOME] = tunReadiness;
    }

    /**
     * With {@code packet.threads=auto}: the poll set of this agent's thread while it also runs the inbound agent
     * ({@link InboundHandoff}); {@link #pollReadiness} names the other. The thread says which it polls
     * ({@link #tunPolledWith}). Set before the agent starts.
     *
     * @param fds      what the thread polls while it holds the inbound agent.
     * @param fdOffset index in {@code fds} of the TUN's queue 0.
     */
    public void lentPollReadiness(final org.esp4j.tun.jna.PollFds fds, final int fdOffset)
    {
        tunReadinessBySide[InboundHandoff.LENT] = new ReceiveReadiness(fds, fdOffset, 0, 1);
    }

    /**
     * The idle strategy of this agent's thread: while its idle window is open ({@code idle.spin.us}, opened after
     * sparse traffic only), the first packet read after idle duty cycles is sent before the TUN is read again, so the
     * read that finds the TUN empty is not on a round trip's path. Bursts read while the window is closed go as
     * before, in one send per carrier at the end of the duty cycle. Set before the agent starts.
     */
    public void idleWindow(final PollIdleStrategy idle)
    {
        idleWindow = idle;
    }

    public void tunPolledWith(final int side)
    {
        final ReceiveReadiness polled = tunReadinessBySide[side];
        if (polled != null && polled != tunReadiness)
        {
            tunReadiness = polled;
            polled.sweepNext(); // what this set said at its last poll is old: read once
        }
    }

    public void readTunNext()
    {
        tunReadiness.sweepNext();
    }

    public String roleName()
    {
        return "esp4j-outbound-" + tun.name();
    }

    public int doWork()
    {
        int commands = commandQueue.drain(RUN);
        final PlaintextObserver held = plaintextObserver;
        if (held != null)
        {
            commands += held.releaseHeld(reinjector); // before anything new is read: a flow keeps its order
        }
        int work = 0;
        // the first packet of a duty cycle that follows idle ones while the thread's idle window is open is most
        // likely alone (request/response traffic): it leaves before the read that would only find the TUN empty
        final boolean sendFirstAtOnce = idleWindow != null && previousCycleIdle && idleWindow.windowOpen();
        tunReadiness.beginCycle();
        if (tunReadiness.shouldRead(0))
        {
            boolean more = true;
            while (work < burst)
            {
                final int n = tun.read(0, receive.address(0), receive.capacity());
                if (n == TunDevice.WOULD_BLOCK)
                {
                    more = false;
                    break;
                }
                work++;
                if (n < 0)
                {
                    // read on next cycle, as before the gate: what follows a failed read may already be out of the
                    // TUN's queue (in io_uring's completions), where poll(2) does not see it
                    daemonCounters.increment(DaemonCounters.Counter.Esp4jTunIoError);
                    break;
                }
                onRead(n);
                if (work == 1 && sendFirstAtOnce)
                {
                    sendPending();
                    flushSenders();
                }
            }
            tunReadiness.read(0, more);
        }
        previousCycleIdle = work == 0;
        sendPending();
        flushSenders();
        final PlaintextObserver observer = plaintextObserver;
        if (observer != null && (work > 0 || commands > 0))
        {
            observer.onDutyCycleEnd();
        }
        return work + commands;
    }

    /** A packet the observer held, sent now as if just read from the TUN (it was read, and counted, then). */
    private void reinject(final org.agrona.DirectBuffer packet, final int offset, final int length)
    {
        final int version = Ipv4Header.version(packet, offset);
        ring[pendingCount].putBytes(EspProcessor.MAX_HEADROOM, packet, offset, length);
        protectAndSend(version == Ipv4Header.VERSION ? V4 : V6, length);
    }

    /** Send what the duty cycle queued: sendmmsg batches of raw packets, UDP GSO trains of ESP-in-UDP. */
    private void flushSenders()
    {
        int failed = 0;
        for (final IpCarrierSender sender : rawSenders)
        {
            if (sender != null)
            {
                failed += sender.flush();
            }
        }
        for (final UdpCarrierSender carrier : udpCarriers)
        {
            if (carrier != null)
            {
                failed += carrier.flush();
            }
        }
        for (int i = 0; i < failed; i++)
        {
            daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
        }
    }

    /**
     * With {@code packet.yield=udp}: what this agent marks when it reads a UDP datagram from the TUN, the mark its
     * thread's idle strategy takes. Set before the agent starts.
     */
    public void datagramMark(final PacketScheduling.DatagramMark mark)
    {
        datagramMark = mark;
    }

    /** One read from the TUN: a packet, or with offloads a virtio-net header and a packet or TCP super-packet. */
    private void onRead(final int n)
    {
        final int ipOffset = vnetHeaderLength;
        final int length = n - ipOffset;
        if (ipOffset > 0)
        {
            final UnsafeBuffer read = receive.buffer();
            final int gsoType = VirtioNetHeader.gsoType(read, 0);
            final boolean partial = (VirtioNetHeader.flags(read, 0) & VirtioNetHeader.F_NEEDS_CSUM) != 0;
            if (length > 0 && gsoType == VirtioNetHeader.GSO_UDP_L4)
            {
                onUdpSuperPacket(length);
                return;
            }
            if (length > 0 && gsoType != VirtioNetHeader.GSO_NONE)
            {
                onSuperPacket(length, gsoType, partial);
                return;
            }
            if (length > 0 && partial && !completeChecksum(length))
            {
                daemonCounters.increment(DaemonCounters.Counter.TunPacketsRead);
                daemonCounters.increment(DaemonCounters.Counter.Esp4jTunHdrError);
                return;
            }
        }
        daemonCounters.increment(DaemonCounters.Counter.TunPacketsRead);
        onPacket(ipOffset, length);
    }

    /** Finish the transport checksum the kernel left partial ({@code NEEDS_CSUM}): it must be whole inside ESP. */
    private boolean completeChecksum(final int length)
    {
        final UnsafeBuffer read = receive.buffer();
        final int start = VirtioNetHeader.csumStart(read, 0);
        final int field = VirtioNetHeader.csumOffset(read, 0);
        if (start + field + 2 > length)
        {
            return false;
        }
        VirtioNetHeader.completePartialChecksum(read, vnetHeaderLength + start, vnetHeaderLength + length, field);
        return true;
    }

    /**
     * A TCP super-packet (TSO): cut into the segments the kernel would have sent, each protected and sent as if read
     * on its own (each counts as one packet read).
     */
    private void onSuperPacket(final int length, final int gsoType, final boolean partial)
    {
        daemonCounters.increment(DaemonCounters.Counter.TunGsoPacketsRead);
        final UnsafeBuffer read = receive.buffer();
        final int segments = segmenter.prepare(read, vnetHeaderLength, length, gsoType,
            VirtioNetHeader.gsoSize(read, 0), partial ? VirtioNetHeader.csumStart(read, 0) : 0);
        if (segments == 0)
        {
            daemonCounters.increment(DaemonCounters.Counter.TunPacketsRead);
            daemonCounters.increment(DaemonCounters.Counter.Esp4jTunHdrError);
            return;
        }
        final int family = segmenter.ipv6() ? V6 : V4;
        // one atomic add per super-packet, not per segment
        daemonCounters.add(DaemonCounters.Counter.TunPacketsRead, segments);
        for (int i = 0; i < segments; i++)
        {
            final int segmentLength = segmenter.segment(i, ring[pendingCount], EspProcessor.MAX_HEADROOM);
            protectAndSend(family, segmentLength);
        }
        daemonCounters.add(DaemonCounters.Counter.TunGsoSegments, segments);
    }

    /**
     * A UDP super-packet (an application's {@code UDP_SEGMENT} send, with UDP offload on the TUN): cut into its
     * datagrams, each protected and sent as if read on its own.
     */
    private void onUdpSuperPacket(final int length)
    {
        daemonCounters.increment(DaemonCounters.Counter.TunGsoPacketsRead);
        final UnsafeBuffer read = receive.buffer();
        if (TunLinkScope.isLinkScoped(read, vnetHeaderLength))
        {
            daemonCounters.increment(DaemonCounters.Counter.TunOutLinkScopeDropped);
            return;
        }
        final int segments = udpSegmenter.prepare(read, vnetHeaderLength, length, VirtioNetHeader.gsoSize(read, 0));
        if (segments == 0)
        {
            daemonCounters.increment(DaemonCounters.Counter.TunPacketsRead);
            daemonCounters.increment(DaemonCounters.Counter.Esp4jTunHdrError);
            return;
        }
        final int family = udpSegmenter.ipv6() ? V6 : V4;
        datagramMark.mark();
        daemonCounters.add(DaemonCounters.Counter.TunPacketsRead, segments);
        for (int i = 0; i < segments; i++)
        {
            final int segmentLength = udpSegmenter.segment(i, ring[pendingCount], EspProcessor.MAX_HEADROOM);
            protectAndSend(family, segmentLength);
        }
        daemonCounters.add(DaemonCounters.Counter.TunGsoSegments, segments);
    }

    private void onPacket(final int ipOffset, final int length)
    {
        final UnsafeBuffer read = receive.buffer();
        final int version = length > 0 ? Ipv4Header.version(read, ipOffset) : 0;
        if (version == Ipv4Header.VERSION ? length < Ipv4Header.MIN_LENGTH :
            version != Ipv6Header.VERSION || length < Ipv6Header.LENGTH)
        {
            daemonCounters.increment(DaemonCounters.Counter.Esp4jTunHdrError);
            return;
        }
        final int family = version == Ipv4Header.VERSION ? V4 : V6;
        if ((family == V4 ? Ipv4Header.protocol(read, ipOffset) : Ipv6Header.nextHeader(read, ipOffset)) ==
            IpProtocol.UDP)
        {
            datagramMark.mark();
        }
        if (TunLinkScope.isLinkScoped(read, ipOffset))
        {
            daemonCounters.increment(DaemonCounters.Counter.TunOutLinkScopeDropped);
            return;
        }
        if (fragmentGuard.isFragment(read, ipOffset, length))
        {
            onFragment(family, ipOffset, length);
            return;
        }
        ring[pendingCount].putBytes(EspProcessor.MAX_HEADROOM, read, ipOffset, length);
        protectAndSend(family, length);
    }

    /**
     * The plaintext packet at {@code ring[pendingCount][MAX_HEADROOM]}: through the processor and out, or with an ICV
     * batch, protected and left in the ring until {@link #sendPending()} has the batch write its ICV.
     */
    private void protectAndSend(final int family, final int length)
    {
        final UnsafeBuffer packet = ring[pendingCount];
        final int offset = EspProcessor.MAX_HEADROOM;
        final boolean mayBeTooBig = length > pathMtu - MAX_ESP_OVERHEAD;
        if (mayBeTooBig)
        {
            original.putBytes(0, packet, offset, length);
        }

        // the observer (SIP bridge) is called by the processor around its SPD lookup, and a packet it holds back is
        // dropped and counted there
        final int verdict = processor.outbound(packet, offset, length);
        if (verdict == EspVerdict.DELIVER)
        {
            final int resultOffset = processor.resultOffset();
            final int resultLength = processor.resultLength();
            final int carrier = processor.resultCarrier();
            final boolean udp = carrier == EspCarrier.UDP;
            // carrier mode: the UDP socket adds its header on the wire
            final int wireLength = udp ? resultLength + UdpHeader.LENGTH : resultLength;
            if (mayBeTooBig && wireLength > pathMtu)
            {
                processor.completeIcvs(); // the answer or the fragments need this packet whole now
                tooBig(packet, family, length, wireLength, resultOffset, resultLength);
                return;
            }
            if (batching)
            {
                final int slot = pendingCount++;
                pendingOffsets[slot] = resultOffset;
                pendingLengths[slot] = resultLength;
                pendingFamilies[slot] = family;
                pendingCarriers[slot] = carrier;
                pendingEspOffsets[slot] = processor.resultEspOffset();
                pendingPeerPorts[slot] = processor.resultPeerPort();
                if (pendingCount == ring.length)
                {
                    sendPending();
                }
                return;
            }
            send(packet, family, carrier, resultOffset, resultLength, processor.resultEspOffset(),
                processor.resultPeerPort());
        }
        else if (verdict == EspVerdict.PASS)
        {
            final IpCarrierSender sender = rawSenders[family];
            if (sender == null || sender.queue(packet, offset, length) < 0)
            {
                daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
            }
        }
        // DROP: counted by the processor
    }

    /** Have the ICV batch write the ICVs of the packets in the ring, then queue them for their carriers. */
    private void sendPending()
    {
        if (pendingCount == 0)
        {
            return;
        }
        processor.completeIcvs();
        for (int i = 0; i < pendingCount; i++)
        {
            send(ring[i], pendingFamilies[i], pendingCarriers[i], pendingOffsets[i], pendingLengths[i],
                pendingEspOffsets[i], pendingPeerPorts[i]);
        }
        processor.clearPrepared();
        pendingCount = 0;
    }

    /**
     * Queue a protected packet for the carrier the processor named.
     *
     * @param carrier  {@link EspCarrier#UDP} or {@link EspCarrier#IP}.
     * @param peerPort the peer's UDP port for ESP-in-UDP.
     */
    private void send(
        final UnsafeBuffer packet, final int family, final int carrier, final int offset, final int length,
        final int espOffset, final int peerPort)
    {
        final int sent;
        if (carrier == EspCarrier.UDP)
        {
            final UdpCarrierSender sender = udpCarriers[family];
            if (sender == null)
            {
                daemonCounters.increment(DaemonCounters.Counter.TunNoCarrier);
                return;
            }
            sent = sender.queue(packet, offset, espOffset, length, peerPort);
        }
        else
        {
            final IpCarrierSender sender = rawSenders[family];
            if (!rawCarrier || sender == null)
            {
                daemonCounters.increment(DaemonCounters.Counter.TunNoCarrier);
                return;
            }
            sent = sender.queue(packet, offset, length);
        }
        if (sent < 0)
        {
            daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
        }
    }

    private void onFragment(final int family, final int ipOffset, final int length)
    {
        if (!fragmentGuard.allow(receive.buffer(), ipOffset, length))
        {
            daemonCounters.increment(DaemonCounters.Counter.TunOutFragmentDropped);
            return;
        }
        counters.increment(XfrmCounter.Esp4jOutBypass);
        final IpCarrierSender sender = rawSenders[family];
        if (sender == null || sender.send(receive.buffer(), ipOffset, length) < 0)
        {
            daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
        }
    }

    /**
     * @param wireLength   the protected packet's length on the wire (with the UDP header of ESP-in-UDP).
     * @param resultOffset where the processor's result starts.
     * @param resultLength its length in the buffer.
     */
    private void tooBig(
        final UnsafeBuffer packet, final int family, final int length, final int wireLength, final int resultOffset,
        final int resultLength)
    {
        counters.increment(XfrmCounter.Esp4jOutTooBig);
        final int innerMtu = pathMtu - (wireLength - length);
        final int answerLength = TooBigResponder.build(original, length, innerMtu, scratch);
        if (answerLength > 0)
        {
            if (vnetHeaderLength > 0)
            {
                VirtioNetHeader.putNone(answer.buffer(), 0);
            }
            answer.buffer().putBytes(vnetHeaderLength, scratch, 0, answerLength);
            if (tun.write(0, answer.address(0), vnetHeaderLength + answerLength) < 0)
            {
                daemonCounters.increment(DaemonCounters.Counter.Esp4jTunIoError);
            }
            else
            {
                daemonCounters.increment(DaemonCounters.Counter.TunIcmpTooBigSent);
            }
            return;
        }
        if (family == V4)
        {
            if (processor.resultCarrier() == EspCarrier.UDP)
            {
                final UdpCarrierSender carrier = udpCarriers[V4];
                if (carrier == null || carrier.send(packet, resultOffset, processor.resultEspOffset(), resultLength,
                    processor.resultPeerPort()) < 0)
                {
                    daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
                }
                return;
            }
            if (rawCarrier && rawSenders[V4] != null)
            {
                fragment4(packet, resultOffset, resultLength);
            }
        }
    }

    /** Send an IPv4 packet (DF clear) as fragments that fit the path (RFC 791). */
    private void fragment4(final UnsafeBuffer packet, final int offset, final int length)
    {
        final int headerLength = Ipv4Header.headerLength(packet, offset);
        final int maxData = (pathMtu - headerLength) & ~7;
        if (maxData <= 0)
        {
            daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
            return;
        }
        int id = packet.getShort(offset + Ipv4Header.IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (id == 0)
        {
            id = fragmentId++ & 0xFFFF;
            if (id == 0)
            {
                id = fragmentId++ & 0xFFFF;
            }
        }
        final int dataLength = length - headerLength;
        for (int dataOffset = 0; dataOffset < dataLength; dataOffset += maxData)
        {
            final int chunk = Math.min(maxData, dataLength - dataOffset);
            final boolean last = dataOffset + chunk >= dataLength;
            scratch.putBytes(0, packet, offset, headerLength);
            scratch.putBytes(headerLength, packet, offset + headerLength + dataOffset, chunk);
            scratch.putShort(Ipv4Header.TOTAL_LENGTH_OFFSET, (short)(headerLength + chunk), ByteOrder.BIG_ENDIAN);
            scratch.putShort(Ipv4Header.IDENTIFICATION_OFFSET, (short)id, ByteOrder.BIG_ENDIAN);
            scratch.putShort(Ipv4Header.FLAGS_FRAGMENT_OFFSET,
                (short)((last ? 0 : Ipv4Header.MORE_FRAGMENTS) | (dataOffset >> 3)), ByteOrder.BIG_ENDIAN);
            Ipv4Header.updateChecksum(scratch, 0);
            if (rawSenders[V4].send(scratch, 0, headerLength + chunk) < 0)
            {
                daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
                return;
            }
        }
        daemonCounters.increment(DaemonCounters.Counter.TunFragmented);
    }
}
