package org.esp4j.sip.lifecycle;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link SecurityAssociationSink} that keeps SAs in memory, in installation order: for tests, replay and
 * simulators. Strict: installing a destination/SPI pair twice, or removing or updating an SA that is not installed,
 * throws, so lifecycle bugs surface. Not thread-safe.
 */
public final class InMemorySaSink implements SecurityAssociationSink
{
    private final Map<Key, SaSpec> sas = new LinkedHashMap<>();
    private long installs;
    private long removals;
    private long updates;

    private static final class Key
    {
        private final InetAddress dst;
        private final long spi;

        Key(final SaSpec sa)
        {
            this.dst = sa.dst();
            this.spi = sa.spi();
        }

        public boolean equals(final Object o)
        {
            return o instanceof Key && ((Key)o).spi == spi && ((Key)o).dst.equals(dst);
        }

        public int hashCode()
        {
            return Objects.hash(dst, spi);
        }
    }

    public void install(final SaSpec sa)
    {
        if (sas.putIfAbsent(new Key(sa), sa) != null)
        {
            throw new IllegalStateException("install: SPI " + sa.spi() + " towards " + sa.dst().getHostAddress() + " already installed");
        }
        installs++;
    }

    public void remove(final SaSpec sa)
    {
        if (sas.remove(new Key(sa)) == null)
        {
            throw new IllegalStateException("remove: SPI " + sa.spi() + " towards " + sa.dst().getHostAddress() + " not installed");
        }
        removals++;
    }

    public void extendLifetime(final SaSpec sa, final long lifetimeNs)
    {
        if (sas.replace(new Key(sa), sa) == null)
        {
            throw new IllegalStateException("extendLifetime: SPI " + sa.spi() + " not installed");
        }
        updates++;
    }

    /**
     * @return the installed SAs in installation order.
     */
    public List<SaSpec> installed()
    {
        return new ArrayList<>(sas.values());
    }

    /**
     * @return number of installed SAs.
     */
    public int size()
    {
        return sas.size();
    }

    /**
     * @return install calls so far.
     */
    public long installCount()
    {
        return installs;
    }

    /**
     * @return remove calls so far.
     */
    public long removeCount()
    {
        return removals;
    }

    /**
     * @return extendLifetime calls so far.
     */
    public long updateCount()
    {
        return updates;
    }
}
