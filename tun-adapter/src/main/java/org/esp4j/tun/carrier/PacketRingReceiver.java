package org.esp4j.tun.carrier;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.esp4j.core.ip.InternetChecksum;
import org.esp4j.core.ip.Ipv4Header;
import org.esp4j.core.ip.Ipv6Header;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.jna.Sockets;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.List;

/**
 * Receives unfragmented ESP addressed to this host from a memory-mapped packet ring ({@code AF_PACKET},
 * {@code PACKET_RX_RING}, {@code TPACKET_V2}; Linux {@code Documentation/networking/packet_mmap.rst}), instead of a
 * raw socket. The kernel copies each packet the {@link EspRingFilter} accepts into the next free frame as soon as the
 * interface hands it up, before IP; an nftables rule ({@link org.esp4j.tun.routing.EspEarlyDrop}) testing the same
 * fields drops it at prerouting. So an ESP packet costs no route lookup, no raw-socket clone or queue and no system
 * call per packet or per batch: the daemon reads frames from shared memory and sleeps in {@code poll(2)} only when
 * the ring is empty. Fragmented ESP, packets longer than a frame and anything else the filter refuses take the raw
 * socket path as before. So does ESP whose SPI is none of the daemon's inbound SAs ({@link #own}): the drop rule names
 * the same SPIs, so the kernel keeps such a packet (for its own XFRM SAs, or for the raw socket, which counts an
 * unknown SPI), and the ring lets its copy go, counted as left to the kernel.
 * <p>
 * A frame ({@code struct tpacket2_hdr}, then {@code struct sockaddr_ll}, then the packet at {@code tp_net}):
 * <pre>
 *    0 tp_status (u32: 0 kernel owns it, bit 0 TP_STATUS_USER: ours; bit 2 TP_STATUS_LOSING: drops happened)
 *    4 tp_len (u32: packet length)        8 tp_snaplen (u32: bytes copied)
 *   12 tp_mac (u16)                      14 tp_net (u16: offset of the IP header in the frame)
 *   16 tp_sec, tp_nsec (u32 each)        24 VLAN TCI/TPID, padding
 *   32 struct sockaddr_ll (family, protocol, ifindex, hatype, pkttype, ...)
 *   tp_net: the IP packet
 * </pre>
 * Frames go round: the kernel fills the next frame whose status is {@code 0}; the reader takes frames in the same
 * order while {@code TP_STATUS_USER} is set and hands each back by storing {@code 0} (a release store, after the
 * copy). Packets the kernel could not place because the ring was full are read from {@code PACKET_STATISTICS} and
 * counted, so none is lost unseen.
 * <p>
 * What {@link #receive} hands on is a whole IP packet, checked as the kernel's IP input would have checked it before
 * the drop rule (version, lengths, IPv4 header checksum), trimmed to the IP length. One reading thread;
 * {@link #accept} may be called from another (the kernel swaps filters atomically), and {@link #own},
 * {@link #addOwned} and {@link #removeOwned} from one other (the owned SPIs are an {@link OwnedSpis}: one writer, read
 * without a lock).
 */
public final class PacketRingReceiver implements CarrierReceiver, AutoCloseable
{
    /**
     * Bytes per frame: header, address and an IP packet of up to {@link #MAX_IP_LENGTH} bytes, enough for ESP on
     * links with the usual MTUs (1500, 1600); jumbo ESP takes the raw socket.
     */
    public static final int FRAME_SIZE = 2048;
    /** Largest IP packet the ring takes; the kernel puts it at {@code TPACKET_ALIGN(52) + 16} = 80 in the frame. */
    public static final int MAX_IP_LENGTH = FRAME_SIZE - 96;
    /** Bytes per block (a multiple of the page size). */
    public static final int BLOCK_SIZE = 64 * 1024;
    /**
     * Blocks in the ring: 8 MiB, 4096 frames, 20 ms of traffic at 200,000 packets/s. A 2-vCPU machine can leave the
     * reader off-CPU for milliseconds: with 1024 frames the iperf3 bench lost 0.5-1.5 % of its packets to a full ring,
     * with 4096 none.
     */
    public static final int BLOCK_COUNT = 128;

