package org.esp4j.tun.jna;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SchedAttrTest
{
    @Test
    void shouldSetThisThreadsPolicyAndCustomSliceAndGoBackToTheDefaults() throws Exception
    {
        assumeTrue(kernelAtLeast(6, 12), "EEVDF custom slices (sched_runtime of a fair policy) need Linux 6.12+, " +
            "this is " + System.getProperty("os.version"));
        // on a thread of its own: the test thread keeps its scheduling
        final AtomicReference<List<Object>> seen = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            final List<Object> result = new ArrayList<>();
            result.add(SchedAttr.setThisThread(SchedAttr.SCHED_BATCH, 200_000));
            result.add(SchedAttr.policyOfThisThread());
            result.add(SchedAttr.sliceNsOfThisThread());
            result.add(procPolicy());
            result.add(SchedAttr.setThisThread(SchedAttr.SCHED_OTHER, 0));
            result.add(SchedAttr.policyOfThisThread());
            result.add(SchedAttr.sliceNsOfThisThread());
            result.add(procPolicy());
            seen.set(result);
        });
        thread.start();
        thread.join();

        final List<Object> result = seen.get();
        assertNotNull(result);
        assertEquals(0, result.get(0), "sched_setattr(SCHED_BATCH, 200 us) errno");
        assertEquals(SchedAttr.SCHED_BATCH, result.get(1));
        assertEquals(200_000L, result.get(2), "the custom slice sched_getattr reports");
        assertEquals(String.valueOf(SchedAttr.SCHED_BATCH), result.get(3), "policy in /proc/thread-self/stat");
        assertEquals(0, result.get(4), "sched_setattr(SCHED_OTHER, 0) errno");
        assertEquals(SchedAttr.SCHED_OTHER, result.get(5));
        assertTrue((Long)result.get(6) > 0 && (Long)result.get(6) != 200_000L,
            "back to the kernel's base slice: " + result.get(6));
        assertEquals(String.valueOf(SchedAttr.SCHED_OTHER), result.get(7));
    }

    @Test
    void shouldRefuseAnUnknownPolicyAndLeaveTheThreadAsItWas() throws Exception
    {
        final AtomicReference<List<Object>> seen = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            final List<Object> result = new ArrayList<>();
            result.add(SchedAttr.setThisThread(42, 0)); // no such policy
            result.add(SchedAttr.policyOfThisThread());
            seen.set(result);
        });
        thread.start();
        thread.join();

        assertEquals(LibC.EINVAL, seen.get().get(0));
        assertEquals(SchedAttr.SCHED_OTHER, seen.get().get(1));
    }

    /** Field 41 of /proc/thread-self/stat, after the command's closing parenthesis. */
    private static String procPolicy()
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields[41 - 3];
        }
        catch (final java.io.IOException ex)
        {
            return ex.toString();
        }
    }

    private static boolean kernelAtLeast(final int major, final int minor)
    {
        final String[] parts = System.getProperty("os.version").split("[.-]");
        final int kernelMajor = Integer.parseInt(parts[0]);
        final int kernelMinor = Integer.parseInt(parts[1]);
        return kernelMajor > major || kernelMajor == major && kernelMinor >= minor;
    }
}
