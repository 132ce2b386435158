package org.esp4j.core.replay;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random packet streams (seeded, so failures reproduce) fed through {@link ReplayWindow} and through
 * {@link ReferenceReplayWindow}; after every step verdict, drop reason, top and lowest-acceptable must agree.
 * <p>
 * The stream models a sender counter plus the network: in-order advances, reordering, replays of accepted
 * packets, wire value 0, packets at the left edge and jumps far ahead. With ESN only the low 32 bits are "sent":
 * the receiver infers the full number and a wrong inference fails the (emulated) ICV, exactly as the ICV over
 * the high bits does in RFC 4303 §2.2.1.
 */
class ReplayWindowPropertyTest
{
    private static final long LOW_32_MASK = 0xFFFF_FFFFL;
    private static final long TWO_POW_32 = 1L << 32;
    private static final int STEPS = 10_000;

    static Stream<Arguments> windows()
    {
        return Stream.of(0, 1, 32, 64, 100, 1024, 4096, 65536)
            .flatMap(size -> Stream.of(Arguments.of(size, false), Arguments.of(size, true)));
    }

    @ParameterizedTest(name = "window {0}, esn {1}")
    @MethodSource("windows")
    void shouldMatchReferenceModelFromFirstPacket(final int windowSize, final boolean esn)
    {
        runAgainstReference(windowSize, esn, 1, 0x5EED_0001L + windowSize);
    }

    @ParameterizedTest(name = "window {0}, esn {1}")
    @MethodSource("windows")
    void shouldMatchReferenceModelAcrossTwoPow32Boundary(final int windowSize, final boolean esn)
    {
        // Without ESN the counter stops at 2^32 - 1 (the generator saturates); with ESN it crosses 2^32.
        final long start = TWO_POW_32 - (long)STEPS * averageAdvance(windowSize) / 4;
        runAgainstReference(windowSize, esn, start, 0x5EED_0002L + windowSize);
    }

    @ParameterizedTest(name = "window {0}, esn {1}")
    @MethodSource("windows")
    void shouldMatchReferenceModelAcrossSecondEsnBoundary(final int windowSize, final boolean esn)
    {
        final long start = esn ? 3 * TWO_POW_32 - 5_000 : 123_456_789L;
        runAgainstReference(windowSize, esn, start, 0x5EED_0003L + windowSize);
    }

    private static long averageAdvance(final int windowSize)
    {
        return 1 + windowSize / 16;
    }

    private static void runAgainstReference(
        final int windowSize, final boolean esn, final long startSequence, final long seed)
    {
        final Random random = new Random(seed);
        final ReplayWindow window = new ReplayWindow(windowSize, esn);
        final ReferenceReplayWindow reference = new ReferenceReplayWindow(windowSize, esn);
        final long maxSequence = esn ? Long.MAX_VALUE : LOW_32_MASK;
        final int span = Math.max(windowSize, 8);
        final long[] recentlyAccepted = new long[64];
        int acceptedCount = 0;
        long counter = startSequence;
        if (startSequence > 1)
        {
            // Joining a long-running SA: its last accepted packet is the starting point (top = 0 could not infer).
            window.checkAndUpdate(startSequence);
            reference.checkAndUpdate(startSequence);
        }

        for (int step = 0; step < STEPS; step++)
        {
            final int dice = random.nextInt(100);
            final long generated;
            if (dice < 55)
            {
                counter = Math.min(maxSequence, counter + 1 + random.nextInt((int)(2 * averageAdvance(windowSize))));
                generated = counter;
            }
            else if (dice < 72)
            {
                generated = Math.max(0, counter - random.nextInt(2 * span + 2));
            }
            else if (dice < 84 && acceptedCount > 0)
            {
                generated = recentlyAccepted[random.nextInt(Math.min(acceptedCount, recentlyAccepted.length))];
            }
            else if (dice < 88)
            {
                // Wire value 0 of the current subspace, when that is recent enough for a sender to have sent it.
                final boolean zeroIsRecent = (counter & LOW_32_MASK) <= 4L * span;
                generated = zeroIsRecent ? counter & ~LOW_32_MASK : counter - random.nextInt(span);
            }
            else if (dice < 97)
            {
                generated = Math.max(0, counter - windowSize + random.nextInt(3) - 1);
            }
            else
            {
                counter = Math.min(maxSequence, counter + windowSize + random.nextInt(4 * span + 64));
                generated = counter;
            }

            final long sequence = Math.min(maxSequence, generated);
            final int stepNumber = step;
            final Supplier<String> where = () -> "step " + stepNumber + " seq " + sequence + " " + window;
            final int expectedReason = reference.classify(sequence);
            assertEquals(expectedReason, window.classify(sequence), where);

            final long inferred = window.inferSequence(sequence & LOW_32_MASK);
            if (ReplayWindow.ACCEPTABLE == expectedReason)
            {
                assertEquals(sequence, inferred,
                    () -> "inference must be right for every acceptable number: " + where.get());
            }

            final boolean icvVerifies = inferred == sequence;
            final boolean accepted = icvVerifies && window.isAcceptable(inferred) && window.checkAndUpdate(inferred);
            final boolean expectedAccepted = reference.checkAndUpdate(sequence);
            assertEquals(expectedAccepted, accepted, where);
            assertEquals(reference.top(), window.highestSequence(), where);
            assertEquals(reference.lowestAcceptable(), window.lowestAcceptable(), where);

            if (accepted)
            {
                recentlyAccepted[acceptedCount++ % recentlyAccepted.length] = sequence;
                assertEquals(0 == windowSize ? ReplayWindow.ACCEPTABLE : ReplayWindow.DUPLICATE,
                    window.classify(sequence), () -> "just accepted: " + where.get());
            }

            probeAroundWindow(random, window, reference, span, where);
        }
    }

    /** Checks classification (no update) of a few numbers around the window, to cover stale ring bits. */
    private static void probeAroundWindow(
        final Random random,
        final ReplayWindow window,
        final ReferenceReplayWindow reference,
        final int span,
        final Supplier<String> where)
    {
        for (int i = 0; i < 4; i++)
        {
            final long probe = Math.max(0, reference.top() - 2L * span + random.nextInt(3 * span));
            if (!window.esn() && probe > LOW_32_MASK)
            {
                continue;
            }
            assertEquals(reference.classify(probe), window.classify(probe),
                () -> "probe " + probe + " at " + where.get());
        }
    }
}
