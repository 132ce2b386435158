package org.esp4j.tun.jna;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteOrder;

/**
 * The smallest io_uring the daemon needs: one multishot read ({@code IORING_OP_READ_MULTISHOT}, Linux 6.7) of one
 * pollable fd into a ring of provided buffers ({@code IORING_REGISTER_PBUF_RING}, Linux 5.19), so that one
 * {@code io_uring_enter(2)} reads every packet waiting in a TUN queue instead of one {@code read(2)} each. Raw
 * system calls through {@link LibC#syscall}; the rings are shared memory read and written with acquire/release
 * ordering, as liburing does.
 * <p>
 * The rings live in memory of ours ({@code IORING_SETUP_NO_MMAP}, Linux 6.5), so closing the ring's fd is all it
 * takes to end it (a mapping of the fd would keep it, and the TUN queue its read holds, open).
 * The ring is set up with {@code IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN} (Linux 6.1): the kernel
 * does the reads only inside {@link #enter} of the thread that created the ring, never behind the caller's back (in a
 * wake-up or at another system call's return). So a packet not yet handed out is either in the completion queue or
 * still in the fd's own queue, where {@code poll(2)} on the fd sees it: an idle strategy that sleeps in
 * {@code poll} on the fd after the completion queue ran empty misses nothing. One consequence: this object belongs to
 * the thread that {@link #open}s it (the kernel refuses the others, {@code EEXIST}).
 * <pre>
 * struct io_uring_params (120 bytes)     struct io_uring_sqe (64 bytes)      struct io_uring_cqe (16 bytes)
 *   0 u32 sq_entries                       0 u8  opcode                        0 u64 user_data
 *   4 u32 cq_entries                       1 u8  flags (IOSQE_BUFFER_SELECT)   8 s32 res (bytes or -errno)
 *   8 u32 flags                            4 s32 fd                           12 u32 flags (F_BUFFER: id in 16..31,
 *  20 u32 features                         8 u64 off                                          F_MORE: still armed)
 *  40 io_sqring_offsets sq_off (40)       32 u64 user_data
 *  80 io_cqring_offsets cq_off (40)       40 u16 buf_group
 * offsets: head 0, tail 4, ring_mask 8, ring_entries 12; sq array 24; cq cqes 20; user_addr 32 (NO_MMAP: our
 *          memory for the submission entries in sq_off, for the rings in cq_off)
 *
 * struct io_uring_buf (16 bytes), the provided-buffer ring's entries; the ring's tail is a u16 at byte 14 of entry 0
 *   0 u64 addr   8 u32 len   12 u16 bid
 * struct io_uring_buf_reg (40 bytes), IORING_REGISTER_PBUF_RING's argument
 *   0 u64 ring_addr   8 u32 ring_entries   12 u16 bgid
 * </pre>
 */
public final class IoUring implements AutoCloseable
{
    public static final int SYS_IO_URING_SETUP = 425;
    public static final int SYS_IO_URING_ENTER = 426;
    public static final int SYS_IO_URING_REGISTER = 427;

    static final int SETUP_CQSIZE = 1 << 3;
    static final int SETUP_SINGLE_ISSUER = 1 << 12;
    static final int SETUP_DEFER_TASKRUN = 1 << 13;
    static final int SETUP_NO_MMAP = 1 << 14;
    static final int ENTER_GETEVENTS = 1;
    static final int REGISTER_PBUF_RING = 22;
    static final int OP_READ_MULTISHOT = 49;
    static final int IOSQE_BUFFER_SELECT = 1 << 5;
    public static final int CQE_F_BUFFER = 1;
    public static final int CQE_F_MORE = 1 << 1;
    static final int CQE_BUFFER_SHIFT = 16;

