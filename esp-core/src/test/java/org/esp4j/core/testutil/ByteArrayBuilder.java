package org.esp4j.core.testutil;

import org.esp4j.core.text.Hex;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Builds byte arrays field by field for hand-made test inputs (capture files, packets), each multi-byte field in
 * an explicit byte order that can be switched half way, e.g. for a pcapng file whose sections differ.
 */
public final class ByteArrayBuilder
{
    private byte[] bytes = new byte[64];
    private int length;
    private ByteOrder order;

    public ByteArrayBuilder(final ByteOrder order)
    {
        this.order = order;
    }

    public ByteArrayBuilder order(final ByteOrder order)
    {
        this.order = order;
        return this;
    }

    public ByteOrder order()
    {
        return order;
    }

    public int length()
    {
        return length;
    }

    public ByteArrayBuilder u8(final int value)
    {
        ensureCapacity(1);
        bytes[length++] = (byte)value;
        return this;
    }

    public ByteArrayBuilder u16(final int value)
    {
        return unsigned(value, 2);
    }

    public ByteArrayBuilder u32(final long value)
    {
        return unsigned(value, 4);
    }

    public ByteArrayBuilder u64(final long value)
    {
        return unsigned(value, 8);
    }

    /** A 16-bit field in network byte order regardless of {@link #order()}. */
    public ByteArrayBuilder be16(final int value)
    {
        u8(value >>> 8);
        return u8(value);
    }

    public ByteArrayBuilder bytes(final byte[] source)
    {
        return bytes(source, 0, source.length);
    }

    public ByteArrayBuilder bytes(final byte[] source, final int offset, final int count)
    {
        ensureCapacity(count);
        System.arraycopy(source, offset, bytes, length, count);
        length += count;
        return this;
    }

    public ByteArrayBuilder hex(final String hex)
    {
        return bytes(Hex.decode(hex));
    }

    public ByteArrayBuilder zeros(final int count)
    {
        ensureCapacity(count);
        length += count;
        return this;
    }

    /** Zero bytes up to the next multiple of 4. */
    public ByteArrayBuilder padTo4()
    {
        return zeros((4 - (length & 3)) & 3);
    }

    /** Overwrites a 32-bit field written earlier, e.g. a length known only at the end. */
    public ByteArrayBuilder u32At(final int offset, final long value)
    {
        final int saved = length;
        length = offset;
        unsigned(value, 4);
        length = saved;
        return this;
    }

    public byte[] toByteArray()
    {
        return Arrays.copyOf(bytes, length);
    }

    private ByteArrayBuilder unsigned(final long value, final int size)
    {
        ensureCapacity(size);
        for (int i = 0; i < size; i++)
        {
            final int shift = ByteOrder.BIG_ENDIAN == order ? 8 * (size - 1 - i) : 8 * i;
            bytes[length + i] = (byte)(value >>> shift);
        }
        length += size;
        return this;
    }

    private void ensureCapacity(final int extra)
    {
        if (length + extra > bytes.length)
        {
            bytes = Arrays.copyOf(bytes, Math.max(2 * bytes.length, length + extra));
        }
    }
}
