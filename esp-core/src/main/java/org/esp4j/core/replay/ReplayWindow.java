package org.esp4j.core.replay;

import java.util.Arrays;

/**
 * Receiver anti-replay window for one inbound SA: RFC 4303 §3.4.3, with Extended Sequence Numbers (ESN) per
 * RFC 4303 §2.2.1 and Appendix A, stored as a ring of 64-bit blocks as RFC 6479 describes so that advancing the
 * window never shifts the bitmap; it only clears the blocks it moves into.
 * <p>
 * <b>Window.</b> With window size W and highest authenticated sequence number {@code top}, the window covers
 * {@code [top - W + 1, top]}. A sequence number is
 * <ul>
 *     <li>{@link #ZERO} if it is 0 (the sender starts at 1, RFC 4303 §3.3.3);</li>
 *     <li>{@link #LEFT_OF_WINDOW} if it is {@code <= top - W};</li>
 *     <li>{@link #DUPLICATE} if it is inside the window and its bit is set;</li>
 *     <li>{@link #ACCEPTABLE} otherwise (inside the window and unseen, or right of it).</li>
 * </ul>
 * RFC 4303 §3.4.3 order of work: {@link #isAcceptable(long)} (cheap pre-check) → ICV verification →
 * {@link #checkAndUpdate(long)} (only after the ICV verified, so a forged packet can never move the window).
 * <p>
 * <b>Bitmap (RFC 6479 §2).</b> The bits live in {@code N} blocks of 64 bits, {@code N} a power of two with
 * {@code (N - 1) * 64 >= W}, so the window always fits in N - 1 whole blocks plus a partial one. Sequence number
 * {@code s} owns bit {@code s & 63} of block {@code (s >>> 6) & (N - 1)}:
 * <pre>
 *   sequence s:   | ... block index (s >>> 6) ... | bit (s &amp; 63) |
 *
 *              block 0      block 1      block 2      block 3        (N = 4, W &lt;= 192)
 *            +----------+----------+----------+----------+
 *   ring:    |//////////|/////#####|##########|#####.....|
 *            +----------+----------+----------+----------+
 *                             ^ top - W + 1          ^ top
 *   # = bits inside the window, / = stale bits (left of the window, never read), . = ahead of top (cleared)
 *
 *   top advances into block 0: block 0 is zeroed as a whole (no shift), the ring wraps,
 *   and the stale bits of block 1 fall out of the window.
 * </pre>
 * Advancing by {@code k} blocks clears {@code min(k, N)} blocks; nothing is ever shifted.
 * <p>
 * <b>ESN.</b> Without ESN sequence numbers are 32-bit (0 .. 2<sup>32</sup>-1) and the window stops at
 * 2<sup>32</sup>-1 (the SA must be rekeyed before the counter cycles, RFC 4303 §3.3.3). With ESN sequence
 * numbers are 64-bit, only the low 32 bits travel on the wire, and {@link #inferSequence(long)} reconstructs the
 * high 32 bits (Appendix A); the window then moves across the 2<sup>32</sup> boundary like anywhere else.
 * <p>
 * <b>Window size 0</b> turns anti-replay off (RFC 4303 §3.4.3: "no inbound checks"): without ESN every value,
 * including 0, is acceptable; with ESN every value but 0 is acceptable. {@code top} is still tracked so that
 * ESN inference keeps working; for inference alone a window of 2<sup>31</sup> is used, i.e. the wire value is
 * placed in the 2<sup>32</sup> subspace that puts it closest to {@code top}.
 * <p>
 * All sequence numbers are unsigned; with ESN values above {@link Long#MAX_VALUE} are compared unsigned.
 * <p>
 * <b>Not thread-safe.</b> The owning SA serialises all calls (one receiver thread per SA, or its lock).
 * No allocation after construction.
 */
public final class ReplayWindow
{
    public static final int DEFAULT_WINDOW_SIZE = 64;
    public static final int MAX_WINDOW_SIZE = 65536;

    /** Not 0, not left of the window, not already received. */
    public static final int ACCEPTABLE = 0;
    /** Sequence number 0: never sent by a conforming sender. */
    public static final int ZERO = 1;
    /** At or below {@code top - W}: too old to tell apart from a replay. */
    public static final int LEFT_OF_WINDOW = 2;
    /** Inside the window and already received. */
    public static final int DUPLICATE = 3;

