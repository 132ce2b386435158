package org.esp4j.core.sa;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The deadline queue behind the SAD's time-limit checks: order, reschedule, removal, what is due. */
class DeadlineQueueTest
{
    private record Entry(String name)
    {
    }

    private final DeadlineQueue<Object> queue = new DeadlineQueue<>();

    @Test
    void shouldHandOverDueEntriesInDeadlineOrderAndKeepTheOthers()
    {
        final Object a = new Object();
        final Object b = new Object();
        final Object c = new Object();
        queue.schedule(c, 30);
        queue.schedule(a, 10);
        queue.schedule(b, 20);

        final List<Long> deadlines = new ArrayList<>();
        final List<Object> polled = new ArrayList<>();
        assertEquals(2, queue.pollDue(20, Integer.MAX_VALUE, (entry, deadlineNs) ->
        {
            polled.add(entry);
            deadlines.add(deadlineNs);
        }));
        assertEquals(List.of(a, b), polled);
        assertEquals(List.of(10L, 20L), deadlines);
        assertEquals(1, queue.size());
        assertEquals(30, queue.deadlineNs(c));
    }

    @Test
    void shouldDoNothingWhenNothingIsDue()
    {
        queue.schedule(new Object(), 100);
        assertEquals(0, queue.pollDue(99, Integer.MAX_VALUE, (entry, deadlineNs) -> { throw new AssertionError(); }));
        assertEquals(1, queue.size());
    }

    @Test
    void shouldMoveAnEntryWhenRescheduledEarlierOrLater()
    {
        final Object early = new Object();
        final Object late = new Object();
        final Object other = new Object();
        queue.schedule(early, 10);
        queue.schedule(other, 20);
        queue.schedule(late, 30);

        queue.schedule(early, 40); // later: after both others
        queue.schedule(late, 5);   // earlier: first
        assertEquals(3, queue.size(), "rescheduling does not add an entry");
        assertEquals(List.of(late, other, early), drain(Long.MAX_VALUE));
    }

    @Test
    void shouldForgetARemovedEntry()
    {
        final Object a = new Object();
        final Object b = new Object();
        queue.schedule(a, 10);
        queue.schedule(b, 20);
        assertTrue(queue.remove(a));
        assertFalse(queue.remove(a), "only once");
        assertEquals(Long.MAX_VALUE, queue.deadlineNs(a));
        assertEquals(List.of(b), drain(Long.MAX_VALUE));
    }

    @Test
    void shouldTreatEqualRecordsAsOneEntry()
    {
        queue.schedule(new Entry("sa"), 10);
        queue.schedule(new Entry("sa"), 20);
        assertEquals(1, queue.size());
        assertEquals(20, queue.deadlineNs(new Entry("sa")));
    }

    @Test
    void shouldStopAtTheLimitAndCompareNegativeClockValues()
    {
        queue.schedule("x", -30);
        queue.schedule("y", -20);
        queue.schedule("z", 5);
        assertEquals(1, queue.pollDue(0, 1, (entry, deadlineNs) -> assertEquals("x", entry)));
        assertEquals(List.of("y"), drain(0));
    }

    @Test
    void shouldKeepDeadlineOrderThroughRandomSchedulesAndRemovals()
    {
        final Random random = new Random(14);
        final long[] expected = new long[2000];
        for (int i = 0; i < expected.length; i++)
        {
            expected[i] = random.nextInt(1_000_000);
            queue.schedule(i, expected[i]);
        }
        for (int i = 0; i < 5000; i++)
        {
            final int index = random.nextInt(expected.length);
            if (random.nextInt(4) == 0)
            {
                queue.remove(index);
                expected[index] = Long.MAX_VALUE;
            }
            else
            {
                expected[index] = random.nextInt(1_000_000);
                queue.schedule(index, expected[index]);
            }
        }
        final List<Long> deadlines = new ArrayList<>();
        queue.pollDue(Long.MAX_VALUE, Integer.MAX_VALUE, (entry, deadlineNs) ->
        {
            assertEquals(expected[(Integer)entry], deadlineNs);
            deadlines.add(deadlineNs);
        });
        final List<Long> sorted = new ArrayList<>(deadlines);
        sorted.sort(null);
        assertEquals(sorted, deadlines);
        assertEquals(java.util.Arrays.stream(expected).filter(d -> d != Long.MAX_VALUE).count(), deadlines.size());
        assertEquals(0, queue.size());
    }

    private List<Object> drain(final long nowNs)
    {
        final List<Object> polled = new ArrayList<>();
        queue.pollDue(nowNs, Integer.MAX_VALUE, (entry, deadlineNs) -> polled.add(entry));
        return polled;
    }
}
