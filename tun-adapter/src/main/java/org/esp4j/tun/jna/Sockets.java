package org.esp4j.tun.jna;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteOrder;

/**
 * Control-plane helpers for sockets (creation and options); they throw {@link IOException} with errno text.
 * Not for the data path.
 */
public final class Sockets
{
    private static final ThreadLocal<NativeArea> SCRATCH = ThreadLocal.withInitial(() -> new NativeArea(64));

    private Sockets()
    {
    }

    /** @return a non-blocking close-on-exec socket. */
    public static int socket(final int family, final int type, final int protocol) throws IOException
    {
        final int fd = LibC.socket(family, type | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw new IOException("socket(" + family + ", " + type + ", " + protocol + "): " +
                LibC.describe(LibC.errno()));
        }
        return fd;
    }

    public static void setInt(final int fd, final int level, final int name, final int value) throws IOException
    {
        final NativeArea scratch = SCRATCH.get();
        scratch.buffer().putInt(0, value, ByteOrder.nativeOrder());
        if (LibC.setsockopt(fd, level, name, scratch.address(0), 4) < 0)
        {
            throw new IOException("setsockopt(" + level + ", " + name + "): " + LibC.describe(LibC.errno()));
        }
    }

    public static int getInt(final int fd, final int level, final int name) throws IOException
    {
        final NativeArea scratch = SCRATCH.get();
        scratch.buffer().putInt(0, 0, ByteOrder.nativeOrder());
        scratch.buffer().putInt(8, 4, ByteOrder.nativeOrder());
        if (LibC.getsockopt(fd, level, name, scratch.address(0), scratch.address(8)) < 0)
        {
            throw new IOException("getsockopt(" + level + ", " + name + "): " + LibC.describe(LibC.errno()));
        }
        return scratch.buffer().getInt(0, ByteOrder.nativeOrder());
    }

    /** Bind to {@code address} (null: any of {@code family}) and {@code port}. */
    public static void bind(final int fd, final int family, final InetAddress address, final int port)
        throws IOException
    {
        final NativeArea scratch = SCRATCH.get();
        final int length = address != null ? SockAddr.put(scratch.buffer(), 0, address, port) :
            family == LibC.AF_INET ? SockAddr.putAny4(scratch.buffer(), 0, port) : SockAddr.putAny6(scratch.buffer(), 0, port);
        if (LibC.bind(fd, scratch.address(0), length) < 0)
        {
            throw new IOException("bind(" + (address == null ? "any" : address.getHostAddress()) + ", " + port + "): " +
                LibC.describe(LibC.errno()));
        }
    }

    /** Close, ignoring errors (control plane). */
    public static void closeQuietly(final int fd)
    {
        if (fd >= 0)
        {
            LibC.close(fd);
        }
    }
}
