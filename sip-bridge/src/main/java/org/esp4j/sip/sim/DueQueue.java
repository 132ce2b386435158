package org.esp4j.sip.sim;

import java.util.Arrays;

/**
 * When each of {@code n} items (a farm's UEs, by index) is next due, and which are due now, in order of due time: a
 * binary min-heap of (due, item) with one due time per item. Rescheduling an item earlier pushes a new entry and
 * leaves the old one behind; an entry whose time is no longer its item's is skipped when it comes up, so that neither
 * costs a search. Scheduling an item later than it already is due does nothing: a visit that comes early finds
 * nothing to do and schedules the item again.
 * <p>
 * The heap holds at most one live entry per item, and an item's stale entries were each pushed by a move to an
 * earlier time, so it grows only as items are rescheduled ahead of themselves. Not thread-safe.
 */
final class DueQueue
{
    static final long NONE = Long.MAX_VALUE;

    private final long[] dueMs;
    private long[] heapDueMs;
    private int[] heapItem;
    private int size;

    /**
     * @param n items 0..n-1, none due.
     */
    DueQueue(final int n)
    {
        dueMs = new long[n];
        Arrays.fill(dueMs, NONE);
        final int capacity = Math.max(16, n);
        heapDueMs = new long[capacity];
        heapItem = new int[capacity];
    }

    /**
     * Make an item due at {@code atMs}, or earlier if it already is.
     *
     * @param item  its index.
     * @param atMs  when ({@link #NONE}: nothing to do).
     */
    void schedule(final int item, final long atMs)
    {
        if (atMs == NONE || atMs >= dueMs[item])
        {
            return;
        }
        dueMs[item] = atMs;
        if (size == heapDueMs.length)
        {
            heapDueMs = Arrays.copyOf(heapDueMs, size * 2);
            heapItem = Arrays.copyOf(heapItem, size * 2);
        }
        int at = size++;
        while (at > 0)
        {
            final int parent = (at - 1) >>> 1;
            if (heapDueMs[parent] <= atMs)
            {
                break;
            }
            heapDueMs[at] = heapDueMs[parent];
            heapItem[at] = heapItem[parent];
            at = parent;
        }
        heapDueMs[at] = atMs;
        heapItem[at] = item;
    }

    /**
     * Take the item due earliest if it is due by {@code nowMs}; it is then due no more until scheduled again.
     *
     * @param nowMs the clock.
     * @return the item, or -1 when none is due.
     */
    int pollDue(final long nowMs)
    {
        while (size > 0 && heapDueMs[0] <= nowMs)
        {
            final long atMs = heapDueMs[0];
            final int item = heapItem[0];
            removeTop();
            if (dueMs[item] == atMs)
            {
                dueMs[item] = NONE;
                return item;
            }
        }
        return -1;
    }

    /**
     * @param item its index.
     * @return when it is due, {@link #NONE} when not.
     */
    long dueMs(final int item)
    {
        return dueMs[item];
    }

    /**
     * @return entries in the heap, stale ones included.
     */
    int entries()
    {
        return size;
    }

    private void removeTop()
    {
        final int last = --size;
        final long movedMs = heapDueMs[last];
        final int movedItem = heapItem[last];
        int at = 0;
        while (true)
        {
            int child = 2 * at + 1;
            if (child >= last)
            {
                break;
            }
            if (child + 1 < last && heapDueMs[child + 1] < heapDueMs[child])
            {
                child++;
            }
            if (heapDueMs[child] >= movedMs)
            {
                break;
            }
            heapDueMs[at] = heapDueMs[child];
            heapItem[at] = heapItem[child];
            at = child;
        }
        if (last > 0)
        {
            heapDueMs[at] = movedMs;
            heapItem[at] = movedItem;
        }
    }
}
