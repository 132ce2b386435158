package org.esp4j.tun.jna;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link IoUring} against the kernel, on an eventfd (pollable, 8 bytes per read) and on /dev/zero (not pollable, so
 * the kernel refuses a multishot read of it, as a kernel without {@code IORING_OP_READ_MULTISHOT} refuses any).
 */
class IoUringTest
{
    private static final int EFD_CLOEXEC = LibC.O_CLOEXEC;

    @Test
    void shouldHandOutEachReadOfTheArmedMultishotReadOnce() throws Exception
    {
        final int fd = LibC.eventfd(0, LibC.O_NONBLOCK | EFD_CLOEXEC);
        assertTrue(fd >= 0, LibC.describe(LibC.errno()));
        final NativeArea value = new NativeArea(8);
        final NativeArea out = new NativeArea(64);
        try (IoUring ring = open(fd))
        {
            assertEquals(0, ring.enter());
            assertEquals(0, ring.next(out.address(0), 64), "nothing to read yet");
            for (long i = 1; i <= 40; i++) // more reads than buffers: each buffer goes back to the kernel
            {
                value.buffer().putLong(0, i, ByteOrder.nativeOrder());
                assertEquals(8L, LibC.write(fd, value.address(0), 8));
                assertEquals(0, ring.next(out.address(0), 64), "no read before io_uring_enter (DEFER_TASKRUN)");
                assertEquals(1, ring.enter(), "one completion waiting");
                assertEquals(8, ring.next(out.address(0), 64), "read " + i);
                assertEquals(i, out.buffer().getLong(0, ByteOrder.nativeOrder()));
                assertEquals(0, ring.next(out.address(0), 64));
            }
            assertFalse(ring.stopped());
        }
        finally
        {
            LibC.close(fd);
        }
    }

    @Test
    void shouldStopWhenTheKernelRefusesTheRead() throws Exception
    {
        final int fd = LibC.open("/dev/zero", LibC.O_CLOEXEC);
        assertTrue(fd >= 0, LibC.describe(LibC.errno()));
        final NativeArea out = new NativeArea(64);
        try (IoUring ring = open(fd))
        {
            assertEquals(1, ring.enter(), "the failed read's completion");
            final int n = ring.next(out.address(0), 64);
            assertTrue(n < 0, "a multishot read of a file without poll must fail: " + n);
            assertTrue(ring.stopped());
            assertEquals(0, ring.enter());
            assertEquals(0, ring.next(out.address(0), 64), "not armed again");
        }
        finally
        {
            LibC.close(fd);
        }
    }

    @Test
    void shouldFindIoUringUsableWhereARingReadsAnEventFd() throws Exception
    {
        final int fd = LibC.eventfd(0, LibC.O_NONBLOCK | EFD_CLOEXEC);
        assertTrue(fd >= 0, LibC.describe(LibC.errno()));
        try (IoUring ring = open(fd))
        {
            assertEquals(0, ring.enter(), "an armed read of an empty eventfd completes nothing");
            assertFalse(ring.stopped());
            assertNull(IoUring.probe(), "a kernel where the ring reads must pass the probe");
        }
        finally
        {
            LibC.close(fd);
        }
    }

    private static IoUring open(final int fd)
    {
        try
        {
            return IoUring.open(fd, 4, 64);
        }
        catch (final IOException ex)
        {
            if (System.getenv("CI") != null)
            {
                throw new AssertionError("io_uring unavailable under CI", ex);
            }
            Assumptions.abort("io_uring unavailable here (kernel, io_uring_disabled or seccomp): " + ex.getMessage());
            return null;
        }
    }
}
