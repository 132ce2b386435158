package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.SockAddr;
import org.esp4j.tun.jna.Sockets;

import java.io.IOException;
import java.nio.ByteOrder;

/**
 * Sends whole IP packets, header included, through a raw {@code IPPROTO_RAW} socket (header-include mode: IPv4
 * {@code IP_HDRINCL}, IPv6 {@code IPV6_HDRINCL}, both implied by {@code IPPROTO_RAW}) carrying the daemon's
 * {@code SO_MARK}, so the policy-routing rule sends them to the main table and not back into the TUN.
 * <p>
 * The raw carrier sends ESP this way: the bytes on the wire are exactly what {@code EspProcessor} built (the kernel
 * only fills the IPv4 id when zero and the IPv4 header checksum). Bypass packets from the TUN leave unchanged the same
 * way, whatever their protocol. The kernel does not fragment header-included packets: a packet bigger than the route's
 * MTU fails with EMSGSIZE (the agents avoid that by checking {@link #mtu()} first).
 * <p>
 * One instance per sending thread (it owns a native transmit area).
 */
public final class RawIpSender implements AutoCloseable
{
    private final int family;
    private final int fd;
    private final NativeArea transmit;
    private final NativeArea name = new NativeArea(SockAddr.STORAGE_LENGTH);
    private final int mtu;

    /**
     * @param family   {@link LibC#AF_INET} or {@link LibC#AF_INET6}.
     * @param mark     SO_MARK of the socket (0: none).
     * @param capacity largest packet.
     * @param mtu      largest packet the path takes (for the agents' checks).
     */
    public RawIpSender(final int family, final int mark, final int capacity, final int mtu) throws IOException
    {
        this.family = family;
        this.mtu = mtu;
        fd = Sockets.socket(family, LibC.SOCK_RAW, LibC.IPPROTO_RAW);
        try
        {
            if (mark != 0)
            {
                Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, mark);
            }
            Sockets.setInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, 4 * 1024 * 1024);
        }
        catch (final IOException ex)
        {
            Sockets.closeQuietly(fd);
            throw ex;
        }
        transmit = new NativeArea(capacity);
        name.buffer().putShort(SockAddr.FAMILY_OFFSET, (short)family, ByteOrder.nativeOrder());
    }

    public int family()
    {
        return family;
    }

    public int fd()
    {
        return fd;
    }

    public int mtu()
    {
        return mtu;
    }

    /**
     * Send the IP packet at {@code buffer[offset, offset + length)} (one copy into the native transmit area).
     *
     * @return length sent, {@link CarrierStatus#UNSUITABLE} or {@code -errno}.
     */
    public int send(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final int nameLength;
        if (family == LibC.AF_INET6)
        {
            if (length < IpHeaders.IPV6_HEADER_LENGTH || length > transmit.capacity() ||
                IpHeaders.version(buffer, offset) != 6)
            {
                return CarrierStatus.UNSUITABLE;
            }
            name.buffer().putBytes(SockAddr.IN6_ADDR_OFFSET, buffer, offset + IpHeaders.IPV6_DESTINATION_OFFSET, 16);
            nameLength = SockAddr.IN6_LENGTH;
        }
        else
        {
            if (length < IpHeaders.IPV4_HEADER_LENGTH || length > transmit.capacity() ||
                IpHeaders.version(buffer, offset) != 4)
            {
                return CarrierStatus.UNSUITABLE;
            }
            name.buffer().putBytes(SockAddr.IN_ADDR_OFFSET, buffer, offset + IpHeaders.IPV4_DESTINATION_OFFSET, 4);
            nameLength = SockAddr.IN_LENGTH;
        }
        transmit.buffer().putBytes(0, buffer, offset, length);
        final long n = LibC.sendto(fd, transmit.address(0), length, 0, name.address(0), nameLength);
        return n >= 0 ? (int)n : -LibC.errno();
    }

    public void close()
    {
        Sockets.closeQuietly(fd);
    }
}
