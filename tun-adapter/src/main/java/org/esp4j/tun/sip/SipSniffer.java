package org.esp4j.tun.sip;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.tun.carrier.CarrierStatus;
import org.esp4j.tun.carrier.RawEspReceiver;
import org.esp4j.tun.jna.LibC;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Watches the SIP this host receives, for the {@link TunSipBridge}: raw UDP and TCP sockets (IPv4 and IPv6) get a
 * copy of every UDP and TCP packet delivered to the host, whether it arrived in plaintext (the first REGISTER's 401)
 * or was decapsulated by the daemon and written to the TUN. Outbound SIP is seen on the TUN by the outbound agent.
 * <p>
 * Only runs when the daemon is started with a SIP role: it costs a copy of every UDP/TCP packet.
 */
public final class SipSniffer implements Agent, AutoCloseable
{
    private static final int BURST = 64;

    private final TunSipBridge bridge;
    private final List<RawEspReceiver> receivers = new ArrayList<>();
    private final UnsafeBuffer packet = new UnsafeBuffer(new byte[EspProcessor.MAX_PACKET_LENGTH]);
    private long lastPollNs = System.nanoTime();

    /**
     * @param bridge where SIP packets go.
     * @throws IOException if no raw socket can be opened (needs CAP_NET_RAW).
     */
    public SipSniffer(final TunSipBridge bridge) throws IOException
    {
        this.bridge = bridge;
        for (final int family : new int[]{ LibC.AF_INET6, LibC.AF_INET })
        {
            for (final int protocol : new int[]{ LibC.IPPROTO_UDP, LibC.IPPROTO_TCP })
            {
                receivers.add(new RawEspReceiver(family, protocol, EspProcessor.MAX_PACKET_LENGTH));
            }
        }
    }

    /** @return the sockets' descriptors, for a poll-based idle strategy. */
    public int[] fds()
    {
        return receivers.stream().mapToInt(RawEspReceiver::fd).toArray();
    }

    public int doWork()
    {
        int work = 0;
        for (final RawEspReceiver receiver : receivers)
        {
            for (int i = 0; i < BURST; i++)
            {
                final int n = receiver.receive(packet, 0, packet.capacity());
                if (n == CarrierStatus.NONE)
                {
                    break;
                }
                work++;
                if (n > 0)
                {
                    bridge.onPlaintext(packet.byteArray(), 0, n);
                }
            }
        }
        final long nowNs = System.nanoTime();
        if (nowNs - lastPollNs >= 1_000_000_000L)
        {
            lastPollNs = nowNs;
            bridge.poll();
        }
        return work;
    }

    public String roleName()
    {
        return "esp4j-sip-sniffer";
    }

    public void close()
    {
        receivers.forEach(RawEspReceiver::close);
        receivers.clear();
    }
}