    static final int TP_STATUS_OFFSET = 0;
    static final int TP_LEN_OFFSET = 4;
    static final int TP_SNAPLEN_OFFSET = 8;
    static final int TP_NET_OFFSET = 14;
    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 0x1;
    static final int TP_STATUS_LOSING = 0x4;

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int SOCK_FPROG_LENGTH = 16;
    private static final int SOCKADDR_LL_LENGTH = 20;
    private static final int TPACKET_REQ_LENGTH = 16;
    private static final int TPACKET_STATS_LENGTH = 8;

    private final int fd;
    private final long ringAddress;
    private final long ringLength;
    private final UnsafeBuffer ring;
    private final int frameCount;
    private final AtomicCounter packetsRead;
    private final AtomicCounter ringDrops;
    private final AtomicCounter leftToKernel;
    /** SPIs of the ESP handed on: changed by one thread SPI by SPI, read by the reading thread without a lock. */
    private final OwnedSpis ownedSpis = new OwnedSpis();
    /** {@code struct tpacket_stats} and its length, for the reading thread. */
    private final NativeArea stats = new NativeArea(16);
    private int frame;
    private boolean closed;

    /**
     * Open the socket and map the ring. It takes nothing until {@link #accept} names the host's addresses.
     *
     * @param packetsRead  counts packets taken from the ring and handed on (may be null).
     * @param ringDrops    counts packets lost to a full ring (may be null).
     * @param leftToKernel counts packets let go because their SPI is not owned (may be null).
     * @throws IOException when the kernel refuses (no {@code CAP_NET_RAW}, no {@code TPACKET_V2}, ...).
     */
    public PacketRingReceiver(
        final AtomicCounter packetsRead, final AtomicCounter ringDrops, final AtomicCounter leftToKernel)
        throws IOException
    {
        this.packetsRead = packetsRead;
        this.ringDrops = ringDrops;
        this.leftToKernel = leftToKernel;
        // protocol 0: the socket takes nothing until bind, after the filter and the ring are in place
        fd = Sockets.socket(LibC.AF_PACKET, LibC.SOCK_DGRAM, 0);
        long mapped = LibC.MAP_FAILED;
        ringLength = (long)BLOCK_SIZE * BLOCK_COUNT;
        try
        {
            Sockets.setInt(fd, LibC.SOL_PACKET, LibC.PACKET_VERSION, LibC.TPACKET_V2);
            try
            {
                Sockets.setInt(fd, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, 1);
            }
            catch (final IOException ex)
            {
                // before Linux 4.20: the filter's pkttype test refuses outgoing packets anyway, at a little more cost
            }
            attach(EspRingFilter.program(MAX_IP_LENGTH, List.of(), List.of()));
            final NativeArea scratch = new NativeArea(64);
            final UnsafeBuffer s = scratch.buffer();
            s.putInt(0, BLOCK_SIZE, NATIVE);
            s.putInt(4, BLOCK_COUNT, NATIVE);
            s.putInt(8, FRAME_SIZE, NATIVE);
            s.putInt(12, BLOCK_COUNT * (BLOCK_SIZE / FRAME_SIZE), NATIVE);
            check(LibC.setsockopt(fd, LibC.SOL_PACKET, LibC.PACKET_RX_RING, scratch.address(0), TPACKET_REQ_LENGTH),
                "setsockopt(PACKET_RX_RING)");
            mapped = LibC.mmap(0L, ringLength, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE,
                fd, 0L);
            if (mapped == LibC.MAP_FAILED)
            {
                throw new IOException("mmap of the packet ring: " + LibC.describe(LibC.errno()));
            }
            s.setMemory(0, SOCKADDR_LL_LENGTH, (byte)0);
            s.putShort(0, (short)LibC.AF_PACKET, NATIVE);
            s.putShort(2, (short)LibC.ETH_P_ALL, ByteOrder.BIG_ENDIAN);
            check(LibC.bind(fd, scratch.address(0), SOCKADDR_LL_LENGTH), "bind(AF_PACKET, ETH_P_ALL)");
        }
        catch (final IOException | RuntimeException ex)
        {
            if (mapped != LibC.MAP_FAILED)
            {
                LibC.munmap(mapped, ringLength);
            }
            Sockets.closeQuietly(fd);
            throw ex;
        }
        ringAddress = mapped;
        ring = new UnsafeBuffer(ringAddress, (int)ringLength);
        frameCount = BLOCK_COUNT * (BLOCK_SIZE / FRAME_SIZE);
        stats.buffer().putInt(8, TPACKET_STATS_LENGTH, NATIVE);
    }

