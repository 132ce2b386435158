package org.esp4j.tun.daemon;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The idle rounds' sequence of yields and polls, on a clock the test moves (no sleeps, no descriptors). */
class PollIdleStrategyTest
{
    private static final int TIMEOUT_MS = 100;
    private static final long SPIN_NS = TimeUnit.MICROSECONDS.toNanos(50);

    private final List<String> actions = new ArrayList<>();
    private long nowNs = 1_000_000_000L;

    private PollIdleStrategy strategy(final long spinNs)
    {
        return new PollIdleStrategy(
            timeoutMs ->
            {
                actions.add("poll " + timeoutMs);
                return 0;
            },
            TIMEOUT_MS, spinNs, () -> nowNs, () -> actions.add("yield"));
    }

    @Test
    void shouldYieldTwiceThenPollWhenSpinIsZero()
    {
        final PollIdleStrategy idle = strategy(0);
        for (int i = 0; i < 4; i++)
        {
            idle.idle(0);
        }
        assertEquals(List.of("yield", "yield", "poll 100", "poll 100"), actions);
    }

    @Test
    void shouldKeepYieldingAndLookingUntilTheSpinWindowAfterTheLastWorkHasPassed()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS);
        idle.idle(0); // the window starts at the first idle round
        nowNs += SPIN_NS / 2;
        idle.idle(0);
        idle.idle(0);
        nowNs += SPIN_NS / 2 - 1;
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0", "yield", "poll 0", "yield"), actions,
            "inside the window: no waiting poll, each round past the first two looks without waiting");

        actions.clear();
        nowNs += 1;
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("poll 100", "poll 100"), actions, "the window has passed: poll, and keep polling");
    }

    @Test
    void shouldNotYieldInTheWindowWhenTheLookFindsADescriptorReady()
    {
        final int[] ready = {0};
        final PollIdleStrategy idle = new PollIdleStrategy(
            timeoutMs ->
            {
                actions.add("poll " + timeoutMs);
                return ready[0];
            },
            TIMEOUT_MS, SPIN_NS, () -> nowNs, () -> actions.add("yield"));
        idle.idle(0);
        idle.idle(0);
        ready[0] = 1;
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0"), actions, "a ready descriptor goes to the next duty cycle");
    }

    @Test
    void shouldStartANewSpinWindowAfterWork()
    {
        final PollIdleStrategy idle = strategy(SPIN_NS);
        idle.idle(0);
        nowNs += SPIN_NS;
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 100"), actions);

        actions.clear();
        idle.idle(3); // work: no action, the next idle round opens a new window
        assertEquals(List.of(), actions);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 0", "yield"), actions, "a new window from the first idle round");
    }

    @Test
    void shouldYieldAtLeastTwiceEvenWhenTheWindowIsShorterThanTheYields()
    {
        final PollIdleStrategy idle = strategy(1);
        idle.idle(0);
        nowNs += 1_000;
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("yield", "yield", "poll 100"), actions);
    }

    @Test
    void shouldRejectANegativeSpin()
    {
        assertThrows(IllegalArgumentException.class, () -> strategy(-1));
    }
}
