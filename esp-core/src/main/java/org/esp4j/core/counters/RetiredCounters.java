package org.esp4j.core.counters;

import java.util.Arrays;

/**
 * Counter ids waiting out their reuse delay, oldest first: a growable ring of (id, deadline) pairs. Ids are added
 * with non-decreasing deadlines (one delay, one clock), so the ones due are always at the head and taking one is
 * O(1), whatever the number waiting.
 * <p>
 * Not thread-safe: {@link XfrmCounters} uses it under its manager's lock.
 */
final class RetiredCounters
{
    private int[] ids = new int[64];
    private long[] deadlinesMs = new long[64];
    private int head;
    private int size;

    /**
     * @param counterId  the id held back.
     * @param deadlineMs epoch ms from which it may be reused (not before the last one added).
     */
    void add(final int counterId, final long deadlineMs)
    {
        if (size == ids.length)
        {
            grow();
        }
        final int tail = (head + size) & (ids.length - 1);
        ids[tail] = counterId;
        deadlinesMs[tail] = deadlineMs;
        size++;
    }

    /**
     * @param nowMs epoch ms.
     * @return the oldest id whose deadline has passed, removed, or -1 when none is due.
     */
    int pollDue(final long nowMs)
    {
        if (size == 0 || deadlinesMs[head] > nowMs)
        {
            return -1;
        }
        final int counterId = ids[head];
        head = (head + 1) & (ids.length - 1);
        size--;
        return counterId;
    }

    /**
     * @param nowMs epoch ms.
     * @param limit stop counting there.
     * @return how many ids are due, at most {@code limit}.
     */
    int dueCount(final long nowMs, final int limit)
    {
        int due = 0;
        while (due < limit && due < size && deadlinesMs[(head + due) & (ids.length - 1)] <= nowMs)
        {
            due++;
        }
        return due;
    }

    /** @return ids waiting, due or not. */
    int size()
    {
        return size;
    }

    private void grow()
    {
        final int[] newIds = new int[ids.length * 2];
        final long[] newDeadlines = new long[ids.length * 2];
        for (int i = 0; i < size; i++)
        {
            newIds[i] = ids[(head + i) & (ids.length - 1)];
            newDeadlines[i] = deadlinesMs[(head + i) & (ids.length - 1)];
        }
        Arrays.fill(ids, 0);
        ids = newIds;
        deadlinesMs = newDeadlines;
        head = 0;
    }
}