    public int fd()
    {
        return fd;
    }

    /**
     * Take ESP for these destinations arriving on these interfaces from now on (the host's own addresses and the
     * interfaces that have them; the early-drop rule must name the same). Control plane: allocates.
     */
    public synchronized void accept(final Collection<Integer> interfaces, final Collection<InetAddress> addresses)
        throws IOException
    {
        if (!closed)
        {
            attach(EspRingFilter.program(MAX_IP_LENGTH, interfaces, addresses));
        }
    }

    /**
     * Hand on, from now, the ESP with these SPIs (the daemon's inbound SAs; the early-drop rule must name the same) and
     * let the copies of all other ESP go. Control plane (one thread, as {@link #addOwned}): O(SPIs), allocates.
     *
     * @param spis unsigned 32-bit values.
     */
    public void own(final Collection<Long> spis)
    {
        ownedSpis.replace(spis);
    }

    /**
     * Hand on, from when this returns, the ESP with these SPIs too: O(SPIs added), whatever the number owned.
     *
     * @param spis unsigned 32-bit values.
     */
    public void addOwned(final Collection<Long> spis)
    {
        for (final long spi : spis)
        {
            ownedSpis.add(spi);
        }
    }

    /**
     * Let the copies of the ESP with these SPIs go, from when this returns: O(SPIs removed).
     *
     * @param spis unsigned 32-bit values.
     */
    public void removeOwned(final Collection<Long> spis)
    {
        for (final long spi : spis)
        {
            ownedSpis.remove(spi);
        }
    }

    /**
     * Take the next packet with an owned SPI from the ring; frames of other ESP are handed back to the kernel on the
     * way (their packets went the kernel's path).
     *
     * @return its length, {@link CarrierStatus#NONE} when the ring is empty, {@link CarrierStatus#MALFORMED} for a
     * packet whose IP header the kernel would have refused, {@link CarrierStatus#TRUNCATED} for one not copied whole.
     */
    public int receive(final UnsafeBuffer buffer, final int offset, final int capacity)
    {
        final OwnedSpis owned = ownedSpis;
        for (int i = 0; i < frameCount; i++)
        {
            final int at = frame * FRAME_SIZE;
            final int status = ring.getIntVolatile(at + TP_STATUS_OFFSET);
            if ((status & TP_STATUS_USER) == 0)
            {
                return CarrierStatus.NONE;
            }
            if ((status & TP_STATUS_LOSING) != 0)
            {
                countDrops();
            }
            final int length = ring.getInt(at + TP_LEN_OFFSET, NATIVE);
            final int copied = ring.getInt(at + TP_SNAPLEN_OFFSET, NATIVE);
            final int net = at + (ring.getShort(at + TP_NET_OFFSET, NATIVE) & 0xFFFF);
            int result = copied < length ? CarrierStatus.TRUNCATED : ipLength(ring, net, length);
            final boolean ours = result <= 0 || isOwned(owned, ring, net, result);
            if (ours && result > capacity)
            {
                result = CarrierStatus.TRUNCATED;
            }
            if (ours && result > 0)
            {
                buffer.putBytes(offset, ring, net, result);
            }
            ring.putIntRelease(at + TP_STATUS_OFFSET, TP_STATUS_KERNEL);
            frame = frame + 1 == frameCount ? 0 : frame + 1;
            final AtomicCounter counter = ours ? packetsRead : leftToKernel;
            if (counter != null)
            {
                counter.incrementRelease(); // single writer: no atomic add needed
            }
            if (ours)
            {
                return result;
            }
        }
        return CarrierStatus.NONE;
    }

