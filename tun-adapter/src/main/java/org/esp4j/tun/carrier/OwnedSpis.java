package org.esp4j.tun.carrier;

import java.util.Collection;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The SPIs whose ESP a {@link PacketRingReceiver} hands on: changed by one thread (the daemon's conductor), SPI by SPI,
 * and read by another (the inbound agent) without a lock or an allocation.
 * <p>
 * A P-CSCF with 10,000 registered UEs owns 20,000 SPIs; a set copied whole for each registration cost milliseconds of
 * the conductor's time per change (issue 14), this one O(1). Open addressing with linear probing over an
 * {@link AtomicLongArray} (the scheme of the SAD's and SPD's tables): a slot holds {@link #EMPTY}, {@link #TOMBSTONE}
 * (a removed SPI: probes go on past it) or {@link #LIVE} with the 32 bits of the SPI. Each slot is written with one
 * volatile store, so the reader sees an SPI from the moment {@link #add} returns, and no longer once {@link #remove}
 * has. When live and removed slots would fill half the table, it is rebuilt into a new array that is published by one
 * volatile store; the reader then finishes its probe in the old one, which is no longer written. At least half of the
 * slots are always empty, so every probe ends.
 * <p>
 * SPIs are unsigned 32-bit values: compared by their 32 bits, never as negative ints.
 */
final class OwnedSpis
{
    static final long EMPTY = 0;
    static final long LIVE = 1L << 32;
    static final long TOMBSTONE = 2L << 32;
    private static final int MIN_CAPACITY = 16;

    private volatile AtomicLongArray slots = new AtomicLongArray(MIN_CAPACITY);
    // writer only
    private int size;
    private int used;

    /**
     * Any thread; no lock, no allocation.
     *
     * @param spi the SPI's 32 bits.
     * @return true if owned.
     */
    boolean contains(final int spi)
    {
        return contains(slots, spi);
    }

    /**
     * Own an SPI (the writer thread).
     *
     * @param spi unsigned 32-bit SPI.
     * @return false if it was owned already.
     */
    boolean add(final long spi)
    {
        final int bits = (int)spi;
        if (contains(bits))
        {
            return false;
        }
        if ((used + 1) * 2 > slots.length())
        {
            rebuild(size + 1);
        }
        insert(slots, bits);
        size++;
        return true;
    }

    /**
     * Stop owning an SPI (the writer thread).
     *
     * @param spi unsigned 32-bit SPI.
     * @return false if it was not owned.
     */
    boolean remove(final long spi)
    {
        final AtomicLongArray table = slots;
        final int mask = table.length() - 1;
        final long wanted = LIVE | (spi & 0xFFFF_FFFFL);
        int index = hash((int)spi) & mask;
        for (long slot = table.get(index); slot != EMPTY; slot = table.get(index))
        {
            if (slot == wanted)
            {
                table.set(index, TOMBSTONE);
                size--;
                return true;
            }
            index = (index + 1) & mask;
        }
        return false;
    }

    /**
     * Own exactly these SPIs (the writer thread): a new table, published whole.
     *
     * @param spis unsigned 32-bit SPIs.
     */
    void replace(final Collection<Long> spis)
    {
        final AtomicLongArray table = new AtomicLongArray(capacityFor(spis.size()));
        used = 0;
        size = 0;
        for (final long spi : spis)
        {
            if (!contains(table, (int)spi))
            {
                insert(table, (int)spi);
                size++;
            }
        }
        slots = table;
    }

    /** @return SPIs owned (the writer thread). */
    int size()
    {
        return size;
    }

    /** @return slots of the current table (tests: the table stays bounded by the SPIs owned, not the changes). */
    int capacity()
    {
        return slots.length();
    }

    private void rebuild(final int minimumSize)
    {
        final AtomicLongArray old = slots;
        final AtomicLongArray table = new AtomicLongArray(capacityFor(minimumSize));
        used = 0;
        for (int i = 0; i < old.length(); i++)
        {
            final long slot = old.get(i);
            if ((slot & ~0xFFFF_FFFFL) == LIVE)
            {
                insert(table, (int)slot);
            }
        }
        slots = table;
    }

    private void insert(final AtomicLongArray table, final int spi)
    {
        final int mask = table.length() - 1;
        int index = hash(spi) & mask;
        long slot = table.get(index);
        while (slot != EMPTY && slot != TOMBSTONE)
        {
            index = (index + 1) & mask;
            slot = table.get(index);
        }
        if (slot == EMPTY)
        {
            used++;
        }
        table.set(index, LIVE | (spi & 0xFFFF_FFFFL));
    }

    private static boolean contains(final AtomicLongArray table, final int spi)
    {
        final int mask = table.length() - 1;
        final long wanted = LIVE | (spi & 0xFFFF_FFFFL);
        int index = hash(spi) & mask;
        while (true)
        {
            final long slot = table.get(index);
            if (slot == wanted)
            {
                return true;
            }
            if (slot == EMPTY)
            {
                return false;
            }
            index = (index + 1) & mask;
        }
    }

    private static int capacityFor(final int count)
    {
        int capacity = MIN_CAPACITY;
        while (capacity < count * 4)
        {
            capacity <<= 1;
        }
        return capacity;
    }

    private static int hash(final int spi)
    {
        final long h = (spi & 0xFFFF_FFFFL) * 0x9E37_79B9_7F4A_7C15L;
        return (int)(h ^ (h >>> 32));
    }
}
