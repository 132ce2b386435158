package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.SockAddr;
import org.esp4j.tun.jna.SocketMessage;
import org.esp4j.tun.jna.Sockets;

import java.io.IOException;
import java.nio.ByteOrder;

/**
 * Receives ESP (IP protocol 50) addressed to this host through a raw socket ({@code SOCK_RAW, IPPROTO_ESP}).
 * The kernel has no ESP handler, so it hands the packets to this socket and sends no ICMP error.
 * <p>
 * What {@link #receive} hands on is always a whole IP packet, as {@code EspProcessor.inbound} takes it:
 * <ul>
 *   <li>IPv4: the kernel delivers the IP header (reassembled if fragmented): copied as is.</li>
 *   <li>IPv6: the kernel delivers what follows the IPv6 header (and its extension headers). The header is rebuilt:
 *   source from the recvmsg address, destination from {@code IPV6_PKTINFO}, hop limit from {@code IPV6_HOPLIMIT},
 *   traffic class from {@code IPV6_TCLASS}, flow label 0, next header 50 (extension headers are not rebuilt).</li>
 * </ul>
 * One instance per receiving thread.
 */
public final class RawEspReceiver implements AutoCloseable
{
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private final int family;
    private final int protocol;
    private final int fd;
    private final NativeArea receive;
    private final SocketMessage message = new SocketMessage();

    /**
     * @param family   {@link LibC#AF_INET} or {@link LibC#AF_INET6}.
     * @param capacity largest packet accepted (bigger ones are dropped as {@link CarrierStatus#TRUNCATED}).
     */
    public RawEspReceiver(final int family, final int capacity) throws IOException
    {
        this(family, LibC.IPPROTO_ESP, capacity);
    }

    /**
     * A receiver of another IP protocol: the kernel gives a raw socket a copy of every packet of its protocol
     * addressed to the host (used to watch SIP over UDP and TCP for the SIP bridge).
     *
     * @param family   {@link LibC#AF_INET} or {@link LibC#AF_INET6}.
     * @param protocol IP protocol number.
     * @param capacity largest packet accepted.
     */
    public RawEspReceiver(final int family, final int protocol, final int capacity) throws IOException
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
        receive = new NativeArea(capacity);
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
        final int headerLength = family == LibC.AF_INET6 ? IpHeaders.IPV6_HEADER_LENGTH : 0;
        final int room = Math.min(receive.capacity(), capacity - headerLength);
        message.prepareReceive(receive.address(0), room);
        final long n = LibC.recvmsg(fd, message.address(), LibC.MSG_DONTWAIT);
        if (n < 0)
        {
            final int errno = LibC.errno();
            return errno == LibC.EAGAIN || errno == LibC.EINTR ? CarrierStatus.NONE : -errno;
        }
        if ((message.flags() & LibC.MSG_TRUNC) != 0 || n > room)
        {
            return CarrierStatus.TRUNCATED;
        }
        final int length = (int)n;
        if (family == LibC.AF_INET)
        {
            if (length < IpHeaders.IPV4_HEADER_LENGTH || IpHeaders.version(receive.buffer(), 0) != 4)
            {
                return CarrierStatus.MALFORMED;
            }
            buffer.putBytes(offset, receive.buffer(), 0, length);
            return length;
        }

        final UnsafeBuffer control = message.buffer();
        final int pktinfo = message.findControl(LibC.IPPROTO_IPV6, LibC.IPV6_PKTINFO);
        if (pktinfo < 0)
        {
            return CarrierStatus.NO_PKTINFO;
        }
        final int hopLimitData = message.findControl(LibC.IPPROTO_IPV6, LibC.IPV6_HOPLIMIT);
        final int tclassData = message.findControl(LibC.IPPROTO_IPV6, LibC.IPV6_TCLASS);
        final int hopLimit = hopLimitData < 0 ? 64 : control.getInt(hopLimitData, NATIVE);
        final int tclass = tclassData < 0 ? 0 : control.getInt(tclassData, NATIVE);
        IpHeaders.putIpv6Header(buffer, offset, tclass, length, protocol, hopLimit);
        buffer.putBytes(offset + IpHeaders.IPV6_SOURCE_OFFSET, control,
            SocketMessage.NAME_OFFSET + SockAddr.IN6_ADDR_OFFSET, 16);
        buffer.putBytes(offset + IpHeaders.IPV6_DESTINATION_OFFSET, control,
            pktinfo + SocketMessage.IN6_PKTINFO_ADDR_OFFSET, 16);
        buffer.putBytes(offset + IpHeaders.IPV6_HEADER_LENGTH, receive.buffer(), 0, length);
        return IpHeaders.IPV6_HEADER_LENGTH + length;
    }

    public void close()
    {
        Sockets.closeQuietly(fd);
    }
}
