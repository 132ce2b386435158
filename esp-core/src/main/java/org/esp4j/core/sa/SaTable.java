package org.esp4j.core.sa;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * Open-addressing hash table of SAs keyed by SPI (and destination), read without locks or allocation by packet
 * threads while one writer at a time (the SAD, under its lock) adds and removes.
 * <p>
 * Readers probe from the SPI's slot until an empty slot; removed entries become a tombstone so probe chains stay
 * intact. Slots are published with volatile writes, so a reader sees a fully built SA or none. When live entries
 * plus tombstones pass half the capacity the writer builds a new array and publishes it in one volatile write;
 * readers still on the old array see the old, consistent contents.
 */
final class SaTable
{
    private static final Object TOMBSTONE_MARK = new Object();
    private static final int MIN_CAPACITY = 64;

    private volatile AtomicReferenceArray<Object> slots = new AtomicReferenceArray<>(MIN_CAPACITY);
    private int size;
    private int used;

    /**
     * @param spi            unsigned SPI.
     * @param destinationHigh destination high bits.
     * @param destinationLow  destination low bits.
     * @return the SA or null.
     */
    SecurityAssociation get(final long spi, final long destinationHigh, final long destinationLow)
    {
        final AtomicReferenceArray<Object> table = slots;
        final int mask = table.length() - 1;
        int index = hash(spi) & mask;
        while (true)
        {
            final Object entry = table.get(index);
            if (entry == null)
            {
                return null;
            }
            if (entry != TOMBSTONE_MARK)
            {
                final SecurityAssociation sa = (SecurityAssociation)entry;
                if (sa.spi() == spi && sa.destinationLow() == destinationLow && sa.destinationHigh() == destinationHigh)
                {
                    return sa;
                }
            }
            index = (index + 1) & mask;
        }
    }

    /**
     * @param spi unsigned SPI.
     * @return the first SA with this SPI, whatever its destination, or null.
     */
    SecurityAssociation getBySpi(final long spi)
    {
        final AtomicReferenceArray<Object> table = slots;
        final int mask = table.length() - 1;
        int index = hash(spi) & mask;
        while (true)
        {
            final Object entry = table.get(index);
            if (entry == null)
            {
                return null;
            }
            if (entry != TOMBSTONE_MARK && ((SecurityAssociation)entry).spi() == spi)
            {
                return (SecurityAssociation)entry;
            }
            index = (index + 1) & mask;
        }
    }

    /** Writer only. */
    void put(final SecurityAssociation sa)
    {
        if ((used + 1) * 2 > slots.length())
        {
            rebuild(size + 1);
        }
        final AtomicReferenceArray<Object> table = slots;
        final int mask = table.length() - 1;
        int index = hash(sa.spi()) & mask;
        while (table.get(index) != null && table.get(index) != TOMBSTONE_MARK)
        {
            index = (index + 1) & mask;
        }
        if (table.get(index) == null)
        {
            used++;
        }
        table.set(index, sa);
        size++;
    }

    /** Writer only. */
    boolean remove(final SecurityAssociation sa)
    {
        final AtomicReferenceArray<Object> table = slots;
        final int mask = table.length() - 1;
        int index = hash(sa.spi()) & mask;
        while (true)
        {
            final Object entry = table.get(index);
            if (entry == null)
            {
                return false;
            }
            if (entry == sa)
            {
                table.set(index, TOMBSTONE_MARK);
                size--;
                return true;
            }
            index = (index + 1) & mask;
        }
    }

    int size()
    {
        return size;
    }

    void forEach(final Consumer<SecurityAssociation> consumer)
    {
        final AtomicReferenceArray<Object> table = slots;
        for (int i = 0; i < table.length(); i++)
        {
            final Object entry = table.get(i);
            if (entry != null && entry != TOMBSTONE_MARK)
            {
                consumer.accept((SecurityAssociation)entry);
            }
        }
    }

    /** Writer only. */
    void clear()
    {
        slots = new AtomicReferenceArray<>(MIN_CAPACITY);
        size = 0;
        used = 0;
    }

    private void rebuild(final int minimumSize)
    {
        int capacity = MIN_CAPACITY;
        while (capacity < minimumSize * 4)
        {
            capacity <<= 1;
        }
        final AtomicReferenceArray<Object> old = slots;
        final AtomicReferenceArray<Object> table = new AtomicReferenceArray<>(capacity);
        final int mask = capacity - 1;
        for (int i = 0; i < old.length(); i++)
        {
            final Object entry = old.get(i);
            if (entry != null && entry != TOMBSTONE_MARK)
            {
                int index = hash(((SecurityAssociation)entry).spi()) & mask;
                while (table.get(index) != null)
                {
                    index = (index + 1) & mask;
                }
                table.set(index, entry);
            }
        }
        used = size;
        slots = table;
    }

    private static int hash(final long spi)
    {
        // SPIs are often sequential (allocated from pools): spread them so runs don't cluster.
        final long h = spi * 0x9E37_79B9_7F4A_7C15L;
        return (int)(h ^ (h >>> 32));
    }
}
