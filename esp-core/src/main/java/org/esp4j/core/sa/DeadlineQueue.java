package org.esp4j.core.sa;

import org.agrona.collections.Object2IntHashMap;

import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * Entries keyed by a deadline in nanoseconds, earliest first: an indexed binary min-heap, so that a sweep that finds
 * nothing due costs O(1) whatever the number of entries, and scheduling, rescheduling or removing an entry costs
 * O(log n). It holds the next time-limit check of each SA of a {@link SecurityAssociationDatabase}, so an idle
 * daemon with 40,000 SAs does not look at each of them every second.
 * <p>
 * An entry is in the queue at most once (by identity: the entries must not override {@code equals}); scheduling it
 * again moves it. Not thread safe: the owner (the SAD, under its lock) serialises every call.
 *
 * @param <T> the entries.
 */
final class DeadlineQueue<T>
{
    private static final int MISSING = -1;

    private final Object2IntHashMap<T> indexOf = new Object2IntHashMap<>(MISSING);
    private T[] entries;
    private long[] deadlinesNs;
    private int size;

    @SuppressWarnings("unchecked")
    DeadlineQueue()
    {
        entries = (T[])new Object[16];
        deadlinesNs = new long[16];
    }

    /** @return entries waiting. */
    int size()
    {
        return size;
    }

    /**
     * Put {@code entry} in the queue at {@code deadlineNs}, or move it there if it is queued already.
     *
     * @param entry      the entry.
     * @param deadlineNs when it is due (the SAD clock's scale, compared as the SA compares its deadlines).
     */
    void schedule(final T entry, final long deadlineNs)
    {
        final int index = indexOf.getValue(entry);
        if (index == MISSING)
        {
            if (size == entries.length)
            {
                entries = Arrays.copyOf(entries, size * 2);
                deadlinesNs = Arrays.copyOf(deadlinesNs, size * 2);
            }
            place(size, entry, deadlineNs);
            size++;
            siftUp(size - 1);
        }
        else
        {
            final long old = deadlinesNs[index];
            deadlinesNs[index] = deadlineNs;
            if (deadlineNs < old)
            {
                siftUp(index);
            }
            else
            {
                siftDown(index);
            }
        }
    }

    /**
     * @param entry the entry.
     * @return true if it was queued (and now is not).
     */
    boolean remove(final T entry)
    {
        final int index = indexOf.removeKey(entry);
        if (index == MISSING)
        {
            return false;
        }
        size--;
        if (index != size)
        {
            final T last = entries[size];
            final long lastDeadline = deadlinesNs[size];
            place(index, last, lastDeadline);
            siftUp(index);
            siftDown(indexOf.getValue(last));
        }
        entries[size] = null;
        return true;
    }

    /** Remove every entry. */
    void clear()
    {
        Arrays.fill(entries, 0, size, null);
        indexOf.clear();
        size = 0;
    }

    /**
     * @param entry the entry.
     * @return its deadline, or {@code Long.MAX_VALUE} if it is not queued (tests, diagnostics).
     */
    long deadlineNs(final T entry)
    {
        final int index = indexOf.getValue(entry);
        return index == MISSING ? Long.MAX_VALUE : deadlinesNs[index];
    }

    /**
     * Remove the entries due at {@code nowNs} (deadline not after it), earliest first, and hand each to
     * {@code handler} with its deadline. The handler may schedule entries again (a deadline still due is then handed
     * over again in the same call, so it must move the entry into the future or leave it out).
     *
     * @param nowNs   the clock.
     * @param limit   at most this many.
     * @param handler receives each entry due and its deadline.
     * @return entries handed over.
     */
    int pollDue(final long nowNs, final int limit, final ObjLongConsumer<T> handler)
    {
        int polled = 0;
        while (size > 0 && polled < limit && deadlinesNs[0] <= nowNs)
        {
            final T entry = entries[0];
            final long deadlineNs = deadlinesNs[0];
            remove(entry);
            polled++;
            handler.accept(entry, deadlineNs);
        }
        return polled;
    }

    private void place(final int index, final T entry, final long deadlineNs)
    {
        entries[index] = entry;
        deadlinesNs[index] = deadlineNs;
        indexOf.put(entry, index);
    }

    private void siftUp(final int start)
    {
        int index = start;
        final T entry = entries[index];
        final long deadlineNs = deadlinesNs[index];
        while (index > 0)
        {
            final int parent = (index - 1) >>> 1;
            if (deadlinesNs[parent] <= deadlineNs)
            {
                break;
            }
            place(index, entries[parent], deadlinesNs[parent]);
            index = parent;
        }
        if (index != start)
        {
            place(index, entry, deadlineNs);
        }
    }

    private void siftDown(final int start)
    {
        int index = start;
        final T entry = entries[index];
        final long deadlineNs = deadlinesNs[index];
        while (true)
        {
            int child = 2 * index + 1;
            if (child >= size)
            {
                break;
            }
            if (child + 1 < size && deadlinesNs[child + 1] < deadlinesNs[child])
            {
                child++;
            }
            if (deadlineNs <= deadlinesNs[child])
            {
                break;
            }
            place(index, entries[child], deadlinesNs[child]);
            index = child;
        }
        if (index != start)
        {
            place(index, entry, deadlineNs);
        }
    }
}
