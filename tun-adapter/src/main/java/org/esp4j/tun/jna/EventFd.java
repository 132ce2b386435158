package org.esp4j.tun.jna;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Linux {@code eventfd(2)} that wakes an agent blocked in {@code poll(2)} on its descriptors when another thread
 * queued a command for it. {@link #signal()} (any thread) writes 1 and then raises a flag; {@link #clear()} (the
 * agent) reads the descriptor only when the flag is up, so an agent that was not woken pays no system call. Since
 * the write comes before the flag and the read after taking the flag down, a readable descriptor is always followed
 * by a raised flag and is read at the next {@link #clear()}: the agent never spins on a stale wake-up.
 */
public final class EventFd implements AutoCloseable
{
    private final int fd;
    private final NativeArea value = new NativeArea(8);
    private final NativeArea signalValue = new NativeArea(8);
    private final AtomicBoolean signalled = new AtomicBoolean();

    public EventFd() throws IOException
    {
        fd = LibC.eventfd(0, LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException("eventfd: " + LibC.describe(com.sun.jna.Native.getLastError()));
        }
        signalValue.buffer().putLong(0, 1L, java.nio.ByteOrder.nativeOrder());
    }

    /** @return the descriptor, readable while a signal is pending (for the agent's poll set). */
    public int fd()
    {
        return fd;
    }

    /** Wake the agent (any thread; one signal per queued command at most, so a shared buffer is fine). */
    public synchronized void signal()
    {
        LibC.write(fd, signalValue.address(0), 8);
        signalled.set(true);
    }

    /** Take a pending signal (the agent's thread, before it drains its commands). */
    public void clear()
    {
        if (signalled.get())
        {
            signalled.set(false);
            LibC.read(fd, value.address(0), 8);
        }
    }

    public void close()
    {
        LibC.close(fd);
    }
}
