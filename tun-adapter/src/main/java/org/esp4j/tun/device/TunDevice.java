package org.esp4j.tun.device;

import org.esp4j.tun.jna.IoUring;
import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.offload.VirtioNetHeader;
import org.esp4j.tun.routing.IpCommand;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Linux TUN device opened through {@code /dev/net/tun} with {@code IFF_TUN | IFF_NO_PI} (and
 * {@code IFF_MULTI_QUEUE} when more than one queue is asked for: one non-blocking fd per queue).
 * <p>
 * Packets are whole IPv4/IPv6 packets, without any prefix unless the device is opened with offloads: then
 * ({@code IFF_VNET_HDR}, {@code TUNSETOFFLOAD} with {@code TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6}, and
 * {@code TUN_F_USO4 | TUN_F_USO6} where the kernel has them, see {@link #udpOffload()}) every packet read
 * and written starts with a {@link org.esp4j.tun.offload.VirtioNetHeader} ({@link #vnetHeaderLength()} bytes), the
 * kernel may hand over TCP (and UDP) super-packets of up to 64 KiB and partial checksums, and accepts the same. {@link #read(int, long, int)} and
 * {@link #write(int, long, int)} take native addresses and do not allocate. The device is not persistent: it
 * disappears when the last fd is closed, also when the process dies.
 * <pre>
 * struct ifreq (40 bytes)
 *  0  char  ifr_name[IFNAMSIZ=16]
 * 16  union { short ifr_flags; int ifr_mtu; int ifr_ifindex; ... } (24 bytes)
 * </pre>
 */
public final class TunDevice implements TunPort, AutoCloseable
{
    private static final Path IPV6_SYSCTL = Path.of("/proc/sys/net/ipv6");

    public static final int IFNAMSIZ = 16;
    public static final int IFR_NAME_OFFSET = 0;
    public static final int IFR_FLAGS_OFFSET = 16;
    public static final int IFREQ_LENGTH = 40;

    /** {@code _IOW('T', 202, int)}. */
    public static final long TUNSETIFF = 0x400454caL;
    public static final short IFF_TUN = 0x0001;
    public static final short IFF_NO_PI = 0x1000;
    public static final short IFF_MULTI_QUEUE = 0x0100;
    public static final short IFF_VNET_HDR = 0x4000;
    /** {@code _IOW('T', 208, unsigned int)}: offloads the reader handles (value passed directly). */
    public static final long TUNSETOFFLOAD = 0x400454d0L;
    /** {@code _IOW('T', 220, int)}: virtio-net header fields little endian. */
    public static final long TUNSETVNETLE = 0x400454dcL;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    /** UDP segmentation offload (Linux 6.2 and later; both or neither). */
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    /** Result of {@link #read} when nothing is waiting. */
    public static final int WOULD_BLOCK = 0;

    private final String name;
    private final int[] fds;
    private final int vnetHeaderLength;
    private final boolean udpOffload;
    private volatile boolean closed;
    /** {@link #readWithIoUring}: set before the readers start. */
    private boolean ioUringWanted;
    /** Per queue, owned by the queue's reading thread: its ring, whether it was tried, and why it is not used. */
    private final IoUring[] rings;
    private final boolean[] ringTried;
    private final boolean[] ringFailed;
    private final String[] ringUnavailable;
    private final long[] ringEnters;
    /**
     * Per queue, owned by its reading thread: whether reads go through the ring now (packets queue) or through
     * {@code read(2)} (sparse), packets {@code read(2)} took in a row, and ring enters in a row that found at most one.
     */
    private final boolean[] ringActive;
    private final int[] readStreak;
    private final int[] sparseEnters;
    private final long[] ringSwitches;
    /** Sets up a queue's ring: {@link IoUring#open}, or in a test one that fails as a kernel without io_uring does. */
    private RingOpener ringOpener = IoUring::open;

    /** How a queue's reading thread sets up its ring. */
    @FunctionalInterface
    interface RingOpener
    {
        IoUring open(int fd, int bufferCount, int bufferSize) throws IOException;
    }

    private TunDevice(final String name, final int[] fds, final int vnetHeaderLength, final boolean udpOffload)
    {
        this.name = name;
        this.fds = fds;
        this.vnetHeaderLength = vnetHeaderLength;
        this.udpOffload = udpOffload;
        rings = new IoUring[fds.length];
        ringTried = new boolean[fds.length];
        ringFailed = new boolean[fds.length];
        ringUnavailable = new String[fds.length];
        ringEnters = new long[fds.length];
        ringActive = new boolean[fds.length];
        readStreak = new int[fds.length];
        sparseEnters = new int[fds.length];
        ringSwitches = new long[fds.length];
    }

    /**
     * Create the device {@code requestedName} (may contain {@code %d}) with {@code queues} fds, without offloads.
     */
    public static TunDevice open(final String requestedName, final int queues) throws IOException
    {
        return open(requestedName, queues, false);
    }

    /**
     * Create the device {@code requestedName} (may contain {@code %d}) with {@code queues} fds.
     *
     * @param offload open with {@code IFF_VNET_HDR} and TCP segmentation/checksum offloads (see the class comment).
     */
    public static TunDevice open(final String requestedName, final int queues, final boolean offload)
        throws IOException
    {
        final byte[] nameBytes = requestedName.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length >= IFNAMSIZ || nameBytes.length == 0)
        {
            throw new IOException("TUN name must be 1.." + (IFNAMSIZ - 1) + " characters: " + requestedName);
        }
        if (queues < 1)
        {
            throw new IllegalArgumentException("queues must be >= 1");
        }
        final NativeArea ifreq = new NativeArea(IFREQ_LENGTH);
        final int[] fds = new int[queues];
        java.util.Arrays.fill(fds, -1);
        String actualName = requestedName;
        boolean udpOffload = offload;
        try
        {
            for (int i = 0; i < queues; i++)
            {
                final int fd = LibC.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
                if (fd < 0)
                {
                    throw new IOException("open /dev/net/tun: " + LibC.describe(LibC.errno()));
                }
                fds[i] = fd;
                final byte[] bytes = actualName.getBytes(StandardCharsets.US_ASCII);
                ifreq.buffer().setMemory(0, IFREQ_LENGTH, (byte)0);
                ifreq.buffer().putBytes(IFR_NAME_OFFSET, bytes);
                short flags = (short)(IFF_TUN | IFF_NO_PI);
                if (queues > 1)
                {
                    flags |= IFF_MULTI_QUEUE;
                }
                if (offload)
                {
                    flags |= IFF_VNET_HDR;
                }
                ifreq.buffer().putShort(IFR_FLAGS_OFFSET, flags, ByteOrder.nativeOrder());
                if (LibC.ioctl(fd, TUNSETIFF, ifreq.address(0)) < 0)
                {
                    throw new IOException("ioctl(TUNSETIFF, " + actualName + "): " + LibC.describe(LibC.errno()));
                }
                actualName = ifreq.buffer().getStringWithoutLengthAscii(IFR_NAME_OFFSET, IFNAMSIZ).trim();
                final int nul = actualName.indexOf('\0');
                if (nul >= 0)
                {
                    actualName = actualName.substring(0, nul);
                }
                if (offload)
                {
                    udpOffload &= enableOffloads(fd, ifreq, actualName);
                }
            }
        }
        catch (final IOException ex)
        {
            for (final int fd : fds)
            {
                if (fd >= 0)
                {
                    LibC.close(fd);
                }
            }
            throw ex;
        }
        return new TunDevice(actualName, fds, offload ? VirtioNetHeader.LENGTH : 0, udpOffload);
    }

    /** @return true if UDP segmentation offload is on too (false: the kernel predates it, TCP offloads only). */
    private static boolean enableOffloads(final int fd, final NativeArea scratch, final String name) throws IOException
    {
        scratch.buffer().putInt(0, 1, ByteOrder.nativeOrder());
        if (LibC.ioctl(fd, TUNSETVNETLE, scratch.address(0)) < 0 && ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new IOException("ioctl(TUNSETVNETLE, " + name + "): " + LibC.describe(LibC.errno()));
        }
        final int tcp = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
        if (LibC.ioctl(fd, TUNSETOFFLOAD, tcp | TUN_F_USO4 | TUN_F_USO6) == 0)
        {
            return true;
        }
        if (LibC.ioctl(fd, TUNSETOFFLOAD, tcp) < 0)
        {
            throw new IOException("ioctl(TUNSETOFFLOAD, " + name + "): " + LibC.describe(LibC.errno()));
        }
        return false;
    }

    /**
     * @return true if the device was opened with UDP segmentation offload ({@code TUN_F_USO4 | TUN_F_USO6}, Linux 6.2
     * and later, asked for with the other offloads): reads may carry UDP super-packets
     * ({@code VIRTIO_NET_HDR_GSO_UDP_L4}) and writes may too.
     */
    @Override
    public boolean udpOffload()
    {
        return udpOffload;
    }

    /** @return bytes of virtio-net header in front of each packet: 0, or {@link VirtioNetHeader#LENGTH} with offloads. */
    public int vnetHeaderLength()
    {
        return vnetHeaderLength;
    }

    /**
     * Set the MTU and bring the link up ({@code ip link set dev NAME mtu MTU up}), without an IPv6 link-local address
     * ({@code addrgenmode none}).
     */
    public void configure(final IpCommand ip, final int mtu) throws IOException
    {
        configure(ip, mtu, 0);
    }

    /**
     * Set the MTU and the transmit queue length (packets the kernel holds for the daemon to read; 0: leave the
     * default of 500) and bring the link up, without an IPv6 link-local address ({@code addrgenmode none}).
     */
    public void configure(final IpCommand ip, final int mtu, final int txQueueLength) throws IOException
    {
        if (Files.isDirectory(IPV6_SYSCTL))
        {
            // before the link goes up: no IPv6 link-local address, so the kernel sends no router solicitations,
            // MLD reports or DAD probes of its own into the TUN (which the daemon would have to relay or drop)
            ip.check("link", "set", "dev", name, "addrgenmode", "none");
        }
        if (txQueueLength > 0)
        {
            ip.check("link", "set", "dev", name, "mtu", Integer.toString(mtu), "txqueuelen",
                Integer.toString(txQueueLength), "up");
        }
        else
        {
            ip.check("link", "set", "dev", name, "mtu", Integer.toString(mtu), "up");
        }
    }

    public String name()
    {
        return name;
    }

    public int queues()
    {
        return fds.length;
    }

    public int fd(final int queue)
    {
        return fds[queue];
    }

    /**
     * Read with io_uring while packets queue (call before the readers start): each queue's reading thread sets up, at
     * its first {@link #read}, a ring with one multishot read of the queue into {@link #RING_BUFFERS} buffers
     * ({@link IoUring}). The queue reads with {@code read(2)} while traffic is sparse (a packet, then nothing): one
     * {@code read(2)} per packet and one that finds nothing, and nothing of io_uring on a lone packet's way. Once
     * {@link #RING_AFTER_READS} packets came in a row from {@code read(2)}, packets queue, and the queue reads through
     * the ring: one {@code io_uring_enter(2)} hands over every packet waiting, and the read after the last of them
     * enters again, until an enter finds nothing ({@link #WOULD_BLOCK}), as {@code read(2)} reads until
     * {@code EAGAIN}: packets that came while the reader handled the last ones belong to the same burst (a sender
     * joins a burst's datagrams into UDP GSO trains, and a burst cut at each enter makes the receiving daemon write
     * its TUN more often). The reader then learns of more from {@code poll(2)} on the TUN fd, which the ring leaves
     * readable while packets wait in the TUN. After {@link #READ_AFTER_SPARSE_ENTERS} enters in a row that found at
     * most one packet each the queue goes back to {@code read(2)}. The multishot read stays armed throughout: packets
     * {@code read(2)} takes meanwhile are not in the ring (it reads in the kernel only inside {@code io_uring_enter},
     * {@code DEFER_TASKRUN}), and the order of packets holds because one thread reads the queue either way. Where the
     * kernel has no io_uring (older
     * than 6.7 for the multishot read, {@code /proc/sys/kernel/io_uring_disabled}, a seccomp filter) the queue reads
     * with {@code read(2)}, as without this call; {@link #ioUringUnavailable} says why.
     */
    public void readWithIoUring(final boolean on)
    {
        ioUringWanted = on;
    }

    /**
     * Set up the queues' rings with {@code opener} instead of {@link IoUring#open} (call before the readers start): a
     * test's way to have the kernel refuse io_uring ({@code io_uring_disabled} and seccomp filters are the host's, not
     * the test's, to set).
     */
    void ringOpener(final RingOpener opener)
    {
        ringOpener = opener;
    }

    /** Provided buffers per queue's ring: the most packets one {@code io_uring_enter} reads. */
    public static final int RING_BUFFERS = 32;

    /**
     * Packets {@code read(2)} takes in a row (no {@link #WOULD_BLOCK} between) before the queue reads through its ring:
     * that many waited at once, so one enter would have taken them with one system call instead of that many.
     */
    public static final int RING_AFTER_READS = 4;

    /** Ring enters in a row that find at most one packet each before the queue reads with {@code read(2)} again. */
    public static final int READ_AFTER_SPARSE_ENTERS = 8;

    /**
     * @return null if the queue reads with io_uring or has not read yet, else why it reads with {@code read(2)} (read
     * on the queue's reading thread, or after it stopped).
     */
    public String ioUringUnavailable(final int queue)
    {
        return !ioUringWanted ? "off" : ringUnavailable[queue];
    }

    /** @return io_uring_enter calls the queue's reader made (read on its thread, or after it stopped). */
    public long ioUringEnters(final int queue)
    {
        return ringEnters[queue];
    }

    /**
     * @return times the queue's reader went from {@code read(2)} to the ring or back (read on its thread, or after it
     * stopped).
     */
    public long ioUringSwitches(final int queue)
    {
        return ringSwitches[queue];
    }

    /** @return true if the queue's next reads go through its ring (read on its thread, or after it stopped). */
    public boolean ioUringActive(final int queue)
    {
        return ringActive[queue];
    }

    /**
     * Read one packet.
     *
     * @return its length, {@link #WOULD_BLOCK} when none is waiting (with io_uring: or the last enter took every
     * packet waiting; {@code poll(2)} on {@link #fd} reports more), or {@code -errno}.
     */
    public int read(final int queue, final long address, final int capacity)
    {
        if (ioUringWanted)
        {
            final IoUring ring = ringTried[queue] ? rings[queue] : openRing(queue);
            if (ring != null && ringActive[queue])
            {
                final int n = readRing(queue, ring, address, capacity);
                if (n != Integer.MIN_VALUE)
                {
                    return n;
                }
            }
        }
        final long n = LibC.read(fds[queue], address, capacity);
        if (n >= 0)
        {
            if (++readStreak[queue] >= RING_AFTER_READS && rings[queue] != null && !ringFailed[queue])
            {
                // packets queue: the rest of them, and what follows, through the ring
                readStreak[queue] = 0;
                sparseEnters[queue] = 0;
                ringActive[queue] = true;
                ringSwitches[queue]++;
            }
            return (int)n;
        }
        readStreak[queue] = 0;
        final int errno = LibC.errno();
        return errno == LibC.EAGAIN || errno == LibC.EINTR ? WOULD_BLOCK : -errno;
    }

    /**
     * The next packet of the queue's ring: from the completion queue, or when that is empty after one
     * {@code io_uring_enter} that reads what waits in the TUN (none if the last one took all there was).
     *
     * @return as {@link #read}, or {@link Integer#MIN_VALUE} to read with {@code read(2)}: the ring failed and is
     * drained (from then on), or traffic became sparse (until packets queue again).
     */
    private int readRing(final int queue, final IoUring ring, final long address, final int capacity)
    {
        int n = ring.next(address, capacity);
        if (n < 0 && ring.stopped() && !ringFailed[queue])
        {
            // the kernel ended the multishot read (a kernel without it, a queue being torn down): read(2) from now
            // on, which reports what is still wrong the usual way
            ringFailed[queue] = true;
            ringActive[queue] = false;
            ringUnavailable[queue] = "multishot read: " + LibC.describe(-n);
            n = ring.next(address, capacity);
            return n != 0 ? n : Integer.MIN_VALUE;
        }
        if (n != 0)
        {
            return n;
        }
        if (ringFailed[queue])
        {
            return Integer.MIN_VALUE;
        }
        if (sparseEnters[queue] >= READ_AFTER_SPARSE_ENTERS)
        {
            ringActive[queue] = false;
            ringSwitches[queue]++;
            return Integer.MIN_VALUE;
        }
        ringEnters[queue]++;
        final int ready = ring.enter();
        if (ready < 0)
        {
            // e.g. EEXIST: another thread than the ring's reads this queue; what the ring holds is handed out first
            ringFailed[queue] = true;
            ringActive[queue] = false;
            ringUnavailable[queue] = "io_uring_enter: " + LibC.describe(-ready);
            n = ring.next(address, capacity);
            return n != 0 ? n : Integer.MIN_VALUE;
        }
        sparseEnters[queue] = ready <= 1 ? sparseEnters[queue] + 1 : 0;
        n = ring.next(address, capacity);
        return n == 0 ? WOULD_BLOCK : n;
    }

    private IoUring openRing(final int queue)
    {
        ringTried[queue] = true;
        try
        {
            rings[queue] = ringOpener.open(fds[queue], RING_BUFFERS, vnetHeaderLength + MAX_READ_LENGTH);
        }
        catch (final IOException ex)
        {
            ringUnavailable[queue] = ex.getMessage();
        }
        return rings[queue];
    }

    /** Longest packet a read returns (behind any virtio-net header): a 64 KiB super-packet, IPv6 header and all. */
    public static final int MAX_READ_LENGTH = 65535 + 64;

    /**
     * Write one packet.
     *
     * @return the length written, or {@code -errno}.
     */
    public int write(final int queue, final long address, final int length)
    {
        final long n = LibC.write(fds[queue], address, length);
        return n >= 0 ? (int)n : -LibC.errno();
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * The armed read of a ring that its reading thread did not end (a thread that lives on) holds the queue open until
     * the kernel has torn the closed ring down, which it does in a worker a little later: wait for that (bounded), so
     * the name can be used again when close returns. A reading thread that ended took its reads with it.
     */
    private void awaitRemoval()
    {
        final Path device = Path.of("/sys/class/net", name);
        final long deadline = System.nanoTime() + REMOVAL_TIMEOUT_NS;
        while (Files.exists(device) && System.nanoTime() - deadline < 0)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000L);
        }
    }

    private static final long REMOVAL_TIMEOUT_NS = 2_000_000_000L;

    /** Close every queue; the kernel removes the (non-persistent) device. */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            boolean ringsOpen = false;
            for (final IoUring ring : rings)
            {
                if (ring != null)
                {
                    ring.close();
                    ringsOpen = true;
                }
            }
            for (final int fd : fds)
            {
                LibC.close(fd);
            }
            if (ringsOpen)
            {
                awaitRemoval();
            }
        }
    }
}
