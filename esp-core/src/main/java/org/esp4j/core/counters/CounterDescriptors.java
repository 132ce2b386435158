package org.esp4j.core.counters;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.util.HashMap;
import java.util.Map;

/**
 * The checks and the one allocation path for sets of {@link CounterDescriptor}s ({@link XfrmCounter}, the daemon's
 * counters).
 */
public final class CounterDescriptors
{
    /** Length of a global counter's key: its id, a 4-byte int. */
    public static final int KEY_LENGTH = 4;

    private CounterDescriptors()
    {
    }

    /**
     * Refuse a set whose ids are not unique, negative, or retired. Each set calls this once, when its class loads.
     *
     * @param descriptors the set.
     * @param retiredIds  ids the set used once and must never use again.
     * @throws IllegalStateException naming the offending id and counters.
     */
    public static void checkIds(final CounterDescriptor[] descriptors, final int... retiredIds)
    {
        final Map<Integer, CounterDescriptor> byId = new HashMap<>();
        final Map<String, CounterDescriptor> byLabel = new HashMap<>();
        for (final CounterDescriptor descriptor : descriptors)
        {
            if (descriptor.id() < 0)
            {
                throw new IllegalStateException("negative counter id " + descriptor.id() + ": " + descriptor.label());
            }
            for (final int retired : retiredIds)
            {
                if (descriptor.id() == retired)
                {
                    throw new IllegalStateException(
                        "counter id " + retired + " is retired and cannot be reused: " + descriptor.label());
                }
            }
            final CounterDescriptor existing = byId.putIfAbsent(descriptor.id(), descriptor);
            if (existing != null)
            {
                throw new IllegalStateException("counter id " + descriptor.id() + " used twice: " +
                    existing.label() + " and " + descriptor.label());
            }
            final CounterDescriptor sameLabel = byLabel.putIfAbsent(descriptor.label(), descriptor);
            if (sameLabel != null)
            {
                throw new IllegalStateException("counter label " + descriptor.label() + " used twice: ids " +
                    sameLabel.id() + " and " + descriptor.id());
            }
        }
    }

    /**
     * Allocate one Agrona counter per descriptor: type id of the set, key = the descriptor's id, label = its label.
     *
     * @param manager     where to allocate; synchronised on, as the manager is not thread-safe for allocation.
     * @param typeId      the set's Agrona type id.
     * @param descriptors the set, in the order of the result.
     * @return the Agrona counter ids, indexed like {@code descriptors}.
     */
    public static int[] allocate(
        final CountersManager manager, final int typeId, final CounterDescriptor[] descriptors)
    {
        final int[] counterIds = new int[descriptors.length];
        final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[KEY_LENGTH]);
        final UnsafeBuffer labelBuffer = new UnsafeBuffer(new byte[CountersReader.MAX_LABEL_LENGTH]);
        synchronized (manager)
        {
            for (int i = 0; i < descriptors.length; i++)
            {
                keyBuffer.putInt(0, descriptors[i].id());
                final int labelLength = labelBuffer.putStringWithoutLengthAscii(0, descriptors[i].label());
                counterIds[i] = manager.allocate(typeId, keyBuffer, 0, KEY_LENGTH, labelBuffer, 0, labelLength);
            }
        }
        return counterIds;
    }
}
