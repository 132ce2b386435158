package org.esp4j.sip.sim;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A farm's slices over processes ({@code sim ue --shard I/S}): which UE indexes each shard takes, and that a UE keeps
 * the address it has in the whole farm.
 */
class FarmShardTest
{
    @Test
    void shouldSliceTheFarmIntoContiguousSlicesThatCoverEveryUeOnce()
    {
        for (final int ues : new int[]{ 1, 7, 1000, 3000, 10_000, 10_001 })
        {
            for (int shards = 1; shards <= Math.min(ues, 9); shards++)
            {
                int next = 0;
                int smallest = Integer.MAX_VALUE;
                int largest = 0;
                for (int number = 1; number <= shards; number++)
                {
                    final FarmShard shard = FarmShard.of(number, shards, ues);
                    assertEquals(next, shard.first(), ues + " UEs, shard " + number + "/" + shards);
                    next = shard.end();
                    smallest = Math.min(smallest, shard.count());
                    largest = Math.max(largest, shard.count());
                }
                assertEquals(ues, next, "the last shard ends at the last UE");
                assertTrue(smallest >= 1 && largest - smallest <= 1, ues + "/" + shards + ": " + smallest + ".." + largest);
            }
        }
    }

    @Test
    void shouldGiveTheDocumentedSlicesOfTenThousandInFour()
    {
        assertEquals(new FarmShard(1, 4, 0, 2500), FarmShard.parse("1/4", 10_000));
        assertEquals(new FarmShard(4, 4, 7500, 2500), FarmShard.parse("4/4", 10_000));
        assertEquals(new FarmShard(2, 3, 3333, 3333), FarmShard.parse("2/3", 10_000));
        assertEquals(new FarmShard(3, 3, 6666, 3334), FarmShard.parse("3/3", 10_000));
        assertEquals(new FarmShard(1, 1, 0, 10_000), FarmShard.whole(10_000));
    }

    @Test
    void shouldRefuseAMalformedOrImpossibleShardWithOneLineNamingTheOption()
    {
        for (final String bad : new String[]{ "", "1", "1/", "/4", "0/4", "5/4", "-1/4", "a/b", "1/0", "2/2/2", "1/5" })
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> FarmShard.parse(bad, 4), bad);
            assertTrue(ex.getMessage().startsWith("--shard: "), ex.getMessage());
            assertTrue(!ex.getMessage().contains("\n"), ex.getMessage());
        }
    }

    @Test
    void shouldGiveAShardsUesTheAddressesTheyHaveInTheWholeFarm() throws Exception
    {
        final FarmAddresses whole = new FarmAddresses("2001:db8:4701:2710::/64", 10_000, "lo");
        final FarmAddresses last = new FarmAddresses("2001:db8:4701:2710::/64", FarmShard.parse("4/4", 10_000), "lo");
        assertEquals(7500, last.first());
        assertEquals(2500, last.count());
        assertEquals(InetAddress.getByName("2001:db8:4701:2710::1d4d"), last.address(7500)); // 7,501 = 0x1d4d
        for (final int ue : new int[]{ 7500, 8191, 9999 })
        {
            assertEquals(whole.address(ue), last.address(ue));
        }
        final FarmAddresses v4 = new FarmAddresses("10.45.0.0/16", FarmShard.parse("2/2", 600), "lo");
        assertEquals(InetAddress.getByName("10.45.1.45"), v4.address(300)); // 301 = 1 * 256 + 45
    }

    @Test
    void shouldCheckThePrefixHasRoomUpToTheShardsLastUe()
    {
        // a /24 has room for 254 UEs: shard 1/2 of 300 (0..149) fits, shard 2/2 (150..299) does not
        new FarmAddresses("10.45.0.0/24", FarmShard.parse("1/2", 300), "lo");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new FarmAddresses("10.45.0.0/24", FarmShard.parse("2/2", 300), "lo"));
        assertEquals("--ue-prefix 10.45.0.0/24 has room for 254 UEs, not 300", ex.getMessage());
    }
}
