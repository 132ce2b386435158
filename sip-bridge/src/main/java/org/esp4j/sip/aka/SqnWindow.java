package org.esp4j.sip.aka;

import java.util.ArrayDeque;

/**
 * Freshness of the 48-bit sequence number SQN on the USIM side, after TS 33.102 Annex C.2 in a simplified form:
 * an SQN is fresh when it is above the highest accepted SQN, or within {@code windowSize} below it and not used
 * before (authentication vectors may arrive out of order).
 */
public final class SqnWindow
{
    /** Mask of the 48 SQN bits. */
    public static final long SQN_MASK = 0xFFFF_FFFF_FFFFL;

    private final int windowSize;
    private final ArrayDeque<Long> accepted = new ArrayDeque<>();
    private long highest;
    private boolean any;

    /**
     * @param highestAcceptedSqn SQN_MS to start from (nothing at or below it is accepted unless in the window and
     *                           not yet used; 0 for a fresh USIM).
     * @param windowSize         how far below the highest an unused SQN is still fresh, at least 1.
     */
    public SqnWindow(final long highestAcceptedSqn, final int windowSize)
    {
        if (windowSize < 1)
        {
            throw new IllegalArgumentException("windowSize: must be at least 1, got " + windowSize);
        }
        this.highest = highestAcceptedSqn & SQN_MASK;
        this.windowSize = windowSize;
        this.any = highestAcceptedSqn != 0;
        if (any)
        {
            accepted.add(highest);
        }
    }

    /**
     * @param sqn 48-bit SQN.
     * @return true when fresh; the SQN is then recorded as used.
     */
    public boolean acceptIfFresh(final long sqn)
    {
        final long value = sqn & SQN_MASK;
        if (!any || value > highest)
        {
            highest = value;
            any = true;
            remember(value);
            return true;
        }
        if (highest - value < windowSize && !accepted.contains(value))
        {
            remember(value);
            return true;
        }
        return false;
    }

    /**
     * @return SQN_MS, the highest SQN accepted so far.
     */
    public long highestAccepted()
    {
        return highest;
    }

    private void remember(final long value)
    {
        accepted.addLast(value);
        while (accepted.size() > windowSize)
        {
            accepted.removeFirst();
        }
    }
}
