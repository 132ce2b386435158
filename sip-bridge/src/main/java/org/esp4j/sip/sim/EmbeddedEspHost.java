package org.esp4j.sip.sim;

import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.counters.XfrmCounters;
import org.esp4j.core.esp.EspProcessor;
import org.esp4j.core.esp.EspVerdict;
import org.esp4j.core.ip.IpProtocol;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.core.ip.UdpHeader;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.core.spd.SecurityPolicyDatabase;
import org.esp4j.sip.SipBridge;
import org.esp4j.sip.aka.AkaAlgorithm;
import org.esp4j.sip.espcore.EspCoreSaSink;
import org.esp4j.sip.ip.IpPacket;
import org.esp4j.sip.lifecycle.LifecycleConfig;
import org.esp4j.sip.lifecycle.Role;
import org.esp4j.sip.message.SipMessage;
import org.esp4j.sip.message.SipMessageParser;
import org.esp4j.sip.message.SipParseException;
import org.esp4j.sip.message.Transport;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.function.Consumer;

/**
 * A simulated host with esp4j embedded and no kernel access: the worked example of embedding esp-core and the SIP
 * bridge in a simulator. It is a {@link SimTransport} for one simulator: each SIP message is built into an IP packet
 * in userspace (IPv6 or IPv4, UDP, with the simulator's own addresses and ports) and passed to
 * {@link EspProcessor#outbound}: protected as RFC 3948 ESP-in-UDP where a policy says so, left clear where none does,
 * dropped and counted where a policy has no SA. The packet then crosses the host's link, a loopback UDP socket to
 * the peer host's, one IP packet per datagram, and the host's {@link SipBridge} sees the message (it installs SAs and
 * policies into the host's SAD and SPD from the REGISTER exchange, as the daemon's bridge does). On arrival
 * {@link EspProcessor#inbound} checks and decapsulates ESP (or checks a clear packet against the in-policies), the
 * bridge sees the plaintext SIP, and the simulator gets it.
 * <p>
 * SIP goes over UDP only: TCP would need a TCP stack in userspace. Packets the processor drops are counted in the
 * host's {@link XfrmCounters} (named as /proc/net/xfrm_stat) and never reach the simulator. One thread drives a host.
 */
public final class EmbeddedEspHost implements SimTransport, AutoCloseable
{
    private static final int BUFFER_BYTES = EspProcessor.MAX_HEADROOM + 65_535 + EspProcessor.MAX_TAILROOM;
    private static final int HOP_LIMIT = 64;

    /** Receives the host's delivered SIP. */
    public interface Receiver
    {
        /**
         * @param flow    where it arrived (the simulator's addresses and ports).
         * @param message the message.
         * @throws IOException when the simulator's answer cannot be sent.
         */
        void onMessage(SimFlow flow, SipMessage message) throws IOException;
    }