    static final int PARAMS_LENGTH = 120;
    static final int PARAMS_SQ_ENTRIES_OFFSET = 0;
    static final int PARAMS_CQ_ENTRIES_OFFSET = 4;
    static final int PARAMS_FLAGS_OFFSET = 8;
    static final int PARAMS_FEATURES_OFFSET = 20;
    static final int PARAMS_SQ_OFF = 40;
    static final int PARAMS_CQ_OFF = 80;
    static final int RING_HEAD_OFFSET = 0;
    static final int RING_TAIL_OFFSET = 4;
    static final int RING_MASK_OFFSET = 8;
    static final int SQ_ARRAY_OFFSET = 24;
    static final int RING_USER_ADDR_OFFSET = 32;
    static final int CQ_CQES_OFFSET = 20;
    static final int SQE_LENGTH = 64;
    static final int SQE_OPCODE_OFFSET = 0;
    static final int SQE_FLAGS_OFFSET = 1;
    static final int SQE_FD_OFFSET = 4;
    static final int SQE_OFF_OFFSET = 8;
    static final int SQE_USER_DATA_OFFSET = 32;
    static final int SQE_BUF_GROUP_OFFSET = 40;
    static final int CQE_LENGTH = 16;
    static final int CQE_RES_OFFSET = 8;
    static final int CQE_FLAGS_OFFSET = 12;
    static final int BUF_LENGTH = 16;
    static final int BUF_ADDR_OFFSET = 0;
    static final int BUF_LEN_OFFSET = 8;
    static final int BUF_BID_OFFSET = 12;
    static final int BUF_RING_TAIL_OFFSET = 14;
    static final int BUF_REG_LENGTH = 40;
    static final int BUF_REG_RING_ADDR_OFFSET = 0;
    static final int BUF_REG_RING_ENTRIES_OFFSET = 8;
    static final int BUF_REG_BGID_OFFSET = 12;

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int SQ_ENTRIES = 4;
    private static final int CQ_ENTRIES = 256;
    private static final int BUFFER_GROUP = 0;
    private static final int PAGE = 4096;
    /** Room for the kernel's {@code struct io_rings} with {@link #CQ_ENTRIES} completions and the SQ index array. */
    private static final int RINGS_REGION = 4 * PAGE;
    private static final int SQES_REGION = PAGE;

    private final int ringFd;
    private final int fd;
    private final UnsafeBuffer rings;
    private final UnsafeBuffer sqes;
    private final UnsafeBuffer bufRing;
    private final UnsafeBuffer buffers;
    /** Where a completed read is copied to (wrapped per call: no allocation). */
    private final UnsafeBuffer target = new UnsafeBuffer(0, 0);
    private final int bufferCount;
    private final int bufferSize;
    /** Offsets in {@link #rings} of the submission queue's head and tail, the completion queue's and its entries. */
    private final int sqHeadAt;
    private final int sqTailAt;
    private final int sqMask;
    private final int cqHeadAt;
    private final int cqTailAt;
    private final int cqMask;
    private final int cqesAt;
    private int bufTail;
    private boolean stopped;
    private boolean closed;

    private IoUring(final int ringFd, final int fd, final UnsafeBuffer params, final UnsafeBuffer rings,
        final UnsafeBuffer sqes, final UnsafeBuffer bufRing, final UnsafeBuffer buffers, final int bufferCount,
        final int bufferSize)
    {
        this.ringFd = ringFd;
        this.fd = fd;
        this.rings = rings;
        this.sqes = sqes;
        this.bufRing = bufRing;
        this.buffers = buffers;
        this.bufferCount = bufferCount;
        this.bufferSize = bufferSize;
        sqHeadAt = params.getInt(PARAMS_SQ_OFF + RING_HEAD_OFFSET, NATIVE);
        sqTailAt = params.getInt(PARAMS_SQ_OFF + RING_TAIL_OFFSET, NATIVE);
        sqMask = rings.getInt(params.getInt(PARAMS_SQ_OFF + RING_MASK_OFFSET, NATIVE), NATIVE);
        cqHeadAt = params.getInt(PARAMS_CQ_OFF + RING_HEAD_OFFSET, NATIVE);
        cqTailAt = params.getInt(PARAMS_CQ_OFF + RING_TAIL_OFFSET, NATIVE);
        cqMask = rings.getInt(params.getInt(PARAMS_CQ_OFF + RING_MASK_OFFSET, NATIVE), NATIVE);
        cqesAt = params.getInt(PARAMS_CQ_OFF + CQ_CQES_OFFSET, NATIVE);
    }

