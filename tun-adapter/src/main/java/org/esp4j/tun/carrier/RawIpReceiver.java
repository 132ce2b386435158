package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.MessageBatch;
import org.esp4j.tun.jna.SockAddr;
import org.esp4j.tun.jna.SocketMessage;
import org.esp4j.tun.jna.Sockets;

import java.io.IOException;
import java.nio.ByteOrder;

/**
 * Receives the packets of one IP protocol addressed to this host through a raw socket ({@code SOCK_RAW}): ESP
 * ({@code IPPROTO_ESP}, the raw carrier's receiver) or UDP and TCP (copies for the SIP bridge's {@code SipSniffer}).
 * For ESP the kernel has no handler, so it hands the packets to this socket and sends no ICMP error.
 * <p>
 * What {@link #receive} hands on is always a whole IP packet, as {@code EspProcessor.inbound} takes it:
 * <ul>
 *   <li>IPv4: the kernel delivers the IP header (reassembled if fragmented): copied as is.</li>
 *   <li>IPv6: the kernel delivers what follows the IPv6 header (and its extension headers). The header is rebuilt:
 *   source from the recvmsg address, destination from {@code IPV6_PKTINFO}, hop limit from {@code IPV6_HOPLIMIT},
 *   traffic class from {@code IPV6_TCLASS}, flow label 0, next header the socket's protocol (extension headers are
 *   not rebuilt).</li>
 * </ul>
 * Packets are taken from the socket up to {@code batchSize} per {@code recvmmsg(2)} and handed out one per
 * {@link #receive} call.
 * <p>
 * One instance per receiving thread.
 */
public final class RawIpReceiver implements CarrierReceiver, AutoCloseable
{
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Packets per recvmmsg for ESP. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    private final int family;
    private final int protocol;
    private final int fd;
    private final MessageBatch batch;
    private int received;
    private int next;

    /**
     * @param family   {@link LibC#AF_INET} or {@link LibC#AF_INET6}.
     * @param capacity largest packet accepted (bigger ones are dropped as {@link CarrierStatus#TRUNCATED}).
     */
    public RawIpReceiver(final int family, final int capacity) throws IOException
    {
        this(family, LibC.IPPROTO_ESP, capacity, DEFAULT_BATCH_SIZE);
    }

    /**
     * A receiver of another IP protocol: the kernel gives a raw socket a copy of every packet of its protocol
     * addressed to the host (used to watch SIP over UDP and TCP for the SIP bridge).
     *
     * @param family   {@link LibC#AF_INET} or {@link LibC#AF_INET6}.
     * @param protocol IP protocol number.
     * @param capacity largest packet accepted.
     */
    public RawIpReceiver(final int family, final int protocol, final int capacity) throws IOException
    {
        this(family, protocol, capacity, 1);
    }

    /**
     * @param family    {@link LibC#AF_INET} or {@link LibC#AF_INET6}.
     * @param protocol  IP protocol number.
     * @param capacity  largest packet accepted.
     * @param batchSize packets per recvmmsg (each with a slot of {@code capacity} bytes).
     */
    public RawIpReceiver(final int family, final int protocol, final int capacity, final int batchSize)
        throws IOException
    {
        this.family = family;
        this.protocol = protocol;
        fd = Sockets.socket(family, LibC.SOCK_RAW, protocol);
        try
        {
            Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, 4 * 1024 * 1024);
            if (family == LibC.AF_INET6)
            {
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVPKTINFO, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVHOPLIMIT, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVTCLASS, 1);
            }
        }
        catch (final IOException ex)
        {
            Sockets.closeQuietly(fd);
            throw ex;
        }
        batch = new MessageBatch(batchSize, capacity, family == LibC.AF_INET6 ? SocketMessage.CONTROL_CAPACITY : 0);
        for (int i = 0; i < batchSize; i++)
        {
            batch.prepareReceive(i);
        }
    }

    public int family()
    {
        return family;
    }

    public int fd()
    {
        return fd;
    }

    /**
     * Receive one packet and write it, as a whole IP packet, at {@code buffer[offset]}.
     *
     * @return its length, {@link CarrierStatus#NONE}, a {@link CarrierStatus} code or {@code -errno}.
     */
    public int receive(final UnsafeBuffer buffer, final int offset, final int capacity)
    {
        if (next == received)
        {
            for (int i = 0; i < received; i++)
            {
                batch.prepareReceive(i);
            }
            next = 0;
            received = 0;
            final int n = LibC.recvmmsg(fd, batch.address(), batch.count(), LibC.MSG_DONTWAIT, 0L);
            if (n <= 0)
            {
                final int errno = n == 0 ? LibC.EAGAIN : LibC.errno();
                return errno == LibC.EAGAIN || errno == LibC.EINTR ? CarrierStatus.NONE : -errno;
            }
            received = n;
        }
        return unpack(next++, buffer, offset, capacity);
    }

    private int unpack(final int index, final UnsafeBuffer buffer, final int offset, final int capacity)
    {
        final UnsafeBuffer area = batch.buffer();
        final int data = batch.dataOffset(index);
        final int length = batch.length(index);
        final int headerLength = family == LibC.AF_INET6 ? Ipv6Header.LENGTH : 0;
        if ((batch.flags(index) & LibC.MSG_TRUNC) != 0 || length > batch.slotCapacity() ||
            length > capacity - headerLength)
        {
            return CarrierStatus.TRUNCATED;
        }
        if (family == LibC.AF_INET)
        {
            if (length < Ipv4Header.MIN_LENGTH || Ipv4Header.version(area, data) != Ipv4Header.VERSION)
            {
                return CarrierStatus.MALFORMED;
            }
            buffer.putBytes(offset, area, data, length);
            return length;
        }

        final int pktinfo = batch.findControl(index, LibC.IPPROTO_IPV6, LibC.IPV6_PKTINFO);
        if (pktinfo < 0)
        {
            return CarrierStatus.NO_PKTINFO;
        }
        final int hopLimitData = batch.findControl(index, LibC.IPPROTO_IPV6, LibC.IPV6_HOPLIMIT);
        final int tclassData = batch.findControl(index, LibC.IPPROTO_IPV6, LibC.IPV6_TCLASS);
        final int hopLimit = hopLimitData < 0 ? 64 : area.getInt(hopLimitData, NATIVE);
        final int tclass = tclassData < 0 ? 0 : area.getInt(tclassData, NATIVE);
        Ipv6Header.write(buffer, offset, tclass, length, protocol, hopLimit);
        buffer.putBytes(offset + Ipv6Header.SOURCE_OFFSET, area, batch.nameOffset(index) + SockAddr.IN6_ADDR_OFFSET,
            16);
        buffer.putBytes(offset + Ipv6Header.DESTINATION_OFFSET, area,
            pktinfo + SocketMessage.IN6_PKTINFO_ADDR_OFFSET, 16);
        buffer.putBytes(offset + Ipv6Header.LENGTH, area, data, length);
        return Ipv6Header.LENGTH + length;
    }

    public void close()
    {
        Sockets.closeQuietly(fd);
    }
}
