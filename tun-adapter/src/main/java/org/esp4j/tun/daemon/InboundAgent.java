package org.esp4j.tun.daemon;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.core.counters.XfrmCounter;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.tun.carrier.CarrierStatus;
import org.esp4j.tun.carrier.RawEspReceiver;
import org.esp4j.tun.carrier.UdpEncapCarrier;
import org.esp4j.tun.device.TunDevice;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.offload.TcpCoalescer;

/**
 * The inbound data path, on its own thread: packets from the carriers (raw ESP receivers, UDP carriers), handed on
 * as whole IP packets, go through {@link EspProcessor#inbound}; the plaintext of verified ESP is written into the
 * TUN, so the kernel delivers it to the application's socket. Everything else is dropped and counted against one
 * reason (by the processor, or here for carrier-level reasons). Owns its processor and buffers (single thread);
 * drains at most {@code burst} packets per descriptor per duty cycle.
 * <p>
 * Plaintext goes to the TUN through a {@link TcpCoalescer}: with TUN offloads on, consecutive TCP segments of one
 * flow within a batch are written as one GSO packet (GRO), so the kernel's TCP takes them, and acknowledges them,
 * once; the train is written out at the end of each batch.
 */
public final class InboundAgent implements Agent
{
    private final TunDevice tun;
    private final EspProcessor processor;
    private final XfrmCounters counters;
    private final DaemonCounters daemonCounters;
    private final RawEspReceiver[] rawReceivers;
    private final UdpEncapCarrier[] udpCarriers;
    private final int burst;
    private final UnsafeBuffer packet;
    private final TcpCoalescer tunWriter;
    private final String roleName;

    /**
     * @param rawReceivers raw ESP receivers (none when carrier=udp).
     * @param udpCarriers  UDP carriers (none when carrier=raw).
     */
    public InboundAgent(
        final TunDevice tun,
        final EspProcessor processor,
        final XfrmCounters counters,
        final DaemonCounters daemonCounters,
        final RawEspReceiver[] rawReceivers,
        final UdpEncapCarrier[] udpCarriers,
        final int burst)
    {
        this.tun = tun;
        this.processor = processor;
        this.counters = counters;
        this.daemonCounters = daemonCounters;
        this.rawReceivers = rawReceivers;
        this.udpCarriers = udpCarriers;
        this.burst = burst;
        packet = new UnsafeBuffer(new byte[EspProcessor.MAX_HEADROOM + EspProcessor.MAX_PACKET_LENGTH +
            EspProcessor.MAX_TAILROOM]);
        final int tunFd = tun.fd(0);
        tunWriter = new TcpCoalescer((address, length) -> write(tunFd, address, length), tun.vnetHeaderLength(),
            true, daemonCounters.counter(DaemonCounters.Counter.TunGroPacketsWritten),
            daemonCounters.counter(DaemonCounters.Counter.TunGroSegments),
            new AtomicCounter(counters.countersManager().valuesBuffer(), counters.counterId(XfrmCounter.Esp4jTunIoError)));
        roleName = "esp4j-inbound-" + tun.name();
    }

    public String roleName()
    {
        return roleName;
    }

    public int doWork()
    {
        int work = 0;
        final int offset = EspProcessor.MAX_HEADROOM;
        final int capacity = EspProcessor.MAX_PACKET_LENGTH;
        for (final RawEspReceiver receiver : rawReceivers)
        {
            for (int i = 0; i < burst; i++)
            {
                final int n = receiver.receive(packet, offset, capacity);
                if (n == CarrierStatus.NONE)
                {
                    break;
                }
                work++;
                onReceived(n);
            }
        }
        for (final UdpEncapCarrier carrier : udpCarriers)
        {
            for (int i = 0; i < burst; i++)
            {
                final int n = carrier.receive(packet, offset, capacity);
                if (n == CarrierStatus.NONE)
                {
                    break;
                }
                work++;
                onReceived(n);
            }
        }
        // nothing waits for more traffic: a train ends with the batch
        tunWriter.flush();
        return work;
    }

    private static int write(final int fd, final long address, final int length)
    {
        final long n = LibC.write(fd, address, length);
        return n >= 0 ? (int)n : -LibC.errno();
    }

    private void onReceived(final int n)
    {
        daemonCounters.increment(DaemonCounters.Counter.TunCarrierPacketsRead);
        if (n < 0)
        {
            countCarrierStatus(n);
            return;
        }
        final int verdict = processor.inbound(packet, EspProcessor.MAX_HEADROOM, n);
        if (verdict == EspVerdict.DELIVER)
        {
            tunWriter.offer(packet, processor.resultOffset(), processor.resultLength());
        }
        else if (verdict == EspVerdict.PASS)
        {
            // not ESP: the kernel already has its own copy; writing it into the TUN would deliver it twice
            daemonCounters.increment(DaemonCounters.Counter.TunCarrierPlaintext);
        }
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
                counters.increment(XfrmCounter.Esp4jCarrierIoError);
                break;
        }
    }
}
