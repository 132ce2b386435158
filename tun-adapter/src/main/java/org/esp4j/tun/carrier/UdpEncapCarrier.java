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
 * RFC 3948 ESP-in-UDP through an ordinary UDP socket bound to the encapsulation port (4500 by default) of one
 * address family, carrying the daemon's {@code SO_MARK}. The kernel handles the UDP layer (checksums, ICMP); the
 * socket has no {@code UDP_ENCAP} option, so the kernel hands every datagram to the daemon.
 * <p>
 * Receive: a NAT-keepalive (one 0xFF byte) is consumed ({@link CarrierStatus#NAT_KEEPALIVE}); a datagram starting
 * with the 4-byte non-ESP marker (IKE) is dropped ({@link CarrierStatus#NON_ESP_MARKER}: no IKE in this daemon);
 * anything else is handed on as a whole IP packet, {@code IP header + UDP header + ESP}, the IP and UDP headers
 * rebuilt from the recvmsg address (source address and port), {@code IPV6_PKTINFO}/{@code IP_PKTINFO} (destination
 * address), {@link #ESP_IN_UDP_PORT} (destination port, whatever port is bound, since that is how
 * {@code EspProcessor.inbound} recognises ESP-in-UDP), hop limit/TTL and traffic class/TOS from the control messages. The
 * rebuilt UDP checksum is 0 (the kernel checked the real one).
 * <p>
 * Send: takes what {@code EspProcessor.outbound} built for an ESP_IN_UDP SA ({@code IP + UDP + ESP}) and sends the
 * part after the UDP header to the IP destination address and UDP destination port, from the IP source address
 * ({@code IPV6_PKTINFO}/{@code IP_PKTINFO}) and the bound port.
 * <p>
 * One instance is shared by the inbound agent (receive) and the outbound agent (send): each direction uses its own
 * native areas, and the socket itself is thread-safe.
 */
public final class UdpEncapCarrier implements AutoCloseable
{
    public static final int DEFAULT_PORT = 4500;
    /** Destination port written into rebuilt UDP headers: RFC 3948's port, which the processor recognises. */
    public static final int ESP_IN_UDP_PORT = 4500;
    public static final int NON_ESP_MARKER_LENGTH = 4;
    public static final byte NAT_KEEPALIVE_BYTE = (byte)0xFF;

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private final int family;
    private final int port;
    private final int fd;
    private final NativeArea receive;
    private final NativeArea transmit;
    private final SocketMessage receiveMessage = new SocketMessage();
    private final SocketMessage sendMessage = new SocketMessage();

    public UdpEncapCarrier(final int family, final int port, final int mark, final int capacity) throws IOException
    {
        this.family = family;
        this.port = port;
        fd = Sockets.socket(family, LibC.SOCK_DGRAM, LibC.IPPROTO_UDP);
        try
        {
            if (mark != 0)
            {
                Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, mark);
            }
            Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, 4 * 1024 * 1024);
            Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, 4 * 1024 * 1024);
            if (family == LibC.AF_INET6)
            {
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVPKTINFO, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVHOPLIMIT, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_RECVTCLASS, 1);
            }
            else
            {
                Sockets.setInt(fd, LibC.IPPROTO_IP, LibC.IP_PKTINFO, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IP, LibC.IP_RECVTTL, 1);
                Sockets.setInt(fd, LibC.IPPROTO_IP, LibC.IP_RECVTOS, 1);
                // DF clear: the kernel fragments ESP-in-UDP bigger than the path (RFC 3948 leaves it to IP)
                Sockets.setInt(fd, LibC.IPPROTO_IP, LibC.IP_MTU_DISCOVER, LibC.IP_PMTUDISC_DONT);
            }
            Sockets.bind(fd, family, null, port);
        }
        catch (final IOException ex)
        {
            Sockets.closeQuietly(fd);
            throw ex;
        }
        receive = new NativeArea(capacity);
        transmit = new NativeArea(capacity);
    }

    public int family()
    {
        return family;
    }

    public int port()
    {
        return port;
    }

    public int fd()
    {
        return fd;
    }

    /**
     * Receive one datagram and write it as a whole {@code IP + UDP + payload} packet at {@code buffer[offset]}.
     *
     * @return its length, {@link CarrierStatus#NONE}, a {@link CarrierStatus} code or {@code -errno}.
     */
    public int receive(final UnsafeBuffer buffer, final int offset, final int capacity)
    {
        final int ipHeaderLength = family == LibC.AF_INET6 ? IpHeaders.IPV6_HEADER_LENGTH : IpHeaders.IPV4_HEADER_LENGTH;
        final int headersLength = ipHeaderLength + IpHeaders.UDP_HEADER_LENGTH;
        final int room = Math.min(receive.capacity(), Math.min(capacity, 65535) - headersLength);
        receiveMessage.prepareReceive(receive.address(0), room);
        final long n = LibC.recvmsg(fd, receiveMessage.address(), LibC.MSG_DONTWAIT);
        if (n < 0)
        {
            final int errno = LibC.errno();
            return errno == LibC.EAGAIN || errno == LibC.EINTR ? CarrierStatus.NONE : -errno;
        }
        if ((receiveMessage.flags() & LibC.MSG_TRUNC) != 0 || n > room)
        {
            return CarrierStatus.TRUNCATED;
        }
        final int length = (int)n;
        final UnsafeBuffer data = receive.buffer();
        if (length == 1 && data.getByte(0) == NAT_KEEPALIVE_BYTE)
        {
            return CarrierStatus.NAT_KEEPALIVE;
        }
        if (length >= NON_ESP_MARKER_LENGTH && data.getInt(0) == 0)
        {
            return CarrierStatus.NON_ESP_MARKER;
        }

        final UnsafeBuffer control = receiveMessage.buffer();
        final int udp = offset + ipHeaderLength;
        if (family == LibC.AF_INET6)
        {
            final int pktinfo = receiveMessage.findControl(LibC.IPPROTO_IPV6, LibC.IPV6_PKTINFO);
            if (pktinfo < 0)
            {
                return CarrierStatus.NO_PKTINFO;
            }
            final int hopLimitData = receiveMessage.findControl(LibC.IPPROTO_IPV6, LibC.IPV6_HOPLIMIT);
            final int tclassData = receiveMessage.findControl(LibC.IPPROTO_IPV6, LibC.IPV6_TCLASS);
            IpHeaders.putIpv6Header(buffer, offset, tclassData < 0 ? 0 : control.getInt(tclassData, NATIVE),
                IpHeaders.UDP_HEADER_LENGTH + length, LibC.IPPROTO_UDP,
                hopLimitData < 0 ? 64 : control.getInt(hopLimitData, NATIVE));
            buffer.putBytes(offset + IpHeaders.IPV6_SOURCE_OFFSET, control,
                SocketMessage.NAME_OFFSET + SockAddr.IN6_ADDR_OFFSET, 16);
            buffer.putBytes(offset + IpHeaders.IPV6_DESTINATION_OFFSET, control,
                pktinfo + SocketMessage.IN6_PKTINFO_ADDR_OFFSET, 16);
        }
        else
        {
            final int pktinfo = receiveMessage.findControl(LibC.IPPROTO_IP, LibC.IP_PKTINFO);
            if (pktinfo < 0)
            {
                return CarrierStatus.NO_PKTINFO;
            }
            final int ttlData = receiveMessage.findControl(LibC.IPPROTO_IP, LibC.IP_TTL);
            final int tosData = receiveMessage.findControl(LibC.IPPROTO_IP, LibC.IP_TOS);
            IpHeaders.putIpv4Header(buffer, offset, tosData < 0 ? 0 : control.getByte(tosData),
                headersLength + length, LibC.IPPROTO_UDP, ttlData < 0 ? 64 : control.getInt(ttlData, NATIVE));
            buffer.putBytes(offset + IpHeaders.IPV4_SOURCE_OFFSET, control,
                SocketMessage.NAME_OFFSET + SockAddr.IN_ADDR_OFFSET, 4);
            buffer.putBytes(offset + IpHeaders.IPV4_DESTINATION_OFFSET, control,
                pktinfo + SocketMessage.IN_PKTINFO_ADDR_OFFSET, 4);
            IpHeaders.putIpv4Checksum(buffer, offset);
        }
        buffer.putShort(udp + IpHeaders.UDP_SOURCE_PORT_OFFSET,
            (short)SockAddr.port(control, SocketMessage.NAME_OFFSET), ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + IpHeaders.UDP_DESTINATION_PORT_OFFSET, (short)ESP_IN_UDP_PORT, ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + IpHeaders.UDP_LENGTH_OFFSET, (short)(IpHeaders.UDP_HEADER_LENGTH + length),
            ByteOrder.BIG_ENDIAN);
        buffer.putShort(udp + IpHeaders.UDP_CHECKSUM_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        buffer.putBytes(offset + headersLength, data, 0, length);
        return headersLength + length;
    }

    /**
     * Send the UDP payload of the {@code IP + UDP + ESP} packet at {@code buffer[offset, offset + length)}.
     *
     * @return the payload length sent, {@link CarrierStatus#UNSUITABLE} or {@code -errno}.
     */
    public int send(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final UnsafeBuffer control = sendMessage.buffer();
        final int ipHeaderLength;
        sendMessage.clearControl();
        if (family == LibC.AF_INET6)
        {
            ipHeaderLength = IpHeaders.IPV6_HEADER_LENGTH;
            if (length < ipHeaderLength + IpHeaders.UDP_HEADER_LENGTH || IpHeaders.version(buffer, offset) != 6 ||
                IpHeaders.ipv6NextHeader(buffer, offset) != LibC.IPPROTO_UDP)
            {
                return CarrierStatus.UNSUITABLE;
            }
            control.setMemory(SocketMessage.NAME_OFFSET, SockAddr.STORAGE_LENGTH, (byte)0);
            control.putShort(SocketMessage.NAME_OFFSET + SockAddr.FAMILY_OFFSET, (short)LibC.AF_INET6, NATIVE);
            control.putBytes(SocketMessage.NAME_OFFSET + SockAddr.IN6_ADDR_OFFSET, buffer,
                offset + IpHeaders.IPV6_DESTINATION_OFFSET, 16);
            final int pktinfo = sendMessage.addControl(
                LibC.IPPROTO_IPV6, LibC.IPV6_PKTINFO, SocketMessage.IN6_PKTINFO_LENGTH);
            control.putBytes(pktinfo + SocketMessage.IN6_PKTINFO_ADDR_OFFSET, buffer,
                offset + IpHeaders.IPV6_SOURCE_OFFSET, 16);
        }
        else
        {
            if (length < IpHeaders.IPV4_HEADER_LENGTH + IpHeaders.UDP_HEADER_LENGTH ||
                IpHeaders.version(buffer, offset) != 4 || IpHeaders.ipv4Protocol(buffer, offset) != LibC.IPPROTO_UDP)
            {
                return CarrierStatus.UNSUITABLE;
            }
            ipHeaderLength = IpHeaders.ipv4HeaderLength(buffer, offset);
            if (length < ipHeaderLength + IpHeaders.UDP_HEADER_LENGTH)
            {
                return CarrierStatus.UNSUITABLE;
            }
            control.setMemory(SocketMessage.NAME_OFFSET, SockAddr.STORAGE_LENGTH, (byte)0);
            control.putShort(SocketMessage.NAME_OFFSET + SockAddr.FAMILY_OFFSET, (short)LibC.AF_INET, NATIVE);
            control.putBytes(SocketMessage.NAME_OFFSET + SockAddr.IN_ADDR_OFFSET, buffer,
                offset + IpHeaders.IPV4_DESTINATION_OFFSET, 4);
            final int pktinfo = sendMessage.addControl(
                LibC.IPPROTO_IP, LibC.IP_PKTINFO, SocketMessage.IN_PKTINFO_LENGTH);
            control.putBytes(pktinfo + SocketMessage.IN_PKTINFO_SPEC_DST_OFFSET, buffer,
                offset + IpHeaders.IPV4_SOURCE_OFFSET, 4);
        }
        final int udp = offset + ipHeaderLength;
        control.putShort(SocketMessage.NAME_OFFSET + SockAddr.PORT_OFFSET,
            buffer.getShort(udp + IpHeaders.UDP_DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN), ByteOrder.BIG_ENDIAN);
        final int payloadLength = length - ipHeaderLength - IpHeaders.UDP_HEADER_LENGTH;
        if (payloadLength > transmit.capacity())
        {
            return CarrierStatus.UNSUITABLE;
        }
        transmit.buffer().putBytes(0, buffer, udp + IpHeaders.UDP_HEADER_LENGTH, payloadLength);
        sendMessage.prepareSend(transmit.address(0), payloadLength,
            family == LibC.AF_INET6 ? SockAddr.IN6_LENGTH : SockAddr.IN_LENGTH);
        final long n = LibC.sendmsg(fd, sendMessage.address(), 0);
        return n >= 0 ? (int)n : -LibC.errno();
    }

    public void close()
    {
        Sockets.closeQuietly(fd);
    }
}
