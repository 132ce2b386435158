package org.esp4j.tun.daemon;

import org.esp4j.core.sa.SecurityAssociation;
import org.esp4j.core.sa.SecurityAssociationDatabase;
import org.esp4j.tun.routing.LocalAddresses;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The SPIs of the SAs to the host's own addresses: the ESP the packet ring owns and its early-drop table drops from
 * the kernel's path. Kept from the SAD's change journal ({@link SecurityAssociationDatabase#changesSince}) in
 * O(changed SAs) per change, with the SPIs that gained their first SA or lost their last since the host last took a
 * change; computed again from the whole SAD at start, when the addresses move, and when the journal no longer covers
 * the changes since (a flush of many SAs) or the host refused a change (tested equal either way).
 * <p>
 * Conductor thread only.
 */
final class InboundSpis
{
    /** SPI to the number of SAs with it to one of {@link #addresses}. */
    private final Map<Long, Integer> uses = new HashMap<>();
    private final Set<Long> added = new HashSet<>();
    private final Set<Long> removed = new HashSet<>();
    private LocalAddresses addresses;
    /** {@link SecurityAssociationDatabase#changes()} this set matches, or -1. */
    private long syncedChange = -1;

    /**
     * Follow the SAD's journal, for the same addresses as before.
     *
     * @return false if that is not possible (first call, other addresses, journal passed, {@link #invalidate()}):
     * then {@link #resync}.
     */
    boolean follow(final SecurityAssociationDatabase sad, final LocalAddresses local)
    {
        added.clear();
        removed.clear();
        if (syncedChange < 0 || !local.equals(addresses))
        {
            return false;
        }
        final long changes = sad.changesSince(syncedChange, this::onSaChange);
        if (changes < 0)
        {
            return false;
        }
        syncedChange = changes;
        return true;
    }

    /** Compute the SPIs to {@code local} from every SA. */
    void resync(final SecurityAssociationDatabase sad, final LocalAddresses local)
    {
        uses.clear();
        added.clear();
        removed.clear();
        addresses = local;
        synchronized (sad) // the SAs and their change count at one moment: where the journal takes over
        {
            syncedChange = sad.changes();
            for (final SecurityAssociation sa : sad.list())
            {
                if (local.addresses().contains(sa.config().destination()))
                {
                    uses.merge(sa.spi(), 1, Integer::sum);
                }
            }
        }
    }

    /** The host refused the last change: the next {@link #follow} fails and the caller computes it all again. */
    void invalidate()
    {
        syncedChange = -1;
    }

    private void onSaChange(final long spi, final InetAddress destination, final boolean isAdded)
    {
        if (!addresses.addresses().contains(destination))
        {
            return;
        }
        if (isAdded)
        {
            if (uses.merge(spi, 1, Integer::sum) == 1 && !removed.remove(spi))
            {
                added.add(spi);
            }
            return;
        }
        final Integer count = uses.get(spi);
        if (count == null)
        {
            return;
        }
        if (count > 1)
        {
            uses.put(spi, count - 1);
        }
        else
        {
            uses.remove(spi);
            if (!added.remove(spi))
            {
                removed.add(spi);
            }
        }
    }

    /** @return the SPIs now (unsigned 32-bit values; a live read-only view). */
    Set<Long> spis()
    {
        return java.util.Collections.unmodifiableSet(uses.keySet());
    }

    /** @return SPIs that gained their first SA in the changes the last {@link #follow} applied. */
    Set<Long> added()
    {
        return added;
    }

    /** @return SPIs that lost their last SA in the changes the last {@link #follow} applied. */
    Set<Long> removed()
    {
        return removed;
    }
}
