package org.esp4j.tun.jna;

import com.sun.jna.Platform;

/**
 * The calling thread's fair-class scheduling attributes through {@code sched_getattr(2)} and {@code sched_setattr(2)}
 * (system calls glibc before 2.41 has no wrapper of): the policy ({@link #SCHED_OTHER} or {@link #SCHED_BATCH}) and,
 * on Linux 6.12 and later, the EEVDF <em>custom slice</em>: {@code sched_runtime} of a fair policy is the slice the
 * thread asks for (the kernel clamps it to 0.1-100 ms; 0 goes back to the default, {@code base_slice_ns}). A shorter
 * slice gives the thread an earlier virtual deadline but lets the scheduler take the CPU from it sooner: its
 * protected run ({@code RUN_TO_PARITY}) lasts at most its slice.
 * <p>
 * {@code struct sched_attr} (the first 48 bytes, {@code SCHED_ATTR_SIZE_VER0}):
 * <pre>
 *  0 u32 size            4 u32 sched_policy
 *  8 u64 sched_flags
 * 16 s32 sched_nice     20 u32 sched_priority
 * 24 u64 sched_runtime  32 u64 sched_deadline  40 u64 sched_period
 * </pre>
 * The niceness is read first and written back unchanged, so a daemon started under {@code nice} keeps it.
 * <p>
 * Control plane only (once per packet thread at its start): each call allocates its structure.
 */
public final class SchedAttr
{
    public static final int SCHED_OTHER = 0;
    /** No wake-up preemption of other fair threads by this one; the scheduler's tick and slices still apply. */
    public static final int SCHED_BATCH = 3;

    static final int SIZE_VER0 = 48;
    private static final int SIZE_OFFSET = 0;
    private static final int POLICY_OFFSET = 4;
    private static final int FLAGS_OFFSET = 8;
    private static final int RUNTIME_OFFSET = 24;

    /** {@code __NR_sched_setattr} / {@code __NR_sched_getattr}: x86-64 314 / 315, AArch64 (generic table) 274 / 275. */
    private static final long SYS_SCHED_SETATTR = Platform.isIntel() ? 314 : 274;
    private static final long SYS_SCHED_GETATTR = Platform.isIntel() ? 315 : 275;

    private SchedAttr()
    {
    }

    /**
     * Set the calling thread's fair policy and slice, keeping its niceness.
     *
     * @param policy  {@link #SCHED_OTHER} or {@link #SCHED_BATCH}.
     * @param sliceNs the custom slice ({@code sched_runtime}), 0 for the kernel's default.
     * @return 0, or the errno of the refusal (EINVAL also where the kernel knows no custom slice and refuses it).
     */
    public static int setThisThread(final int policy, final long sliceNs)
    {
        final NativeArea area = new NativeArea(SIZE_VER0);
        if (LibC.syscall(SYS_SCHED_GETATTR, 0, area.address(0), SIZE_VER0, 0, 0, 0) < 0)
        {
            return LibC.errno();
        }
        area.buffer().putInt(SIZE_OFFSET, SIZE_VER0);
        area.buffer().putInt(POLICY_OFFSET, policy);
        area.buffer().putLong(FLAGS_OFFSET, 0);
        area.buffer().putLong(RUNTIME_OFFSET, sliceNs);
        return LibC.syscall(SYS_SCHED_SETATTR, 0, area.address(0), 0, 0, 0, 0) < 0 ? LibC.errno() : 0;
    }

    /** @return the calling thread's policy, or -1 with {@link LibC#errno()} set. */
    public static int policyOfThisThread()
    {
        final NativeArea area = new NativeArea(SIZE_VER0);
        return LibC.syscall(SYS_SCHED_GETATTR, 0, area.address(0), SIZE_VER0, 0, 0, 0) < 0 ? -1 :
            area.buffer().getInt(POLICY_OFFSET);
    }

    /**
     * @return the calling thread's {@code sched_runtime} as {@code sched_getattr} reports it for a fair policy (the
     *         slice in use, custom or default, on Linux 6.12+; 0 before), or -1 with {@link LibC#errno()} set.
     */
    public static long sliceNsOfThisThread()
    {
        final NativeArea area = new NativeArea(SIZE_VER0);
        return LibC.syscall(SYS_SCHED_GETATTR, 0, area.address(0), SIZE_VER0, 0, 0, 0) < 0 ? -1 :
            area.buffer().getLong(RUNTIME_OFFSET);
    }
}
