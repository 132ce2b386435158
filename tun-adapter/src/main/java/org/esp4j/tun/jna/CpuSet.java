package org.esp4j.tun.jna;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code cpu_set_t} of {@link #MAX_CPUS} bits for {@code sched_setaffinity(2)} / {@code sched_getaffinity(2)} on the
 * calling thread (pid 0): which CPUs a thread may run on. Bit {@code n} of byte {@code n / 8} is CPU {@code n}, as
 * glibc's {@code CPU_SET} (a byte array view of its {@code unsigned long} words on a little-endian machine).
 * <p>
 * Control plane only: each call allocates its native set. Not thread safe; every method acts on the calling thread.
 */
public final class CpuSet
{
    /** CPUs a set holds: glibc's {@code CPU_SETSIZE}, the kernel's default {@code NR_CPUS} limit on x86-64. */
    public static final int MAX_CPUS = 1024;
    private static final int SIZE_BYTES = MAX_CPUS / 8;

    private CpuSet()
    {
    }

    /**
     * @return the CPUs the calling thread may run on, in ascending order.
     * @throws IllegalStateException if the kernel refuses (errno in the message).
     */
    public static List<Integer> allowedForThisThread()
    {
        final NativeArea area = new NativeArea(SIZE_BYTES);
        if (LibC.sched_getaffinity(0, SIZE_BYTES, area.address(0)) < 0)
        {
            throw new IllegalStateException("sched_getaffinity: " + LibC.describe(LibC.errno()));
        }
        final List<Integer> cpus = new ArrayList<>();
        for (int cpu = 0; cpu < MAX_CPUS; cpu++)
        {
            if ((area.buffer().getByte(cpu >> 3) & (1 << (cpu & 7))) != 0)
            {
                cpus.add(cpu);
            }
        }
        return cpus;
    }

    /**
     * Keep the calling thread on one CPU.
     *
     * @param cpu the CPU, 0 .. {@link #MAX_CPUS} - 1.
     * @return 0, or the errno of the refusal (EINVAL: the CPU is not one this process may use).
     */
    public static int pinThisThread(final int cpu)
    {
        if (cpu < 0 || cpu >= MAX_CPUS)
        {
            return LibC.EINVAL;
        }
        final NativeArea area = new NativeArea(SIZE_BYTES);
        area.buffer().putByte(cpu >> 3, (byte)(1 << (cpu & 7)));
        return LibC.sched_setaffinity(0, SIZE_BYTES, area.address(0)) < 0 ? LibC.errno() : 0;
    }

    /** @return CPUs as {@code taskset -c} and {@code /proc/PID/status}'s {@code Cpus_allowed_list} print them. */
    public static String toList(final List<Integer> cpus)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < cpus.size(); )
        {
            int j = i;
            while (j + 1 < cpus.size() && cpus.get(j + 1) == cpus.get(j) + 1)
            {
                j++;
            }
            text.append(text.length() == 0 ? "" : ",").append(cpus.get(i));
            if (j > i)
            {
                text.append('-').append(cpus.get(j));
            }
            i = j + 1;
        }
        return text.toString();
    }
}