    /**
     * Set up a ring on the calling thread for multishot reads of {@code fd} into {@code bufferCount} buffers of
     * {@code bufferSize} bytes, and queue the first read (it goes to the kernel with the first {@link #enter}).
     *
     * @param bufferCount a power of two (at most 32,768).
     * @throws IOException where the kernel has no io_uring, forbids it ({@code io_uring_disabled}, seccomp) or lacks
     *                     one of the features (the caller then reads with {@code read(2)}).
     */
    public static IoUring open(final int fd, final int bufferCount, final int bufferSize) throws IOException
    {
        if (Integer.bitCount(bufferCount) != 1 || bufferCount > 32768)
        {
            throw new IllegalArgumentException("bufferCount must be a power of two up to 32768: " + bufferCount);
        }
        final NativeArea paramsArea = new NativeArea(PARAMS_LENGTH);
        final UnsafeBuffer params = paramsArea.buffer();
        params.setMemory(0, PARAMS_LENGTH, (byte)0);
        params.putInt(PARAMS_CQ_ENTRIES_OFFSET, CQ_ENTRIES, NATIVE);
        params.putInt(PARAMS_FLAGS_OFFSET, SETUP_CQSIZE | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN | SETUP_NO_MMAP, NATIVE);
        // one mapping for everything the kernel shares with us, never unmapped (see close): the rings, the
        // submission entries, the provided-buffer ring (page aligned) and the buffers
        final long bufRingBytes = align((long)BUF_LENGTH * bufferCount, PAGE);
        final long length = RINGS_REGION + SQES_REGION + bufRingBytes + (long)bufferCount * bufferSize;
        final long region = LibC.mmap(0, length, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        if (region == LibC.MAP_FAILED)
        {
            throw new IOException("mmap io_uring memory: " + LibC.describe(LibC.errno()));
        }
        params.putLong(PARAMS_SQ_OFF + RING_USER_ADDR_OFFSET, region + RINGS_REGION, NATIVE);
        params.putLong(PARAMS_CQ_OFF + RING_USER_ADDR_OFFSET, region, NATIVE);
        final int ringFd = (int)LibC.syscall(SYS_IO_URING_SETUP, SQ_ENTRIES, paramsArea.address(0), 0, 0, 0, 0);
        if (ringFd < 0)
        {
            final int errno = LibC.errno();
            LibC.munmap(region, length);
            throw new IOException("io_uring_setup: " + LibC.describe(errno));
        }
        try
        {
            final int sqEntries = params.getInt(PARAMS_SQ_ENTRIES_OFFSET, NATIVE);
            final long bufRingAddress = region + RINGS_REGION + SQES_REGION;
            final NativeArea reg = new NativeArea(BUF_REG_LENGTH);
            reg.buffer().setMemory(0, BUF_REG_LENGTH, (byte)0);
            reg.buffer().putLong(BUF_REG_RING_ADDR_OFFSET, bufRingAddress, NATIVE);
            reg.buffer().putInt(BUF_REG_RING_ENTRIES_OFFSET, bufferCount, NATIVE);
            reg.buffer().putShort(BUF_REG_BGID_OFFSET, (short)BUFFER_GROUP, NATIVE);
            if (LibC.syscall(SYS_IO_URING_REGISTER, ringFd, REGISTER_PBUF_RING, reg.address(0), 1, 0, 0) < 0)
            {
                throw new IOException("io_uring_register(PBUF_RING): " + LibC.describe(LibC.errno()));
            }
            final UnsafeBuffer rings = new UnsafeBuffer(region, RINGS_REGION);
            final int sqArray = params.getInt(PARAMS_SQ_OFF + SQ_ARRAY_OFFSET, NATIVE);
            for (int i = 0; i < sqEntries; i++)
            {
                rings.putInt(sqArray + 4 * i, i, NATIVE);
            }
            final IoUring ring = new IoUring(ringFd, fd, params, rings,
                new UnsafeBuffer(region + RINGS_REGION, SQES_REGION),
                new UnsafeBuffer(bufRingAddress, (int)bufRingBytes),
                new UnsafeBuffer(bufRingAddress + bufRingBytes, bufferCount * bufferSize),
                bufferCount, bufferSize);
            for (int i = 0; i < bufferCount; i++)
            {
                ring.recycle(i);
            }
            ring.arm();
            return ring;
        }
        catch (final IOException | RuntimeException ex)
        {
            LibC.close(ringFd); // the kernel unpins the memory as it tears the ring down: left mapped
            throw ex;
        }
    }

    /**
     * Whether this process may read a pollable fd as the TUN readers do: a ring as {@link #open} sets it up, and one
     * multishot read of an empty eventfd through {@link #enter}, which a kernel without
     * {@code IORING_OP_READ_MULTISHOT} (older than 6.7) refuses at once. Called once at start-up, on any thread (the
     * readers' rings are their threads' own, set up at their first read), so that a daemon asked for io_uring can say
     * when it reads with {@code read(2)} instead. The ring's few pages stay mapped, as after any {@link #close}.
     *
     * @return null if it may, else why not.
     */
    public static String probe()
    {
        final int fd = LibC.eventfd(0, LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            return "eventfd: " + LibC.describe(LibC.errno());
        }
        try (IoUring ring = open(fd, 1, Long.BYTES))
        {
            final int ready = ring.enter();
            if (ready < 0)
            {
                return "io_uring_enter: " + LibC.describe(-ready);
            }
            final NativeArea out = new NativeArea(Long.BYTES);
            final int n = ring.next(out.address(0), Long.BYTES);
            return n < 0 ? "multishot read: " + LibC.describe(-n) : null;
        }
        catch (final IOException ex)
        {
            return ex.getMessage();
        }
        finally
        {
            LibC.close(fd);
        }
    }

    private static long align(final long value, final long alignment)
    {
        return (value + alignment - 1) & -alignment;
    }

    /** Queue a multishot read of the fd into the buffer group (it goes to the kernel with the next {@link #enter}). */
    private void arm()
    {
        final int tail = rings.getInt(sqTailAt, NATIVE);
        final int sqe = (tail & sqMask) * SQE_LENGTH;
        sqes.setMemory(sqe, SQE_LENGTH, (byte)0);
        sqes.putByte(sqe + SQE_OPCODE_OFFSET, (byte)OP_READ_MULTISHOT);
        sqes.putByte(sqe + SQE_FLAGS_OFFSET, (byte)IOSQE_BUFFER_SELECT);
        sqes.putInt(sqe + SQE_FD_OFFSET, fd, NATIVE);
        sqes.putLong(sqe + SQE_OFF_OFFSET, 0L, NATIVE);
        sqes.putShort(sqe + SQE_BUF_GROUP_OFFSET, (short)BUFFER_GROUP, NATIVE);
        sqes.putLong(sqe + SQE_USER_DATA_OFFSET, 1L, NATIVE);
        rings.putIntOrdered(sqTailAt, tail + 1);
    }

    /** Give buffer {@code id} back to the kernel. */
    private void recycle(final int id)
    {
        final int entry = (bufTail & (bufferCount - 1)) * BUF_LENGTH;
        bufRing.putLong(entry + BUF_ADDR_OFFSET, buffers.addressOffset() + (long)id * bufferSize, NATIVE);
        bufRing.putInt(entry + BUF_LEN_OFFSET, bufferSize, NATIVE);
        bufRing.putShort(entry + BUF_BID_OFFSET, (short)id, NATIVE);
        bufTail++;
        // the tail is a u16 stored with release semantics (UnsafeBuffer has no ordered short store)
        java.lang.invoke.VarHandle.releaseFence();
        bufRing.putShort(BUF_RING_TAIL_OFFSET, (short)bufTail, NATIVE);
    }

    /**
     * Submit what is queued and let the kernel do the reads that are due, without waiting for any.
     *
     * @return the completions now waiting for {@link #next} (reads, and a read the kernel ended), or {@code -errno}.
     */
    public int enter()
    {
        final int submit = rings.getInt(sqTailAt, NATIVE) - rings.getIntVolatile(sqHeadAt);
        final long n = LibC.syscall(SYS_IO_URING_ENTER, ringFd, submit, 0, ENTER_GETEVENTS, 0, 0);
        if (n < 0)
        {
            final int errno = LibC.errno();
            if (errno != LibC.EINTR && errno != LibC.EAGAIN && errno != LibC.EBUSY)
            {
                return -errno;
            }
        }
        return rings.getIntVolatile(cqTailAt) - rings.getInt(cqHeadAt, NATIVE);
    }

    /**
     * Copy the next completed read into {@code address} (at most {@code capacity} bytes) and give its buffer back.
     *
     * @return its length, {@code 0} when the completion queue is empty, or {@code -errno} of a failed read. A read
     * the kernel ended for want of buffers is queued again for the next {@link #enter}; one it ended with an error is
     * not ({@link #stopped}). A read longer than {@code capacity} is {@code -EMSGSIZE}.
     */
    public int next(final long address, final int capacity)
    {
        while (true)
        {
            final int head = rings.getInt(cqHeadAt, NATIVE);
            if (head == rings.getIntVolatile(cqTailAt))
            {
                return 0;
            }
            final int cqe = cqesAt + (head & cqMask) * CQE_LENGTH;
            final int res = rings.getInt(cqe + CQE_RES_OFFSET, NATIVE);
            final int flags = rings.getInt(cqe + CQE_FLAGS_OFFSET, NATIVE);
            int result = res;
            if ((flags & CQE_F_BUFFER) != 0)
            {
                final int id = flags >>> CQE_BUFFER_SHIFT;
                if (res > capacity)
                {
                    result = -LibC.EMSGSIZE;
                }
                else if (res > 0)
                {
                    target.wrap(address, res);
                    target.putBytes(0, buffers, id * bufferSize, res);
                }
                recycle(id);
            }
            else if (res > 0)
            {
                result = -LibC.EIO; // a read without its buffer: nothing to hand on
            }
            rings.putIntOrdered(cqHeadAt, head + 1);
            if ((flags & CQE_F_MORE) == 0)
            {
                if (res < 0 && res != -LibC.ENOBUFS)
                {
                    // the kernel refused or ended the read (EINVAL: a kernel without READ_MULTISHOT): not again
                    stopped = true;
                    return res;
                }
                arm(); // out of buffers: read on
            }
            if (result != 0 && result != -LibC.ENOBUFS)
            {
                return result;
            }
        }
    }

    /** @return true once the kernel ended the multishot read with an error that {@link #next} returned. */
    public boolean stopped()
    {
        return stopped;
    }

    public int ringFd()
    {
        return ringFd;
    }

    /**
     * Close the ring: the kernel cancels the read and tears the ring down (nothing of ours maps the ring's fd, so
     * closing it is enough: {@code IORING_SETUP_NO_MMAP}). The memory stays mapped: the kernel may still write into
     * the buffers until it has torn the ring down, and the reading thread may still look at the completion queue; it
     * is a few pages plus the buffers' pages that reads touched.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            LibC.close(ringFd);
        }
    }
}
