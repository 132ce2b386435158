package org.esp4j.tun.carrier;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packet ring's owned SPIs ({@link OwnedSpis}): changed SPI by SPI, read without a lock. */
class OwnedSpisTest
{
    private final OwnedSpis spis = new OwnedSpis();

    @Test
    void shouldOwnAndDisownSpisOneByOneComparedByTheir32Bits()
    {
        assertTrue(spis.add(0x9000_0001L));
        assertTrue(spis.add(0x1000_0001L));
        assertTrue(spis.add(0));
        assertFalse(spis.add(0x9000_0001L), "owned already");
        assertEquals(3, spis.size());

        assertTrue(spis.contains((int)0x9000_0001L), "an SPI above 2^31");
        assertTrue(spis.contains(0x1000_0001));
        assertTrue(spis.contains(0), "SPI 0 is a value like any other here, not an empty slot");
        assertFalse(spis.contains(0x1000_0002));

        assertTrue(spis.remove(0x9000_0001L));
        assertFalse(spis.remove(0x9000_0001L), "gone already");
        assertFalse(spis.contains((int)0x9000_0001L));
        assertTrue(spis.contains(0x1000_0001), "found past the removed one's slot");
        assertEquals(2, spis.size());
    }

    @Test
    void shouldReplaceTheWholeSetAtOnce()
    {
        spis.add(1);
        spis.replace(List.of(2L, 3L, 0xFFFF_FFFFL, 3L));

        assertFalse(spis.contains(1));
        assertTrue(spis.contains(2) && spis.contains(3) && spis.contains(-1));
        assertEquals(3, spis.size());
        assertTrue(spis.add(4));
        assertTrue(spis.remove(2));
        assertEquals(3, spis.size());
    }

    @Test
    void shouldStayBoundedByTheSpisOwnedThroughAnyNumberOfAddsAndRemoves()
    {
        for (long spi = 1; spi <= 20_000; spi++)
        {
            spis.add(0x9000_0000L + spi);
        }
        final int capacity = spis.capacity();
        for (long spi = 1; spi <= 200_000; spi++)
        {
            assertTrue(spis.add(0x1000_0000L + spi));
            assertTrue(spis.remove(0x1000_0000L + spi));
        }

        assertEquals(20_000, spis.size());
        assertTrue(spis.capacity() <= capacity * 2, spis.capacity() + " slots for 20,000 SPIs");
        for (long spi = 1; spi <= 20_000; spi++)
        {
            assertTrue(spis.contains((int)(0x9000_0000L + spi)));
        }
        assertFalse(spis.contains(0x1000_0001));
    }

    @Test
    void shouldNeverMissAnOwnedSpiNorSeeARemovedOneWhileTheWriterChangesOthers() throws Exception
    {
        for (long spi = 1; spi <= 1000; spi++)
        {
            spis.add(0x9000_0000L + spi);
        }
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong misses = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final Thread reader = new Thread(() ->
        {
            while (!stop.get())
            {
                for (int spi = 1; spi <= 1000; spi++)
                {
                    if (!spis.contains(0x9000_0000 + spi) || spis.contains(0x7000_0000 + spi))
                    {
                        misses.incrementAndGet();
                    }
                }
                reads.incrementAndGet();
            }
        });
        reader.start();
        try
        {
            // the writer churns other SPIs through many rebuilds while the reader looks
            for (int round = 0; round < 50 || (reads.get() < 10 && round < 5000); round++)
            {
                for (long spi = 1; spi <= 5000; spi++)
                {
                    spis.add(0x1000_0000L + spi);
                }
                for (long spi = 1; spi <= 5000; spi++)
                {
                    spis.remove(0x1000_0000L + spi);
                }
            }
        }
        finally
        {
            stop.set(true);
            reader.join(10_000);
        }

        assertFalse(reader.isAlive());
        assertEquals(0, misses.get(), "an owned SPI missed, or an SPI never owned seen");
        assertEquals(1000, spis.size());
    }
}