    private static final int BLOCK_SHIFT = 6;
    private static final int BITS_PER_BLOCK = 1 << BLOCK_SHIFT;
    private static final long BIT_INDEX_MASK = BITS_PER_BLOCK - 1;
    private static final long MAX_SEQUENCE_32 = 0xFFFF_FFFFL;
    private static final long LOW_32_MASK = 0xFFFF_FFFFL;
    /** Inference window used when anti-replay is off: half the 32-bit space, "closest to top". */
    private static final long INFERENCE_WINDOW_WHEN_OFF = 1L << 31;

    private final int windowSize;
    private final boolean esn;
    private final long inferenceWindow;
    private final long[] blocks;
    private final int blockIndexMask;
    private long top;

    /**
     * @param windowSize number of sequence numbers the window covers, 0 (anti-replay off) to
     *                   {@link #MAX_WINDOW_SIZE}.
     * @param esn        whether the SA uses 64-bit Extended Sequence Numbers.
     * @throws IllegalArgumentException if windowSize is out of range.
     */
    public ReplayWindow(final int windowSize, final boolean esn)
    {
        if (windowSize < 0 || windowSize > MAX_WINDOW_SIZE)
        {
            throw new IllegalArgumentException(
                "windowSize must be 0.." + MAX_WINDOW_SIZE + ": " + windowSize);
        }

        this.windowSize = windowSize;
        this.esn = esn;
        this.inferenceWindow = 0 == windowSize ? INFERENCE_WINDOW_WHEN_OFF : windowSize;

        // RFC 6479: one block more than the window needs, so the block being cleared on advance is never in it.
        final int blockCount = Math.max(2, nextPowerOfTwo(ceilDiv(windowSize, BITS_PER_BLOCK) + 1));
        this.blocks = new long[0 == windowSize ? 1 : blockCount];
        this.blockIndexMask = blocks.length - 1;
    }

    public int windowSize()
    {
        return windowSize;
    }

    public boolean esn()
    {
        return esn;
    }

    /**
     * Full sequence number for a 32-bit value from the wire.
     * <p>
     * Without ESN the value itself. With ESN the high 32 bits are inferred per RFC 4303 Appendix A from
     * {@code top = Th:Tl} and W:
     * <pre>
     *   Case A, Tl &gt;= W - 1 (window inside one subspace):  Seql &gt;= Tl - W + 1 ? Th : Th + 1
     *   Case B, Tl &lt;  W - 1 (window spans two subspaces): Seql &gt;= Tl - W + 1 (mod 2^32) ? Th - 1 : Th
     * </pre>
     * Before {@code top} leaves the first subspace (Th = 0) there is no subspace "Th - 1": case B then yields Th.
     * With window size 0 W = 2<sup>31</sup> is used (see class Javadoc). A wrong guess is caught by the ICV, which
     * covers the high bits (RFC 4303 §2.2.1). At the very end of the 64-bit space (Th = 2<sup>32</sup>-1) Th + 1
     * wraps to 0 and the result is rejected by the window; the SA must have been rekeyed long before.
     * Pure: no state change.
     *
     * @param wireSequence32 the Sequence Number field as unsigned, 0 .. 2<sup>32</sup>-1.
     * @return the full (unsigned 64-bit with ESN) sequence number.
     * @throws IllegalArgumentException if wireSequence32 is not a 32-bit unsigned value.
     */
    public long inferSequence(final long wireSequence32)
    {
        if ((wireSequence32 & ~LOW_32_MASK) != 0)
        {
            throw new IllegalArgumentException("not a 32-bit sequence number: " + wireSequence32);
        }

        if (!esn)
        {
            return wireSequence32;
        }

        final long topLow = top & LOW_32_MASK;
        final long topHigh = top >>> 32;
        final long bottomLow = (topLow - inferenceWindow + 1) & LOW_32_MASK;
        final long high;
        if (topLow >= inferenceWindow - 1)
        {
            high = wireSequence32 >= bottomLow ? topHigh : topHigh + 1;
        }
        else
        {
            high = wireSequence32 >= bottomLow && topHigh > 0 ? topHigh - 1 : topHigh;
        }

        return (high << 32) | wireSequence32;
    }

    /**
     * Pre-check before the ICV: is this full sequence number acceptable? No state change.
     *
     * @param sequence full sequence number (from {@link #inferSequence(long)}).
     * @return true if {@link #classify(long)} is {@link #ACCEPTABLE}.
     * @throws IllegalArgumentException without ESN, if sequence is not a 32-bit unsigned value.
     */
    public boolean isAcceptable(final long sequence)
    {
        return ACCEPTABLE == classify(sequence);
    }

