package org.esp4j.tun.jna;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuSetTest
{
    @Test
    void shouldReadTheSameCpusAsTheKernelListsForThisThread() throws Exception
    {
        final List<Integer> allowed = CpuSet.allowedForThisThread();
        assertFalse(allowed.isEmpty());
        assertEquals(cpusAllowedList(), CpuSet.toList(allowed));
    }

    @Test
    void shouldKeepAThreadOnEachCpuItMayUse() throws Exception
    {
        for (final int cpu : CpuSet.allowedForThisThread())
        {
            // on a thread of its own: the test thread keeps its affinity
            final AtomicReference<List<Object>> seen = new AtomicReference<>();
            final Thread thread = new Thread(() ->
            {
                final List<Object> result = new ArrayList<>();
                result.add(CpuSet.pinThisThread(cpu));
                result.add(CpuSet.allowedForThisThread());
                try
                {
                    result.add(cpusAllowedList());
                }
                catch (final Exception ex)
                {
                    result.add(ex.toString());
                }
                seen.set(result);
            });
            thread.start();
            thread.join();
            assertEquals(List.of(0, List.of(cpu), String.valueOf(cpu)), seen.get());
        }
    }

    @Test
    void shouldRefuseACpuThatIsNotThere()
    {
        final int[] errno = new int[2];
        final Thread thread = new Thread(() ->
        {
            errno[0] = CpuSet.pinThisThread(CpuSet.MAX_CPUS - 1); // no such CPU on any machine that runs these tests
            errno[1] = CpuSet.pinThisThread(-1);
        });
        thread.start();
        assertTrue(join(thread));
        assertEquals(LibC.EINVAL, errno[0]);
        assertEquals(LibC.EINVAL, errno[1]);
    }

    @Test
    void shouldPrintCpusAsRanges()
    {
        assertEquals("0", CpuSet.toList(List.of(0)));
        assertEquals("0-3", CpuSet.toList(List.of(0, 1, 2, 3)));
        assertEquals("0,2-4,7,9-10", CpuSet.toList(List.of(0, 2, 3, 4, 7, 9, 10)));
        assertEquals("", CpuSet.toList(List.of()));
    }

    private static boolean join(final Thread thread)
    {
        try
        {
            thread.join();
            return true;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The calling thread's {@code Cpus_allowed_list} from {@code /proc/thread-self/status}. */
    private static String cpusAllowedList() throws Exception
    {
        for (final String line : Files.readAllLines(Path.of("/proc/thread-self/status")))
        {
            if (line.startsWith("Cpus_allowed_list:"))
            {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        throw new IllegalStateException("no Cpus_allowed_list");
    }
}
