package org.esp4j.tun.jna;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Preallocated native memory for structures and packet data: an {@link UnsafeBuffer} over an aligned direct
 * {@link java.nio.ByteBuffer}, so {@link #address(int)} can be handed to {@link LibC}.
 * <p>
 * Allocated once at start; the GC frees it with the owner.
 */
public final class NativeArea
{
    /** Alignment of every area: a cache line, enough for any structure. */
    public static final int ALIGNMENT = 64;

    private final UnsafeBuffer buffer;

    public NativeArea(final int capacity)
    {
        buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(align(capacity, ALIGNMENT), ALIGNMENT));
        buffer.setMemory(0, buffer.capacity(), (byte)0);
    }

    /** @return the buffer over the area (native byte order unless stated by the flyweights). */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** @return native address of {@code offset} in the area. */
    public long address(final int offset)
    {
        return buffer.addressOffset() + offset;
    }

    public int capacity()
    {
        return buffer.capacity();
    }

    /** @return {@code value} rounded up to a multiple of {@code alignment} (a power of two). */
    public static int align(final int value, final int alignment)
    {
        return (value + alignment - 1) & -alignment;
    }
}
