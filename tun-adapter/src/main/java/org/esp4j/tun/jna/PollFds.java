package org.esp4j.tun.jna;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * A preallocated array of {@code struct pollfd} for {@link LibC#poll(long, long, int)}.
 * <pre>
 * struct pollfd (8 bytes, host order)
 * +-------------------------------+---------------+---------------+
 * |            fd (int)           | events (short)| revents(short)|
 * +-------------------------------+---------------+---------------+
 *  0                               4               6
 * </pre>
 */
public final class PollFds
{
    public static final int FD_OFFSET = 0;
    public static final int EVENTS_OFFSET = 4;
    public static final int REVENTS_OFFSET = 6;
    public static final int LENGTH = 8;
    /** What makes a descriptor worth reading: data, or an error or hang-up the read reports. */
    public static final short READY_EVENTS = LibC.POLLIN | LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL;

    private final NativeArea area;
    private final UnsafeBuffer buffer;
    private int count;

    public PollFds(final int capacity)
    {
        area = new NativeArea(capacity * LENGTH);
        buffer = area.buffer();
    }

    /** Add {@code fd} waiting for {@code events}. */
    public PollFds add(final int fd, final short events)
    {
        final int offset = count * LENGTH;
        buffer.putInt(offset + FD_OFFSET, fd, ByteOrder.nativeOrder());
        buffer.putShort(offset + EVENTS_OFFSET, events, ByteOrder.nativeOrder());
        buffer.putShort(offset + REVENTS_OFFSET, (short)0, ByteOrder.nativeOrder());
        count++;
        return this;
    }

    public int count()
    {
        return count;
    }

    /**
     * Wait until one of the descriptors is ready or the timeout passes.
     *
     * @return the number of ready descriptors, 0 on timeout, -1 on error (errno in {@link LibC#errno()}).
     */
    public int poll(final int timeoutMs)
    {
        return LibC.poll(area.address(0), count, timeoutMs);
    }

    public short revents(final int index)
    {
        return buffer.getShort(index * LENGTH + REVENTS_OFFSET, ByteOrder.nativeOrder());
    }

    /** Forget what the last {@link #poll} reported for descriptor {@code index} (the caller has acted on it). */
    public void clearRevents(final int index)
    {
        buffer.putShort(index * LENGTH + REVENTS_OFFSET, (short)0, ByteOrder.nativeOrder());
    }
}
