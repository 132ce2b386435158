package org.esp4j.tun.sip;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.tun.carrier.CarrierStatus;
import org.esp4j.tun.carrier.RawIpReceiver;
import org.esp4j.tun.jna.LibC;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Watches the SIP this host receives, for the {@link DaemonSipBridge}: raw UDP and TCP sockets (IPv4 and IPv6) get a
 * copy of every UDP and TCP packet delivered to the host, whether it arrived in plaintext (the first REGISTER's 401)
 * or was decapsulated by the daemon and written to the TUN. Outbound SIP is seen on the TUN by the outbound agent.
 * <p>
 * The sockets are the bridge's {@link DaemonSipBridge.InboundSource}: this agent's duty cycle takes what is queued, and
 * so does the outbound agent, synchronously, before the bridge looks at a message the host sends (the kernel queued
 * what that message answers here before the application could read it). Both take packets only under the bridge's
 * lock, so the sockets and the packet buffer are used by one thread at a time.
 * <p>
 * Only runs when the daemon is started with a SIP role: it costs a copy of every UDP/TCP packet.
 */
public final class SipSniffer implements Agent, AutoCloseable
{
    /**
     * Test hook, system property {@code esp4j.sip.sniffer.stalled=true}: this agent leaves its sockets alone (it only
     * expires SAs), as a sniffer thread that is never scheduled would, so that whatever the host receives reaches
     * the bridge only through the outbound path's drain. The end-to-end tests reproduce the race between a SIP
     * application and this thread that way every time.
     */
    static final boolean STALLED = Boolean.getBoolean("esp4j.sip.sniffer.stalled");
    private static final long STALLED_NAP_NS = 5_000_000L;
    private static final int BURST = 64;

    private final DaemonSipBridge bridge;
    private final List<RawIpReceiver> receivers = new ArrayList<>();
    private final UnsafeBuffer packet = new UnsafeBuffer(new byte[EspProcessor.MAX_PACKET_LENGTH]);
    private long lastPollNs = System.nanoTime();
    private SipBridgeCounters counters;
    private AtomicCounter receiveDropped;

    /**
     * @param bridge where SIP packets go; this sniffer becomes its inbound source.
     * @throws IOException if no raw socket can be opened (needs CAP_NET_RAW).
     */
    public SipSniffer(final DaemonSipBridge bridge) throws IOException
    {
        this.bridge = bridge;
        try
        {
            for (final int family : new int[]{ LibC.AF_INET6, LibC.AF_INET })
            {
                for (final int protocol : new int[]{ LibC.IPPROTO_UDP, LibC.IPPROTO_TCP })
                {
                    receivers.add(new RawIpReceiver(family, protocol, EspProcessor.MAX_PACKET_LENGTH));
                }
            }
        }
        catch (final IOException ex)
        {
            receivers.forEach(RawIpReceiver::close);
            throw ex;
        }
        bridge.inboundSource(this::receive);
    }

    /**
     * @param counters where the bridge's TCP reassembly and conflict figures are published each second; set before
     *                 the agent runs.
     */
    public void counters(final SipBridgeCounters counters)
    {
        this.counters = counters;
    }

    /**
     * @param receiveDropped counts what a socket returned that could not be handed on (truncated, malformed, without
     *                       packet info, a receive error): a loss the kernel's socket drop count does not show.
     */
    public void receiveDropped(final AtomicCounter receiveDropped)
    {
        this.receiveDropped = receiveDropped;
    }

    /** @return the sockets' descriptors, for a poll-based idle strategy. */
    public int[] fds()
    {
        return receivers.stream().mapToInt(RawIpReceiver::fd).toArray();
    }

    public int doWork()
    {
        final int work;
        if (STALLED)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(STALLED_NAP_NS); // its sockets stay readable: no spin
            work = 0;
        }
        else
        {
            work = bridge.drainReceived(BURST);
        }
        final long nowNs = System.nanoTime();
        if (nowNs - lastPollNs >= 1_000_000_000L)
        {
            lastPollNs = nowNs;
            bridge.poll();
            if (counters != null)
            {
                bridge.publish(counters);
            }
        }
        return work;
    }

    /** Hand up to {@code limit} queued packets per socket to the bridge; runs with the bridge's lock held. */
    private int receive(final int limit)
    {
        int work = 0;
        for (final RawIpReceiver receiver : receivers)
        {
            for (int i = 0; i < limit; i++)
            {
                final int n = receiver.receive(packet, 0, packet.capacity());
                if (n == CarrierStatus.NONE)
                {
                    break;
                }
                work++;
                if (n > 0)
                {
                    bridge.onReceived(packet.byteArray(), 0, n);
                }
                else if (receiveDropped != null)
                {
                    receiveDropped.increment();
                }
            }
        }
        return work;
    }

    public String roleName()
    {
        return "esp4j-sip-sniffer";
    }

    public void close()
    {
        bridge.inboundSource(null); // under the bridge's lock: no drain is running on the sockets closed next
        receivers.forEach(RawIpReceiver::close);
        receivers.clear();
    }
}
