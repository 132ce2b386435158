package org.esp4j.sip.lifecycle;

import java.util.HashSet;
import java.util.Set;

/**
 * The P-CSCF's pool of local SPIs (its spi-c and spi-s, on which it receives). SPIs 0..255 are reserved
 * (RFC 4303 §2.1) and never handed out; an SPI in use is never handed out twice. Allocation walks the range from a
 * cursor so that a just-freed SPI is not reused at once. Not thread-safe.
 */
public final class SpiPool
{
    /** Smallest SPI a pool may hold: 1..255 are reserved by IANA, 0 is never used. */
    public static final long MIN_ALLOCATABLE_SPI = 256;

    private final long minSpi;
    private final long maxSpi;
    private final Set<Long> inUse = new HashSet<>();
    private long cursor;

    /**
     * @param minSpi smallest SPI, at least 256.
     * @param maxSpi largest SPI, at most 4294967295.
     */
    public SpiPool(final long minSpi, final long maxSpi)
    {
        if (minSpi < MIN_ALLOCATABLE_SPI || maxSpi > 0xFFFF_FFFFL || minSpi > maxSpi)
        {
            throw new IllegalArgumentException(
                "spi pool: range must lie within 256..4294967295 with min <= max, got " + minSpi + ".." + maxSpi);
        }
        this.minSpi = minSpi;
        this.maxSpi = maxSpi;
        this.cursor = minSpi;
    }

    /**
     * @return the next free SPI, now in use.
     * @throws PoolExhaustedException when every SPI of the range is in use.
     */
    public long allocate()
    {
        final long size = maxSpi - minSpi + 1;
        if (inUse.size() >= size)
        {
            throw new PoolExhaustedException("spi pool " + minSpi + ".." + maxSpi + " exhausted (" + inUse.size() + " in use)");
        }
        while (true)
        {
            final long candidate = cursor;
            cursor = cursor == maxSpi ? minSpi : cursor + 1;
            if (inUse.add(candidate))
            {
                return candidate;
            }
        }
    }

    /**
     * Mark an SPI chosen elsewhere as in use.
     *
     * @param spi unsigned 32-bit.
     * @return false when it was already in use.
     */
    public boolean reserve(final long spi)
    {
        return !contains(spi) || inUse.add(spi);
    }

    /**
     * @param spi an SPI previously allocated or reserved.
     */
    public void release(final long spi)
    {
        inUse.remove(spi);
    }

    /**
     * @param spi unsigned 32-bit.
     * @return true when the SPI lies in this pool's range.
     */
    public boolean contains(final long spi)
    {
        return spi >= minSpi && spi <= maxSpi;
    }

    /**
     * @param spi unsigned 32-bit.
     * @return true when in use.
     */
    public boolean isInUse(final long spi)
    {
        return inUse.contains(spi);
    }

    /**
     * @return number of SPIs in use.
     */
    public int inUseCount()
    {
        return inUse.size();
    }
}
