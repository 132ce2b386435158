package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.MessageBatch;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.SockAddr;
import org.esp4j.tun.jna.SocketMessage;
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
 * <b>IPv6 source.</b> The kernel picks a source address for every raw IPv6 send that names none, header included or
 * not ({@code ip6_dst_lookup_tail}), and that walks every address of the outgoing interface: with the 10,000 UE
 * addresses of a farm on it, each ESP packet cost a walk of 10,000 addresses (issue 14). So each queued IPv6 packet
 * carries an {@code IPV6_PKTINFO} control message with its header's source, and the socket has
 * {@code IPV6_FREEBIND}, so that a source the host does not own still goes out as before, as written in the header.
 * <p>
 * Packets go out one per {@link #send} system call, or many per {@code sendmmsg(2)}: {@link #queue} copies a packet
 * into the next slot of a batch and {@link #flush} sends the batch (also done by {@link #queue} when it is full).
 * <p>
 * One instance per sending thread (it owns a native transmit area).
 */
public final class RawIpSender implements IpCarrierSender, AutoCloseable
{
    /** Packets per sendmmsg. */
    public static final int BATCH_SIZE = 64;
    private static final int MIN_SLOT = 2048;
    /** CMSG_SPACE(sizeof(struct in6_pktinfo)) on LP64: a 16-byte cmsghdr and 20 bytes padded to 24. */
    private static final int PKTINFO6_SPACE = SocketMessage.CMSG_DATA_OFFSET + 24;
    private static final int IPV6_FREEBIND = 78;

    private final int family;
    private final int fd;
    private final NativeArea transmit;
    private final NativeArea name = new NativeArea(SockAddr.STORAGE_LENGTH);
    private final int mtu;
    private final MessageBatch batch;
    private int queued;
    private int lastFlushFailures;

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
            if (family == LibC.AF_INET6)
            {
                Sockets.setInt(fd, LibC.IPPROTO_IPV6, IPV6_FREEBIND, 1);
            }
        }
        catch (final IOException ex)
        {
            Sockets.closeQuietly(fd);
            throw ex;
        }
        transmit = new NativeArea(capacity);
        name.buffer().putShort(SockAddr.FAMILY_OFFSET, (short)family, ByteOrder.nativeOrder());
        final boolean ipv6 = family == LibC.AF_INET6;
        batch = new MessageBatch(BATCH_SIZE, Math.min(capacity, Math.max(mtu, MIN_SLOT)), ipv6 ? PKTINFO6_SPACE : 0);
        for (int i = 0; i < BATCH_SIZE; i++)
        {
            batch.buffer().putShort(batch.nameOffset(i) + SockAddr.FAMILY_OFFSET, (short)family, ByteOrder.nativeOrder());
            if (ipv6)
            {
                final int control = batch.controlOffset(i);
                batch.buffer().putLong(control + SocketMessage.CMSG_LEN_OFFSET,
                    SocketMessage.CMSG_DATA_OFFSET + SocketMessage.IN6_PKTINFO_LENGTH, ByteOrder.nativeOrder());
                batch.buffer().putInt(control + SocketMessage.CMSG_LEVEL_OFFSET, LibC.IPPROTO_IPV6,
                    ByteOrder.nativeOrder());
                batch.buffer().putInt(control + SocketMessage.CMSG_TYPE_OFFSET, LibC.IPV6_PKTINFO,
                    ByteOrder.nativeOrder());
                batch.buffer().putInt(control + SocketMessage.CMSG_DATA_OFFSET +
                    SocketMessage.IN6_PKTINFO_IFINDEX_OFFSET, 0, ByteOrder.nativeOrder()); // the route's interface
            }
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

    public int mtu()
    {
        return mtu;
    }

    /**
     * Send the IP packet at {@code buffer[offset, offset + length)} now (one copy into the native transmit area), after
     * the packets queued before it.
     *
     * @return length sent, {@link CarrierStatus#UNSUITABLE} or {@code -errno}.
     */
    public int send(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final int nameLength = nameLength(buffer, offset, length);
        if (nameLength < 0 || length > transmit.capacity())
        {
            return CarrierStatus.UNSUITABLE;
        }
        lastFlushFailures += flush();
        putDestination(name.buffer(), 0, buffer, offset);
        transmit.buffer().putBytes(0, buffer, offset, length);
        final long n = LibC.sendto(fd, transmit.address(0), length, 0, name.address(0), nameLength);
        return n >= 0 ? (int)n : -LibC.errno();
    }

    /**
     * Queue the IP packet at {@code buffer[offset, offset + length)} for the next {@link #flush} (one copy into a
     * batch slot); a packet bigger than a slot is sent at once, after the queue.
     *
     * @return length queued or sent, {@link CarrierStatus#UNSUITABLE} or {@code -errno}.
     */
    public int queue(final UnsafeBuffer buffer, final int offset, final int length)
    {
        if (length > batch.slotCapacity())
        {
            return send(buffer, offset, length);
        }
        final int nameLength = nameLength(buffer, offset, length);
        if (nameLength < 0)
        {
            return CarrierStatus.UNSUITABLE;
        }
        if (queued == BATCH_SIZE)
        {
            lastFlushFailures += flush();
        }
        final int index = queued++;
        putDestination(batch.buffer(), batch.nameOffset(index), buffer, offset);
        batch.buffer().putBytes(batch.dataOffset(index), buffer, offset, length);
        if (family == LibC.AF_INET6)
        {
            // the header's source as IPV6_PKTINFO: the kernel then looks for no source of its own (class comment)
            batch.buffer().putBytes(batch.controlOffset(index) + SocketMessage.CMSG_DATA_OFFSET +
                SocketMessage.IN6_PKTINFO_ADDR_OFFSET, buffer, offset + Ipv6Header.SOURCE_OFFSET, 16);
            batch.prepareSend(index, length, nameLength, PKTINFO6_SPACE);
        }
        else
        {
            batch.prepareSend(index, length, nameLength);
        }
        return length;
    }

    /** @return packets queued and not yet sent. */
    public int queued()
    {
        return queued;
    }

    /**
     * Send the queued packets with as few {@code sendmmsg(2)} calls as the kernel allows; a packet it refuses is
     * skipped (and counted in the result), the ones after it still go.
     *
     * @return packets that could not be sent, including those of flushes {@link #queue} and {@link #send} did on
     * their own since the last call.
     */
    public int flush()
    {
        int failed = lastFlushFailures;
        lastFlushFailures = 0;
        int start = 0;
        while (start < queued)
        {
            final int n = LibC.sendmmsg(fd, batch.address() + (long)start * MessageBatch.MMSGHDR_LENGTH,
                queued - start, 0);
            if (n > 0)
            {
                start += n;
            }
            else if (n < 0 && LibC.errno() == LibC.EINTR)
            {
                continue;
            }
            else
            {
                // the message at start failed (sendmmsg reports the first failure of a call with -1)
                failed++;
                start++;
            }
        }
        queued = 0;
        return failed;
    }

    private int nameLength(final UnsafeBuffer buffer, final int offset, final int length)
    {
        if (family == LibC.AF_INET6)
        {
            return length < Ipv6Header.LENGTH || Ipv4Header.version(buffer, offset) != Ipv6Header.VERSION ?
                -1 : SockAddr.IN6_LENGTH;
        }
        return length < Ipv4Header.MIN_LENGTH || Ipv4Header.version(buffer, offset) != Ipv4Header.VERSION ? -1 : SockAddr.IN_LENGTH;
    }

    private void putDestination(
        final UnsafeBuffer names, final int nameOffset, final UnsafeBuffer buffer, final int offset)
    {
        if (family == LibC.AF_INET6)
        {
            names.putBytes(nameOffset + SockAddr.IN6_ADDR_OFFSET, buffer, offset + Ipv6Header.DESTINATION_OFFSET, 16);
        }
        else
        {
            names.putBytes(nameOffset + SockAddr.IN_ADDR_OFFSET, buffer, offset + Ipv4Header.DESTINATION_OFFSET, 4);
        }
    }

    public void close()
    {
        Sockets.closeQuietly(fd);
    }
}