    /**
     * Why a sequence number would be dropped, for the SA's counters. No state change.
     *
     * @param sequence full sequence number.
     * @return {@link #ACCEPTABLE}, {@link #ZERO}, {@link #LEFT_OF_WINDOW} or {@link #DUPLICATE}.
     * @throws IllegalArgumentException without ESN, if sequence is not a 32-bit unsigned value.
     */
    public int classify(final long sequence)
    {
        if (!esn && (sequence & ~LOW_32_MASK) != 0)
        {
            throw new IllegalArgumentException("not a 32-bit sequence number (SA without ESN): " + sequence);
        }

        if (0 == windowSize)
        {
            return 0 == sequence && esn ? ZERO : ACCEPTABLE;
        }

        if (0 == sequence)
        {
            return ZERO;
        }

        if (Long.compareUnsigned(sequence, top) > 0)
        {
            return ACCEPTABLE;
        }

        // top - sequence is the unsigned distance below top; left of window when it is W or more.
        if (Long.compareUnsigned(top - sequence, windowSize) >= 0)
        {
            return LEFT_OF_WINDOW;
        }

        return (blocks[blockIndex(sequence)] & bitMask(sequence)) != 0 ? DUPLICATE : ACCEPTABLE;
    }

    /**
     * Marks an authenticated sequence number as received, re-checking it first (another packet with the same
     * number may have been accepted between {@link #isAcceptable(long)} and now).
     *
     * @param sequence full sequence number whose packet passed ICV verification.
     * @return true if it was acceptable and is now marked; false if it is not acceptable (nothing changes).
     * @throws IllegalArgumentException without ESN, if sequence is not a 32-bit unsigned value.
     */
    public boolean checkAndUpdate(final long sequence)
    {
        if (ACCEPTABLE != classify(sequence))
        {
            return false;
        }

        if (Long.compareUnsigned(sequence, top) > 0)
        {
            if (0 != windowSize)
            {
                clearBlocksAfterTopUpTo(sequence);
            }
            top = sequence;
        }

        if (0 != windowSize)
        {
            blocks[blockIndex(sequence)] |= bitMask(sequence);
        }

        return true;
    }

    /**
     * @return highest sequence number marked so far (the right edge of the window), 0 before any packet.
     */
    public long highestSequence()
    {
        return top;
    }

    /**
     * @return smallest sequence number passing both the "not 0" and the "not left of window" checks:
     * {@code max(1, top - W + 1)}; with window size 0, 1 with ESN and 0 without.
     */
    public long lowestAcceptable()
    {
        if (0 == windowSize)
        {
            return esn ? 1 : 0;
        }

        return Long.compareUnsigned(top, windowSize) >= 0 ? top - windowSize + 1 : 1;
    }

    /**
     * Forgets every received sequence number: back to the state after construction.
     */
    public void reset()
    {
        Arrays.fill(blocks, 0L);
        top = 0;
    }

    public String toString()
    {
        return "ReplayWindow{windowSize=" + windowSize + ", esn=" + esn +
            ", top=" + Long.toUnsignedString(top) + ", lowestAcceptable=" + Long.toUnsignedString(lowestAcceptable()) +
            '}';
    }

    private void clearBlocksAfterTopUpTo(final long newTop)
    {
        final long topBlock = top >>> BLOCK_SHIFT;
        final long blocksToAdvance = (newTop >>> BLOCK_SHIFT) - topBlock;
        if (blocksToAdvance >= blocks.length)
        {
            Arrays.fill(blocks, 0L);
            return;
        }

        for (long i = 1; i <= blocksToAdvance; i++)
        {
            blocks[(int)((topBlock + i) & blockIndexMask)] = 0L;
        }
    }

    private int blockIndex(final long sequence)
    {
        return (int)((sequence >>> BLOCK_SHIFT) & blockIndexMask);
    }

    private static long bitMask(final long sequence)
    {
        return 1L << (sequence & BIT_INDEX_MASK);
    }

    private static int ceilDiv(final int dividend, final int divisor)
    {
        return (dividend + divisor - 1) / divisor;
    }

    private static int nextPowerOfTwo(final int value)
    {
        return 1 << (32 - Integer.numberOfLeadingZeros(value - 1));
    }
}
