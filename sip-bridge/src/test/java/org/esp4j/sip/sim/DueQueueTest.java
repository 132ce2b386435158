package org.esp4j.sip.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DueQueueTest
{
    @Test
    void shouldGiveNothingBeforeItsTime()
    {
        final DueQueue queue = new DueQueue(3);
        queue.schedule(1, 100);
        assertEquals(-1, queue.pollDue(99));
        assertEquals(1, queue.pollDue(100));
        assertEquals(-1, queue.pollDue(1_000), "taken once, due no more");
        assertEquals(DueQueue.NONE, queue.dueMs(1));
    }

    @Test
    void shouldGiveDueItemsInOrderOfDueTime()
    {
        final DueQueue queue = new DueQueue(5);
        queue.schedule(0, 50);
        queue.schedule(1, 10);
        queue.schedule(2, 40);
        queue.schedule(3, 20);
        queue.schedule(4, 30);
        assertEquals(List.of(1, 3, 4), pollAll(queue, 35));
        assertEquals(List.of(2, 0), pollAll(queue, 50));
    }

    @Test
    void shouldKeepTheEarlierTimeWhenScheduledTwice()
    {
        final DueQueue queue = new DueQueue(2);
        queue.schedule(0, 100);
        queue.schedule(0, 30);
        queue.schedule(0, 60); // later than it is due: nothing changes
        assertEquals(30, queue.dueMs(0));
        assertEquals(List.of(0), pollAll(queue, 1_000), "once, not once per schedule");
        assertEquals(0, queue.entries(), "the stale entry went with the poll");
    }

    @Test
    void shouldScheduleAgainAfterItWasTaken()
    {
        final DueQueue queue = new DueQueue(1);
        queue.schedule(0, 10);
        assertEquals(0, queue.pollDue(10));
        queue.schedule(0, 500);
        assertEquals(-1, queue.pollDue(499));
        assertEquals(0, queue.pollDue(500));
    }

    @Test
    void shouldIgnoreNone()
    {
        final DueQueue queue = new DueQueue(1);
        queue.schedule(0, DueQueue.NONE);
        assertEquals(0, queue.entries());
        assertEquals(-1, queue.pollDue(Long.MAX_VALUE - 1));
    }

    @Test
    void shouldMatchASortOfRandomTimesAndGrowPastItsItems()
    {
        final int n = 1_000;
        final DueQueue queue = new DueQueue(n);
        final Random random = new Random(7);
        final long[] expected = new long[n];
        java.util.Arrays.fill(expected, DueQueue.NONE);
        for (int round = 0; round < 3 * n; round++) // each item rescheduled ~3 times: stale entries beyond n
        {
            final int item = random.nextInt(n);
            final long atMs = 1 + random.nextInt(10_000);
            queue.schedule(item, atMs);
            expected[item] = Math.min(expected[item], atMs);
        }
        long last = Long.MIN_VALUE;
        int taken = 0;
        for (int item = queue.pollDue(20_000); item >= 0; item = queue.pollDue(20_000))
        {
            final long atMs = expected[item];
            assertEquals(true, atMs >= last, "in order of due time");
            last = atMs;
            expected[item] = -1;
            taken++;
        }
        int scheduled = 0;
        for (final long atMs : expected)
        {
            scheduled += atMs == -1 ? 1 : 0;
            assertEquals(true, atMs == -1 || atMs == DueQueue.NONE, "every scheduled item taken");
        }
        assertEquals(scheduled, taken, "each once");
        assertEquals(0, queue.entries());
    }

    private static List<Integer> pollAll(final DueQueue queue, final long nowMs)
    {
        final List<Integer> items = new ArrayList<>();
        for (int item = queue.pollDue(nowMs); item >= 0; item = queue.pollDue(nowMs))
        {
            items.add(item);
        }
        return items;
    }
}