    /**
     * @return whether the SPI of this well-formed IP packet (ESP right after the IP header: the filter saw to that) is
     * owned; a packet too short to carry one is not, as the drop rule's {@code esp spi} cannot match it either.
     */
    static boolean isOwned(final OwnedSpis owned, final UnsafeBuffer frame, final int net, final int ipLength)
    {
        final int headerLength = Ipv4Header.version(frame, net) == Ipv4Header.VERSION ?
            Ipv4Header.headerLength(frame, net) : Ipv6Header.LENGTH;
        return ipLength >= headerLength + 4 && owned.contains(frame.getInt(net + headerLength, ByteOrder.BIG_ENDIAN));
    }

    /**
     * The checks of the kernel's IP input that come before prerouting (RFC 791 §3.1, RFC 8200 §3).
     *
     * @return the IP length (the frame may carry link-layer padding after it) or {@link CarrierStatus#MALFORMED}.
     */
    static int ipLength(final UnsafeBuffer frame, final int net, final int length)
    {
        if (length < Ipv4Header.MIN_LENGTH)
        {
            return CarrierStatus.MALFORMED;
        }
        final int version = Ipv4Header.version(frame, net);
        if (version == Ipv4Header.VERSION)
        {
            final int headerLength = Ipv4Header.headerLength(frame, net);
            final int total = frame.getShort(net + Ipv4Header.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (headerLength < Ipv4Header.MIN_LENGTH || headerLength > length || total < headerLength ||
                total > length || InternetChecksum.fold(InternetChecksum.sum(frame, net, headerLength, 0)) != 0xFFFF)
            {
                return CarrierStatus.MALFORMED;
            }
            return total;
        }
        if (version == Ipv6Header.VERSION && length >= Ipv6Header.LENGTH)
        {
            final int total = Ipv6Header.LENGTH +
                (frame.getShort(net + Ipv6Header.PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF);
            return total <= length ? total : CarrierStatus.MALFORMED;
        }
        return CarrierStatus.MALFORMED;
    }

    /** Add what the kernel could not put in the full ring (reading the statistics resets them). */
    private void countDrops()
    {
        if (LibC.getsockopt(fd, LibC.SOL_PACKET, LibC.PACKET_STATISTICS, stats.address(0), stats.address(8)) == 0)
        {
            final long drops = stats.buffer().getInt(4, NATIVE) & 0xFFFF_FFFFL;
            if (ringDrops != null && drops > 0)
            {
                ringDrops.getAndAdd(drops);
            }
        }
        stats.buffer().putInt(8, TPACKET_STATS_LENGTH, NATIVE);
    }

    private void attach(final List<int[]> program) throws IOException
    {
        final NativeArea area = new NativeArea(SOCK_FPROG_LENGTH + program.size() * EspRingFilter.INSTRUCTION_LENGTH);
        final UnsafeBuffer b = area.buffer();
        EspRingFilter.write(program, b, SOCK_FPROG_LENGTH);
        b.putShort(0, (short)program.size(), NATIVE);
        b.putLong(8, area.address(SOCK_FPROG_LENGTH), NATIVE);
        check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_ATTACH_FILTER, area.address(0), SOCK_FPROG_LENGTH),
            "setsockopt(SO_ATTACH_FILTER)");
    }

    private static void check(final int result, final String what) throws IOException
    {
        if (result < 0)
        {
            throw new IOException(what + ": " + LibC.describe(LibC.errno()));
        }
    }

    /** Unmap the ring and close the socket; the reading thread must have stopped. */
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        countDrops();
        LibC.munmap(ringAddress, ringLength);
        Sockets.closeQuietly(fd);
    }
}
