package org.esp4j.tun.daemon;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.crypto.IcvBatch;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.sa.SaConfig;
import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.tun.carrier.RawIpSender;
import org.esp4j.tun.carrier.UdpEncapCarrier;
import org.esp4j.tun.device.TunDevice;
import org.esp4j.tun.device.TunLinkScope;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.offload.TcpSegmenter;
import org.esp4j.tun.offload.VirtioNetHeader;
import org.esp4j.tun.sip.PlaintextObserver;

import java.nio.ByteOrder;

/**
 * The outbound data path, on its own thread: plaintext IP packets read from the TUN go through
 * {@link EspProcessor#outbound}; ESP leaves through the raw carrier (header-included raw socket) or, for ESP_IN_UDP
 * SAs, the UDP carrier; bypassed packets leave unchanged through the raw socket; discarded ones are counted by the
 * processor.
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
public final class OutboundAgent implements Agent
{
    /** Sees each plaintext packet from the TUN before it is protected (the SIP bridge), or null; set before start. */
    private PlaintextObserver plaintextObserver;
    /** New settings from the conductor, applied by this agent's thread at the start of a duty cycle. */
    private final OneToOneConcurrentArrayQueue<Runnable> commandQueue = new OneToOneConcurrentArrayQueue<>(64);

    /** Largest growth of a packet by ESP: UDP 8 + ESP header 8 + IV 16 + padding 15 + trailer 2 + ICV 32. */
    public static final int MAX_ESP_OVERHEAD = 81;
    private static final java.util.function.Consumer<Runnable> RUN = Runnable::run;
    static final int V4 = 0;
    static final int V6 = 1;

    private final TunDevice tun;
    private final EspProcessor processor;
    private final FragmentGuard fragmentGuard;
    private final XfrmCounters counters;
    private final DaemonCounters daemonCounters;
    private final RawIpSender[] rawSenders;
    private final UdpEncapCarrier[] udpCarriers;
    private final boolean rawCarrier;
    private final int pathMtu;
    private final int burst;
    private final NativeArea receive;
    /** Where packets are built and protected: one buffer, or with an ICV batch one per packet awaiting its ICV. */
    private final UnsafeBuffer[] ring;
    private final int[] pendingOffsets;
    private final int[] pendingLengths;
    private final int[] pendingFamilies;
    private final boolean[] pendingUdp;
    private final boolean batching;
    private int pendingCount;
    private final UnsafeBuffer original = new UnsafeBuffer(new byte[EspProcessor.MAX_PACKET_LENGTH]);
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[EspProcessor.MAX_PACKET_LENGTH]);
    private final NativeArea answer = new NativeArea(VirtioNetHeader.LENGTH + EspProcessor.MAX_PACKET_LENGTH);
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private final int vnetHeaderLength;
    private short fragmentId = 1;

    /**
     * @param rawSenders  header-included senders, [0] IPv4, [1] IPv6 (an entry may be null if the family is off).
     * @param udpCarriers UDP carriers, [0] IPv4, [1] IPv6, or nulls when carrier=raw.
     * @param rawCarrier  true if raw ESP may be sent (carrier raw or both).
     */
    public OutboundAgent(
        final TunDevice tun,
        final EspProcessor processor,
        final FragmentGuard fragmentGuard,
        final XfrmCounters counters,
        final DaemonCounters daemonCounters,
        final RawIpSender[] rawSenders,
        final UdpEncapCarrier[] udpCarriers,
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
        pendingUdp = new boolean[ringSize];
    }

    /**
     * @param observer sees each plaintext packet from the TUN before protection and may hold it back; told when a
     *                 duty cycle has sent what it read (called on the agent thread).
     */
    public void plaintextObserver(final PlaintextObserver observer)
    {
        plaintextObserver = observer;
    }

    /**
     * The conductor's proxy (as aeron-driver's {@code SenderProxy}): the fragment guard takes the selectors of the
     * new SPD on this agent's thread, at its next duty cycle.
     *
     * @param selectors the out-policies' protect/discard selectors.
     * @return false if the queue is full (the conductor tries again at its next sweep).
     */
    public boolean onGuardedSelectors(final org.esp4j.core.selector.TrafficSelector[] selectors)
    {
        return commandQueue.offer(() -> fragmentGuard.guard(selectors));
    }

    public String roleName()
    {
        return "esp4j-outbound-" + tun.name();
    }

    public int doWork()
    {
        final int commands = commandQueue.drain(RUN);
        int work = 0;
        while (work < burst)
        {
            final int n = tun.read(0, receive.address(0), receive.capacity());
            if (n == TunDevice.WOULD_BLOCK)
            {
                break;
            }
            work++;
            if (n < 0)
            {
                daemonCounters.increment(DaemonCounters.Counter.Esp4jTunIoError);
                break;
            }
            onRead(n);
        }
        sendPending();
        flushSenders();
        final PlaintextObserver observer = plaintextObserver;
        if (observer != null && work > 0)
        {
            observer.onDutyCycleEnd();
        }
        return work + commands;
    }

    /** Send what the duty cycle queued: sendmmsg batches of raw packets, UDP GSO trains of ESP-in-UDP. */
    private void flushSenders()
    {
        int failed = 0;
        for (final RawIpSender sender : rawSenders)
        {
            if (sender != null)
            {
                failed += sender.flush();
            }
        }
        for (final UdpEncapCarrier carrier : udpCarriers)
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

        final PlaintextObserver observer = plaintextObserver;
        if (observer != null && !observer.onPlaintext(packet.byteArray(), offset, length))
        {
            return; // held back by the observer, which counted it
        }
        final int verdict = processor.outbound(packet, offset, length);
        if (verdict == EspVerdict.DELIVER)
        {
            final int resultOffset = processor.resultOffset();
            final int resultLength = processor.resultLength();
            final SecurityAssociation sa = processor.lastSa();
            final boolean udp = sa != null && sa.config().encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP;
            if (mayBeTooBig && resultLength > pathMtu)
            {
                processor.completeIcvs(); // the answer or the fragments need this packet whole now
                tooBig(packet, family, length, resultLength, resultOffset);
                return;
            }
            if (batching)
            {
                final int slot = pendingCount++;
                pendingOffsets[slot] = resultOffset;
                pendingLengths[slot] = resultLength;
                pendingFamilies[slot] = family;
                pendingUdp[slot] = udp;
                if (pendingCount == ring.length)
                {
                    sendPending();
                }
                return;
            }
            send(packet, family, udp, resultOffset, resultLength);
        }
        else if (verdict == EspVerdict.PASS)
        {
            final RawIpSender sender = rawSenders[family];
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
            send(ring[i], pendingFamilies[i], pendingUdp[i], pendingOffsets[i], pendingLengths[i]);
        }
        processor.clearPrepared();
        pendingCount = 0;
    }

    private void send(final UnsafeBuffer packet, final int family, final boolean udp, final int offset, final int length)
    {
        final int sent;
        if (udp)
        {
            final UdpEncapCarrier carrier = udpCarriers[family];
            if (carrier == null)
            {
                daemonCounters.increment(DaemonCounters.Counter.TunNoCarrier);
                return;
            }
            sent = carrier.queue(packet, offset, length);
        }
        else
        {
            final RawIpSender sender = rawSenders[family];
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
        final RawIpSender sender = rawSenders[family];
        if (sender == null || sender.send(receive.buffer(), ipOffset, length) < 0)
        {
            daemonCounters.increment(DaemonCounters.Counter.Esp4jCarrierIoError);
        }
    }

    private void tooBig(
        final UnsafeBuffer packet, final int family, final int length, final int resultLength, final int resultOffset)
    {
        counters.increment(XfrmCounter.Esp4jOutTooBig);
        final int innerMtu = pathMtu - (resultLength - length);
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
            final SecurityAssociation sa = processor.lastSa();
            if (sa != null && sa.config().encapsulation() == SaConfig.Encapsulation.ESP_IN_UDP)
            {
                final UdpEncapCarrier carrier = udpCarriers[V4];
                if (carrier == null || carrier.send(packet, resultOffset, resultLength) < 0)
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
