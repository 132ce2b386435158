package org.esp4j.sip.lifecycle;

import java.util.BitSet;

/**
 * The P-CSCF's pool of protected client ports (port-c). Each SA set gets its own port-c, so a re-registration's new
 * set never shares the port of the set it replaces (TS 33.203 §7.4). Not thread-safe.
 */
public final class PortPool
{
    private final int minPort;
    private final int maxPort;
    private final BitSet inUse = new BitSet(65536);
    private int cursor;

    /**
     * @param minPort smallest port, at least 1.
     * @param maxPort largest port, at most 65535.
     */
    public PortPool(final int minPort, final int maxPort)
    {
        if (minPort < 1 || maxPort > 65535 || minPort > maxPort)
        {
            throw new IllegalArgumentException("port pool: range must lie within 1..65535 with min <= max, got " + minPort + ".." + maxPort);
        }
        this.minPort = minPort;
        this.maxPort = maxPort;
        this.cursor = minPort;
    }

    /**
     * @return the next free port, now in use.
     * @throws PoolExhaustedException when every port is in use.
     */
    public int allocate()
    {
        if (inUse.cardinality() >= maxPort - minPort + 1)
        {
            throw new PoolExhaustedException("port pool " + minPort + ".." + maxPort + " exhausted");
        }
        while (true)
        {
            final int candidate = cursor;
            cursor = cursor == maxPort ? minPort : cursor + 1;
            if (!inUse.get(candidate))
            {
                inUse.set(candidate);
                return candidate;
            }
        }
    }

    /**
     * Mark a port chosen elsewhere as in use.
     *
     * @param port 1..65535.
     * @return false when it was already in use.
     */
    public boolean reserve(final int port)
    {
        if (!contains(port))
        {
            return true;
        }
        if (inUse.get(port))
        {
            return false;
        }
        inUse.set(port);
        return true;
    }

    /**
     * @param port a port previously allocated or reserved.
     */
    public void release(final int port)
    {
        if (contains(port))
        {
            inUse.clear(port);
        }
    }

    /**
     * @param port a port.
     * @return true when in this pool's range.
     */
    public boolean contains(final int port)
    {
        return port >= minPort && port <= maxPort;
    }

    /**
     * @return number of ports in use.
     */
    public int inUseCount()
    {
        return inUse.cardinality();
    }
}
