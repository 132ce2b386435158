package org.esp4j.core.replay;

import org.esp4j.core.testutil.EspVector;
import org.esp4j.core.testutil.EspVectors;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The 25-step anti-replay sequence of the shared vectors (esp_replay_window.pcap): 64-packet window, no ESN,
 * frames in pcap order; a frame with a bad ICV is dropped before the window is updated (RFC 4303 §3.4.3).
 */
class ReplayWindowVectorsTest
{
    @Test
    void shouldReproduceSharedReplayVerdictsAndWindowEdges()
    {
        final List<EspVector> steps = EspVectors.load().inReplayGroup(EspVectors.REPLAY_GROUP);
        assertEquals(25, steps.size());
        final ReplayWindow window = new ReplayWindow(ReplayWindow.DEFAULT_WINDOW_SIZE, false);

        for (final EspVector step : steps)
        {
            final long sequence = window.inferSequence(step.sequence());
            final boolean accepted = window.isAcceptable(sequence) && step.icvIsGood() &&
                window.checkAndUpdate(sequence);

            assertEquals(step.expectAccept(), accepted, step.name() + ": " + step.why());
            assertEquals(step.windowAfter().top(), window.highestSequence(), step.name());
            assertEquals(step.windowAfter().lowestAcceptable(), window.lowestAcceptable(), step.name());
        }
    }

    @Test
    void shouldReportDropReasonOfEachDroppedStep()
    {
        final List<EspVector> steps = EspVectors.load().inReplayGroup(EspVectors.REPLAY_GROUP);
        final ReplayWindow window = new ReplayWindow(ReplayWindow.DEFAULT_WINDOW_SIZE, false);

        for (final EspVector step : steps)
        {
            final int reason = window.classify(step.sequence());
            if (!step.icvIsGood())
            {
                // Window-wise acceptable (seq 1000 is right of the window); the ICV is what drops it.
                assertEquals(ReplayWindow.ACCEPTABLE, reason, step.name());
                continue;
            }

            assertEquals(expectedReason(step.why()), reason, step.name() + ": " + step.why());
            if (ReplayWindow.ACCEPTABLE == reason)
            {
                window.checkAndUpdate(step.sequence());
            }
            else
            {
                assertFalse(window.checkAndUpdate(step.sequence()), step.name());
            }
        }
    }

    private static int expectedReason(final String why)
    {
        if (why.startsWith("seq 0"))
        {
            return ReplayWindow.ZERO;
        }
        if (why.startsWith("left of window"))
        {
            return ReplayWindow.LEFT_OF_WINDOW;
        }
        if (why.startsWith("duplicate"))
        {
            return ReplayWindow.DUPLICATE;
        }
        return ReplayWindow.ACCEPTABLE;
    }
}
