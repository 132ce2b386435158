package org.esp4j.core.replay;

import java.util.TreeSet;

/**
 * The obvious definition of RFC 4303 §3.4.3 anti-replay, written for clarity, not speed: the set of received
 * sequence numbers inside the window plus the highest one. The tests hold {@link ReplayWindow} to it.
 * Sequence numbers stay below 2^63 in the tests, so signed arithmetic is enough here.
 */
final class ReferenceReplayWindow
{
    private final int windowSize;
    private final boolean esn;
    private final TreeSet<Long> received = new TreeSet<>();
    private long top;

    ReferenceReplayWindow(final int windowSize, final boolean esn)
    {
        this.windowSize = windowSize;
        this.esn = esn;
    }

    int classify(final long sequence)
    {
        if (0 == windowSize)
        {
            return 0 == sequence && esn ? ReplayWindow.ZERO : ReplayWindow.ACCEPTABLE;
        }
        if (0 == sequence)
        {
            return ReplayWindow.ZERO;
        }
        if (sequence > top)
        {
            return ReplayWindow.ACCEPTABLE;
        }
        if (sequence <= top - windowSize)
        {
            return ReplayWindow.LEFT_OF_WINDOW;
        }
        return received.contains(sequence) ? ReplayWindow.DUPLICATE : ReplayWindow.ACCEPTABLE;
    }

    boolean checkAndUpdate(final long sequence)
    {
        if (ReplayWindow.ACCEPTABLE != classify(sequence))
        {
            return false;
        }
        top = Math.max(top, sequence);
        if (0 != windowSize)
        {
            received.add(sequence);
            received.headSet(top - windowSize, true).clear();
        }
        return true;
    }

    long top()
    {
        return top;
    }

    long lowestAcceptable()
    {
        if (0 == windowSize)
        {
            return esn ? 1 : 0;
        }
        return Math.max(1, top - windowSize + 1);
    }
}