    private final String name;
    private final InetAddress address;
    private final XfrmCounters counters = XfrmCounters.inMemory();
    private final SecurityAssociationDatabase sad;
    private final SecurityPolicyDatabase spd = new SecurityPolicyDatabase();
    private final EspProcessor processor;
    private final SipBridge bridge;
    private final DatagramChannel link;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[BUFFER_BYTES]);
    private final ByteBuffer datagram = ByteBuffer.allocate(65_535);
    private final Consumer<byte[]> wire;
    private InetSocketAddress peerLink;
    private int ipv4Id;

    /**
     * @param name    for notes, e.g. {@code UE}.
     * @param address the host's (simulated) IP address.
     * @param role    the SIP bridge's role.
     * @param aka     the subscriber's AKA algorithm, for the bridge to derive IK/CK.
     * @param wire    sees every packet as it leaves the host (for a capture), may be null.
     * @throws IOException when the loopback link cannot be opened.
     */
    public EmbeddedEspHost(
        final String name, final InetAddress address, final Role role, final AkaAlgorithm aka, final Consumer<byte[]> wire)
        throws IOException
    {
        this.name = name;
        this.address = address;
        this.wire = wire;
        this.sad = new SecurityAssociationDatabase(counters, SystemNanoClock.INSTANCE, null);
        this.processor = new EspProcessor(sad, spd, counters, SystemNanoClock.INSTANCE);
        this.bridge = new SipBridge(LifecycleConfig.builder(role).akaAlgorithm(aka).passive(role == Role.PCSCF).build(),
            new EspCoreSaSink(sad, spd, 1000, UdpHeader.ESP_IN_UDP_PORT), event -> { });
        this.link = DatagramChannel.open();
        link.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        link.configureBlocking(false);
    }

    /**
     * @return the loopback address of this host's link.
     * @throws IOException when it cannot be read.
     */
    public InetSocketAddress linkAddress() throws IOException
    {
        return (InetSocketAddress)link.getLocalAddress();
    }

    /**
     * @param peer the other host's link.
     */
    public void connect(final InetSocketAddress peer)
    {
        this.peerLink = peer;
    }

    /**
     * @return the host's SAD (SAs the bridge installed).
     */
    public SecurityAssociationDatabase sad()
    {
        return sad;
    }

    /**
     * @return the host's counters.
     */
    public XfrmCounters counters()
    {
        return counters;
    }

    /**
     * @return the host's link channel, for a selector.
     */
    public DatagramChannel link()
    {
        return link;
    }

    public SimFlow send(final SimFlow flow, final byte[] message) throws IOException
    {
        if (flow.transport() != Transport.UDP)
        {
            throw new IOException(name + ": SIP over TCP needs a TCP stack; the embedded host carries SIP over UDP");
        }
        final int offset = EspProcessor.MAX_HEADROOM;
        final int length = udpPacket(flow, message, offset);
        final int verdict = processor.outbound(buffer, offset, length);
        if (verdict == EspVerdict.DELIVER)
        {
            transmit(processor.resultOffset(), processor.resultLength());
        }
        else if (verdict == EspVerdict.PASS)
        {
            transmit(offset, length);
        }
        // DROP: counted by the processor (processor.dropReason()); never sent in clear.
        // The bridge sees a sent message once it has gone (SipBridge): the 200 OK to a de-REGISTER leaves over the
        // SAs it then removes.
        bridge.onMessage(Transport.UDP, flow.local().getAddress(), flow.local().getPort(), flow.remote().getAddress(),
            flow.remote().getPort(), message, 0, message.length);
        return flow;
    }

    /**
     * Deliver what the link received.
     *
     * @param receiver the simulator.
     * @return packets read.
     * @throws IOException when the link fails.
     */
    public int poll(final Receiver receiver) throws IOException
    {
        int packets = 0;
        while (true)
        {
            datagram.clear();
            if (link.receive(datagram) == null)
            {
                return packets;
            }
            packets++;
            final int offset = EspProcessor.MAX_HEADROOM;
            final int length = datagram.position();
            buffer.putBytes(offset, datagram.array(), 0, length);
            final int verdict = processor.inbound(buffer, offset, length);
            final int at = verdict == EspVerdict.DELIVER ? processor.resultOffset() : offset;
            final int size = verdict == EspVerdict.DELIVER ? processor.resultLength() : length;
            if (verdict != EspVerdict.DELIVER && verdict != EspVerdict.PASS)
            {
                continue; // counted by the processor against its drop reason
            }
            final byte[] bytes = new byte[size];
            buffer.getBytes(at, bytes);
            final IpPacket ip;
            try
            {
                ip = IpPacket.parse(bytes, 0, size);
            }
            catch (final RuntimeException ex)
            {
                continue;
            }
            if (ip == null || ip.isTcp())
            {
                continue;
            }
            bridge.onMessage(Transport.UDP, ip.src(), ip.srcPort(), ip.dst(), ip.dstPort(), bytes, ip.payloadOffset(),
                ip.payloadLength());
            final SipMessage message;
            try
            {
                message = SipMessageParser.parse(bytes, ip.payloadOffset(), ip.payloadLength());
            }
            catch (final SipParseException ex)
            {
                continue;
            }
            receiver.onMessage(new SimFlow(Transport.UDP, new InetSocketAddress(ip.dst(), ip.dstPort()),
                new InetSocketAddress(ip.src(), ip.srcPort())), message);
        }
    }

    private void transmit(final int offset, final int length) throws IOException
    {
        final byte[] packet = new byte[length];
        buffer.getBytes(offset, packet);
        if (wire != null)
        {
            wire.accept(packet);
        }
        link.send(ByteBuffer.wrap(packet), peerLink);
    }

    /** IP and UDP headers in front of the message, in the buffer at offset; @return the packet length. */
    private int udpPacket(final SimFlow flow, final byte[] message, final int offset)
    {
        final boolean ipv4 = address instanceof Inet4Address;
        final int ipLength = ipv4 ? Ipv4Header.MIN_LENGTH : Ipv6Header.LENGTH;
        final int udpLength = UdpHeader.LENGTH + message.length;
        final int udp = offset + ipLength;
        buffer.putBytes(udp + UdpHeader.LENGTH, message);
        UdpHeader.write(buffer, udp, flow.local().getPort(), flow.remote().getPort(), udpLength);
        final byte[] src = flow.local().getAddress().getAddress();
        final byte[] dst = flow.remote().getAddress().getAddress();
        if (ipv4)
        {
            Ipv4Header.write(buffer, offset, 0, ipLength + udpLength, IpProtocol.UDP, HOP_LIMIT);
            Ipv4Header.identification(buffer, offset, ipv4Id++);
            Ipv4Header.flagsAndFragmentOffset(buffer, offset, Ipv4Header.DONT_FRAGMENT);
            buffer.putBytes(offset + Ipv4Header.SOURCE_OFFSET, src);
            buffer.putBytes(offset + Ipv4Header.DESTINATION_OFFSET, dst);
            Ipv4Header.updateChecksum(buffer, offset);
            // RFC 768: UDP over IPv4 may go without a checksum (zero), which UdpHeader.write left
        }
        else
        {
            Ipv6Header.write(buffer, offset, 0, udpLength, IpProtocol.UDP, HOP_LIMIT);
            buffer.putBytes(offset + Ipv6Header.SOURCE_OFFSET, src);
            buffer.putBytes(offset + Ipv6Header.DESTINATION_OFFSET, dst);
            UdpHeader.updateIpv6Checksum(buffer, offset, udp, udpLength);
        }
        return ipLength + udpLength;
    }

    public void close() throws IOException
    {
        link.close();
    }
}
