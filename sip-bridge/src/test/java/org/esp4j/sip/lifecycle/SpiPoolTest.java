package org.esp4j.sip.lifecycle;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpiPoolTest
{
    @Test
    void shouldRefuseARangeReachingIntoTheReservedSpis()
    {
        assertThrows(IllegalArgumentException.class, () -> new SpiPool(1, 1000));
        assertThrows(IllegalArgumentException.class, () -> new SpiPool(255, 1000));
        assertThrows(IllegalArgumentException.class, () -> new SpiPool(256, 0x1_0000_0000L));
    }

    @Test
    void shouldNeverHandOutAnSpiInUse()
    {
        final SpiPool pool = new SpiPool(256, 260);
        assertTrue(pool.reserve(258));
        final Set<Long> allocated = new HashSet<>();

        for (int i = 0; i < 4; i++)
        {
            allocated.add(pool.allocate());
        }

        assertEquals(Set.of(256L, 257L, 259L, 260L), allocated);
        assertFalse(pool.reserve(258));
        final PoolExhaustedException ex = assertThrows(PoolExhaustedException.class, pool::allocate);
        assertTrue(ex.getMessage().contains("256..260"), ex.getMessage());

        pool.release(257);
        assertEquals(257, pool.allocate());
    }

    @Test
    void shouldAllocateAtTheTopOfTheUnsignedRange()
    {
        final SpiPool pool = new SpiPool(0xFFFF_FFFEL, 0xFFFF_FFFFL);

        assertEquals(0xFFFF_FFFEL, pool.allocate());
        assertEquals(0xFFFF_FFFFL, pool.allocate());
        assertThrows(PoolExhaustedException.class, pool::allocate);
    }

    @Test
    void shouldHandOutEachPortOnce()
    {
        final PortPool pool = new PortPool(6000, 6001);

        assertEquals(6000, pool.allocate());
        assertEquals(6001, pool.allocate());
        assertThrows(PoolExhaustedException.class, pool::allocate);
        pool.release(6000);
        assertEquals(6000, pool.allocate());
        assertThrows(IllegalArgumentException.class, () -> new PortPool(0, 10));
    }
}
