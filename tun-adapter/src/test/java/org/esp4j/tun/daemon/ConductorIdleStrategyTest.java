package org.esp4j.tun.daemon;

import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConductorIdleStrategyTest
{
    private final CachedNanoClock clock = new CachedNanoClock();
    private final List<Long> parks = new ArrayList<>();
    private long deadlineNs;
    private final ConductorIdleStrategy strategy =
        new ConductorIdleStrategy(() -> deadlineNs, clock, parks::add);

    @Test
    void shouldParkUntilTheNextTimerOnlyAfterSpinningAndYielding()
    {
        clock.update(1_000_000_000L);
        deadlineNs = clock.nanoTime() + 3_000_000L;
        for (int i = 0; i < ConductorIdleStrategy.SPINS + ConductorIdleStrategy.YIELDS; i++)
        {
            strategy.idle(0);
        }
        assertEquals(List.of(), parks, "spins and yields first, as after work");

        strategy.idle(0);
        assertEquals(List.of(3_000_000L), parks, "then until the next timer is due");
    }

    @Test
    void shouldParkAtMostTheCapAndAtLeastAMicrosecond()
    {
        idleUntilParking();
        deadlineNs = clock.nanoTime() + 1_000_000_000L;
        strategy.idle(0);
        deadlineNs = clock.nanoTime() - 5_000L; // a timer already due that did nothing
        strategy.idle(0);
        assertEquals(List.of(ConductorIdleStrategy.MAX_PARK_NS, 1_000L), parks);
    }

    @Test
    void shouldSpinAgainAfterWork()
    {
        idleUntilParking();
        deadlineNs = clock.nanoTime() + 2_000_000L;
        strategy.idle(0);
        strategy.idle(1);
        strategy.idle(0);
        assertEquals(List.of(2_000_000L), parks, "work resets the backoff: no park right after it");
    }

    private void idleUntilParking()
    {
        for (int i = 0; i < ConductorIdleStrategy.SPINS + ConductorIdleStrategy.YIELDS; i++)
        {
            strategy.idle(0);
        }
    }
}
