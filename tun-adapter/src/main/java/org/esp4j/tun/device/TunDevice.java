package org.esp4j.tun.device;

import org.esp4j.tun.jna.LibC;
import org.esp4j.tun.jna.NativeArea;
import org.esp4j.tun.routing.IpCommand;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A Linux TUN device opened through {@code /dev/net/tun} with {@code IFF_TUN | IFF_NO_PI} (and
 * {@code IFF_MULTI_QUEUE} when more than one queue is asked for: one non-blocking fd per queue).
 * <p>
 * Packets are whole IPv4/IPv6 packets without any prefix. {@link #read(int, long, int)} and
 * {@link #write(int, long, int)} take native addresses and do not allocate. The device is not persistent: it
 * disappears when the last fd is closed, also when the process dies.
 * <pre>
 * struct ifreq (40 bytes)
 *  0  char  ifr_name[IFNAMSIZ=16]
 * 16  union { short ifr_flags; int ifr_mtu; int ifr_ifindex; ... } (24 bytes)
 * </pre>
 */
public final class TunDevice implements AutoCloseable
{
    public static final int IFNAMSIZ = 16;
    public static final int IFR_NAME_OFFSET = 0;
    public static final int IFR_FLAGS_OFFSET = 16;
    public static final int IFREQ_LENGTH = 40;

    /** {@code _IOW('T', 202, int)}. */
    public static final long TUNSETIFF = 0x400454caL;
    public static final short IFF_TUN = 0x0001;
    public static final short IFF_NO_PI = 0x1000;
    public static final short IFF_MULTI_QUEUE = 0x0100;

    /** Result of {@link #read} when nothing is waiting. */
    public static final int WOULD_BLOCK = 0;

    private final String name;
    private final int[] fds;
    private volatile boolean closed;

    private TunDevice(final String name, final int[] fds)
    {
        this.name = name;
        this.fds = fds;
    }

    /**
     * Create the device {@code requestedName} (may contain {@code %d}) with {@code queues} fds.
     */
    public static TunDevice open(final String requestedName, final int queues) throws IOException
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
        return new TunDevice(actualName, fds);
    }

    /** Set the MTU and bring the link up ({@code ip link set dev NAME mtu MTU up}). */
    public void configure(final IpCommand ip, final int mtu) throws IOException
    {
        configure(ip, mtu, 0);
    }

    /**
     * Set the MTU and the transmit queue length (packets the kernel holds for the daemon to read; 0: leave the
     * default of 500) and bring the link up.
     */
    public void configure(final IpCommand ip, final int mtu, final int txQueueLength) throws IOException
    {
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
     * Read one packet.
     *
     * @return its length, {@link #WOULD_BLOCK} when none is waiting, or {@code -errno}.
     */
    public int read(final int queue, final long address, final int capacity)
    {
        final long n = LibC.read(fds[queue], address, capacity);
        if (n >= 0)
        {
            return (int)n;
        }
        final int errno = LibC.errno();
        return errno == LibC.EAGAIN || errno == LibC.EINTR ? WOULD_BLOCK : -errno;
    }

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

    /** Close every queue; the kernel removes the (non-persistent) device. */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            for (final int fd : fds)
            {
                LibC.close(fd);
            }
        }
    }
}
