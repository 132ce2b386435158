package org.esp4j.core.replay;

import org.junit.jupiter.api.Test;

import static org.esp4j.core.replay.ReplayWindow.ACCEPTABLE;
import static org.esp4j.core.replay.ReplayWindow.DUPLICATE;
import static org.esp4j.core.replay.ReplayWindow.LEFT_OF_WINDOW;
import static org.esp4j.core.replay.ReplayWindow.ZERO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayWindowTest
{
    private static final long TWO_POW_32 = 1L << 32;
    private static final long MAX_32 = TWO_POW_32 - 1;

    @Test
    void shouldRejectOutOfRangeWindowSizes()
    {
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindow(-1, false));
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindow(ReplayWindow.MAX_WINDOW_SIZE + 1, true));
        assertEquals(ReplayWindow.MAX_WINDOW_SIZE, new ReplayWindow(ReplayWindow.MAX_WINDOW_SIZE, true).windowSize());
        assertEquals(0, new ReplayWindow(0, false).windowSize());
    }

    @Test
    void shouldStartEmptyWithLowestAcceptableOne()
    {
        final ReplayWindow window = new ReplayWindow(ReplayWindow.DEFAULT_WINDOW_SIZE, false);

        assertEquals(0, window.highestSequence());
        assertEquals(1, window.lowestAcceptable());
        assertEquals(ZERO, window.classify(0));
        assertEquals(ACCEPTABLE, window.classify(1));
        assertEquals(ACCEPTABLE, window.classify(MAX_32));
    }

    @Test
    void shouldAcceptFirstPacketAnywhereAndSetTop()
    {
        final ReplayWindow window = new ReplayWindow(64, false);

        assertTrue(window.checkAndUpdate(1000));

        assertEquals(1000, window.highestSequence());
        assertEquals(937, window.lowestAcceptable());
        assertEquals(ACCEPTABLE, window.classify(937));
        assertEquals(LEFT_OF_WINDOW, window.classify(936));
        assertEquals(DUPLICATE, window.classify(1000));
    }

    @Test
    void shouldDropReplayedPacketInsideWindow()
    {
        final ReplayWindow window = new ReplayWindow(64, false);
        assertTrue(window.checkAndUpdate(10));
        assertTrue(window.checkAndUpdate(8));

        assertFalse(window.isAcceptable(8));
        assertEquals(DUPLICATE, window.classify(8));
        assertFalse(window.checkAndUpdate(8));
        assertFalse(window.checkAndUpdate(10));
        assertEquals(10, window.highestSequence());
        assertTrue(window.isAcceptable(9));
    }

    @Test
    void shouldDropPacketLeftOfWindow()
    {
        final ReplayWindow window = new ReplayWindow(64, false);
        assertTrue(window.checkAndUpdate(100));

        assertEquals(LEFT_OF_WINDOW, window.classify(36));
        assertEquals(ACCEPTABLE, window.classify(37));
        assertFalse(window.checkAndUpdate(36));
        assertEquals(100, window.highestSequence());
    }

    @Test
    void shouldNeverAcceptZeroWithWindow()
    {
        assertFalse(new ReplayWindow(64, false).checkAndUpdate(0));
        assertFalse(new ReplayWindow(64, true).checkAndUpdate(0));
        assertFalse(new ReplayWindow(0, true).checkAndUpdate(0));
    }

    @Test
    void shouldAcceptLastThirtyTwoBitSequenceWithoutEsn()
    {
        final ReplayWindow window = new ReplayWindow(64, false);
        assertTrue(window.checkAndUpdate(MAX_32 - 1));
        assertTrue(window.checkAndUpdate(MAX_32));

        assertEquals(MAX_32, window.highestSequence());
        assertEquals(MAX_32 - 63, window.lowestAcceptable());
        assertEquals(DUPLICATE, window.classify(MAX_32));
        assertEquals(ACCEPTABLE, window.classify(MAX_32 - 2));
        assertEquals(MAX_32, window.inferSequence(MAX_32));
        // Without ESN there is no next subspace: wire 0 stays 0 and is dropped.
        assertEquals(0, window.inferSequence(0));
        assertEquals(ZERO, window.classify(0));
        assertEquals(LEFT_OF_WINDOW, window.classify(1));
    }

    @Test
    void shouldRejectSequencesWiderThanThirtyTwoBitsWithoutEsn()
    {
        final ReplayWindow window = new ReplayWindow(64, false);

        assertThrows(IllegalArgumentException.class, () -> window.classify(TWO_POW_32));
        assertThrows(IllegalArgumentException.class, () -> window.inferSequence(TWO_POW_32));
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindow(64, true).inferSequence(-1));
    }

    @Test
    void shouldClearOldBitsWhenJumpingFarAhead()
    {
        final ReplayWindow window = new ReplayWindow(128, false);
        for (long sequence = 1; sequence <= 128; sequence++)
        {
            assertTrue(window.checkAndUpdate(sequence));
        }

        // Every ring slot now holds stale bits; a jump of exactly one ring length must not make any look seen.
        final long jumpedTop = 128 + 256;
        assertTrue(window.checkAndUpdate(jumpedTop));

        for (long sequence = jumpedTop - 127; sequence < jumpedTop; sequence++)
        {
            assertEquals(ACCEPTABLE, window.classify(sequence), "seq " + sequence);
        }
        assertEquals(LEFT_OF_WINDOW, window.classify(jumpedTop - 128));
    }

    @Test
    void shouldClearOnlyTheBlocksItMovesInto()
    {
        final ReplayWindow window = new ReplayWindow(64, false);
        assertTrue(window.checkAndUpdate(60));
        assertTrue(window.checkAndUpdate(63));

        // Advancing into the next block keeps the bits still inside [top - 63, top].
        assertTrue(window.checkAndUpdate(70));

        assertEquals(DUPLICATE, window.classify(60));
        assertEquals(DUPLICATE, window.classify(63));
        assertEquals(ACCEPTABLE, window.classify(64));
        assertEquals(LEFT_OF_WINDOW, window.classify(6));
        assertEquals(ACCEPTABLE, window.classify(7));
    }

    @Test
    void shouldHandleWindowSizeThatIsNotAMultipleOfSixtyFour()
    {
        final ReplayWindow window = new ReplayWindow(100, false);
        assertTrue(window.checkAndUpdate(1000));
        assertTrue(window.checkAndUpdate(901));

        assertEquals(901, window.lowestAcceptable());
        assertEquals(DUPLICATE, window.classify(901));
        assertEquals(LEFT_OF_WINDOW, window.classify(900));
    }

    @Test
    void shouldAcceptEverythingWithWindowSizeZeroWithoutEsn()
    {
        final ReplayWindow window = new ReplayWindow(0, false);

        assertTrue(window.checkAndUpdate(5));
        assertTrue(window.checkAndUpdate(5));
        assertTrue(window.checkAndUpdate(1));
        assertTrue(window.checkAndUpdate(0));
        assertEquals(5, window.highestSequence());
        assertEquals(0, window.lowestAcceptable());
        assertEquals(ACCEPTABLE, window.classify(0));
    }

    @Test
    void shouldAcceptEverythingButZeroWithWindowSizeZeroAndEsn()
    {
        final ReplayWindow window = new ReplayWindow(0, true);

        assertTrue(window.checkAndUpdate(5));
        assertTrue(window.checkAndUpdate(5));
        assertEquals(ZERO, window.classify(0));
        assertEquals(1, window.lowestAcceptable());
        assertTrue(window.checkAndUpdate(TWO_POW_32 + 7));
        assertEquals(TWO_POW_32 + 7, window.highestSequence());
    }

    @Test
    void shouldInferClosestSubspaceWithWindowSizeZeroAndEsn()
    {
        final ReplayWindow window = new ReplayWindow(0, true);
        assertTrue(window.checkAndUpdate(TWO_POW_32 + 10));

        assertEquals(TWO_POW_32 + 5, window.inferSequence(5));
        assertEquals(TWO_POW_32 - 3, window.inferSequence(MAX_32 - 2));
        // Exactly half the space either side: 2^31 - 1 behind top wins over 2^31 + 1 ahead, 2^31 ahead is kept.
        assertEquals((1L << 31) + 11, window.inferSequence((1L << 31) + 11));
        assertEquals(TWO_POW_32 + (1L << 31) + 10, window.inferSequence((1L << 31) + 10));
    }

    @Test
    void shouldInferHighBitsPerAppendixACaseA()
    {
        final ReplayWindow window = new ReplayWindow(64, true);
        assertTrue(window.checkAndUpdate(3 * TWO_POW_32 + 1000));

        // Tl = 1000 >= W - 1: bottom = 937.
        assertEquals(3 * TWO_POW_32 + 937, window.inferSequence(937));
        assertEquals(3 * TWO_POW_32 + 5000, window.inferSequence(5000));
        assertEquals(4 * TWO_POW_32 + 936, window.inferSequence(936));
        assertEquals(4 * TWO_POW_32, window.inferSequence(0));
    }

    @Test
    void shouldInferHighBitsPerAppendixACaseB()
    {
        final ReplayWindow window = new ReplayWindow(64, true);
        assertTrue(window.checkAndUpdate(TWO_POW_32 + 10));

        // Tl = 10 < W - 1: the window reaches back into subspace 0, bottom = 2^32 - 53.
        assertEquals(TWO_POW_32 - 53, window.inferSequence(MAX_32 - 52));
        assertEquals(TWO_POW_32 - 1, window.inferSequence(MAX_32));
        assertEquals(TWO_POW_32 + (MAX_32 - 53), window.inferSequence(MAX_32 - 53));
        assertEquals(TWO_POW_32 + 11, window.inferSequence(11));
        assertEquals(LEFT_OF_WINDOW, window.classify(TWO_POW_32 - 54));
        assertEquals(ACCEPTABLE, window.classify(TWO_POW_32 - 53));
    }

    @Test
    void shouldKeepHighBitsZeroBeforeFirstSubspaceEnds()
    {
        final ReplayWindow window = new ReplayWindow(64, true);

        // top = 0: case B, but there is no subspace -1, so wire values stay in subspace 0.
        assertEquals(MAX_32, window.inferSequence(MAX_32));
        assertEquals(1, window.inferSequence(1));
        assertEquals(0, window.inferSequence(0));
    }

    @Test
    void shouldMoveWindowAcrossTwoPow32WithEsn()
    {
        final ReplayWindow window = new ReplayWindow(64, true);
        assertTrue(window.checkAndUpdate(MAX_32 - 1));
        assertTrue(window.checkAndUpdate(window.inferSequence(0)));
        assertTrue(window.checkAndUpdate(window.inferSequence(2)));

        assertEquals(TWO_POW_32 + 2, window.highestSequence());
        assertEquals(TWO_POW_32 - 61, window.lowestAcceptable());
        assertEquals(DUPLICATE, window.classify(window.inferSequence(MAX_32 - 1)));
        assertEquals(DUPLICATE, window.classify(window.inferSequence(0)));
        assertEquals(ACCEPTABLE, window.classify(window.inferSequence(MAX_32)));
        assertEquals(ACCEPTABLE, window.classify(window.inferSequence(1)));
    }

    @Test
    void shouldCompareUnsignedAboveLongMaxValueWithEsn()
    {
        final ReplayWindow window = new ReplayWindow(64, true);
        final long top = Long.MIN_VALUE + 100; // 2^63 + 100 as unsigned
        assertTrue(window.checkAndUpdate(top));

        assertEquals(ACCEPTABLE, window.classify(top + 1));
        assertEquals(ACCEPTABLE, window.classify(top - 63));
        assertEquals(LEFT_OF_WINDOW, window.classify(top - 64));
        assertEquals(LEFT_OF_WINDOW, window.classify(5));
        assertEquals(top - 63, window.lowestAcceptable());
    }

    @Test
    void shouldForgetEverythingOnReset()
    {
        final ReplayWindow window = new ReplayWindow(64, false);
        assertTrue(window.checkAndUpdate(5));
        window.reset();

        assertEquals(0, window.highestSequence());
        assertEquals(1, window.lowestAcceptable());
        assertTrue(window.checkAndUpdate(5));
    }
}
